// A node:stream Duplex over a stream socket whose writes may carry fds: a
// chunk written as { data, fds } goes out as one sendmsg(2) with the fds in
// SCM_RIGHTS beside its first byte (the rest follows with send(2)). write()
// duplicates those fds at once (F_DUPFD_CLOEXEC) and sends the duplicates,
// closed once the chunk is sent, has failed, or the stream is destroyed: the
// caller's fds stay theirs, to close right after write(). The
// readable side, one recvmsg(2) per _read, emits 'fds' with the fds a chunk
// brought just before that chunk is handed out, after every byte read
// before it (the chunk waits, and reading stops, until the consumer has
// taken those: see #deliver). Fds nobody takes (no 'fds' listener) are
// closed, so none leaks. Everything else is
// node:stream's: backpressure by highWaterMark, end() as shutdown(SHUT_WR)
// once the written data is out, destroy() closing the socket, allowHalfOpen.
import { Duplex } from 'node:stream';
import { Buffer } from 'node:buffer';
import { invalidArgType, invalidArgValue, SocketError, systemError } from '../errors.js';
import { familyName, typeName } from '../codec/names.js';
import { validateFd, validateObject } from '../validate.js';
import { MAX_FDS, type Message, type ReceivedMessage } from '../codec/message.js';
import { SOCK_STREAM } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import type { SocketState } from './state.js';
import type { RecvMsgOptions } from './types.js';

/** toDuplex()'s options. */
export interface DuplexOptions {
  /** Whether the writable side stays open after the peer ends (default true, as node:stream's Duplex). */
  allowHalfOpen?: boolean;
  /** Bytes buffered on each side before backpressure (default node:stream's, 16 KiB). */
  highWaterMark?: number;
}

/** A chunk with fds: the fds travel with its first byte. */
export interface FdChunk {
  /** The bytes (a string as UTF-8); not empty when fds go with them. */
  data: Uint8Array | string;
  /**
   * Open fds to send (SCM_RIGHTS, at most 253); the receiver gets new fds
   * for the same open files. write() sends duplicates it makes at the call,
   * so these stay yours: close them whenever you like, even right after
   * write() returns.
   */
  fds?: number[];
}

/**
 * A node:stream Duplex over a stream socket. write() also takes `{ data,
 * fds }` (fds sent with SCM_RIGHTS with the first byte of data, which must
 * not be empty); 'fds' is emitted with the fds a received chunk carried,
 * just before that chunk, after every byte received before it, however
 * the stream is read (async iteration, 'readable' and read(), 'data',
 * pipe()). A received chunk is what one recvmsg(2) read: Linux puts bytes
 * that were still queued ahead of the fds into the same read, so the chunk
 * may begin with bytes written before the chunk that carried them. The fds
 * belong to the listener; with no 'fds' listener they are closed.
 */
export interface FdDuplex extends Duplex {
  /**
   * Queues a chunk: bytes, a string (UTF-8 unless `encoding`), or `{ data,
   * fds }` whose fds go with its first byte (sendmsg(2) with SCM_RIGHTS).
   * The fds are duplicated at the call and the duplicates sent (then
   * closed), so yours may be closed as soon as write() returns; an fd that
   * is not open fails the write (callback and 'error') with `EBADF`.
   * Returns false once more than highWaterMark bytes wait: wait for 'drain'.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`) for a malformed `{ data, fds }` or fds with empty data.
   */
  write(chunk: Uint8Array | string | FdChunk, callback?: (error?: Error | null) => void): boolean;
  /** write() with the encoding of a string chunk. */
  write(chunk: Uint8Array | string | FdChunk, encoding?: BufferEncoding, callback?: (error?: Error | null) => void): boolean;
  /** Ends the writable side: once the queued chunks are out, shutdown(2) SHUT_WR (the peer reads the end). */
  end(callback?: () => void): this;
  /** Writes a last chunk (which may carry fds), then ends the writable side. */
  end(chunk: Uint8Array | string | FdChunk, callback?: () => void): this;
  /** end() with the encoding of a string chunk. */
  end(chunk: Uint8Array | string | FdChunk, encoding?: BufferEncoding, callback?: () => void): this;
  /** 'fds': the fds a received chunk carried, just before that chunk and after every byte before it; the listener owns (and closes) them. */
  on(event: 'fds', listener: (fds: number[]) => void): this;
  /** node:stream's events ('data', 'end', 'error', 'drain', 'finish', 'close', ...). */
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  /** once() of on()'s events, 'fds' included. */
  once(event: 'fds', listener: (fds: number[]) => void): this;
  /** node:stream's events, once. */
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** What the stream uses of the socket: its public I/O methods. */
interface StreamSocket {
  recvMsg(opts?: RecvMsgOptions): Promise<ReceivedMessage>;
  sendMsg(message: Message): Promise<number>;
  sendAll(data: Uint8Array): Promise<void>;
  shutdown(how: 'send'): void;
  close(): void;
}

/** Bytes one read asks for at least. */
const READ_SIZE = 64 * 1024;

class SocketDuplex extends Duplex {
  /**
   * Duplicates of the fds of chunks written but not yet at _write, by the
   * Buffer write() made for each (node:stream hands _write the same
   * object); or the error duplicating them failed with, which fails that
   * write in its turn. _write takes its entry (and closes the duplicates
   * once the send settles); _destroy closes what is left.
   */
  #fds = new Map<Buffer, number[] | SocketError>();
  #reading = false;
  /** A received chunk with fds that waits for the consumer to take every byte before it; nothing more is read meanwhile. */
  #held: { data: Buffer; fds: number[] } | null = null;
  /** Whether the consumer has taken every byte pushed and asked for more: its last read() found none. */
  #idle = true;

  constructor(private readonly sock: StreamSocket, opts: DuplexOptions) {
    super({ allowHalfOpen: opts.allowHalfOpen, highWaterMark: opts.highWaterMark, decodeStrings: true });
  }

  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (chunk !== null && typeof chunk === 'object' && !ArrayBuffer.isView(chunk)) {
      const c = this.#withFds(chunk);
      const fn = typeof encoding === 'function' ? encoding : cb;
      return super.write(c, fn as (error?: Error | null) => void);
    }
    return super.write(chunk, encoding as BufferEncoding, cb as (error?: Error | null) => void);
  }

  override end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    if (chunk !== null && typeof chunk === 'object' && !ArrayBuffer.isView(chunk)) {
      const fn = typeof encoding === 'function' ? encoding : cb;
      return super.end(this.#withFds(chunk), fn as () => void);
    }
    return super.end(chunk as never, encoding as BufferEncoding, cb as () => void);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const fds = this.#fds.get(chunk);
    if (fds === undefined) return void this.sock.sendAll(chunk).then(() => callback(), callback);
    this.#fds.delete(chunk);
    if (fds instanceof SocketError) return callback(fds);
    // Closed only once the send settles: until then the kernel may not have taken them.
    this.#sendWithFds(chunk, fds).finally(() => closeAll(fds)).then(() => callback(), callback);
  }

  async #sendWithFds(chunk: Buffer, fds: number[]): Promise<void> {
    const n = await this.sock.sendMsg({ data: chunk, fds });
    if (n < chunk.length) await this.sock.sendAll(chunk.subarray(n));
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.sock.shutdown('send');
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  /**
   * node:stream's read(), which every way of consuming goes through (async
   * iteration, 'readable', flowing mode and pipe()): a chunk held for its
   * fds is released once a read() finds no byte before it left, or asks for
   * more than there is (the bytes it returns then end with that chunk's).
   * read(0) only starts a read, taking nothing: it releases nothing.
   */
  override read(size?: number): any {
    if (this.#held !== null && size !== 0 && (this.readableLength === 0 || (size !== undefined && size > this.readableLength))) {
      const { data, fds } = this.#held;
      this.#held = null;
      this.#deliver(data, fds);
    }
    const chunk = super.read(size);
    if (size !== 0) this.#idle = chunk === null;
    if (this.#held !== null && chunk !== null && this.readableLength === 0) this.#announce();
    return chunk;
  }

  override _read(size: number): void {
    if (this.#reading || this.#held !== null) return;
    this.#reading = true;
    this.sock.recvMsg({ size: Math.max(size, READ_SIZE), maxFds: MAX_FDS }).then((m) => {
      this.#reading = false;
      if (this.destroyed) return closeAll(m.fds);
      // The chunk waits unless the consumer has had every byte before it: in flowing mode each
      // pushed byte went out as 'data' at once; paused, its last read() must have found nothing.
      if (m.fds.length > 0 && this.listenerCount('fds') > 0 && !(this.readableLength === 0 && (this.readableFlowing === true || this.#idle))) {
        this.#held = { data: m.data, fds: m.fds };
        if (this.readableLength === 0) this.#announce();
        return;
      }
      this.#deliver(m.data, m.fds);
    }, (err: unknown) => {
      this.#reading = false;
      if (err instanceof SocketError && err.code === 'ERR_SOCKET_CLOSED' && this.destroyed) return;
      this.destroy(err as Error);
    });
  }

  /**
   * 'readable' for a held chunk once nothing is buffered before it: node:stream
   * emits it on a push, which a held chunk has not had yet, and a consumer
   * that read the buffer empty with one read() waits for it. The read()
   * it answers with releases the chunk. Harmless to a consumer not waiting.
   */
  #announce(): void {
    process.nextTick(() => {
      if (this.#held !== null && !this.destroyed) this.emit('readable');
    });
  }

  /** 'fds' (or the fds closed, with no listener for them), then the chunk they came with. */
  #deliver(data: Buffer, fds: number[]): void {
    if (fds.length > 0) {
      if (this.listenerCount('fds') > 0) this.emit('fds', fds);
      else closeAll(fds);
    }
    this.#idle = false;
    this.push(data.length === 0 ? null : data); // an empty read is the end of stream
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#held !== null) closeAll(this.#held.fds);
    this.#held = null;
    for (const fds of this.#fds.values()) if (Array.isArray(fds)) closeAll(fds);
    this.#fds.clear();
    this.sock.close();
    callback(err);
  }

  /**
   * A fresh Buffer of a `{ data, fds }` chunk's data, with duplicates of its
   * fds kept for _write. None are made for a stream that takes no more
   * writes (ended or destroyed): node:stream fails that write without
   * calling _write, so nothing would close them.
   */
  #withFds(chunk: object): Buffer {
    const [buf, fds] = fdChunk(chunk);
    if (fds.length > 0 && !this.destroyed && !this.writableEnded) this.#fds.set(buf, dupAll(fds));
    return buf;
  }
}

/** Validates a `{ data, fds }` chunk: a fresh Buffer of its data, and the fds. */
function fdChunk(chunk: object): [Buffer, number[]] {
  const c = validateObject<Record<string, unknown>>(chunk, 'chunk');
  const data = c.data;
  const fds = c.fds === undefined ? [] : c.fds;
  if (!Array.isArray(fds)) throw invalidArgType('chunk.fds', 'an instance of Array', fds);
  const list = Array.from(fds as unknown[], (fd, i) => validateFd(fd, `chunk.fds[${i}]`));
  if (list.length > MAX_FDS) throw invalidArgValue('chunk.fds', `[${list.length} fds]`, `must hold at most ${MAX_FDS} fds`);
  let buf: Buffer;
  if (typeof data === 'string') buf = Buffer.from(data);
  else if (data instanceof Uint8Array) buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  else throw invalidArgType('chunk.data', 'of type string or an instance of Uint8Array', data);
  if (list.length > 0 && buf.length === 0) throw invalidArgValue('chunk.data', '', 'must not be empty when fds go with it (they travel with its first byte)');
  return [buf, list];
}

function closeAll(fds: number[]): void {
  for (const fd of fds) sys.close(fd);
}

/** Close-on-exec duplicates of `fds`, or the error of the first that cannot be (an fd not open: EBADF), none left open then. */
function dupAll(fds: number[]): number[] | SocketError {
  const dups: number[] = [];
  for (const fd of fds) {
    const d = sys.dup(fd);
    if (d < 0) {
      closeAll(dups);
      return systemError(d, 'fcntl');
    }
    dups.push(d);
  }
  return dups;
}

/**
 * The Duplex of a connected stream socket. Throws at the call for a
 * socket that is closed, listening, or not a stream socket.
 */
export function toDuplex(s: SocketState, sock: StreamSocket, opts: unknown): FdDuplex {
  const o = opts === undefined ? {} : validateObject<DuplexOptions>(opts, 'options');
  s.open('toDuplex');
  if (s.type !== SOCK_STREAM) {
    throw invalidArgValue('socket', `${familyName(s.family)} ${typeName(s.type)}`, 'must be a stream socket to be a Duplex');
  }
  if (s.listening) throw invalidArgValue('socket', 'a listening socket', 'must be connected to be a Duplex (use connections())');
  return new SocketDuplex(sock, { allowHalfOpen: o.allowHalfOpen, highWaterMark: o.highWaterMark }) as unknown as FdDuplex;
}
