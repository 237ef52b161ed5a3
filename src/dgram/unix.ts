// The npm unix-dgram package's interface over a berkeley Unix datagram
// socket, so that `module.exports = require('berkeley/dgram')` in its place
// makes the packages built on it (hot-shots, winston-syslog) work without a
// compiler. Its calls and events are synchronous as unix-dgram's are
// (bind() emits 'listening' or 'error' before it returns), its errors have
// its shape (`code` and `errno` the negative errno number, message
// `${syscall} ${errno}`), and the one place it differs is on purpose: a
// send that meets a full receiver (EAGAIN) is not lost but queued, in
// order, with a 'congestion' event, and 'writable' follows once the queue
// has drained. Datagrams are received by recvmmsg(2) once the socket is
// bound.
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';
import { constants as os } from 'node:os';
import { Socket as BSocket } from '../socket/socket.js';
import type { ReceivedMessage } from '../codec/message.js';
import { argType, errnoOf, outOfBounds, unixDgramError } from './errors.js';
import { receiveLoop } from './receive.js';

const EAGAIN = -os.errno.EAGAIN;
const ENOBUFS = -os.errno.ENOBUFS;
const EINVAL = -os.errno.EINVAL;
const ECANCELED = -os.errno.ECANCELED;
const NO_WAIT = Object.freeze({ timeout: 0 });

/** What a unix_dgram 'message' listener gets besides the data. */
export interface UnixRemoteInfo {
  /** The datagram's length. */
  size: number;
  /** The sender's path: '' for an unnamed sender, a leading NUL for an abstract name. */
  address: string;
  /** unix-dgram's own field: the sender's path, or null for an unnamed sender. */
  path: string | null;
}

/** A send waiting for the receiver to make room. */
interface Pending { data: Uint8Array; path: string | null; callback?: (err?: Error) => void }

/**
 * A Unix datagram socket with the npm `unix-dgram` package's interface:
 * `bind(path)`, `connect(path)`, `send(buf, callback?)` when connected,
 * `send(buf, offset, length, path, callback?)` otherwise, `close()`, and
 * the events 'message' `(msg, rinfo)`, 'listening', 'connect', 'error',
 * 'congestion' (a send met a full receiver: the datagram waits in a queue,
 * in order) and 'writable' (the queue has drained). A bound socket keeps
 * the process alive while it waits for datagrams (unref() lets it go); a
 * socket with nothing pending never does.
 *
 * @example
 * import { createSocket } from 'berkeley/dgram';
 * const server = createSocket('unix_dgram', (msg, rinfo) => console.log(`${msg} from ${rinfo.address || 'an unnamed socket'}`));
 * server.bind('/tmp/app.sock');
 * const client = createSocket('unix_dgram');
 * client.on('connect', () => client.send(Buffer.from('hello')));
 * client.connect('/tmp/app.sock');
 */
export class UnixDgramSocket extends EventEmitter {
  /** Always 'unix_dgram'. */
  readonly type = 'unix_dgram';
  /** Set by a successful connect(): send(buf, callback) then goes to the connected path. */
  connected = false;
  #sock: BSocket;
  #receiving = false;
  #queue: Pending[] = [];
  #ref = true;

  /**
   * socket(2) (AF_UNIX, SOCK_DGRAM). Use createSocket('unix_dgram').
   * @throws Error with a negative `code` when socket(2) fails (`socket -24` for EMFILE).
   */
  constructor(listener?: (msg: Buffer, rinfo: UnixRemoteInfo) => void) {
    super();
    try {
      this.#sock = new BSocket('unix', 'dgram');
    } catch (err) {
      throw unixDgramError(errnoOf(err) ?? EINVAL, 'socket');
    }
    if (typeof listener === 'function') this.on('message', listener);
  }

  /** The socket's fd, -1 once closed. */
  get fd(): number { return this.#sock.fd; }

  /**
   * bind(2) to `path` ('\0name' for an abstract name); emits 'listening'
   * (and starts receiving) or 'error' before it returns.
   * @throws TypeError for a path that is not a string (unix-dgram would crash).
   * @example
   * server.on('listening', () => console.log('bound'));
   * server.bind('/run/app/log.sock');
   */
  bind(path: string): void {
    const errno = this.#call(path, (p) => this.#sock.bind(p));
    if (errno < 0) return void this.emit('error', unixDgramError(errno, 'bind'));
    this.#receive();
    this.emit('listening');
  }

  /**
   * connect(2) to `path`; emits 'connect' (and send(buf) goes there from
   * now on) or 'error' before it returns.
   *
   * @throws TypeError for a path that is not a string; a failed connect(2) is an 'error' event.
   * @example
   * client.on('connect', () => client.send(Buffer.from('hello')));
   * client.connect('/run/app/log.sock');
   */
  connect(path: string): void {
    const errno = this.#call(path, (p) => this.#sock.connectSync(p));
    if (errno < 0) return void this.emit('error', unixDgramError(errno, 'connect'));
    this.connected = true;
    this.emit('connect');
  }

  /**
   * Sends one datagram: send(buf, callback?) on a connected socket,
   * send(buf, offset, length, path, callback?) to `path` otherwise. The
   * callback runs before send() returns, with the error or nothing; a
   * datagram that must wait for room is queued ('congestion') and its
   * callback runs once it is sent. Without a callback, a failure is an
   * 'error' event.
   * @throws TypeError for data that is not a Buffer or Uint8Array; RangeError `ERR_BUFFER_OUT_OF_BOUNDS` for an offset or length outside it.
   * @example
   * client.send(Buffer.from('hello'), (err) => { if (err) console.error(err); });      // connected
   * sock.send(buf, 0, buf.length, '/run/app/log.sock');                              // to a path
   */
  send(buf: Uint8Array, offset?: number | ((err?: Error) => void), length?: number, path?: string, callback?: (err?: Error) => void): void {
    let data: Uint8Array;
    let to: string | null = null;
    if (this.connected) {
      data = bytes(buf);
      callback = offset as (err?: Error) => void;
    } else {
      const b = bytes(buf);
      const off = offset === undefined ? 0 : offset as number;
      const len = length === undefined ? b.length - off : length;
      // node:dgram's error for the same case; what it would coerce (a fraction, a negative) is refused.
      if (!Number.isInteger(off) || off < 0 || off > b.length) throw outOfBounds('offset');
      if (!Number.isInteger(len) || len < 0 || off + len > b.length) throw outOfBounds('length');
      data = b.subarray(off, off + len);
      if (typeof path !== 'string') throw argType('path', 'of type string', path);
      to = path;
    }
    const cb = typeof callback === 'function' ? callback : undefined;
    const p: Pending = { data, path: to, callback: cb };
    if (this.#queue.length > 0) return this.#congested(p, buf);
    const errno = this.#trySend(p);
    if (errno === EAGAIN || errno === ENOBUFS) return this.#congested(p, buf);
    this.#done(p, errno);
  }

  /**
   * unix-dgram's older name for send(buf, offset, length, path, callback).
   *
   * @throws as send().
   * @example
   * sock.sendto(buf, 0, buf.length, '/run/app/log.sock');
   */
  sendto(buf: Uint8Array, offset: number, length: number, path: string, callback?: (err?: Error) => void): void {
    this.send(buf, offset, length, path, callback);
  }

  /**
   * close(2). The socket file of a bound path is not removed. Queued
   * datagrams are dropped, their callbacks called with an error
   * (`send -125`, ECANCELED). Closing again does nothing. Never throws.
   *
   * @example
   * sock.close();
   */
  close(): void {
    if (this.#sock.closed) return;
    this.#receiving = false;
    this.#sock.close();
    const dropped = this.#queue.splice(0);
    for (const p of dropped) p.callback?.(unixDgramError(ECANCELED, 'send'));
  }

  /**
   * The bound path as `{ path }` (unix-dgram throws 'not implemented').
   *
   * @throws berkeley's `SocketError` `ERR_SOCKET_CLOSED` after close().
   * @example
   * server.bind(path);
   * server.address().path === path;   // true
   */
  address(): {
    /** The bound path ('' when not bound). */
    path: string;
  } {
    const a = this.#sock.localAddress();
    return { path: a.family === 'unix' ? a.path : '' };
  }

  /**
   * A bound socket keeps the process alive while it waits (the default). Never throws.
   *
   * @example
   * sock.ref();
   */
  ref(): this { this.#ref = true; this.#sock.ref(); return this; }
  /**
   * The socket no longer keeps the process alive. Never throws.
   *
   * @example
   * sock.unref();   // logs while the process runs, does not hold it open
   */
  unref(): this { this.#ref = false; this.#sock.unref(); return this; }

  /** bind or connect to `path`: 0 or a negative errno; argument errors are thrown. */
  #call(path: unknown, call: (address: { family: 'unix'; path: string }) => void): number {
    if (typeof path !== 'string') throw argType('path', 'of type string', path);
    try {
      call({ family: 'unix', path });
      return 0;
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === undefined && (err as { code?: string }).code !== 'ERR_SOCKET_CLOSED') throw err;
      return errno ?? -os.errno.EBADF;
    }
  }

  #receive(): void {
    if (this.#receiving) return;
    this.#receiving = true;
    const sock = this.#sock;
    void receiveLoop(sock, {
      receiving: () => this.#receiving && !sock.closed,
      message: (m: ReceivedMessage) => {
        const path = m.address !== null && m.address.family === 'unix' ? m.address.path : '';
        this.emit('message', m.data, { size: m.data.length, address: path, path: path === '' ? null : path } satisfies UnixRemoteInfo);
      },
      failed: (err) => this.emit('error', unixDgramError(errnoOf(err) ?? EINVAL, 'recv')),
    });
  }

  /** One send that never waits: 0, or a negative errno (EAGAIN when the receiver is full). */
  #trySend(p: Pending): number {
    try {
      if (p.path === null) this.#sock.sendSync(p.data, NO_WAIT);
      else this.#sock.sendToSync(p.data, { family: 'unix', path: p.path }, NO_WAIT);
      return 0;
    } catch (err) {
      if ((err as { code?: string }).code === 'ETIMEDOUT') return EAGAIN;
      const errno = errnoOf(err);
      if (errno === undefined && (err as { code?: string }).code !== 'ERR_SOCKET_CLOSED') throw err;
      return errno ?? -os.errno.EBADF;
    }
  }

  /** A send's outcome, as unix-dgram reports it: the callback, or an 'error' event without one. */
  #done(p: Pending, errno: number): void {
    if (p.callback) p.callback(errno < 0 ? unixDgramError(errno, 'send') : undefined);
    else if (errno < 0) this.emit('error', unixDgramError(errno, 'send'));
  }

  #congested(p: Pending, buf: Uint8Array): void {
    this.#queue.push(p);
    this.emit('congestion', buf);
    if (this.#queue.length === 1) void this.#drain();
  }

  /**
   * Sends the queue in order as room appears, then emits 'writable'. A
   * connected socket waits for writability, which the kernel gives when the
   * receiver reads; an unconnected one is told it is writable while the
   * receiver is still full, so a send that fails again backs off (1 ms,
   * doubling to 50 ms) instead of spinning.
   */
  async #drain(): Promise<void> {
    const sock = this.#sock;
    let backoff = 0;
    while (this.#queue.length > 0) {
      try {
        if (backoff === 0) await sock.writable();
        else await sleep(backoff, this.#ref);
      } catch {
        return; // closed: close() dropped the queue
      }
      if (sock.closed) return;
      let sent = false;
      while (this.#queue.length > 0) {
        const p = this.#queue[0];
        const errno = this.#trySend(p);
        if (errno === EAGAIN || errno === ENOBUFS) break;
        this.#queue.shift();
        sent = true;
        this.#done(p, errno);
        if (sock.closed) return;
      }
      backoff = sent ? 0 : Math.min(backoff === 0 ? 1 : backoff * 2, MAX_BACKOFF);
    }
    this.emit('writable');
  }
}

const MAX_BACKOFF = 50;

/** A back-off timer that keeps the process alive as the socket does. */
function sleep(ms: number, ref: boolean): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (!ref) t.unref();
  });
}

function bytes(buf: unknown): Uint8Array {
  if (buf instanceof Uint8Array) return buf;
  if (typeof buf === 'string') return Buffer.from(buf);
  throw argType('buf', 'an instance of Buffer or Uint8Array', buf);
}
