// io/ is where waiting happens: the deadline (deadline.ts), readiness on the
// event loop (readiness.ts), this engine and its per-socket handle
// (handle.ts), name lookups for sockets (lookup.ts), shared receive buffers
// (buffers.ts), receive()'s input buffer and patterns (reader.ts),
// datagrams read ahead (readahead.ts) and recvmmsg batches (batch.ts).
//
// The I/O engine. Every socket operation is written once, as an Op: `start`
// validates its arguments (before any system call), `attempt` tries it once
// (user-space buffers first, then one system call) and returns a value or a
// negative errno. Two drivers run any Op:
//
//   runAsync  tries at once; on EAGAIN the call's Job waits on the socket's
//             Readiness (readiness.ts), and the event loop's dispatch
//             retries it right where the wake-up arrives.
//   runSync   tries at once; on EAGAIN it blocks in poll(2) and tries again.
//
// In request/response traffic both wait first for a read that follows a
// send when the last such read had to wait: a round trip then costs no recv
// that fails with EAGAIN.
//
// Both honour one Deadline (the call's timeout, the socket's 'total' and
// 'block' timeouts), count bytes for stats, and hand errors to the op so it
// can attach its progress (`sent`, `partial`). Multi-step calls (sendAll,
// receive patterns, connect) are ops whose attempt advances a step at a time.
// This is smol-rs/async-io's `read_with`: recv_from is one line over it.
import { performance } from 'node:perf_hooks';
import { abortError, closedError, invalidArgType, SocketError, systemError, timeoutError, type ErrorDetails } from '../errors.js';
import { validateFlags, validateObject, validateTimeout } from '../validate.js';
import { EAGAIN } from '../sys/errno.js';
import * as sys from '../sys/fd.js';
import { Deadline, MAX_TIMER } from './deadline.js';
import type { Handle } from './handle.js';
import { lookup, lookupSync, type Lookup } from './lookup.js';
import type { SocketAddress } from '../codec/sockaddr.js';
import { READ, Waiter, WRITE, type Direction } from './readiness.js';

/** What an attempt that met EAGAIN waits for: readiness in a direction, or (SLEEP) a back-off of `job.sleep` ms. */
export const SLEEP = 0;
export type Wait = Direction | typeof SLEEP;

/** How many async calls may complete without waiting before one yields to the event loop (libuv reads 32 per wake-up). */
const BURST = 32;

/** Per-call options of every I/O method, validated. */
export interface Call {
  /** This call's own limit in ms (null: none). */
  timeout: number | null;
  signal: AbortSignal | undefined;
  /** MSG_* flags for the system call. */
  flags: number;
  /** The options object itself, for the op's own fields (size, maxFds, ...). */
  raw: Readonly<Record<string, unknown>>;
}

const NO_CALL: Call = Object.freeze({ timeout: null, signal: undefined, flags: 0, raw: Object.freeze({}) });

/** Validates an I/O method's `{ timeout, signal, flags, ... }`; an aborted signal is an AbortError at once. */
export function callOptions(opts: unknown): Call {
  if (opts === undefined) return NO_CALL;
  const o = validateObject<Record<string, unknown>>(opts, 'options');
  const timeout = validateTimeout(o.timeout, 'options.timeout');
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  if (signal?.aborted) throw abortError(signal);
  return { timeout, signal, flags: validateFlags(o.flags, 'options.flags'), raw: o };
}

/**
 * The engine's record of one call in flight: what to wait for, bytes moved,
 * the call's options and a name to resolve; and, while an async call waits,
 * the call itself: a waiter on the socket's Readiness, whose ready() makes
 * the next attempt right in the event loop's dispatch, and the caller's
 * promise to settle. One object per call, one class for every op, so the
 * drivers' reads and writes of it stay monomorphic however many kinds of op
 * a program uses (the ops themselves are many classes), and so a connection
 * waiting for its next request holds as little as it can.
 */
export class Job extends Waiter {
  /** Named in errors ('recvfrom', 'connect', ...). */
  syscall: string;
  /** What to wait for when the attempt meets EAGAIN; an attempt may change it (connect, receive). */
  dir: Wait = READ;
  /** The back-off in ms when `dir` is SLEEP. */
  sleep = 0;
  /** Bytes the last attempt moved; the engine adds them to the socket's stats. */
  moved = 0;
  call: Call = NO_CALL;
  /** A name to resolve before the first attempt (set by start); the drivers resolve it and hand over the addresses. */
  lookup: Lookup | null = null;
  // The rest is the async driver's, set when the call must wait (pend()).
  /** The socket and op of the waiting call. */
  h: Handle | null = null;
  op: Op<unknown, never> | null = null;
  deadline: Deadline | null = null;
  /** The caller's promise. */
  resolve: ((value: unknown) => void) | null = null;
  reject: ((err: unknown) => void) | null = null;
  /**
   * Set once a wait has woken: if the retried call meets EAGAIN again, the
   * state that woke it may be one epoll keeps reporting and no call can
   * clear (an unread error queue, a hang-up, a datagram socket's read side
   * shut down), so every later wait of this call waits for something new.
   */
  woke = false;
  /** When a wait for a reply began (performance.now()), or -1. */
  replyFrom = -1;
  constructor(syscall: string) {
    super();
    this.syscall = syscall;
  }

  /** Tries the waiting call once more: it completes, fails, or waits again. */
  attempt(): void {
    const h = this.h!;
    const op = this.op!;
    try {
      const r = op.attempt(h.open(this.syscall), this);
      if (this.moved !== 0) account(h, this);
      if (!isErrno(r)) {
        h.replyDue = this.dir === WRITE;
        this.resolve!(r);
        return;
      }
      if (r !== EAGAIN) throw systemError(r, this.syscall, op.details());
      this.wait(false);
    } catch (err) {
      this.reject!(op.failed(err));
    }
  }

  /** Waits for the call's direction (or sleeps its back-off); `reply`: the wait for a reply that runAsync times. Throws what ends the call at once. */
  wait(reply: boolean): void {
    const h = this.h!;
    h.streak = 0;
    if (this.dir === SLEEP) {
      const ms = this.deadline!.sleepMs(this.sleep);
      if (ms <= 0) throw timeoutError(this.syscall, this.op!.details());
      sleep(ms, this.call.signal, h.ref).then(() => this.attempt(), (err: unknown) => this.reject!(this.op!.failed(err)));
      return;
    }
    if (reply) this.replyFrom = performance.now();
    let enlisted: boolean;
    try {
      enlisted = h.readiness!.enlist(this, this.dir, this.deadline!.waitEnd(), this.call.signal, this.woke);
    } catch (err) {
      throw closedAs(err, this.syscall);
    }
    if (!enlisted) throw timeoutError(this.syscall, this.op!.details());
  }

  ready(): void {
    if (this.replyFrom >= 0) {
      this.h!.replyWaits = performance.now() - this.replyFrom > REPLY_WAITED;
      this.replyFrom = -1;
    }
    this.woke = true;
    this.attempt();
  }

  expired(): void { this.reject!(this.op!.failed(timeoutError(this.syscall, this.op!.details()))); }

  failed(err: unknown): void { this.reject!(this.op!.failed(closedAs(err, this.syscall))); }
}

/** One operation on a socket, written once for both drivers. */
export abstract class Op<T, H extends Handle = Handle> {
  /** Named in errors ('recvfrom', 'connect', ...). */
  abstract readonly syscall: string;
  /** Validates every argument and option (into `job.call`), sets `job.dir` for a write; throws before any system call. */
  abstract start(h: H, job: Job): void;
  /** Receives the addresses `job.lookup` resolved to (in the resolver's order). */
  found(addresses: SocketAddress[], job: Job): void { void addresses; void job; }
  /** One try: a value, or a negative errno (EAGAIN: wait for `job.dir`, then try again); bytes moved go in `job.moved`. */
  abstract attempt(fd: number, job: Job): T | number;
  /** Where the call was aimed, for error messages. */
  details(): ErrorDetails | undefined { return undefined; }
  /** Attaches the op's progress to an error about to be thrown (sent, partial). */
  failed(err: unknown): unknown { return err; }
}

/** Counts bytes handed over without an op: a datagram a loop read ahead, taken by the loop itself. */
export function countReceived(h: Handle, bytes: number): void {
  h.received += bytes;
}

function account(h: Handle, job: Job): void {
  if (job.dir === WRITE) h.sent += job.moved;
  else h.received += job.moved;
  job.moved = 0;
}

const isErrno = (r: unknown): r is number => typeof r === 'number' && r < 0;

/**
 * The async driver. The first attempt runs now, in the caller's turn; a call
 * that must wait (or yield, after BURST immediate completions) becomes
 * pending, with no async frame. Never throws synchronously: every failure is
 * a rejection.
 */
export function runAsync<T, H extends Handle>(h: H, op: Op<T, H>): Promise<T> {
  const job = takeJob(op.syscall);
  let r: T | number;
  let reply = false;
  try {
    op.start(h, job);
    if (job.lookup !== null) return resolveThenPend(h, op, job);
    if (h.streak >= BURST) return pend(h, op, job, YIELD, deadlineOf(h, job));
    if (job.dir === READ && h.replyDue) {
      h.replyDue = false;
      // A reply to what was just sent, and the last one had to be waited for:
      // wait first, with no recv that fails with EAGAIN. How long that wait
      // lasts decides the next time (Job.ready), so pipelined traffic, whose
      // data is already there, goes back to trying at once.
      if (h.replyWaits && !h.buffered() && h.fd >= 0) {
        const deadline = deadlineOf(h, job);
        if (!deadline.expired()) return pend(h, op, job, REPLY, deadline);
      }
      reply = true;
    }
    h.streak++;
    r = op.attempt(h.open(job.syscall), job);
    if (job.moved !== 0) account(h, job);
  } catch (err) {
    giveBack(job);
    return Promise.reject(op.failed(err));
  }
  if (!isErrno(r)) {
    if (reply) h.replyWaits = false;
    h.replyDue = job.dir === WRITE;
    giveBack(job);
    return Promise.resolve(r as T);
  }
  if (r !== EAGAIN) {
    giveBack(job);
    return Promise.reject(op.failed(systemError(r, job.syscall, op.details())));
  }
  if (reply) h.replyWaits = true;
  return pend(h, op, job, WAIT, deadlineOf(h, job));
}

/**
 * A Job no call holds: most calls complete in their first attempt, and then
 * the next call takes the same object again instead of a new one. A call
 * that must wait keeps its own (pend()).
 */
let spare: Job | null = null;

function takeJob(syscall: string): Job {
  const job = spare;
  if (job === null) return new Job(syscall);
  spare = null;
  job.syscall = syscall;
  job.dir = READ;
  job.sleep = 0;
  job.moved = 0;
  job.call = NO_CALL;
  job.lookup = null;
  return job;
}

function giveBack(job: Job): void {
  spare = job;
}

/**
 * A wait for a reply that took longer than this (ms) really waited: the
 * data was not there yet. A wait on data already there is one event loop
 * turn (10-20 µs here, with the peer on the same CPU); a round trip across
 * CPUs waits 35-80 µs.
 */
const REPLY_WAITED = 0.025;
/** The same for runSync, whose wait is a blocking poll(2): data already there returns at once, so any real wait is longer. */
const REPLY_WAITED_SYNC = 0.05;

const deadlineOf = (h: Handle, job: Job): Deadline => Deadline.start(h.total, job.call.timeout, h.block);

/** How a pending call begins: try at once, wait for readiness (an attempt just met EAGAIN), yield to the event loop first, or wait for a reply first (see runAsync). */
const TRY = 0;
const WAIT = 1;
const YIELD = 2;
const REPLY = 3;

/** The job whose promise is being made: read by capture(), the executor shared by every pend(). */
let settling: Job | null = null;
function capture(resolve: (value: unknown) => void, reject: (err: unknown) => void): void {
  settling!.resolve = resolve;
  settling!.reject = reject;
}

/** Makes the call pending: its promise settles when a later attempt completes or fails. */
function pend<T, H extends Handle>(h: H, op: Op<T, H>, job: Job, first: number, deadline: Deadline): Promise<T> {
  job.h = h;
  job.op = op as Op<unknown, never>;
  job.deadline = deadline;
  settling = job;
  const promise = new Promise<unknown>(capture) as Promise<T>;
  settling = null;
  if (first === YIELD) {
    h.streak = 0;
    setImmediate(() => job.attempt());
  } else if (first === TRY) {
    job.attempt();
  } else {
    try {
      job.wait(first === REPLY);
    } catch (err) {
      job.reject!(op.failed(err));
    }
  }
  return promise;
}

async function resolveThenPend<T, H extends Handle>(h: H, op: Op<T, H>, job: Job): Promise<T> {
  const deadline = deadlineOf(h, job);
  try {
    op.found(await lookup(job.lookup!), job);
  } catch (err) {
    throw op.failed(err);
  }
  return pend(h, op, job, TRY, deadline);
}

/** The socket's close error, named after the call it ended; any other error as it is. */
function closedAs(err: unknown, syscall: string): unknown {
  return err instanceof SocketError && err.code === 'ERR_SOCKET_CLOSED' ? closedError(syscall) : err;
}

/**
 * The sync driver: the same op, blocking the thread in poll(2) between
 * attempts. In request/response traffic, when the read after the last send
 * had to wait, the next one waits in poll(2) first instead of making a recv
 * that fails with EAGAIN: one system call fewer per round trip. Whether it
 * really waited (poll took over 50 µs) decides the next time, so pipelined or
 * bulk traffic goes back to trying first. Never with timeout 0.
 */
export function runSync<T, H extends Handle>(h: H, op: Op<T, H>): T {
  const job = takeJob(op.syscall);
  try {
    return drive(h, op, job);
  } finally {
    giveBack(job);
  }
}

function drive<T, H extends Handle>(h: H, op: Op<T, H>, job: Job): T {
  op.start(h, job);
  if (job.lookup !== null) {
    try {
      op.found(lookupSync(job.lookup), job);
    } catch (err) {
      throw op.failed(err);
    }
  }
  // The call's time limit counts from its first wait: an attempt that
  // completes at once (most of them) reads no clock.
  let deadline: Deadline | null = null;
  // Once a wait has woken and the retried call met EAGAIN anyway, poll(2)
  // may report the same state again at once for as long as it holds (an
  // unread error queue, a hang-up, a datagram socket's read side shut
  // down): every later wait of this call is in an edge-triggered set of its
  // own, which reports only what happens next.
  let woke = false;
  let edge: EdgeWait | null = null;
  try {
    const reply = job.dir === READ && h.replyDue;
    if (reply) {
      h.replyDue = false;
      if (h.replyWaits && !h.buffered() && (deadline = deadlineOf(h, job)).waitMs() !== 0 && h.fd >= 0) {
        const t0 = performance.now();
        waitSync(h.fd, op, job, deadline, null);
        h.replyWaits = performance.now() - t0 > REPLY_WAITED_SYNC;
        woke = true;
      } else h.replyWaits = false;
    }
    for (;;) {
      const fd = h.open(job.syscall);
      const r = op.attempt(fd, job);
      if (job.moved !== 0) account(h, job);
      if (!isErrno(r)) {
        h.replyDue = job.dir === WRITE;
        return r as T;
      }
      if (r !== EAGAIN) throw systemError(r, job.syscall, op.details());
      if (reply) h.replyWaits = true;
      const now = h.open(job.syscall); // the op may have replaced the fd (tcp()'s family)
      waitSync(now, op, job, deadline ??= deadlineOf(h, job), woke ? (edge ??= new EdgeWait()).on(now, job.dir) : null);
      woke = true;
    }
  } catch (err) {
    throw op.failed(err);
  } finally {
    edge?.close();
  }
}

/** A sync call's edge-triggered epoll set: made at its first use, remade when the fd or the direction changes, closed when the call ends. */
class EdgeWait {
  #epfd = -1;
  #fd = -1;
  #dir: Wait = SLEEP;
  /** The set's fd for waits on `fd` in `dir`, or null where none can be made (level-triggered poll then). */
  on(fd: number, dir: Wait): number | null {
    if (dir === SLEEP) return null;
    if (this.#epfd < 0 || fd !== this.#fd || dir !== this.#dir) {
      this.close();
      const epfd = sys.edgeSet(fd, dir);
      if (epfd < 0) return null;
      this.#epfd = epfd;
      this.#fd = fd;
      this.#dir = dir;
    }
    return this.#epfd;
  }
  close(): void {
    if (this.#epfd >= 0) sys.close(this.#epfd);
    this.#epfd = -1;
  }
}

/** Blocks until `job.dir` is ready: in poll(2), or in the edge-triggered set `edgeSet` (what happens next) when one is given. */
function waitSync(fd: number, op: Op<unknown, never>, job: Job, deadline: Deadline, edgeSet: number | null): void {
  if (job.dir === SLEEP) {
    const ms = deadline.sleepMs(job.sleep);
    if (ms <= 0) throw timeoutError(job.syscall, op.details());
    sys.pollWait(-1, 0, Math.ceil(ms));
    return;
  }
  const ms = deadline.waitMs();
  if (ms === 0) throw timeoutError(job.syscall, op.details());
  const r = edgeSet === null ? sys.pollWait(fd, job.dir, ms) : sys.edgeWait(edgeSet, ms);
  if (r < 0) throw systemError(r, 'poll');
  if (r === 0) throw timeoutError(job.syscall, op.details());
}

/** A back-off sleep on the event loop; an abort rejects it. Unref'd with the socket. */
export function sleep(ms: number, signal: AbortSignal | undefined, ref: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => { clearTimeout(t); reject(abortError(signal!)); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, Math.min(Math.ceil(ms), MAX_TIMER));
    if (!ref) t.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
