// boundary: what the layers themselves cost (a regression guard, no peers):
// one native call, one readiness wake-up through libuv, one address decode.
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
      step('native call: getsockopt(SO_TYPE)', 'call'),
      step('readiness wake-up: recv waits, peer writes, recv completes', 'wake'),
      step('address decode: sockaddr_in6 bytes to an object', 'decode'),
    ],
    skipped: [],
  }];
}
