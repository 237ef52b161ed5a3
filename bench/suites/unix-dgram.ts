// unix-dgram: floods of 64-byte Unix datagrams from one process to another,
// the receiver measured. A Unix datagram sender blocks while the receiver's
// queue is full, so nothing is lost and the slower end sets the pace. Two
// groups: "receiving", a C sendmmsg sender feeding each library's receiver
// (the receive path alone: C outpaces every receiver), and "pair", both ends
// the same library.
import { COUNTERPART_CORE, SUBJECT_CORE, missing, pair, peers, socketPath, type Program } from '../lib/harness.ts';
import { measure, type Case, type Group, type Settings } from '../lib/suite.ts';

const SIZE = 64;
type Make = (...a: (string | number)[]) => Program;

export function unixDgram(cfg: Settings): Group[] {
  const count = cfg.count * 4; // a flood long enough to reach a steady state
  const flood = (label: string, receiver: Make, variant: string, sender: ((path: string) => Program) | null, berkeley = false): Case => ({
    label,
    berkeley,
    run: async () => {
      const send = sender ?? ((path: string) => receiver('ud-send', path, count, SIZE, variant));
      const [received] = await pair(receiver('ud-recv', socketPath(), count, variant), SUBJECT_CORE, send, COUNTERPART_CORE, { waitFirst: true });
      if (received!.ops !== count - 1) throw new Error(`${label} received ${received!.ops + 1} of ${count}`);
      return measure(received!, received!.ops);
    },
  });
  const cSender = (path: string) => peers.c('ud-send', path, count, SIZE, 'mmsg');

  const groups = (['recv', 'pair'] as const).map((kind): Group => {
    const sender = kind === 'recv' ? cSender : null;
    const skipped: string[] = [];
    const cases: Case[] = [flood('C recv', peers.c, '', sender), flood(kind === 'recv' ? 'C recvmmsg' : 'C sendmmsg/recvmmsg', peers.c, 'mmsg', sender)];
    if (missing.unixDgram()) skipped.push(`npm unix-dgram: ${missing.unixDgram()}`); else cases.push(flood('npm unix-dgram', peers.unixDgram, '', sender));
    if (missing.python()) skipped.push(`Python: ${missing.python()}`); else cases.push(flood('Python recv_into', peers.python, '', sender));
    cases.push(
      flood('berkeley recvInto (async)', peers.berkeley, 'async', sender, true),
      flood('berkeley recv (async)', peers.berkeley, 'recv', sender, true),
      flood('berkeley for await', peers.berkeley, 'iterator', sender, true),
      flood('berkeley recvIntoSync', peers.berkeley, 'sync', sender, true),
      flood(kind === 'recv' ? 'berkeley recvMany (async)' : 'berkeley sendMany/recvMany', peers.berkeley, 'batch', sender, true),
    );
    return kind === 'recv'
      ? {
        id: 'unix-dgram-recv',
        title: `unix-dgram, receiving: ${count} datagrams of 64 bytes from a C sendmmsg sender`,
        unit: 'datagrams/s',
        op: 'datagram received',
        cases,
        skipped,
        targets: [
          { subject: 'berkeley recvInto (async)', peer: 'Python recv_into', min: 1.0 },
          { subject: 'berkeley recv (async)', peer: 'Python recv_into', min: 1.0 },
          { subject: 'berkeley recvMany (async)', peer: 'C recvmmsg', min: 0.9 },
        ],
      }
      : {
        id: 'unix-dgram-pair',
        title: `unix-dgram, pair: ${count} datagrams of 64 bytes, both ends the same library`,
        unit: 'datagrams/s',
        op: 'datagram received',
        cases,
        skipped,
        targets: [{ subject: 'berkeley recvInto (async)', peer: 'npm unix-dgram', min: 2.5 }],
      };
  });
  return groups;
}
