// unix-dgram: a flood of 64-byte Unix datagrams from one process to another,
// both ends the library under test; the receiver is measured.
import { COUNTERPART_CORE, SUBJECT_CORE, missing, pair, peers, socketPath, type Program } from '../lib/harness.ts';
import { measure, type Case, type Group, type Settings } from '../lib/suite.ts';

const SIZE = 64;

export function unixDgram(cfg: Settings): Group[] {
  const count = cfg.count * 4; // a flood long enough to reach a steady state
  const skipped: string[] = [];
  const flood = (label: string, make: (...a: (string | number)[]) => Program, variant: string, berkeley = false): Case => ({
    label,
    berkeley,
    run: async () => {
      const [received] = await pair(make('ud-recv', socketPath(), count, variant), SUBJECT_CORE, (path) => make('ud-send', path, count, SIZE, variant), COUNTERPART_CORE, { waitFirst: true });
      return measure(received!, received!.ops);
    },
  });
  const cases: Case[] = [flood('C', peers.c, '')];
  if (missing.unixDgram()) skipped.push(`npm unix-dgram: ${missing.unixDgram()}`); else cases.push(flood('npm unix-dgram', peers.unixDgram, ''));
  if (missing.python()) skipped.push(`Python: ${missing.python()}`); else cases.push(flood('Python', peers.python, ''));
  cases.push(
    flood('berkeley async', peers.berkeley, 'async', true),
    flood('berkeley for await', peers.berkeley, 'iterator', true),
    flood('berkeley sync', peers.berkeley, 'sync', true),
    flood('berkeley sendMany/recvMany', peers.berkeley, 'batch', true),
  );
  return [{
    id: 'unix-dgram',
    title: `unix-dgram: ${count} datagrams of 64 bytes, one process to another`,
    unit: 'datagrams/s',
    op: 'datagram received',
    cases,
    skipped,
    targets: [{ subject: 'berkeley async', peer: 'npm unix-dgram', min: 2.5 }],
  }];
}
