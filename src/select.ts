// select/selectSync over any mix of sockets: LuaSocket's socket.select.
// Sockets with buffered receive() data count as readable; closed sockets are
// ignored; a timeout returns empty lists instead of throwing.
import * as sys from './sys/fd.js';
import { invalidArgType, systemError } from './errors.js';
import { validateTimeout } from './validate.js';
import { Deadline, MAX_TIMER } from './io/deadline.js';
import { kState } from './socket/state.js';
import { READ, WRITE } from './io/readiness.js';
import { Socket } from './socket/socket.js';

/** What select() and selectSync() resolve to: the sockets of each list that are ready (empty lists on timeout). */
export interface SelectResult { readable: Socket[]; writable: Socket[] }

function validateList(list: unknown, name: string): Socket[] {
  if (!Array.isArray(list)) throw invalidArgType(name, 'an instance of Array', list);
  list.forEach((s, i) => { if (!(s instanceof Socket)) throw invalidArgType(`${name}[${i}]`, 'an instance of Socket', s); });
  return list.filter((s: Socket) => !s.closed && s.fd >= 0);
}

/**
 * Waits for readiness bounded only by `deadline` (select has its own
 * timeout; the sockets' timeouts do not apply). Resolves false on timeout,
 * rejects on abort or close; buffered input is readable at once.
 */
function waitReady(sock: Socket, write: boolean, deadline: number | null, signal: AbortSignal): Promise<boolean> {
  const s = sock[kState];
  if (s.fd < 0 || !s.readiness) return Promise.resolve(true);
  if (!write && s.buffered()) return Promise.resolve(true);
  return s.readiness.wait(write ? WRITE : READ, deadline, signal);
}

/** One poll(2) over every socket; buffered sockets are readable without asking the kernel. */
function pollOnce(read: Socket[], write: Socket[], timeout: number): SelectResult {
  const readable = read.filter((s) => s.dirty());
  if (readable.length > 0) timeout = 0;
  const all = [...read, ...write];
  const fds = new Int32Array(all.length);
  const events = new Int32Array(all.length);
  all.forEach((s, i) => { fds[i] = s.fd; events[i] = i < read.length ? 1 : 2; });
  const rc = sys.pollMany(fds, events, timeout);
  if (rc < 0) throw systemError(rc, 'poll');
  const writable: Socket[] = [];
  all.forEach((s, i) => {
    // Errors and hang-ups count as ready: the next call reports them.
    const ready = events[i] & ((i < read.length ? 1 : 2) | 4);
    if (!ready) return;
    if (i < read.length) { if (!readable.includes(s)) readable.push(s); } else writable.push(s);
  });
  return { readable, writable };
}

/**
 * The blocking twin of select(): waits in poll(2), blocking the thread,
 * until a socket is readable or writable, or the timeout (ms) passes.
 *
 * @throws TypeError when a list is not an array of Sockets; RangeError for a NaN timeout.
 * @example
 * const { readable } = selectSync([a, b], [], 0);   // a poll: never waits
 */
export function selectSync(read: Socket[], write: Socket[], timeout?: number | null): SelectResult {
  const r = validateList(read, 'read');
  const w = validateList(write, 'write');
  const t = validateTimeout(timeout, 'timeout');
  // Nothing to wait for and no timeout: return at once, as select() does, rather than block forever.
  if (r.length + w.length === 0 && t === null) return { readable: [], writable: [] };
  return pollOnce(r, w, Deadline.start(null, t, null).waitMs());
}

/**
 * LuaSocket's socket.select: waits on Node's event loop until a socket of
 * `read` is readable or one of `write` writable, or `timeout` ms pass
 * (null or negative: no limit). Sockets with buffered receive() data count
 * as readable; closed sockets are ignored; a timeout resolves to empty
 * lists, it does not reject. With both lists empty and no timeout it
 * resolves at once.
 *
 * @throws TypeError when a list is not an array of Sockets; RangeError for a NaN timeout (as a rejection).
 * @example
 * const { readable, writable } = await select([server, client], [other], 1000);
 * for (const s of readable) console.log(s === server ? 'a connection is waiting' : 'data');
 */
export async function select(read: Socket[], write: Socket[], timeout?: number | null): Promise<SelectResult> {
  const r = validateList(read, 'read');
  const w = validateList(write, 'write');
  const t = validateTimeout(timeout, 'timeout');
  const deadline = Deadline.start(null, t, null);
  for (;;) {
    const live = (list: Socket[]) => list.filter((s) => !s.closed);
    const res = pollOnce(live(r), live(w), 0);
    if (res.readable.length + res.writable.length > 0) return res;
    const left = deadline.waitMs(); // -1: no limit
    if (left === 0) return res;
    if (live(r).length + live(w).length === 0 && left < 0) return res;
    const ac = new AbortController();
    // The sockets' own timeouts do not apply here: select has its own.
    const waits = [
      ...live(r).map((s) => waitReady(s, false, deadline.end, ac.signal)),
      ...live(w).map((s) => waitReady(s, true, deadline.end, ac.signal)),
    ];
    if (waits.length === 0) await new Promise((resolve) => setTimeout(resolve, Math.min(left, MAX_TIMER))); // the loop re-checks the deadline
    // The first wait to settle (ready, timed out, or its socket closed) ends this round.
    else await Promise.race(waits.map((p) => p.then(() => undefined, () => undefined)));
    ac.abort();
    await Promise.allSettled(waits);
  }
}
