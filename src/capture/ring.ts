// The TPACKET_V3 receive ring of a packet socket: blocks of packets the
// kernel fills and hands over one at a time (a block is handed over when it
// is full or when its timeout passes with packets in it), read in place and
// handed back in the same order.
import { Buffer } from 'node:buffer';
import { systemError } from '../errors.js';
import { SOL_PACKET } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import { setI32, uint } from '../sys/struct.js';
import type { CaptureLayout } from '../sys/binding.js';
import { packetring, ringblock, ringmap, ringrelease, ringunmap, type RingHandle } from './native.js';

/** The ring's shape: `blocks` blocks of `blockSize` bytes; a partly filled block is handed over after `timeout` ms. */
export interface RingGeometry { blockSize: number; blocks: number; timeout: number }

/** The frame size tpacket_req3 asks for (TPACKET_V3 packs packets of any size into a block; this only has to divide it). */
const FRAME = 2048;

/** An int option value, in host byte order. */
function int(value: number): Buffer {
  const b = Buffer.alloc(4);
  setI32(b, 0, value);
  return b;
}

export class Ring {
  readonly #L: CaptureLayout;
  readonly #geometry: RingGeometry;
  #handle: RingHandle | null;
  /** The block to read next: the kernel fills them in order. */
  #next = 0;

  /** Makes `fd` a TPACKET_V3 socket with a ring of this geometry and maps it. */
  constructor(fd: number, L: CaptureLayout, geometry: RingGeometry, reserve: number) {
    this.#L = L;
    this.#geometry = geometry;
    const set = (name: number, value: number, what: string) => {
      const rc = sys.setsockopt(fd, SOL_PACKET!, name, int(value));
      if (rc < 0) throw systemError(rc, `setsockopt(${what})`);
    };
    set(L.PACKET_VERSION, L.TPACKET_V3, 'PACKET_VERSION');
    if (reserve) set(L.PACKET_RESERVE, reserve, 'PACKET_RESERVE');
    const rc = packetring(fd, geometry.blockSize, geometry.blocks, Math.min(FRAME, geometry.blockSize), geometry.timeout);
    if (rc < 0) throw systemError(rc, 'setsockopt(PACKET_RX_RING)');
    const handle = ringmap(fd, geometry.blockSize, geometry.blocks);
    if (typeof handle === 'number') throw systemError(handle, 'mmap');
    this.#handle = handle;
  }

  get geometry(): RingGeometry { return this.#geometry; }

  /**
   * The next block, if the kernel has handed it over; null otherwise. With
   * `resync` (after a wake-up that found nothing), a block handed over out
   * of the expected order is looked for too: the oldest one by sequence
   * number becomes the next, so a reader never waits on a block the
   * kernel has passed.
   */
  take(resync = false): Buffer | null {
    const h = this.#handle;
    if (!h) return null;
    const block = ringblock(h, this.#next);
    if (block || !resync) return block;
    let oldest = -1;
    let oldestSeq = Infinity;
    for (let i = 0; i < this.#geometry.blocks; i++) {
      const b = ringblock(h, i);
      if (!b) continue;
      const seq = uint(b, this.#L.blockSeq, 8);
      if (seq < oldestSeq) { oldest = i; oldestSeq = seq; }
    }
    if (oldest < 0) return null;
    this.#next = oldest;
    return ringblock(h, oldest);
  }

  /** Hands the block last taken back to the kernel (every view of it then reads as empty). */
  release(): void {
    if (!this.#handle) return;
    ringrelease(this.#handle, this.#next);
    this.#next = (this.#next + 1) % this.#geometry.blocks;
  }

  /** Unmaps the ring; idempotent. Views still held read as empty. */
  close(): void {
    const h = this.#handle;
    this.#handle = null;
    if (h) ringunmap(h);
  }
}
