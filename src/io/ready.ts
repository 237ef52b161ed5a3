// readable() and writable(): an op that waits once for readiness, unless
// buffered input already makes a read not block.
import { callOptions, Job, Op } from './engine.js';
import type { Handle } from './handle.js';
import { READ, type Direction } from './readiness.js';
import { EAGAIN } from '../sys/errno.js';

/** Waits until a read (or write) would not block: buffered input counts as readable. */
export class Ready extends Op<void, Handle> {
  readonly syscall = 'poll';
  #h!: Handle;
  #waited = false;
  constructor(private readonly dir: Direction, private readonly opts: unknown) { super(); }
  start(h: Handle, job: Job): void { job.call = callOptions(this.opts); job.dir = this.dir; this.#h = h; }
  attempt(): void | number {
    if (this.#waited || (this.dir === READ && this.#h.buffered())) return;
    this.#waited = true;
    return EAGAIN;
  }
}
