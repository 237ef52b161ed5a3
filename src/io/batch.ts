// recvmmsg(2) results: the scratch a batch is received into, shared by every
// socket, and the messages taken out of it. A run of messages from one sender
// shares one copy of its sockaddr and one decoded address.
import { Buffer } from 'node:buffer';
import { MSG_CTRUNC, MSG_TRUNC } from '../sys/constants.js';
import { layout } from '../sys/struct.js';
import { decodeAddress, decodedFrom, type SocketAddress } from '../codec/sockaddr.js';
import { copyDecoded, decodeControl, type ReceivedMessage } from '../codec/message.js';


/** Whether a[0, len) equals b[at, at + len): a sockaddr compared with the one before. */
export function sameBytes(a: Uint8Array, b: Uint8Array, at: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[i] !== b[at + i]) return false;
  return true;
}

const EMPTY_FDS: number[] = Object.freeze([]) as unknown as number[];
const EMPTY_CONTROL: ReceivedMessage['control'] = Object.freeze([]) as unknown as ReceivedMessage['control'];

/**
 * The recvmmsg scratch: data slots, address slots, control slots and the meta
 * array, shared by every socket and reused while big enough. The addon packs
 * the received messages to the front of `data`; messages() copies them out in
 * one piece, so results own their memory and cost what they hold.
 */
export class Batch {
  static #shared: Batch | null = null;
  data: Buffer;
  addrs: Buffer;
  ctl: Buffer | null;
  meta: Int32Array;
  ctlSlot = 0;

  private constructor(dataBytes: number, count: number, ctlBytes: number) {
    this.data = Buffer.allocUnsafe(dataBytes);
    this.addrs = Buffer.allocUnsafe(count * layout.storage);
    this.ctl = ctlBytes > 0 ? Buffer.allocUnsafe(ctlBytes) : null;
    this.meta = new Int32Array(count * 4);
  }

  /** The shared scratch, grown (never shrunk) in each dimension so callers with different shapes do not take turns reallocating it. */
  static get(count: number, size: number, ctlSlot: number): Batch {
    let b = Batch.#shared;
    if (!b || b.data.length < count * size || b.meta.length < count * 4 || (ctlSlot > 0 && (!b.ctl || b.ctl.length < count * ctlSlot))) {
      b = Batch.#shared = new Batch(Math.max(count * size, b?.data.length ?? 0), Math.max(count, (b?.meta.length ?? 0) / 4),
        Math.max(count * ctlSlot, b?.ctl?.length ?? 0));
    }
    b.ctlSlot = ctlSlot;
    return b;
  }

  /**
   * The messages of a batch: views of `into` at their slots (received in
   * place), or copied out of the scratch, where the addon packed them.
   */
  messages(n: number, size: number, into: Buffer | null, account: (bytes: number) => void): ReceivedMessage[] {
    const meta = this.meta;
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.min(meta[i * 4], size);
    let data: Buffer;
    if (into) data = into;
    else {
      data = Buffer.allocUnsafe(total);
      this.data.copy(data, 0, 0, total);
    }
    const out: ReceivedMessage[] = new Array(n);
    // Buffer.from(arrayBuffer, offset, length) makes a view without subarray's species lookup.
    const ab = data.buffer;
    const base = data.byteOffset;
    let pos = 0;
    let from: Sender | null = null;
    for (let i = 0; i < n; i++) {
      const len = Math.min(meta[i * 4], size);
      from = this.#sender(i, meta[i * 4 + 1], from);
      const at = into ? i * size : pos;
      const m = new BatchMessage(Buffer.from(ab, base + at, len), from, meta[i * 4 + 2]);
      pos += len;
      const ctlLen = meta[i * 4 + 3];
      if (ctlLen > 0) {
        const c = decodeControl(this.ctl!.subarray(i * this.ctlSlot, i * this.ctlSlot + ctlLen), ctlLen);
        m.fds = c.fds;
        m.control = c.control;
        if (c.excess) m.controlTruncated = true;
        copyDecoded(m, c);
      }
      out[i] = m;
    }
    account(total);
    return out;
  }

  /**
   * The sender of message i: the previous message's when the sockaddr bytes
   * are the same (a batch mostly comes from one peer), else a copy of its
   * bytes, decoded when first read.
   */
  #sender(i: number, len: number, prev: Sender | null): Sender {
    const at = i * layout.storage;
    const addrs = this.addrs;
    if (prev !== null && prev.len === len && sameBytes(prev.bytes, addrs, at, len)) return prev;
    const bytes = Buffer.allocUnsafe(len);
    addrs.copy(bytes, 0, at, at + len);
    return { bytes, len, address: undefined };
  }
}

/** A sender's sockaddr bytes and, once read, its decoded (frozen) address, shared by the messages it sent. */
interface Sender { bytes: Buffer; len: number; address: SocketAddress | null | undefined }

/** A message of a recvMany batch: its address is decoded on first read. */
class BatchMessage implements ReceivedMessage {
  fds = EMPTY_FDS;
  control = EMPTY_CONTROL;
  truncated: boolean;
  controlTruncated: boolean;
  declare credentials?: ReceivedMessage['credentials'];
  declare pktinfo?: ReceivedMessage['pktinfo'];
  declare timestamp?: number;
  declare segmentSize?: number;
  declare tos?: number;
  declare ttl?: number;
  declare originalDestination?: ReceivedMessage['originalDestination'];
  declare extendedError?: ReceivedMessage['extendedError'];
  #from: Sender | null;
  #address: SocketAddress | null = null;

  constructor(public data: Buffer, from: Sender, public flags: number) {
    this.#from = from;
    this.truncated = (flags & MSG_TRUNC) !== 0;
    this.controlTruncated = (flags & MSG_CTRUNC) !== 0;
  }

  get address(): SocketAddress | null {
    const from = this.#from;
    if (from !== null) {
      if (from.address === undefined) {
        from.address = decodedFrom(decodeAddress(from.bytes, from.len), from.bytes, from.len);
      }
      this.#address = from.address;
      this.#from = null;
    }
    return this.#address;
  }

  set address(a: SocketAddress | null) {
    this.#from = null;
    this.#address = a;
  }
}
