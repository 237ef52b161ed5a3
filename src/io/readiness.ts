// Waiting for readiness on the runtime's event loop. One Readiness per open
// socket fd. The addon keeps one epoll set per environment (main thread or
// worker), watched by a single handle on Node's loop (or a helper thread on
// Bun and Deno); when the set is ready the addon reads every ready fd and
// calls dispatch() once with all of them, so the waiters it wakes continue
// in one microtask checkpoint instead of one event-loop callback each.
// A direction is armed when someone first waits on it and stays armed after
// its waiters are woken (a reader usually waits again at once: no system
// call per wait); it is disarmed lazily, when an event comes for it and
// nobody waits. The set's handle keeps the process alive only while some
// referenced socket waits, so a socket with nothing pending never does.
import { performance } from 'node:perf_hooks';
import { binding } from '../sys/binding.js';
import { abortError, invalidArgValue, systemError } from '../errors.js';
import { EALREADY, EBADF } from '../sys/errno.js';
import { MAX_TIMER } from './deadline.js';

export const READ = 1;
export const WRITE = 2;
export type Direction = typeof READ | typeof WRITE;

/**
 * Someone waiting on a Readiness for one direction: the engine's pending
 * call (which retries its system call right in ready()), or a promise
 * (wait()). Readiness keeps the deadline's timer and the abort listener on
 * it and calls exactly one of the three methods per wait.
 */
export abstract class Waiter {
  /** The direction it waits on (set by enlist). */
  waitsFor: Direction = READ;
  timer: NodeJS.Timeout | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  /** The direction is ready (or an error or hang-up came): try again. */
  abstract ready(): void;
  /** The deadline passed first. */
  abstract expired(): void;
  /** The wait was aborted, or the socket closed under it. */
  abstract failed(err: unknown): void;
}

/** wait()'s waiter: a promise that resolves true when ready, false at the deadline. */
class PromiseWaiter extends Waiter {
  constructor(private readonly resolve: (ready: boolean) => void, private readonly reject: (err: unknown) => void) { super(); }
  ready(): void { this.resolve(true); }
  expired(): void { this.resolve(false); }
  failed(err: unknown): void { this.reject(err); }
}

// Deno without --allow-env throws on reading the environment: then the
// variable is simply not set.
function readEnv(name: string): string | undefined {
  try { return process.env[name]; } catch { return undefined; }
}

// Whether the event loop is libuv's as Node runs it: Bun and Deno implement
// Node-API without it, and both say who they are in process.versions.
const isNodeLoop = !('bun' in process.versions) && !('deno' in process.versions);

/** The readiness engines a process can run: BERKELEY_READINESS names one. */
export type ReadinessEngine = 'epoll' | 'epoll-thread';

/**
 * The readiness engine of this process, chosen once at load time: 'epoll'
 * (the environment's epoll set, watched by one handle on Node's own loop:
 * Node's default) or 'epoll-thread' (the same set watched by a helper
 * thread: Bun, whose Node-API aborts on uv_poll_init, and Deno, whose event
 * loop is not libuv's). BERKELEY_READINESS=epoll-thread forces the thread on
 * Node too (the test suite runs both).
 */
export const readinessBackend: ReadinessEngine = chooseBackend();

function chooseBackend(): ReadinessEngine {
  const wanted = readEnv('BERKELEY_READINESS');
  if (wanted !== undefined && wanted !== '' && wanted !== 'epoll' && wanted !== 'epoll-thread') {
    throw invalidArgValue('BERKELEY_READINESS', wanted, "must be 'epoll' or 'epoll-thread'");
  }
  return wanted === 'epoll-thread' || !isNodeLoop ? 'epoll-thread' : 'epoll';
}

/**
 * What every copy of this module that loaded this addon shares (a second
 * import path of the package gives a second copy, and the addon has one set
 * and one dispatch per environment): the Readiness of each fd that has
 * waited, by fd, and how many referenced sockets wait now.
 */
interface Shared { byFd: (Readiness | undefined)[]; refWaits: number }
const shared = (binding.readinessShared ??= { byFd: [], refWaits: 0 }) as Shared;
const byFd = shared.byFd;
/** What the addon writes for dispatch(): (fd, generation, events) per ready fd. */
const ready = binding.readyEvents;

/** Every ready fd of one wake-up of the set, in one call. */
function dispatch(count: number): void {
  let thrown: [unknown] | null = null;
  for (let i = 0, j = 0; i < count; i++, j += 3) {
    const r = byFd[ready[j]];
    // The generation tells a registration from a later one of the same fd
    // number (closed and reused by an earlier wake of this same batch).
    if (r === undefined || r.gen !== ready[j + 1]) continue;
    // One waiter that throws must not cost the rest of the batch its wake-up
    // (an edge-triggered fd would not be reported again).
    try {
      r.wake(ready[j + 2]);
    } catch (err) {
      thrown ??= [err];
    }
  }
  if (thrown !== null) throw thrown[0];
}

const setup = binding.readinessSetup(dispatch, readinessBackend === 'epoll-thread', isNodeLoop);
// -EALREADY: another copy of this module set the environment up first; its
// dispatch serves this copy's sockets too (byFd is shared).
if (setup < 0 && setup !== EALREADY) throw systemError(setup, 'readinessSetup');

/** Counts a referenced socket that starts or stops waiting: the set's handle keeps the loop alive while there is one (a native call only when the count leaves or reaches 0). */
function countRefWait(delta: 1 | -1): void {
  shared.refWaits += delta;
  if (shared.refWaits === 0) binding.readinessRef(false);
  else if (shared.refWaits === 1 && delta === 1) binding.readinessRef(true);
}

/** Who owns the socket: a weak reference to its public object, for wait() to hold. */
export interface OwnerRef { owner: WeakRef<object> | null }

export class Readiness {
  readonly fd: number;
  /** The registration's generation in the addon's set (0 until the first wait). */
  gen = 0;
  /** The first waiter of each direction; more, rarely, wait in #more. */
  #reader: Waiter | null = null;
  #writer: Waiter | null = null;
  #more: Waiter[] | null = null;
  /** The directions armed in the set. */
  #armed = 0;
  /** Whether they are armed edge-triggered (for waits after a wake that found nothing). */
  #edge = false;
  /** Whether the owner's pending waits keep the process alive (Socket.ref/unref). */
  #ref = true;
  /** Whether this socket counts in refWaits now: #ref, and someone waits. */
  #refd = false;
  #closedWith: unknown = null;
  readonly #holder: OwnerRef | null;
  // The socket's public object, held while someone waits: a Socket whose last
  // use was starting a wait is garbage to JavaScriptCore (Bun), and its
  // FinalizationRegistry entry would close the fd under the wait.
  #held: object | undefined = undefined;

  constructor(fd: number, holder: OwnerRef | null = null) {
    this.fd = fd;
    this.#holder = holder;
  }

  /**
   * Resolves true when the fd is ready in `dir`, false when `deadline`
   * (a performance.now() time, null = none) passes first. Rejects with an
   * AbortError on abort and with the close error when the socket closes.
   */
  wait(dir: Direction, deadline: number | null, signal?: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      try {
        if (!this.enlist(new PromiseWaiter(resolve, reject), dir, deadline, signal, false)) resolve(false);
      } catch (err) {
        reject(err);
      }
    });
  }

  /**
   * Makes `w` wait for `dir` until `deadline` (a performance.now() time,
   * null = none): one of its methods is called when that ends. Returns false
   * without waiting when the deadline has passed already; throws the close
   * error when the socket is closed and an AbortError when `signal` is
   * aborted. `edge`: wake only for something that happens from now on, not
   * for a state that holds (the engine asks it after a wake whose retried
   * call still met EAGAIN: epoll would report that state again at once).
   */
  enlist(w: Waiter, dir: Direction, deadline: number | null, signal: AbortSignal | undefined, edge: boolean): boolean {
    if (this.#closedWith) throw this.#closedWith;
    if (signal?.aborted) throw abortError(signal);
    let delay = 0;
    if (deadline !== null) {
      delay = deadline - performance.now();
      if (delay <= 0) return false;
    }
    this.#held ??= this.#holder?.owner?.deref();
    w.waitsFor = dir;
    if (dir === READ ? this.#reader === null : this.#writer === null) {
      if (dir === READ) this.#reader = w; else this.#writer = w;
    } else (this.#more ??= []).push(w);
    if (deadline !== null) this.#startTimer(w, deadline, delay);
    if (signal) {
      w.signal = signal;
      w.onAbort = () => { if (this.#drop(w)) w.failed(abortError(signal)); };
      signal.addEventListener('abort', w.onAbort, { once: true });
    }
    if (!(this.#armed & dir) || edge !== this.#edge) this.#arm(this.#armed | dir, edge);
    this.#syncRef();
    return true;
  }

  // Node fires a timer of more than 2^31-1 ms after 1 ms: long waits are chained.
  #startTimer(w: Waiter, deadline: number, left: number): void {
    w.timer = setTimeout(() => {
      const rest = deadline - performance.now();
      if (rest > 0) this.#startTimer(w, deadline, rest);
      else if (this.#drop(w)) w.expired();
    }, Math.min(Math.ceil(left), MAX_TIMER));
    if (!this.#ref) w.timer.unref();
  }

  /**
   * Called by dispatch(): wakes every waiter of the ready directions (each
   * retries its call right away). A ready direction nobody waits on is
   * disarmed (the lazy half of arming).
   */
  wake(events: number): void {
    const reader = events & READ ? this.#reader : null;
    const writer = events & WRITE ? this.#writer : null;
    const unwanted = (events & READ && reader === null ? READ : 0) | (events & WRITE && writer === null ? WRITE : 0);
    if (reader !== null) this.#reader = null;
    if (writer !== null) this.#writer = null;
    let more: Waiter[] | null = null;
    if (this.#more !== null && (reader !== null || writer !== null)) {
      more = this.#more.filter((w) => (w.waitsFor & events) !== 0);
      this.#more = this.#more.filter((w) => (w.waitsFor & events) === 0);
    }
    if (unwanted & this.#armed) this.#arm(this.#armed & ~unwanted);
    // Each retries its call now; one that must wait again enlists again.
    if (reader !== null) { cleanup(reader); reader.ready(); }
    if (writer !== null) { cleanup(writer); writer.ready(); }
    if (more !== null) for (const w of more) { cleanup(w); w.ready(); }
    // After the retries: a waiter that enlisted again keeps the count as it was.
    this.#syncRef();
    this.#letGo();
  }

  /**
   * Wakes the waiters of `dir` without an event: their retried call finds
   * what a read ahead left in user space. Later, in a microtask: the caller
   * is in the middle of a call on this socket.
   */
  poke(dir: Direction): void {
    if (this.#has(dir)) queueMicrotask(() => { if (this.#has(dir)) this.wake(dir); });
  }

  /**
   * Fails every waiter with `err` and stops dispatching to this fd. The
   * caller then releases the fd's registration (binding.release/closeOwned).
   */
  close(err: unknown): void {
    if (this.#closedWith) return;
    this.#closedWith = err;
    if (byFd[this.fd] === this) byFd[this.fd] = undefined;
    const all = this.#all();
    this.#reader = this.#writer = null;
    this.#more = null;
    this.#syncRef();
    this.#held = undefined;
    for (const w of all) {
      cleanup(w);
      w.failed(err);
    }
  }

  /** Fails every waiter with `err`, the socket staying open (close() is the closing kind). */
  #failWaiters(err: unknown): void {
    const all = this.#all();
    this.#reader = this.#writer = null;
    this.#more = null;
    this.#syncRef();
    this.#letGo();
    for (const w of all) {
      cleanup(w);
      w.failed(err);
    }
  }

  /** Whether pending waits keep the process alive (the set's handle and the timers). */
  setRef(ref: boolean): void {
    this.#ref = ref;
    this.#syncRef();
    for (const w of this.#all()) {
      if (ref) w.timer?.ref(); else w.timer?.unref();
    }
  }

  #all(): Waiter[] {
    const all: Waiter[] = [];
    if (this.#reader) all.push(this.#reader);
    if (this.#writer) all.push(this.#writer);
    if (this.#more) all.push(...this.#more);
    return all;
  }

  #has(dir: Direction): boolean {
    return (dir === READ ? this.#reader : this.#writer) !== null;
  }

  /** Takes `w` out of the waiters (it timed out or was aborted); false if it was not waiting. */
  #drop(w: Waiter): boolean {
    if (this.#reader === w) this.#reader = this.#promote(READ);
    else if (this.#writer === w) this.#writer = this.#promote(WRITE);
    else {
      const i = this.#more?.indexOf(w) ?? -1;
      if (i < 0) return false;
      this.#more!.splice(i, 1);
    }
    cleanup(w);
    this.#syncRef();
    this.#letGo();
    // Disarm now: a direction armed for a wait that timed out or was aborted
    // may never see an event that would disarm it lazily.
    if (this.#wanted() !== this.#armed) this.#arm(this.#wanted());
    return true;
  }

  /** The next waiter of `dir` from #more, for the slot its first waiter left. */
  #promote(dir: Direction): Waiter | null {
    const i = this.#more?.findIndex((w) => w.waitsFor === dir) ?? -1;
    return i < 0 ? null : this.#more!.splice(i, 1)[0]!;
  }

  /** Stops holding the owner once nobody waits. */
  #letGo(): void {
    if (this.#wanted() === 0) this.#held = undefined;
  }

  /** The directions someone waits on (a waiter in #more always has one in its slot too). */
  #wanted(): number {
    return (this.#reader !== null ? READ : 0) | (this.#writer !== null ? WRITE : 0);
  }

  /** Arms exactly `events` in the set (0 takes the fd out, keeping its registration for the next wait). */
  #arm(events: number, edge = this.#edge): void {
    if (this.#closedWith) return;
    const rc = binding.readinessArm(this.fd, events, edge);
    if (rc < 0) {
      if (this.#wanted() === 0) return;
      // Closed under us: the retried system call reports the real error.
      if (rc === EBADF) queueMicrotask(() => this.wake(READ | WRITE));
      // The set refuses the fd (ENOSPC at fs.epoll.max_user_watches, ENOMEM,
      // EPERM): a retry would only fail to arm again, in a loop, so the
      // waiters fail with it. Later, in a microtask: the caller may be in
      // the middle of enlisting one of them.
      else {
        const err = systemError(rc, 'epoll_ctl');
        queueMicrotask(() => this.#failWaiters(err));
      }
      return;
    }
    this.gen = rc;
    this.#armed = events;
    this.#edge = events !== 0 && edge;
    byFd[this.fd] = this;
  }

  /** Counts this socket in refWaits exactly while it is referenced and someone waits. */
  #syncRef(): void {
    const refd = this.#ref && this.#closedWith === null && this.#wanted() !== 0;
    if (refd === this.#refd) return;
    this.#refd = refd;
    countRefWait(refd ? 1 : -1);
  }
}

function cleanup(w: Waiter): void {
  if (w.timer) clearTimeout(w.timer);
  if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
  w.timer = w.signal = w.onAbort = undefined;
}
