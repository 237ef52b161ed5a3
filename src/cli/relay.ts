// The relay of `berkeley cat`: one pump per direction, each reading a chunk
// and awaiting its write before the next read, so a slow writer holds back
// the reader (through the kernel's buffers back to the sender) and memory
// holds at most one chunk per direction. How it ends:
//   - a stream or seqpacket side ends with its empty read; the other side's
//     sending half is then shut (as nc -N does), and between two sockets
//     the other direction goes on until its own end;
//   - datagram sides never end by themselves, and stdout cannot pass a
//     half-close on: once a direction has ended in a relay with a datagram
//     side, or the data toward stdout has ended (a peer that hung up while
//     stdin stays open), the relay stops after a quiet period measured from
//     the last chunk in either direction (socat's -t), cutting short a read
//     that is already waiting; so stdin still being read is sent, and a
//     terminal left open does not hold the relay forever;
//   - --timeout is also the inactivity limit of stream relays.
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import type { Endpoint } from './endpoint.js';

/** socat's -t default: half a second of quiet ends a relay that cannot end by itself. */
export const QUIET_PERIOD = 500;

export interface Counters { ab: number; ba: number }

export interface RelayOptions {
  /** --timeout in ms, or null. */
  timeout: number | null;
  /** Verbose progress on a terminal. */
  progress: boolean;
  /** Only b <- a is relayed (a receive-only listener): nothing is read from b. */
  oneWay?: boolean;
  /** Ends the relay as the quiet period does (SIGINT, SIGTERM). */
  signal?: AbortSignal;
}

/**
 * The quiet-period watchdog: aborts `stop` once `quietMs` passed since the
 * last touch(), while armed. One timer, re-aimed when it fires early.
 */
class Quiet {
  #last = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #armed = false;

  constructor(private readonly quietMs: number, private readonly stop: AbortController) {}

  touch(): void { this.#last = performance.now(); }

  arm(): void {
    if (this.#armed || this.stop.signal.aborted) return;
    this.#armed = true;
    this.#schedule();
  }

  #schedule(): void {
    const left = this.#last + this.quietMs - performance.now();
    if (left <= 0) { this.stop.abort(); return; }
    this.#timer = setTimeout(() => this.#schedule(), Math.ceil(left));
  }

  dispose(): void { clearTimeout(this.#timer); }
}

/** Copies one way until the end, then shuts the other side's sending half. */
async function pump(from: Endpoint, to: Endpoint, quiet: Quiet, signal: AbortSignal, count: (n: number) => void): Promise<void> {
  for (;;) {
    const chunk = await from.read(signal);
    if (chunk === null) break;
    quiet.touch();
    await to.write(chunk, signal);
    quiet.touch();
    count(chunk.length);
  }
  to.endWrite();
}

/** Relays between a and b until both directions ended (or the quiet period did); closes both. */
export async function relay(a: Endpoint, b: Endpoint, o: RelayOptions, first?: Buffer): Promise<Counters> {
  const c: Counters = { ab: 0, ba: 0 };
  const stop = new AbortController();
  const datagrams = a.framing === 'datagram' || b.framing === 'datagram';
  const quiet = new Quiet(o.timeout ?? QUIET_PERIOD, stop);
  if (o.timeout !== null) quiet.arm();
  o.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  if (o.signal?.aborted) stop.abort();
  const ended = (to: Endpoint) => () => { if (datagrams || !to.halfCloses) quiet.arm(); };
  let progress: NodeJS.Timeout | undefined;
  if (o.progress) {
    const t0 = performance.now();
    progress = setInterval(() => {
      const s = (performance.now() - t0) / 1000;
      process.stderr.write(`\r${a.name} -> ${b.name}: ${c.ab} B, ${b.name} -> ${a.name}: ${c.ba} B, ${((c.ab + c.ba) / s / 1e6).toFixed(2)} MB/s `);
    }, 1000);
    progress.unref();
  }
  try {
    if (first) { await b.write(first, stop.signal); c.ab += first.length; }
    const forward = pump(a, b, quiet, stop.signal, (n) => { c.ab += n; }).finally(ended(b));
    const backward = o.oneWay ? null : pump(b, a, quiet, stop.signal, (n) => { c.ba += n; }).finally(ended(a));
    // The first failure ends the relay; the other direction then ends as its side closes, unobserved.
    for (const p of [forward, backward]) p?.catch(() => {});
    await Promise.all([forward, backward]);
  } finally {
    quiet.dispose();
    stop.abort();
    clearInterval(progress);
    if (progress) process.stderr.write('\n');
    a.close();
    b.close();
  }
  return c;
}
