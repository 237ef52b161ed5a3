// `for await` over a socket: accepted connections of a listening socket,
// what each recvMsg reads on a stream socket (ending at end of stream), and
// datagrams on the rest, read up to AHEAD_COUNT per recvmmsg(2). Datagrams
// read but not yet yielded wait in the socket's read-ahead queue, where every
// later receive call takes them first, so leaving the loop loses none.
// One loop serves the untyped `[Symbol.asyncIterator]` (which picks what to
// yield from the socket's state) and the typed connections()/messages().
import { SocketError } from '../errors.js';
import { controlSpace, MAX_FDS, type ReceivedMessage } from '../codec/message.js';
import { SOCK_DGRAM, SOCK_STREAM } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import { callOptions, countReceived, Job, Op, runAsync } from '../io/engine.js';
import { Batch } from '../io/batch.js';
import { ReadAhead } from '../io/readahead.js';
import { DEFAULT_RECV, RecvMsg } from './receive.js';
import { getOption } from './sockopt.js';
import type { SocketState } from './state.js';

/** Datagrams one read takes, each up to DEFAULT_RECV bytes with recvMsg's control space. */
const AHEAD_COUNT = 16;
const AHEAD_CONTROL = controlSpace(MAX_FDS);
const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/** One recvmmsg(2) of up to AHEAD_COUNT datagrams: the first is returned, the rest kept as read-ahead. */
class ReadAheadOp extends Op<ReceivedMessage, SocketState> {
  readonly syscall = 'recvmmsg';
  #s!: SocketState;
  /** The loop's { timeout, signal }, applied to each wait for a datagram. */
  constructor(private readonly opts?: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    job.call = callOptions(this.opts);
    this.#s = s;
  }

  attempt(fd: number, job: Job): ReceivedMessage | number {
    const s = this.#s;
    const ahead = s.nextAhead(0); // read ahead by a concurrent loop while this one waited
    if (ahead !== null) return count(ahead, job);
    const batch = Batch.get(AHEAD_COUNT, DEFAULT_RECV, AHEAD_CONTROL);
    const n = sys.recvmmsg(fd, batch.data, DEFAULT_RECV, AHEAD_COUNT, 0, batch.addrs, batch.ctl, AHEAD_CONTROL, batch.meta, true);
    if (n < 0) return n;
    const msgs = batch.messages(n, DEFAULT_RECV, null, () => {});
    if (n > 1) s.keepAhead(new ReadAhead(msgs, 1));
    return count(msgs[0], job);
  }
}

function count(m: ReceivedMessage, job: Job): ReceivedMessage {
  job.moved = m.data.length;
  return m;
}

/** What a loop yields: accepted connections, received messages, or (undefined) whichever fits the socket. */
type Mode = 'accept' | 'receive' | undefined;
/** messages()' options: { timeout, signal } for each wait, recvMsg's size and maxFds. */
export interface LoopOptions { timeout?: number | null; signal?: AbortSignal; size?: number; maxFds?: number }

/** The async iterator of a socket; `accept` yields the next connection as a Socket. */
export function iterate<S>(s: SocketState, accept: () => Promise<S>): AsyncIterableIterator<S | ReceivedMessage> {
  return loop<S | ReceivedMessage>(s, undefined, accept, undefined);
}

/** The accept loop of connections(): `accept` (with the loop's options) until the socket is closed. */
export function connections<S>(s: SocketState, accept: () => Promise<S>): AsyncIterableIterator<S> {
  return loop<S>(s, 'accept', accept, undefined);
}

/**
 * The receive loop of messages(): one recvMsg per message on a stream
 * socket (ending at end of stream), one datagram each on the others. With
 * `size` or `maxFds` every message is read (or taken from the read-ahead)
 * as recvMsg(opts) would, cut to them; without, datagrams are read ahead in
 * batches as `for await` reads them.
 */
export function messages(s: SocketState, opts: LoopOptions | undefined): AsyncIterableIterator<ReceivedMessage> {
  return loop<ReceivedMessage>(s, 'receive', null, opts);
}

function loop<T>(s: SocketState, mode: Mode, accept: (() => Promise<unknown>) | null, opts: LoopOptions | undefined): AsyncIterableIterator<T> {
  const listening = mode === 'accept' || (mode === undefined && (s.listening || (s.fd >= 0 && s.type !== SOCK_DGRAM && getOption(s, 'acceptconn') === true)));
  const stream = !listening && s.type === SOCK_STREAM;
  // recvMsg's own cuts: a read-ahead datagram is handed over as it is only when none is asked for.
  const cut = opts !== undefined && opts !== null && (opts.size !== undefined || opts.maxFds !== undefined);
  let ended = false;
  const end = (): IteratorResult<T> => { ended = true; return DONE; };
  const yielded = (value: unknown): IteratorResult<T> => ({ value: value as T, done: false });
  // A datagram, or null when it marks the end (zero-length after a hang-up, SOCK_SEQPACKET).
  const datagram = (m: ReceivedMessage): ReceivedMessage | null => (m.data.length === 0 && s.hungUp() ? null : m);
  const read = async (): Promise<IteratorResult<T>> => {
    try {
      if (listening) return yielded(await accept!());
      if (stream) {
        const m = await runAsync(s, new RecvMsg(opts));
        return m.data.length === 0 ? end() : yielded(m); // empty: end of stream
      }
      const m = datagram(await runAsync(s, cut ? new RecvMsg(opts) : new ReadAheadOp(opts)));
      return m === null ? end() : yielded(m);
    } catch (err) {
      ended = true;
      if (err instanceof SocketError && err.code === 'ERR_SOCKET_CLOSED') return DONE;
      throw err;
    }
  };
  // Written out rather than an async generator: a datagram read ahead is
  // handed over in one resolved promise, without a generator's extra turns.
  return {
    next: () => {
      if (ended) return Promise.resolve(DONE);
      if (!listening && !stream && !cut && opts?.signal?.aborted !== true) {
        const m = s.nextAhead(0);
        if (m !== null) {
          countReceived(s, m.data.length);
          return Promise.resolve(datagram(m) === null ? end() : yielded(m));
        }
      }
      return read();
    },
    return: () => Promise.resolve(end()),
    [Symbol.asyncIterator]() { return this; },
  };
}
