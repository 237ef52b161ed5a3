// Waiting for readiness on the runtime's event loop. One Readiness per open
// socket fd; the addon keeps exactly one watcher per fd (a uv_poll_t on Node,
// a registration with its epoll thread on Bun and Deno) and reports events
// here.
// A direction is armed when someone first waits on it and stays armed after
// its waiters are woken (a reader usually waits again at once: no stop and
// start per message); it is disarmed lazily, when an event comes for it and
// nobody waits. While nobody waits at all the watcher is unreferenced, so an
// armed socket with nothing pending never keeps the process alive.
import { performance } from 'node:perf_hooks';
import { binding } from '../sys/binding.js';
import { abortError, invalidArgValue, systemError } from '../errors.js';
import { EALREADY } from '../sys/errno.js';
import { MAX_TIMER } from './deadline.js';

export const READ = 1;
export const WRITE = 2;
export type Direction = typeof READ | typeof WRITE;

interface Waiter {
  resolve(ready: boolean): void;
  reject(err: unknown): void;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const watching = new Map<number, Readiness>();

// Deno without --allow-env throws on reading the environment: then the
// variable is simply not set.
function readEnv(name: string): string | undefined {
  try { return process.env[name]; } catch { return undefined; }
}

// Whether the event loop is libuv's as Node runs it: Bun and Deno implement
// Node-API without it, and both say who they are in process.versions.
const isNodeLoop = !('bun' in process.versions) && !('deno' in process.versions);

/**
 * The readiness backend of this process, chosen once at load time: 'uv'
 * (libuv's uv_poll, Node's default) or 'epoll' (an epoll instance watched by
 * a helper thread: Bun, whose Node-API aborts on uv_poll_init, and Deno,
 * whose event loop is not libuv's). BERKELEY_READINESS=epoll forces the
 * latter on Node too (the test suite runs both); BERKELEY_READINESS=uv is
 * accepted on Node only.
 */
export const readinessBackend: 'uv' | 'epoll' = chooseBackend();

function chooseBackend(): 'uv' | 'epoll' {
  const wanted = readEnv('BERKELEY_READINESS');
  if (wanted !== undefined && wanted !== '' && wanted !== 'uv' && wanted !== 'epoll') {
    throw invalidArgValue('BERKELEY_READINESS', wanted, "must be 'uv' or 'epoll'");
  }
  return wanted === 'epoll' || !isNodeLoop ? 'epoll' : 'uv';
}

const setup = binding.pollSetup((fd, status, events) => {
  const r = watching.get(fd);
  // An error status (e.g. EBADF) wakes both directions: the retried system
  // call then reports the real error.
  if (r) r.wake(status < 0 ? READ | WRITE : events);
}, readinessBackend === 'epoll', isNodeLoop);
// -EALREADY: another copy of this module (a second import path of the
// package) set the environment up first; its dispatch then serves both.
if (setup < 0 && setup !== EALREADY) throw systemError(setup, 'pollSetup');

/** Who owns the socket: a weak reference to its public object, for wait() to hold. */
export interface OwnerRef { owner: WeakRef<object> | null }

export class Readiness {
  readonly fd: number;
  #waiters: [Waiter[], Waiter[]] = [[], []];
  /** The directions the native watcher is armed for. */
  #armed = 0;
  /** Whether the owner's pending waits keep the process alive (Socket.ref/unref). */
  #ref = true;
  /** Whether the native watcher is referenced now: only while armed, #ref, and someone waits. */
  #refd = false;
  #closedWith: unknown = null;
  readonly #holder: OwnerRef | null;
  // The socket's public object, held while someone waits: a Socket whose last
  // use was starting a wait is garbage to JavaScriptCore (Bun), and its
  // FinalizationRegistry entry would close the fd under the wait.
  #held: object | undefined;

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
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    let delay = 0;
    if (deadline !== null) {
      delay = deadline - performance.now();
      if (delay <= 0) return Promise.resolve(false);
    }
    this.#held ??= this.#holder?.owner?.deref();
    return new Promise<boolean>((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      const list = this.#waiters[dir - 1];
      list.push(w);
      if (deadline !== null) {
        // Node fires a timer of more than 2^31-1 ms after 1 ms: long waits are chained.
        const arm = (left: number): void => {
          w.timer = setTimeout(() => {
            const rest = deadline - performance.now();
            if (rest > 0) arm(rest); else this.#drop(dir, w, () => resolve(false));
          }, Math.min(Math.ceil(left), MAX_TIMER));
          if (!this.#ref) w.timer.unref();
        };
        arm(delay);
      }
      if (signal) {
        w.signal = signal;
        w.onAbort = () => this.#drop(dir, w, () => reject(abortError(signal)));
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      // The epoll backend reports a direction once per wait (EPOLLONESHOT),
      // so every wait re-arms there, for exactly the directions waited on;
      // uv_poll stays armed until stopped.
      if (readinessBackend === 'epoll') this.#arm(this.#wanted());
      else if (!(this.#armed & dir)) this.#arm(this.#armed | dir);
      else this.#syncRef();
    });
  }

  /**
   * Called by the addon's dispatch: wakes every waiter of the ready
   * directions. A ready direction nobody waits on is disarmed (the lazy
   * half of arming); if nobody waits at all, the watcher is unreferenced
   * until the next wait.
   */
  wake(events: number): void {
    let unwanted = 0;
    for (const dir of [READ, WRITE] as const) {
      if (!(events & dir)) continue;
      const list = this.#waiters[dir - 1];
      if (list.length === 0) {
        unwanted |= dir;
        continue;
      }
      this.#waiters[dir - 1] = [];
      for (const w of list) {
        cleanup(w);
        w.resolve(true);
      }
    }
    if (unwanted & this.#armed) this.#arm(this.#armed & ~unwanted);
    else this.#syncRef();
    this.#letGo();
  }

  /** Wakes the waiters of `dir` without an event: their retried call finds what a read ahead left in user space. */
  poke(dir: Direction): void {
    if (this.#waiters[dir - 1].length > 0) this.wake(dir);
  }

  /**
   * Rejects every waiter with `err` and stops dispatching to this fd. The
   * caller then releases the native handle (binding.release/closeOwned).
   */
  close(err: unknown): void {
    if (this.#closedWith) return;
    this.#closedWith = err;
    if (watching.get(this.fd) === this) watching.delete(this.fd);
    const all = [...this.#waiters[0], ...this.#waiters[1]];
    this.#waiters = [[], []];
    for (const w of all) {
      cleanup(w);
      w.reject(err);
    }
    this.#held = undefined;
  }

  /** Whether pending waits keep the process alive (uv_ref/uv_unref and timer refs). */
  setRef(ref: boolean): void {
    this.#ref = ref;
    this.#syncRef();
    for (const w of [...this.#waiters[0], ...this.#waiters[1]]) {
      if (ref) w.timer?.ref(); else w.timer?.unref();
    }
  }

  #drop(dir: Direction, w: Waiter, settle: () => void): void {
    const list = this.#waiters[dir - 1];
    const i = list.indexOf(w);
    if (i < 0) return;
    list.splice(i, 1);
    cleanup(w);
    this.#letGo();
    settle();
    // Disarm now: a direction armed for a wait that timed out or was aborted
    // may never see an event that would disarm it lazily.
    if (this.#wanted() !== this.#armed) this.#arm(this.#wanted());
  }

  /** Stops holding the owner once nobody waits. */
  #letGo(): void {
    if (this.#wanted() === 0) this.#held = undefined;
  }

  /** The directions someone waits on. */
  #wanted(): number {
    return (this.#waiters[0].length ? READ : 0) | (this.#waiters[1].length ? WRITE : 0);
  }

  /** The watcher counts for the event loop only while someone waits (and the owner is ref'd). */
  #refWanted(): boolean {
    return this.#ref && this.#wanted() !== 0;
  }

  /** Arms exactly `events` (0 stops watching, keeping the native handle for the next wait). */
  #arm(events: number): void {
    if (this.#closedWith) return;
    const ref = this.#refWanted();
    const rc = binding.pollStart(this.fd, events, ref);
    if (rc < 0) {
      // The fd cannot be watched (closed under us): wake everyone so the
      // retried system call reports the real error.
      if (this.#wanted()) queueMicrotask(() => this.wake(READ | WRITE));
      return;
    }
    this.#armed = events;
    this.#refd = ref;
    if (events) watching.set(this.fd, this);
  }

  /** Brings the watcher's reference in line with who waits now (no system call: uv_ref/uv_unref). */
  #syncRef(): void {
    const ref = this.#refWanted();
    if (this.#armed === 0 || ref === this.#refd) return;
    binding.pollRef(this.fd, ref);
    this.#refd = ref;
  }
}

function cleanup(w: Waiter): void {
  if (w.timer) clearTimeout(w.timer);
  if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
}
