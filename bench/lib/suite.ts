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
  /** Servers (measured from outside): the server's resident memory at the end of the interval (VmRSS) and its peak (VmHWM), in MB (10^6 bytes). */
  rss?: number;
  peakRss?: number;
  /** Servers: the share of the interval the load generator was on a CPU (near 1: the load, not the server, may be the limit). */
  loadCpu?: number;
  /** Which timed run (0-based) of the group it came from: a target's ratio is also taken within each run. */
  round?: number;
}

export interface Case {
  label: string;
  /** A berkeley variant: ratios are computed from each berkeley case to every other case. */
  berkeley?: boolean;
  run(): Promise<Sample>;
}

/**
 * A target from the issues: `subject` / `peer` >= `min` on the group's rate
 * (for lowerIsBetter groups, the peer's time / the subject's); or, with
 * metric 'rss', the subject's server RSS / the peer's <= `max` (lower is better).
 */
export type Target =
  | { subject: string; peer: string; metric?: 'rate'; min: number }
  | { subject: string; peer: string; metric: 'rss'; max: number };

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
  /** How the group measures, printed under its table. */
  notes?: string[];
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
