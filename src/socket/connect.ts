// Naming and connecting: bind, listen, connect (each resolved address in
// turn) and accept. connect is one op whose attempt is a small step machine,
// so the async and sync drivers run the same steps:
//   CONNECT  connect(2): done, in progress (wait writable -> CHECK), or a
//            full Unix backlog (EAGAIN: back off and retry); with TCP Fast
//            Open data, sendto(2) with MSG_FASTOPEN instead, which puts the
//            data in the SYN when the kernel has the server's cookie;
//   CHECK    SO_ERROR tells how the connect in progress ended.
// A failure moves on to the next address; the last failure is thrown with
// every attempt's error as `errors`.
import { lastAttempt, systemError, tryNext, type ErrorDetails } from '../errors.js';
import { validateInt32 } from '../validate.js';
import { addressDetails, addressTarget, isHostPort, type HostPort } from '../codec/address.js';
import { familyNumber } from '../codec/names.js';
import { encodeAddress, type SocketAddress } from '../codec/sockaddr.js';
import { MSG_FASTOPEN, SOL_SOCKET, SO_ERROR } from '../sys/constants.js';
import { EAGAIN, EINPROGRESS, EOPNOTSUPP } from '../sys/errno.js';
import * as sys from '../sys/fd.js';
import { callOptions, Job, Op, SLEEP } from '../io/engine.js';
import { lookupSync } from '../io/lookup.js';
import { WRITE } from '../io/readiness.js';
import { useFamily } from './family.js';
import { intOption } from './sockopt.js';
import { NONBLOCK, nonblocking, type SocketState } from './state.js';

/** bind(2). Host names are resolved synchronously; '*' is the wildcard; each resolved address is tried in turn. */
export function bind(s: SocketState, address: unknown): void {
  const t = addressTarget(address, s.deferred ? -1 : s.family);
  const list = isHostPort(t) ? lookupSync({ hp: t, af: s.deferred ? -1 : s.family, type: s.type, passive: true }) : [t];
  const errors: Error[] = [];
  for (const a of list) {
    try {
      const enc = encodeAddress(a, 'bind');
      useFamily(s, familyNumber(a.family));
      const rc = sys.bind(s.open('bind'), enc.bytes, enc.length);
      if (rc < 0) throw systemError(rc, 'bind', addressDetails(a));
      s.respawn = null;
      return;
    } catch (err) {
      if (!tryNext(err)) throw err;
      errors.push(err as Error);
    }
  }
  throw lastAttempt(errors, 'bind');
}

/** listen(2). */
export function listen(s: SocketState, backlog: unknown): void {
  const rc = sys.listen(s.open('listen'), validateInt32(backlog, 'backlog'));
  if (rc < 0) throw systemError(rc, 'listen');
  s.listening = true;
}

const CONNECT = 0;
const CHECK = 1;
/** The longest back-off between connects to a Unix listener whose backlog is full. */
const MAX_BACKOFF = 50;

export class Connect extends Op<void, SocketState> {
  readonly syscall = 'connect';
  #s!: SocketState;
  #list: SocketAddress[] = [];
  #next = 0;
  #step = CONNECT;
  #current: SocketAddress | null = null;
  #errors: Error[] = [];
  /** The engine's record of this call, whose wait direction and back-off the steps set. */
  #job!: Job;
  /** The address as given (a name before it is resolved), for error messages. */
  #aim: SocketAddress | HostPort | null = null;
  /** How many bytes of the Fast Open data went with the SYN (queued by the kernel, which resends them if the server did not take them). */
  fastOpenSent = 0;
  /** `fastOpen`: data for the SYN (TCP Fast Open), validated by the caller; what did not go is the caller's to send. */
  constructor(private readonly address: unknown, private readonly opts: unknown, private readonly fastOpen: Uint8Array | null = null) { super(); }

  start(s: SocketState, job: Job): void {
    job.call = callOptions(this.opts);
    this.#s = s;
    this.#job = job;
    job.dir = WRITE;
    const af = s.deferred ? -1 : s.family;
    const t = addressTarget(this.address, af, 'address', 'connect');
    this.#aim = t;
    if (isHostPort(t)) job.lookup = { hp: t, af, type: s.type, passive: false };
    else this.found([t]);
  }

  override found(addresses: SocketAddress[]): void {
    this.#list = addresses;
    this.#take();
  }

  /** Moves on to the next address, giving a tcp()/udp() socket its family. */
  #take(): void {
    const a = this.#current = this.#list[this.#next++];
    this.#step = CONNECT;
    this.#job.dir = WRITE;
    this.#job.sleep = 0;
    useFamily(this.#s, familyNumber(a.family));
  }

  attempt(): void | number {
    for (;;) {
      const rc = this.#step === CONNECT ? this.#connect() : this.#check();
      if (rc === 0) {
        this.#s.respawn = null;
        return;
      }
      if (rc === EAGAIN) return rc;
      // This address failed: try the next one, or give up with every attempt's error.
      const err = systemError(rc, 'connect', this.details());
      this.#errors.push(err);
      if (this.#next >= this.#list.length) throw lastAttempt(this.#errors, 'connect');
      this.#take();
    }
  }

  /** connect(2) to the next address: 0, EAGAIN to wait (writable, or a back-off), or -errno. */
  #connect(): number {
    const enc = encodeAddress(this.#current!, 'connect');
    const fd = this.#s.open('connect');
    let rc = this.fastOpen === null ? EOPNOTSUPP : this.#sendSyn(fd, enc.bytes, enc.length);
    // No Fast Open here (the client bit of net.ipv4.tcp_fastopen is off): a plain connect.
    if (rc === EOPNOTSUPP) rc = sys.connect(fd, enc.bytes, enc.length);
    if (rc === EINPROGRESS) {
      this.#step = CHECK;
      this.#job.dir = WRITE;
      return EAGAIN;
    }
    if (rc === EAGAIN) {
      // A Unix listener's backlog is full: the connect did not start; retry after a back-off.
      this.#job.dir = SLEEP;
      this.#job.sleep = Math.min(Math.max(1, this.#job.sleep * 2), MAX_BACKOFF);
      return EAGAIN;
    }
    this.#job.dir = WRITE;
    return rc;
  }

  /**
   * sendto(2) with MSG_FASTOPEN: the connect starts and, where the kernel
   * holds the server's cookie, the SYN carries the first bytes (the count
   * is kept); without a cookie it asks for one and sends nothing yet.
   * EINPROGRESS either way, or EOPNOTSUPP where Fast Open is off.
   */
  #sendSyn(fd: number, addr: Uint8Array, len: number): number {
    const data = this.fastOpen!;
    const n = sys.sendto(fd, data, 0, data.length, MSG_FASTOPEN!, addr, len);
    this.fastOpenSent = n > 0 ? n : 0;
    return n >= 0 ? EINPROGRESS : n;
  }

  /** After the connect in progress became writable: its outcome from SO_ERROR. */
  #check(): number {
    const err = intOption(this.#s.open('connect'), SOL_SOCKET, SO_ERROR);
    return err === 0 ? 0 : -Math.abs(err);
  }

  override details(): ErrorDetails {
    return addressDetails(this.#current ?? this.#aim ?? undefined);
  }
}

/** accept4(2), non-blocking and close-on-exec: the new fd. */
export class Accept extends Op<number, SocketState> {
  readonly syscall = 'accept';
  constructor(private readonly opts: unknown) { super(); }

  start(_: SocketState, job: Job): void {
    job.call = callOptions(this.opts);
  }

  attempt(fd: number): number {
    return nonblocking(sys.accept(fd, NONBLOCK));
  }
}
