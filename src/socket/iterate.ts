// `for await` over a socket: accepted connections of a listening socket,
// what each recvMsg reads on a stream socket (ending at end of stream), and
// datagrams on the rest, read up to AHEAD_COUNT per recvmmsg(2). Datagrams
// read but not yet yielded wait in the socket's read-ahead queue, where every
// later receive call takes them first, so leaving the loop loses none.
import { SocketError } from '../errors.js';
import { controlSpace, MAX_FDS, type ReceivedMessage } from '../codec/message.js';
import { SOCK_DGRAM, SOCK_STREAM } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import { Op, runAsync } from '../io/engine.js';
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

  start(s: SocketState): void {
    this.#s = s;
  }

  attempt(fd: number): ReceivedMessage | number {
    const s = this.#s;
    const ahead = s.nextAhead(0); // read ahead by a concurrent loop while this one waited
    if (ahead !== null) return this.#count(ahead);
    const batch = Batch.get(AHEAD_COUNT, DEFAULT_RECV, AHEAD_CONTROL);
    const n = sys.recvmmsg(fd, batch.data, DEFAULT_RECV, AHEAD_COUNT, 0, batch.addrs, batch.ctl, AHEAD_CONTROL, batch.meta, true);
    if (n < 0) return n;
    const msgs = batch.messages(n, DEFAULT_RECV, null, () => {});
    if (n > 1) s.keepAhead(new ReadAhead(msgs, 1));
    return this.#count(msgs[0]);
  }

  #count(m: ReceivedMessage): ReceivedMessage {
    this.moved = m.data.length;
    return m;
  }
}

/** The async iterator of a socket; `accept` yields the next connection as a Socket. */
export function iterate<S>(s: SocketState, accept: () => Promise<S>): AsyncIterableIterator<S | ReceivedMessage> {
  const listening = s.listening || (s.fd >= 0 && s.type !== SOCK_DGRAM && getOption(s, 'acceptconn') === true);
  const stream = !listening && s.type === SOCK_STREAM;
  let ended = false;
  const end = (): IteratorResult<S | ReceivedMessage> => { ended = true; return DONE; };
  // A datagram, or null when it marks the end (zero-length after a hang-up, SOCK_SEQPACKET).
  const datagram = (m: ReceivedMessage): ReceivedMessage | null => (m.data.length === 0 && s.hungUp() ? null : m);
  const read = async (): Promise<IteratorResult<S | ReceivedMessage>> => {
    try {
      if (listening) return { value: await accept(), done: false };
      if (stream) {
        const m = await runAsync(s, new RecvMsg(undefined));
        return m.data.length === 0 ? end() : { value: m, done: false }; // empty: end of stream
      }
      const m = datagram(await runAsync(s, new ReadAheadOp()));
      return m === null ? end() : { value: m, done: false };
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
      if (!listening && !stream) {
        const m = s.nextAhead(0);
        if (m !== null) {
          s.received += m.data.length;
          return Promise.resolve(datagram(m) === null ? end() : { value: m, done: false });
        }
      }
      return read();
    },
    return: () => Promise.resolve(end()),
    [Symbol.asyncIterator]() { return this; },
  };
}
