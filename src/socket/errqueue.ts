// The error queue: with 'ip-recverr' / 'ipv6-recverr' on, the kernel queues
// what went wrong with datagrams sent earlier (ICMP and ICMPv6 errors, local
// ones such as EMSGSIZE with the path MTU) instead of only failing the next
// call. recvErrors() reads that queue with recvmsg(2) and MSG_ERRQUEUE until
// it is empty: it never waits, and an empty queue is [].
import { controlSpace, receivedMessage } from '../codec/message.js';
import type { QueuedError } from '../codec/extended-error.js';
import { decodeAddress } from '../codec/sockaddr.js';
import { MSG_ERRQUEUE } from '../sys/constants.js';
import { EAGAIN, EOPNOTSUPP } from '../sys/errno.js';
import { unavailableError } from '../errors.js';
import * as sys from '../sys/fd.js';
import { callOptions, Job, Op, SLEEP } from '../io/engine.js';
import { controlBuffer, readBuffer, takeOut } from '../io/buffers.js';
import type { SocketState } from './state.js';

/** The most payload kept of each failed datagram (a datagram's largest size). */
const ERROR_DATA = 65536;
/** Control room per queued error: sock_extended_err and its offender, plus pktinfo and timestamps when those options are on. */
const ERROR_CONTROL = controlSpace(0);

/** recvmsg(2) with MSG_ERRQUEUE until EAGAIN: every queued error, oldest first. */
export class RecvErrors extends Op<QueuedError[], SocketState> {
  readonly syscall = 'recvmsg';
  constructor(private readonly opts: unknown) { super(); }

  start(_: SocketState, job: Job): void {
    job.call = callOptions(this.opts);
    if (MSG_ERRQUEUE === undefined) throw unavailableError(EOPNOTSUPP, 'recvmsg', 'this platform has no error queue (MSG_ERRQUEUE)');
    // Nothing to wait for: the attempt never answers EAGAIN, and no reply is due.
    job.dir = SLEEP;
  }

  attempt(fd: number): QueuedError[] | number {
    const out: QueuedError[] = [];
    for (;;) {
      const buf = readBuffer(ERROR_DATA);
      const ctl = controlBuffer(ERROR_CONTROL);
      const n = sys.recvmsg(fd, buf, 0, ERROR_DATA, MSG_ERRQUEUE!, ctl);
      // Another failure after some errors were read: those are returned, the next call meets it.
      if (n === EAGAIN || (n < 0 && out.length > 0)) return out;
      if (n < 0) return n;
      const m = receivedMessage(takeOut(buf, n, ERROR_DATA), decodeAddress(sys.sockaddr, sys.results[0]), sys.results[2], ctl, sys.results[1], 0);
      const e = m.extendedError;
      if (e === undefined) continue; // no sock_extended_err (a queue entry of a kind the kernel reports otherwise)
      out.push({
        code: e.code, errno: e.errno, origin: e.origin, type: e.type, icmpCode: e.icmpCode, info: e.info, offender: e.offender,
        address: m.address, data: m.data, extendedError: e,
      });
    }
  }
}
