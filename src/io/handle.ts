// What the I/O engine knows of one socket: its fd and readiness watcher, its
// timeouts, the bytes it holds in user space (receive()'s input buffer and
// datagrams read ahead), its byte counts and the engine's own bookkeeping.
// The socket layer keeps one Handle per Socket (its state extends this).
import { closedError } from '../errors.js';
import { MSG_PEEK } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import type { ReceivedMessage } from '../codec/message.js';
import { fromQueue, ReadAhead } from './readahead.js';
import { InputBuffer } from './reader.js';
import { Readiness } from './readiness.js';


export class Handle {
  /** The fd, or -1 when there is none (closed, detached, or not created yet). */
  fd = -1;
  readiness: Readiness | null = null;
  /** The public object this handle belongs to (weakly): readiness holds it while a wait is pending. */
  owner: WeakRef<object> | null = null;
  /** LuaSocket's timeouts in ms: 'block' bounds each wait, 'total' each call; null = no limit. */
  block: number | null = null;
  total: number | null = null;
  /** Whether pending operations keep the process alive. */
  ref = true;
  /** Bytes received and sent (LuaSocket's getstats), counted by the engine only. */
  received = 0;
  sent = 0;
  /** receive()'s buffered stream bytes; recv* take them first. */
  readonly input = new InputBuffer();
  /** Datagrams the iterator read ahead; null when none wait. */
  ahead: ReadAhead | null = null;
  /** Async calls completed without waiting since the last yield to the event loop. */
  streak = 0;
  /** The last completed call sent data, so a reply may be due. */
  replyDue = false;
  /** The last read after a send had to wait for its data. */
  replyWaits = false;

  /** The fd for a system call, or ERR_SOCKET_CLOSED. */
  open(syscall: string): number {
    if (this.fd < 0) throw closedError(syscall);
    return this.fd;
  }

  /** Starts watching `fd` (which this handle now owns) for readiness. */
  watch(fd: number): void {
    this.fd = fd;
    this.readiness = new Readiness(fd, this);
    if (!this.ref) this.readiness.setRef(false);
  }

  /**
   * Stops watching and forgets the fd, rejecting pending waits with
   * ERR_SOCKET_CLOSED; returns the fd for the caller to close or hand over.
   * fd becomes -1 first, so a recycled number is never touched again.
   */
  unwatch(): number {
    const fd = this.fd;
    this.fd = -1;
    this.dropAhead();
    this.readiness?.close(closedError());
    this.readiness = null;
    return fd;
  }

  setRef(ref: boolean): void {
    this.ref = ref;
    this.readiness?.setRef(ref);
  }

  /** Whether a read would return user-space bytes without a system call. */
  buffered(): boolean {
    return this.input.length > 0 || this.ahead !== null;
  }

  /** The next read-ahead datagram for a call with `flags`, or null to ask the kernel. */
  nextAhead(flags: number): ReceivedMessage | null {
    const a = this.ahead;
    if (a === null || !fromQueue(flags)) return null;
    const m = a.next((flags & MSG_PEEK) !== 0);
    if (a.length === 0) this.ahead = null;
    return m;
  }

  /** Keeps datagrams read ahead and wakes receivers already waiting: the kernel will not, it has none left. */
  keepAhead(ahead: ReadAhead): void {
    this.ahead = ahead;
    this.readiness?.poke(1);
  }

  /** Drops read-ahead datagrams, closing the fds they carried. */
  dropAhead(): void {
    this.ahead?.discard();
    this.ahead = null;
  }

  /** Whether the peer hung up (POLLHUP), which makes a zero-length read its end rather than an empty datagram. */
  hungUp(): boolean {
    if (this.fd < 0) return false;
    const events = new Int32Array([1]);
    return sys.pollMany(new Int32Array([this.fd]), events, 0) > 0 && (events[0] & 4) !== 0;
  }
}
