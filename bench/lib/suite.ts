// The shape of a benchmark: groups of cases that run interleaved, each case
// one library's way of doing the same work.
import type { Report } from './harness.ts';

/** One measurement of one case. */
export interface Sample {
  /** Operations (or bytes) per second, in the group's unit. */
  rate: number;
  /** CPU microseconds the measured process spent per operation, when known. */
  cpuPerOp: number | null;
  /** Round-trip percentiles in microseconds. */
  p50?: number;
  p99?: number;
  /** Share of datagrams sent but not delivered (0..1). */
  loss?: number;
  /** Where a receiver may lose datagrams: what the sender sent per second, and what the receiver got. */
  sent?: number;
  delivered?: number;
  /** Which timed run (0-based) of the group it came from: a target's ratio is also taken within each run. */
  round?: number;
}

export interface Case {
  label: string;
  /** A berkeley variant: ratios are computed from each berkeley case to every other case. */
  berkeley?: boolean;
  run(): Promise<Sample>;
}

/** A target from the issue: `subject` / `peer` >= `min`. */
export interface Target {
  subject: string;
  peer: string;
  min: number;
}

export interface Group {
  id: string;
  title: string;
  /** The rate's unit ("MB/s", "round trips/s", ...). */
  unit: string;
  /** What one operation is, for CPU time per operation. */
  op: string;
  lowerIsBetter?: boolean;
  /** Flows (UDP floods): which end the rate is from; the table adds the other end's rate and the loss. */
  measures?: 'sender' | 'receiver';
  cases: Case[];
  /** Peers that cannot run here and why: printed with the results. */
  skipped: string[];
  targets?: Target[];
}

export interface Settings {
  /** Seconds each timed run lasts. */
  duration: number;
  /** Datagrams queued before a drain, and sent in a Unix datagram flood. */
  count: number;
}

/** Rate and CPU per operation from a report, `ops` operations having happened. */
export function measure(r: Report, ops: number, scale = 1): Sample {
  return { rate: (ops / r.seconds) * scale, cpuPerOp: r.cpu === null ? null : (r.cpu / ops) * 1e6, p50: r.p50, p99: r.p99 };
}
