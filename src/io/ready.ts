// readable() and writable(): an op that waits once for readiness, unless
// buffered input already makes a read not block.
import { callOptions, Op } from './engine.js';
import type { Handle } from './handle.js';
import { READ, type Direction } from './readiness.js';
import { EAGAIN } from '../sys/errno.js';

/** Waits until a read (or write) would not block: buffered input counts as readable. */
export class Ready extends Op<void, Handle> {
  readonly syscall = 'poll';
  #h!: Handle;
  #waited = false;
  constructor(dir: Direction, private readonly opts: unknown) { super(); this.dir = dir; }
  start(h: Handle): void { this.call = callOptions(this.opts); this.#h = h; }
  attempt(): void | number {
    if (this.#waited || (this.dir === READ && this.#h.buffered())) return;
    this.#waited = true;
    return EAGAIN;
  }
}
