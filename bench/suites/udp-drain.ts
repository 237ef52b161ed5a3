// udp-drain: a receive queue filled first, then drained, so only the receive
// path is measured: 64-byte and 1400-byte datagrams. The C sender fills the
// queue (setup, on the counterpart core) and the runner checks, before the
// drain starts, that every datagram is in the receiver's queue; a drain that
// then gets fewer than all of them fails the case.
import { COUNTERPART_CORE, SUBJECT_CORE, missing, peers, sleep, start, udpQueue, type Program, type Report } from '../lib/harness.ts';
import { measure, type Case, type Group, type Settings } from '../lib/suite.ts';

const ROUNDS = 8;

/**
 * Queues `count` datagrams of `size` bytes on 127.0.0.1:port and returns once
 * the receiver's queue holds them all. Delivery on loopback can finish after
 * the sender's last call returns (the kernel hands the rest of the burst to
 * ksoftirqd under load), so the queue is read until it stops growing; a
 * socket that dropped any datagram had a queue too small for the burst.
 */
async function fill(port: number, size: number, count: number): Promise<void> {
  const sent = await start(peers.c('fill', port, count, size), COUNTERPART_CORE).result;
  if (sent.ops !== count) throw new Error(`the fill sent ${sent.ops} of ${count}`);
  let last = -1;
  for (let i = 0; i < 1000; i++) {
    const q = udpQueue(port);
    if (!q) throw new Error(`no UDP socket on port ${port}`);
    if (q.drops > 0) throw new Error(`the receiver's queue dropped ${q.drops} of ${count} datagrams during the fill (receive buffer too small for the burst)`);
    if (q.queued === last) return;
    last = q.queued;
    await sleep(2);
  }
  throw new Error('the receive queue kept changing for 2 s after the fill');
}

export function udpDrain(cfg: Settings): Group[] {
  return [64, 1400].map((size) => {
    const skipped: string[] = [];
    const drain = (label: string, program: Program, berkeley = false): Case => ({
      label,
      berkeley,
      run: async () => {
        // Each program drains ROUNDS queues, each on a fresh socket, and the
        // last is measured: a JIT compiler has warmed up by then, as it would
        // have in a long-running program. A batched drain makes only 781
        // calls per round: V8 had not optimized the call path of
        // recvManySync by the fourth round (--trace-opt), and its CPU per
        // datagram fell from 1.9 µs to 1.1 µs between rounds 3 and 4.
        const p = start(program, SUBJECT_CORE, { input: true });
        try {
          let r: Report | null = null;
          for (let round = 0; round < ROUNDS; round++) {
            const ready = /^ready (\d+)$/.exec(await p.next());
            if (!ready) throw new Error(`${label}: no ready line`);
            await fill(Number(ready[1]), size, cfg.count);
            p.child.stdin!.write(`${cfg.count}\n`);
            r = JSON.parse(await p.next()) as Report;
            if (r.ops !== cfg.count) throw new Error(`${label} drained ${r.ops} of ${cfg.count} (round ${round + 1})`);
          }
          p.child.stdin!.end();
          return measure(r!, r!.ops);
        } finally {
          p.kill();
        }
      },
    });
    const cases: Case[] = [
      drain('C recvfrom', peers.c('drain', 'recvfrom', size)),
      drain('C recvmmsg', peers.c('drain', 'recvmmsg', size)),
      drain('node:dgram', peers.node('drain')),
      // node:dgram's program with the import swapped: its 'message' listener over recvmmsg.
      drain('berkeley/dgram (node:dgram\'s interface)', peers.node('drain', 'berkeley'), true),
    ];
    const py = missing.python();
    if (py) skipped.push(`Python: ${py}`); else cases.push(drain('Python recvfrom_into', peers.python('drain', '', size, 0)));
    cases.push(
      // The floor of any Node program: recvfrom(2) in a loop of bare addon calls, no Buffer or address per datagram.
      drain('Node + addon, bare recvfrom', peers.berkeley('drain', 'bare', size, 0)),
      // The floor of any promise-returning call: the same with each result awaited.
      drain('Node + addon, bare recvfrom + await', peers.berkeley('drain', 'bare-await', size, 0)),
      drain('berkeley recvFrom (async)', peers.berkeley('drain', 'recvFrom', size, 0), true),
      drain('berkeley recvFromSync', peers.berkeley('drain', 'recvFromSync', size, 0), true),
      drain('berkeley recvMany (async)', peers.berkeley('drain', 'recvMany', size, 0), true),
      drain('berkeley recvManySync', peers.berkeley('drain', 'recvManySync', size, 0), true),
    );
    return {
      id: `udp-drain-${size}`,
      title: `udp-drain, ${size}-byte datagrams: ${cfg.count} queued, then drained`,
      unit: 'datagrams/s',
      op: 'datagram',
      cases,
      skipped,
      targets: [
        { subject: 'berkeley recvFrom (async)', peer: 'Python recvfrom_into', min: 1.0 },
        { subject: 'berkeley recvFromSync', peer: 'Python recvfrom_into', min: 1.1 },
        { subject: 'berkeley recvMany (async)', peer: 'C recvmmsg', min: 0.9 },
        { subject: 'berkeley recvMany (async)', peer: 'node:dgram', min: 5 },
        { subject: 'berkeley recvFrom (async)', peer: 'node:dgram', min: 3.5 },
        { subject: 'berkeley/dgram (node:dgram\'s interface)', peer: 'node:dgram', min: 1.0 },
      ],
    };
  });
}
