// udp-drain: a receive queue filled first (by this process), then drained, so
// only the receive path is measured: 64-byte and 1400-byte datagrams. The
// queue must hold them all: the check that every datagram arrived fails the
// case otherwise.
import { SUBJECT_CORE, missing, peers, start, type Program, type Report } from '../lib/harness.ts';
import { measure, type Case, type Group, type Settings } from '../lib/suite.ts';
import { Socket } from 'berkeley';

const ROUNDS = 4;
let sender: Socket | null = null;

/** Queues `count` datagrams of `size` bytes on 127.0.0.1:port. */
function fill(port: number, size: number, count: number): void {
  if (!sender) {
    sender = new Socket('inet', 'dgram');
    sender.setOption('sndbuf', 4 << 20);
  }
  const to = { family: 'inet' as const, address: '127.0.0.1', port };
  const payload = Buffer.alloc(size, 0x61);
  const batch = Array.from({ length: 256 }, () => ({ data: payload, address: to }));
  for (let i = 0; i < count; i += 256) sender.sendManySync(i + 256 <= count ? batch : batch.slice(0, count - i));
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
        // have in a long-running program.
        const p = start(program, SUBJECT_CORE, { input: true });
        try {
          let r: Report | null = null;
          for (let round = 0; round < ROUNDS; round++) {
            const ready = /^ready (\d+)$/.exec(await p.next());
            if (!ready) throw new Error(`${label}: no ready line`);
            fill(Number(ready[1]), size, cfg.count);
            p.child.stdin!.write(`${cfg.count}\n`);
            r = JSON.parse(await p.next()) as Report;
          }
          p.child.stdin!.end();
          if (r!.ops !== cfg.count) throw new Error(`${label} drained ${r!.ops} of ${cfg.count}`);
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
    ];
    const py = missing.python();
    if (py) skipped.push(`Python: ${py}`); else cases.push(drain('Python recvfrom_into', peers.python('drain', '', size, 0)));
    cases.push(
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
        { subject: 'berkeley recvMany (async)', peer: 'C recvmmsg', min: 0.8 },
        { subject: 'berkeley recvMany (async)', peer: 'node:dgram', min: 5 },
        { subject: 'berkeley recvFrom (async)', peer: 'node:dgram', min: 3.5 },
      ],
    };
  });
}
