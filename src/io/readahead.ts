// Datagrams read ahead. `for await (const m of socket)` on a datagram socket
// reads a batch per recvmmsg(2) and yields its messages one by one; the ones
// not yielded yet wait here. Every receive call takes from here before asking
// the kernel, in order, so a loop that breaks early loses nothing, and each
// call gets what it would have got from the kernel: data cut to its size,
// fds cut to its maxFds, a copy (with duplicated fds) when it peeks.
import { Buffer } from 'node:buffer';
import * as sys from '../sys/fd.js';
import { MSG_CTRUNC, MSG_ERRQUEUE, MSG_OOB, MSG_PEEK, MSG_TRUNC } from '../sys/constants.js';
import { copyDecoded, type ReceivedMessage } from '../codec/message.js';

/** Flags that read something other than the datagram queue: the error queue and out-of-band data. */
const ELSEWHERE = (MSG_ERRQUEUE ?? 0) | (MSG_OOB ?? 0);

export class ReadAhead {
  #items: (ReceivedMessage | undefined)[];
  #head: number;

  /** Holds `items` from index `head` on (the ones before were handed out). */
  constructor(items: ReceivedMessage[], head: number) {
    this.#items = items;
    this.#head = head;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The oldest datagram, removed unless `peek`. */
  next(peek: boolean): ReceivedMessage {
    const m = this.#items[this.#head]!;
    if (!peek) this.#items[this.#head++] = undefined;
    return m;
  }

  /** Drops what nobody received, closing the fds those datagrams carried (the socket is going away). */
  discard(): void {
    for (let i = this.#head; i < this.#items.length; i++) for (const fd of this.#items[i]!.fds) sys.close(fd);
    this.#items = [];
    this.#head = 0;
  }
}

/** Whether a call with `flags` reads from the datagram queue, where read-ahead datagrams come first. */
export function fromQueue(flags: number): boolean {
  return (flags & ELSEWHERE) === 0;
}

/** recv's and recvFrom's data: at most `size` bytes; a copy when peeking, as the datagram stays queued. */
export function aheadData(m: ReceivedMessage, size: number, flags: number): Buffer {
  const d = m.data.length > size ? m.data.subarray(0, size) : m.data;
  return flags & MSG_PEEK ? Buffer.from(d) : d;
}

/** recvInto's result: the bytes copied into `into`, or with MSG_TRUNC the datagram's length, as recv(2) reports it. */
export function aheadInto(m: ReceivedMessage, into: Uint8Array, flags: number): number {
  const n = Math.min(m.data.length, into.length);
  into.set(n === m.data.length ? m.data : m.data.subarray(0, n));
  return flags & MSG_TRUNC ? m.data.length : n;
}

/**
 * recvMsg's (and recvMany's) result: data cut to `size` (truncated), fds
 * beyond `maxFds` closed (controlTruncated). Peeking leaves the datagram
 * queued and returns a copy whose fds are duplicates the caller owns, as a
 * peeking recvmsg(2) installs new fds.
 */
export function aheadMessage(m: ReceivedMessage, size: number, maxFds: number, flags: number): ReceivedMessage {
  const peek = (flags & MSG_PEEK) !== 0;
  const cut = m.data.length > size;
  const excess = m.fds.length > maxFds;
  if (!peek && !cut && !excess) return m;
  const r: ReceivedMessage = peek ? copyOf(m) : m;
  if (cut) {
    r.data = m.data.subarray(0, size);
    r.truncated = true;
    r.flags |= MSG_TRUNC;
  }
  if (peek) r.data = Buffer.from(r.data);
  const kept = excess ? m.fds.slice(0, maxFds) : m.fds;
  if (peek) {
    r.fds = [];
    for (const fd of kept) {
      const d = sys.dup(fd);
      // Out of fds: left out, as a peek that could not install it reports MSG_CTRUNC.
      if (d >= 0) r.fds.push(d); else r.controlTruncated = true;
    }
  } else if (excess) {
    for (const fd of m.fds.slice(maxFds)) sys.close(fd);
    r.fds = kept;
  }
  if (excess) r.controlTruncated = true;
  if (r.controlTruncated) r.flags |= MSG_CTRUNC;
  return r;
}

function copyOf(m: ReceivedMessage): ReceivedMessage {
  const c: ReceivedMessage = {
    data: m.data, address: m.address, flags: m.flags, fds: m.fds, control: m.control,
    truncated: m.truncated, controlTruncated: m.controlTruncated,
  };
  copyDecoded(c, m);
  return c;
}
