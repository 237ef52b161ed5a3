// The receive operations: recv, recvInto, recvFrom, recvMsg, recvMany and
// LuaSocket's receive patterns. Each attempt takes what the socket already
// holds in user space first (receive()'s input buffer, datagrams the
// iterator read ahead), then makes one system call into shared scratch and
// takes the result out; the engine does the waiting.
import { Buffer } from 'node:buffer';
import { eofError, invalidArgType, invalidArgValue, outOfRange, withProgress } from '../errors.js';
import { changedBuffer, isBytes, notDetached, validateInteger, validateLength } from '../validate.js';
import { decodeAddress, Senders, type SocketAddress } from '../codec/sockaddr.js';
import { controlSpace, MAX_FDS, receivedMessage, type ReceivedMessage } from '../codec/message.js';
import { MSG_PEEK, MSG_TRUNC, SOCK_STREAM } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import { callOptions, Job, Op } from '../io/engine.js';
import { controlBuffer, readBuffer, recvShared, takeOut, takeShared } from '../io/buffers.js';
import { aheadData, aheadInto, aheadMessage, fromQueue } from '../io/readahead.js';
import { Batch } from '../io/batch.js';
import { parsePattern, PatternReader, type Pattern } from '../io/reader.js';
import type { SocketState } from './state.js';

export const DEFAULT_RECV = 65536;

/** What recvFrom returns. */
export interface Datagram { data: Buffer; address: SocketAddress | null; truncated: boolean }

/** Bytes receive() buffered are handed out first, unless the call only peeks or reads elsewhere (the error queue, out-of-band data). */
const fromInput = (s: SocketState, flags: number): boolean => s.input.length > 0 && (flags & MSG_PEEK) === 0 && fromQueue(flags);

/** recv(2) of up to `size` bytes. */
export class Recv extends Op<Buffer, SocketState> {
  readonly syscall = 'recv';
  #s!: SocketState;
  #size = 0;
  constructor(private readonly size: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    this.#size = validateLength(this.size, 'size');
    job.call = callOptions(this.opts);
    this.#s = s;
  }

  attempt(fd: number, job: Job): Buffer | number {
    const s = this.#s;
    const size = this.#size;
    const flags = job.call.flags;
    if (fromInput(s, flags)) return s.input.take(size);
    const m = s.nextAhead(flags);
    if (m !== null) return counted(aheadData(m, size, flags), job);
    const n = recvShared(fd, size, flags, false);
    return n < 0 ? n : counted(takeShared(n, size), job);
  }
}

function counted(data: Buffer, job: Job): Buffer {
  job.moved = data.length;
  return data;
}

/** recv(2) into the caller's buffer: the byte count. */
export class RecvInto extends Op<number, SocketState> {
  readonly syscall = 'recv';
  #s!: SocketState;
  #length = 0;
  constructor(private readonly buffer: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    this.#length = callerBuffer(this.buffer, 'buffer').byteLength;
    job.call = callOptions(this.opts);
    this.#s = s;
  }

  attempt(fd: number, job: Job): number {
    const s = this.#s;
    const buffer = this.buffer as Uint8Array;
    // Detached while waiting: a read into 0 bytes would look like end of stream.
    if (buffer.byteLength !== this.#length) throw changedBuffer('buffer', buffer, this.#length);
    const flags = job.call.flags;
    if (fromInput(s, flags)) return s.input.takeInto(buffer);
    const m = s.nextAhead(flags);
    const n = m !== null ? aheadInto(m, buffer, flags) : sys.recv(fd, buffer, 0, buffer.length, flags);
    if (n > 0) job.moved = n;
    return n;
  }
}

/** recvfrom's flags: datagram types ask for MSG_TRUNC, whose real length tells a datagram was cut short; on streams it would discard data. */
const fromFlags = (s: SocketState, flags: number): number => flags | (s.type === SOCK_STREAM ? 0 : MSG_TRUNC);

/** recvfrom(2): one datagram, its sender, and whether it was cut short. */
export class RecvFrom extends Op<Datagram, SocketState> {
  readonly syscall = 'recvfrom';
  #s!: SocketState;
  #size = 0;
  #flags = 0;
  constructor(private readonly size: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    this.#size = validateLength(this.size, 'size');
    job.call = callOptions(this.opts);
    this.#flags = fromFlags(s, job.call.flags);
    this.#s = s;
  }

  attempt(fd: number, job: Job): Datagram | number {
    const s = this.#s;
    const size = this.#size;
    const flags = this.#flags;
    if (fromInput(s, flags)) return { data: s.input.take(size), address: null, truncated: false };
    const m = s.nextAhead(flags);
    if (m !== null) {
      const data = aheadData(m, size, flags);
      job.moved = data.length;
      return { data, address: m.address, truncated: m.truncated || m.data.length > size };
    }
    const n = recvShared(fd, size, flags, true);
    if (n < 0) return n;
    const data = takeShared(n, size);
    job.moved = data.length;
    return { data, address: lastSender(s), truncated: n > size };
  }
}

/** The sender recvfrom just left in the scratch, decoded once per sender (Senders). */
function lastSender(s: SocketState): SocketAddress | null {
  return (s.senders ??= new Senders()).of(sys.sockaddr, sys.results[0]);
}

/** recvmsg(2) with MSG_CMSG_CLOEXEC: data, sender, fds, credentials, control messages. */
export class RecvMsg extends Op<ReceivedMessage, SocketState> {
  readonly syscall = 'recvmsg';
  #s!: SocketState;
  #size = DEFAULT_RECV;
  #maxFds = MAX_FDS;
  #ctlLen = 0;
  constructor(private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    job.call = callOptions(this.opts);
    const o = job.call.raw;
    this.#size = o.size === undefined ? DEFAULT_RECV : validateLength(o.size, 'options.size');
    [this.#maxFds, this.#ctlLen] = controlOptions(o);
    this.#s = s;
  }

  attempt(fd: number, job: Job): ReceivedMessage | number {
    const s = this.#s;
    const flags = job.call.flags;
    if (fromInput(s, flags)) {
      return { data: s.input.take(this.#size), address: null, flags: 0, fds: [], control: [], truncated: false, controlTruncated: false };
    }
    const m = s.nextAhead(flags);
    if (m !== null) {
      const msg = aheadMessage(m, this.#size, this.#maxFds, flags);
      job.moved = msg.data.length;
      return msg;
    }
    const buf = readBuffer(this.#size);
    const ctl = controlBuffer(this.#ctlLen);
    const n = sys.recvmsg(fd, buf, 0, this.#size, flags, ctl);
    if (n < 0) return n;
    const data = takeOut(buf, n, this.#size);
    job.moved = data.length;
    return receivedMessage(data, decodeAddress(sys.sockaddr, sys.results[0]), sys.results[2], ctl, sys.results[1], this.#maxFds);
  }
}

/** recvMsg's and recvMsgInto's `maxFds` and `controlLength` (which defaults to room for maxFds fds). */
function controlOptions(o: Readonly<Record<string, unknown>>): [maxFds: number, controlLength: number] {
  const maxFds = o.maxFds === undefined ? MAX_FDS : validateInteger(o.maxFds, 'options.maxFds', 0, MAX_FDS);
  const ctlLen = o.controlLength === undefined ? controlSpace(maxFds) : validateInteger(o.controlLength, 'options.controlLength', 0, 65536);
  return [maxFds, ctlLen];
}

/** What recvFromInto returns: the bytes written into the buffer, the sender, and whether the datagram was longer. */
export interface DatagramInto { bytes: number; address: SocketAddress | null; truncated: boolean }

/** recvfrom(2) into the caller's buffer (Python's recvfrom_into). */
export class RecvFromInto extends Op<DatagramInto, SocketState> {
  readonly syscall = 'recvfrom';
  #s!: SocketState;
  #length = 0;
  #flags = 0;
  constructor(private readonly buffer: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    this.#length = callerBuffer(this.buffer, 'buffer').byteLength;
    job.call = callOptions(this.opts);
    this.#flags = fromFlags(s, job.call.flags);
    this.#s = s;
  }

  attempt(fd: number, job: Job): DatagramInto | number {
    const s = this.#s;
    const buffer = this.buffer as Uint8Array;
    if (buffer.byteLength !== this.#length) throw changedBuffer('buffer', buffer, this.#length);
    const flags = this.#flags;
    if (fromInput(s, flags)) return { bytes: s.input.takeInto(buffer), address: null, truncated: false };
    const m = s.nextAhead(flags);
    if (m !== null) {
      const bytes = aheadInto(m, buffer, flags & ~MSG_TRUNC);
      job.moved = bytes;
      return { bytes, address: m.address, truncated: m.truncated || m.data.length > buffer.length };
    }
    const n = sys.recvfrom(fd, buffer, 0, buffer.length, flags);
    if (n < 0) return n;
    const bytes = Math.min(n, buffer.length);
    job.moved = bytes;
    return { bytes, address: lastSender(s), truncated: n > buffer.length };
  }
}

/** What recvMsgInto returns: recvMsg's message without `data`, and the bytes scattered into the buffers. */
export type MessageInto = Omit<ReceivedMessage, 'data'> & { bytes: number };

/** The most buffers one recvmsg(2) scatters into (IOV_MAX). */
const MAX_BUFFERS = 1024;

/** recvmsg(2) scattering into the caller's buffers in order (Python's recvmsg_into): fds and control as recvMsg. */
export class RecvMsgInto extends Op<MessageInto, SocketState> {
  readonly syscall = 'recvmsg';
  #s!: SocketState;
  #buffers: Uint8Array[] = [];
  #lengths: number[] = [];
  #total = 0;
  #maxFds = MAX_FDS;
  #ctlLen = 0;
  constructor(private readonly buffers: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    if (!Array.isArray(this.buffers)) throw invalidArgType('buffers', 'an instance of Array', this.buffers);
    // Read once: a getter or a later push cannot change what is filled.
    const list = Array.from(this.buffers as unknown[]);
    if (list.length > MAX_BUFFERS) throw outOfRange('buffers.length', `<= ${MAX_BUFFERS}`, list.length);
    this.#buffers = list.map((b, i) => callerBuffer(b, `buffers[${i}]`));
    this.#lengths = this.#buffers.map((b) => b.byteLength);
    this.#total = this.#lengths.reduce((a, b) => a + b, 0);
    job.call = callOptions(this.opts);
    [this.#maxFds, this.#ctlLen] = controlOptions(job.call.raw);
    this.#s = s;
  }

  attempt(fd: number, job: Job): MessageInto | number {
    const s = this.#s;
    const buffers = this.#buffers;
    buffers.forEach((b, i) => { if (b.byteLength !== this.#lengths[i]) throw changedBuffer(`buffers[${i}]`, b, this.#lengths[i]); });
    const flags = job.call.flags;
    if (fromInput(s, flags)) {
      let bytes = 0;
      for (const b of buffers) bytes += s.input.takeInto(b);
      return { bytes, address: null, flags: 0, fds: [], control: [], truncated: false, controlTruncated: false };
    }
    const m = s.nextAhead(flags);
    if (m !== null) {
      const msg = aheadMessage(m, this.#total, this.#maxFds, flags);
      return withoutData(msg, scatter(msg.data, buffers), job);
    }
    const ctl = controlBuffer(this.#ctlLen);
    const n = sys.recvmsgv(fd, buffers, flags, ctl);
    if (n < 0) return n;
    const msg = receivedMessage(EMPTY, decodeAddress(sys.sockaddr, sys.results[0]), sys.results[2], ctl, sys.results[1], this.#maxFds);
    return withoutData(msg, Math.min(n, this.#total), job);
  }
}

const EMPTY = Buffer.alloc(0);

/** Copies `data` into `buffers` in order: the bytes copied. */
function scatter(data: Uint8Array, buffers: Uint8Array[]): number {
  let off = 0;
  for (const b of buffers) {
    if (off >= data.length) break;
    const n = Math.min(b.length, data.length - off);
    b.set(data.subarray(off, off + n));
    off += n;
  }
  return off;
}

function withoutData(msg: ReceivedMessage, bytes: number, job: Job): MessageInto {
  job.moved = bytes;
  const { data, ...rest } = msg;
  void data;
  return { ...rest, bytes };
}

/** A caller's buffer to receive into: a Uint8Array (any view of bytes), not detached. */
function callerBuffer(value: unknown, name: string): Uint8Array {
  if (!isBytes(value)) throw invalidArgType(name, 'an instance of Uint8Array', value);
  return notDetached(value, name);
}

/** recvmmsg(2): at least one datagram, up to maxMessages, copied out or received into the caller's buffer. */
export class RecvMany extends Op<ReceivedMessage[], SocketState> {
  readonly syscall = 'recvmmsg';
  #s!: SocketState;
  #count = 32;
  #size = 4096;
  #ctlSlot = 128;
  #into: Buffer | null = null;
  constructor(private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    job.call = callOptions(this.opts);
    const o = job.call.raw;
    const count = this.#count = o.maxMessages === undefined ? 32 : validateInteger(o.maxMessages, 'options.maxMessages', 1, 256);
    const size = this.#size = o.size === undefined ? 4096 : validateLength(o.size, 'options.size');
    this.#ctlSlot = o.controlLength === undefined ? 128 : validateInteger(o.controlLength, 'options.controlLength', 0, 65536);
    if (count * size > 0x7fffffff) throw invalidArgValue('options.size', size, 'times maxMessages must stay under 2 GiB');
    if (o.buffer !== undefined) {
      const b = o.buffer;
      if (!isBytes(b)) throw invalidArgType('options.buffer', 'an instance of Uint8Array', b);
      notDetached(b, 'options.buffer');
      if (b.length < count * size) throw invalidArgValue('options.buffer', `[${b.length} bytes]`, `must hold maxMessages x size = ${count * size} bytes`);
      this.#into = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    }
    this.#s = s;
  }

  attempt(fd: number, job: Job): ReceivedMessage[] | number {
    const flags = job.call.flags;
    const into = this.#into;
    if (into !== null && into.byteLength < this.#count * this.#size) throw changedBuffer('options.buffer', into, this.#count * this.#size);
    if (this.#s.ahead !== null && fromQueue(flags)) return this.#fromAhead(flags, job);
    const batch = Batch.get(this.#count, into ? 0 : this.#size, this.#ctlSlot);
    const n = sys.recvmmsg(fd, into ?? batch.data, this.#size, this.#count, flags, batch.addrs, batch.ctl, this.#ctlSlot, batch.meta, !into);
    return n < 0 ? n : batch.messages(n, this.#size, into, (bytes) => { job.moved = bytes; });
  }

  /**
   * Read-ahead datagrams: up to maxMessages, cut to size, placed in the
   * caller's buffer when given. A peek returns one, as a peeking recvmmsg(2)
   * reads the same datagram again and again.
   */
  #fromAhead(flags: number, job: Job): ReceivedMessage[] {
    const list: ReceivedMessage[] = [];
    const into = this.#into;
    while (list.length < this.#count) {
      const m = this.#s.nextAhead(flags);
      if (m === null) break;
      const msg = aheadMessage(m, this.#size, MAX_FDS, flags);
      if (into) {
        const at = list.length * this.#size;
        into.set(msg.data, at);
        msg.data = into.subarray(at, at + msg.data.length);
      }
      job.moved += msg.data.length;
      list.push(msg);
      if (flags & MSG_PEEK) break;
    }
    return list;
  }
}

/**
 * LuaSocket's receive(pattern, prefix): a step per read, the input buffer
 * first. A timeout or EOF carries prefix plus what was read as `partial`,
 * so receive(pattern, err.partial) resumes.
 */
export class Receive extends Op<Buffer, SocketState> {
  readonly syscall = 'recv';
  #s!: SocketState;
  #pattern: Pattern = 'line';
  #reader: PatternReader | null = null;
  #buf: Buffer | null = null;
  constructor(private readonly pattern: unknown, private readonly prefix: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    this.#pattern = parsePattern(this.pattern);
    if (this.prefix !== undefined) this.#reader = new PatternReader(this.#pattern, this.prefix);
    job.call = callOptions(this.opts);
    this.#s = s;
  }

  attempt(fd: number, job: Job): Buffer | number {
    const s = this.#s;
    if (this.#reader === null) {
      // A whole line already buffered in one chunk: a view of it, nothing joined.
      if (this.#pattern === 'line') {
        const line = s.input.takeLine();
        if (line) return line;
      }
      this.#reader = new PatternReader(this.#pattern, undefined);
    }
    const reader = this.#reader;
    if (reader.satisfiedWithoutReading) return Buffer.from(reader.prefix);
    while (!reader.consume(s.input)) {
      const size = reader.readSize;
      const buf = this.#buf !== null && this.#buf.length === size ? this.#buf : Buffer.allocUnsafe(size);
      const m = s.nextAhead(0);
      const n = m !== null ? aheadInto(m, buf, 0) : sys.recv(fd, buf, 0, size, 0);
      if (n < 0) {
        this.#buf = buf; // reused by the next attempt
        return n;
      }
      this.#buf = null;
      if (n === 0) {
        if (reader.endOfStream()) break;
        throw eofError('receive', Buffer.alloc(0));
      }
      job.moved += n;
      s.input.push(n === size ? buf : buf.subarray(0, n));
    }
    return reader.result();
  }

  override failed(err: unknown): unknown {
    return this.#reader === null ? err : withProgress(err, { partial: this.#reader.result() });
  }
}
