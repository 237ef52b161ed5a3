// boundary: what the layers themselves cost (a regression guard, no peers):
// one readiness wake-up through libuv, one address decode. (One native call,
// getsockopt(SO_TYPE), is measured against C and Python in option-read.)
import { SUBJECT_CORE, peers, start } from '../lib/harness.ts';
import { type Case, type Group, type Settings } from '../lib/suite.ts';

export function boundary(cfg: Settings): Group[] {
  const step = (label: string, what: string): Case => ({
    label,
    run: async () => {
      const r = await start(peers.berkeley('boundary', what, cfg.duration), SUBJECT_CORE).result;
      return { rate: (r.seconds / r.ops) * 1e9, cpuPerOp: r.cpu === null ? null : (r.cpu / r.ops) * 1e6 };
    },
  });
  return [{
    id: 'boundary',
    title: 'boundary: the cost of one step (lower is better)',
    unit: 'ns/op',
    op: 'step',
    lowerIsBetter: true,
    cases: [
      step('readiness wake-up: recv waits, peer writes, recv completes', 'wake'),
      step('address decode: sockaddr_in6 bytes to an object', 'decode'),
    ],
    skipped: [],
  }];
}
