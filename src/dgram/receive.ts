// The receive loop behind a 'message' listener: recvmmsg(2) reads every
// datagram waiting (up to BATCH per call, read-ahead ones first) and each is
// emitted in order. The loop's pending wait is what keeps a bound socket's
// process alive (as libuv's recv_start does for node:dgram), and unref() on
// the socket lets it go. Closing the socket ends the loop: its wait rejects
// with ERR_SOCKET_CLOSED, and no datagram is emitted after close().
import type { ReceivedMessage } from '../codec/message.js';
import type { Socket } from '../socket/socket.js';

/** Datagrams one recvmmsg(2) may take. */
const BATCH = 32;
/** Bytes per datagram: the largest a UDP datagram can be, so none is cut. */
const SLOT = 65536;
/** No control space: fds sent with a datagram (SCM_RIGHTS) are discarded by the kernel, never left open here. */
const OPTIONS = Object.freeze({ maxMessages: BATCH, size: SLOT, controlLength: 0 });

/** What the loop tells its owner: each datagram, a receive error, and whether it should go on. */
export interface Receiver {
  /** Whether the owner still receives (false once it closed). */
  receiving(): boolean;
  message(m: ReceivedMessage): void;
  /** A receive that failed (not because the socket closed); the loop goes on. */
  failed(err: unknown): void;
}

/** Runs the receive loop of `sock` until it closes or the receiver stops. */
export async function receiveLoop(sock: Socket, r: Receiver): Promise<void> {
  while (r.receiving()) {
    let batch: ReceivedMessage[];
    try {
      batch = await sock.recvMany(OPTIONS);
    } catch (err) {
      if (!r.receiving() || sock.closed) return;
      r.failed(err);
      continue;
    }
    for (let i = 0; i < batch.length; i++) {
      // A listener that closed the socket gets nothing more, as with libuv.
      if (!r.receiving()) return;
      r.message(batch[i]);
    }
  }
}
