// One deadline type for every wait the library makes: a whole-call limit
// (the per-call { timeout } and the socket's 'total' timeout, whichever ends
// first) and a per-wait limit (the socket's 'block' timeout). The async
// driver, the sync driver, connect's back-off, select and the native poll(2)
// waits all ask the same object when the next wait must end.
import { performance } from 'node:perf_hooks';

/** The longest delay a Node timer takes as given (longer ones fire after 1 ms). */
export const MAX_TIMER = 0x7fffffff;

export class Deadline {
  /** No limit at all: every wait may last forever. */
  static readonly NONE = new Deadline(null, null);

  /**
   * @param end   when the whole call must be over (a performance.now() time), null for never
   * @param block the longest one wait may last, in ms, null for no limit
   */
  constructor(readonly end: number | null, readonly block: number | null) {}

  /** The deadline of a call that starts now: `total` and `call` bound the call, `block` each wait (ms; null = none). */
  static start(total: number | null, call: number | null, block: number | null): Deadline {
    if (total === null && call === null) return block === null ? Deadline.NONE : new Deadline(null, block);
    const limit = total === null ? call! : call === null ? total : Math.min(total, call);
    return new Deadline(performance.now() + limit, block);
  }

  /** When the next wait must end (a performance.now() time), or null when it may last forever. */
  waitEnd(): number | null {
    if (this.block === null) return this.end;
    const b = performance.now() + this.block;
    return this.end === null ? b : Math.min(b, this.end);
  }

  /** The next wait's length for poll(2): -1 for no limit, 0 when it has already ended. */
  waitMs(): number {
    const end = this.waitEnd();
    if (end === null) return -1;
    const left = Math.ceil(end - performance.now());
    return left > 0 ? left : 0;
  }

  /** Whether the next wait should be skipped: a limit of zero (timeout 0, LuaSocket's non-blocking mode) or the call's end has passed. */
  expired(): boolean {
    return this.waitMs() === 0;
  }

  /** How long a back-off sleep of `ms` may last within this deadline; 0 when none is left. */
  sleepMs(ms: number): number {
    const end = this.waitEnd();
    return end === null ? ms : Math.max(0, Math.min(ms, end - performance.now()));
  }
}
