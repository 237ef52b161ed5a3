// sendFile: a file into a stream socket with sendfile(2), which copies from
// the page cache without the bytes passing through JavaScript. Where the
// kernel refuses the pair (the file is a pipe or a character device, or the
// platform has no sendfile), the same op reads and sends instead. Either
// way the result is the byte count sent; a failure carries it as `sent`,
// and the file's position (when no offset was given) has advanced by
// exactly that count, as Python's socket.sendfile leaves it.
import { Buffer } from 'node:buffer';
import { readSync } from 'node:fs';
import { invalidArgType, invalidArgValue, systemError, withProgress } from '../errors.js';
import { validateInteger } from '../validate.js';
import { familyName, typeName } from '../codec/names.js';
import { SOCK_STREAM } from '../sys/constants.js';
import { EAGAIN, EINVAL, ENOSYS, EOPNOTSUPP, ESPIPE } from '../sys/errno.js';
import * as sys from '../sys/fd.js';
import { callOptions, Job, Op } from '../io/engine.js';
import { WRITE } from '../io/readiness.js';
import type { SocketState } from './state.js';

/** The most one sendfile(2) moves on Linux; larger counts take several calls. */
const MAX_CHUNK = 0x7ffff000;
/** The read size of the fallback. */
const FALLBACK_CHUNK = 65536;
/** The errors with which sendfile(2) refuses a file/socket pair it cannot splice: read + send instead. */
const REFUSED = new Set([EINVAL, ENOSYS, EOPNOTSUPP]);

/** The fd of sendFile's `file`: a number, or a FileHandle (read once). */
function fileFd(file: unknown): number {
  if (typeof file === 'number') return validateInteger(file, 'file', 0, 0x7fffffff);
  if (typeof file === 'object' && file !== null && typeof (file as { close?: unknown }).close === 'function') {
    const fd = (file as { fd?: unknown }).fd;
    if (typeof fd === 'number' && fd === -1) throw invalidArgValue('file', file, 'is a closed FileHandle');
    return validateInteger(fd, 'file.fd', 0, 0x7fffffff);
  }
  throw invalidArgType('file', 'of type number or an instance of FileHandle', file);
}

export class SendFile extends Op<number, SocketState> {
  readonly syscall = 'sendfile';
  #file = -1;
  /** Where the next byte is read: an explicit offset, or -1 for the file's own position (sendfile(2) mode). */
  #offset = -1;
  /** Bytes left to send; Infinity until end of file. */
  #left = Infinity;
  #sent = 0;
  /** Read + send mode: the file position it reads at (null: a pipe, read in order) and the bytes read but not yet sent. */
  #fallback = false;
  #readAt: number | null = null;
  #pending: Buffer | null = null;
  /** The fallback's read buffer, reused: a read happens only once the last chunk is all sent. */
  #chunk: Buffer | null = null;
  /** With no offset given, where the file's position goes once the call ends (fallback only; sendfile(2) moves it itself). */
  #restore = false;
  #start = 0;
  constructor(private readonly file: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    job.dir = WRITE;
    this.#file = fileFd(this.file);
    job.call = callOptions(this.opts);
    const o = job.call.raw;
    if (o.offset !== undefined) this.#offset = validateInteger(o.offset, 'options.offset', 0, Number.MAX_SAFE_INTEGER);
    if (o.count !== undefined) this.#left = validateInteger(o.count, 'options.count', 0, Number.MAX_SAFE_INTEGER);
    // As Python's: sendfile(2) into a datagram socket would cut the file into datagrams of arbitrary size.
    if (!s.deferred && s.type !== SOCK_STREAM) {
      throw invalidArgValue('socket', `${familyName(s.family)} ${typeName(s.type)}`, 'must be a stream socket to send a file');
    }
  }

  attempt(fd: number, job: Job): number {
    while (this.#left > 0) {
      const n = this.#fallback ? this.#readAndSend(fd) : sys.sendfile(fd, this.#file, this.#offset, Math.min(this.#left, MAX_CHUNK));
      if (n === 0) break; // end of file
      if (n < 0) {
        if (n === EAGAIN || this.#fallback || this.#sent > 0 || !REFUSED.has(n)) return n;
        this.#beginFallback();
        continue;
      }
      this.#sent += n;
      this.#left -= n;
      if (this.#offset >= 0) this.#offset += n;
      job.moved += n;
    }
    this.#settle();
    return this.#sent;
  }

  /** Switches to read + send. Reads go to explicit offsets, so bytes read but unsent never move the file's position. */
  #beginFallback(): void {
    this.#fallback = true;
    if (this.#offset >= 0) {
      this.#readAt = this.#offset;
      return;
    }
    const pos = sys.lseek(this.#file, -1);
    if (pos >= 0) {
      this.#readAt = this.#start = pos;
      this.#restore = true;
    } else if (pos !== ESPIPE) {
      throw systemError(pos, 'lseek'); // a pipe (ESPIPE) is read in order; anything else is a bad file
    }
  }

  /** One read (unless bytes wait from the last one) and one send: the bytes sent, 0 at end of file, or -errno. */
  #readAndSend(fd: number): number {
    let chunk = this.#pending;
    if (chunk === null) {
      const want = Math.min(this.#left, FALLBACK_CHUNK);
      const buf = this.#chunk ??= Buffer.allocUnsafe(FALLBACK_CHUNK);
      const got = readSync(this.#file, buf, 0, want, this.#readAt);
      if (got === 0) return 0;
      if (this.#readAt !== null) this.#readAt += got;
      chunk = buf.subarray(0, got);
    }
    const n = sys.send(fd, chunk, 0, chunk.length, 0);
    this.#pending = n < 0 ? chunk : n < chunk.length ? chunk.subarray(n) : null;
    return n;
  }

  /** In read + send mode without an offset: the file's position ends just past the bytes sent. */
  #settle(): void {
    if (this.#restore) sys.lseek(this.#file, this.#start + this.#sent);
    this.#restore = false;
  }

  override failed(err: unknown): unknown {
    this.#settle();
    return withProgress(err, { sent: this.#sent });
  }
}
