// option-read: one option read, getsockopt(SOL_SOCKET, SO_TYPE) on a Unix
// stream socket in a loop, in C, Python and berkeley (posix.getsockopt and
// getOption('type')): the fixed cost of one call into the kernel and back.
import { SUBJECT_CORE, missing, peers, start, type Program } from '../lib/harness.ts';
import { type Case, type Group, type Settings } from '../lib/suite.ts';

export function optionRead(cfg: Settings): Group[] {
  const skipped: string[] = [];
  const loop = (label: string, program: Program, berkeley = false): Case => ({
    label,
    berkeley,
    run: async () => {
      const r = await start(program, SUBJECT_CORE).result;
      return { rate: (r.seconds / r.ops) * 1e9, cpuPerOp: r.cpu === null ? null : (r.cpu / r.ops) * 1e6 };
    },
  });
  const cases: Case[] = [loop('C getsockopt', peers.c('option', cfg.duration))];
  if (missing.python()) skipped.push(`Python: ${missing.python()}`);
  else cases.push(loop('Python sock.getsockopt', peers.python('option', cfg.duration)));
  cases.push(
    loop('berkeley posix.getsockopt', peers.berkeley('boundary', 'call', cfg.duration), true),
    loop("berkeley getOption('type')", peers.berkeley('boundary', 'option', cfg.duration), true),
  );
  return [{
    id: 'option-read',
    title: 'option-read: one getsockopt(SO_TYPE) (lower is better)',
    unit: 'ns/op',
    op: 'read',
    lowerIsBetter: true,
    cases,
    skipped,
    // Time at most 1.2x Python's: with times, the ratio is Python's ÷ berkeley's, so >= 1/1.2.
    targets: [
      { subject: 'berkeley posix.getsockopt', peer: 'Python sock.getsockopt', min: 0.83 },
      { subject: "berkeley getOption('type')", peer: 'Python sock.getsockopt', min: 0.83 },
    ],
  }];
}
