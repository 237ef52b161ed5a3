// Per-socket state, kept behind a module-private symbol (as Node's own
// lib/internal does) so the façade, select(), net.ts and the iterator share
// one object without any public door into it. The engine's part (fd,
// readiness, timeouts, buffers, stats) is the Handle this extends.
import { closedError, noFamilyError, ownError, systemError } from '../errors.js';
import { SOCK_NONBLOCK } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import { Handle } from '../io/handle.js';
import type { EncodedAddress, Senders } from '../codec/sockaddr.js';
import type { OptionName } from '../codec/options.js';

/** The key of a Socket's state. Not exported from the package. */
export const kState: unique symbol = Symbol('berkeley.state');

/** How a socket created before its family is known (tcp(), udp()) is to be made. */
export interface Deferred {
  type: number;
  protocol: number;
  /** Options set before the fd existed, applied in order when it is made. */
  options: [OptionName, unknown][];
  v6only?: boolean;
}

// Sockets the user forgot are closed when collected (LuaSocket does the same).
// The registry holds the state, which never refers back to its Socket, and
// closes whatever fd the state owns at that time.
const registry = new FinalizationRegistry<Handle>((h) => {
  const fd = h.unwatch();
  if (fd >= 0) sys.closeOwned(fd);
});

export class SocketState extends Handle {
  family: number;
  type: number;
  protocol: number;
  /** Set while a tcp()/udp() socket has no fd yet. */
  deferred: Deferred | null = null;
  /** How a tcp()/udp() socket was made, until a bind or connect settles its family. */
  respawn: Deferred | null = null;
  listening = false;
  born = Date.now();
  /** The last destination of sendTo/sendMsg, encoded, by its validated key. */
  lastTo: { key: string; enc: EncodedAddress } | null = null;
  /** The senders recvFrom decoded (made at the first recvFrom). */
  senders: Senders | null = null;

  constructor(family: number, type: number, protocol: number) {
    super();
    this.family = family;
    this.type = type;
    this.protocol = protocol;
  }

  override open(syscall: string): number {
    if (this.fd >= 0) return this.fd;
    if (this.deferred) throw noFamilyError(syscall);
    throw closedError(syscall);
  }

  /** Closes the fd this state owns when `owner` is garbage-collected without being closed. */
  track(owner: object): void {
    this.owner = new WeakRef(owner);
    registry.register(owner, this);
  }

  /**
   * Takes ownership of `fd`: registers it with the addon (one poll handle,
   * closed at environment teardown) and starts watching it. An fd that a
   * Socket already owns, or that the event loop watches for node:net, is
   * refused with EEXIST and left untouched: the caller closes it only if it
   * made it.
   */
  own(fd: number): void {
    const rc = sys.own(fd);
    if (rc < 0) throw ownError(rc, fd);
    this.watch(fd);
  }

  /** Takes ownership of an fd this library just made (socket, accept, dup): closed again when it cannot be owned. */
  ownMade(fd: number): void {
    try {
      this.own(fd);
    } catch (err) {
      sys.close(fd);
      throw err;
    }
  }

  /** Gives up the fd: closes it, or leaves it open for a new owner (detach). Returns it; -1 when there was none. */
  disown(close: boolean): number {
    const fd = this.unwatch();
    if (fd < 0) return fd;
    if (close) sys.closeOwned(fd);
    else sys.release(fd);
    return fd;
  }
}

/** SOCK_NONBLOCK where socket(2), socketpair(2) and accept4(2) take it; 0 where the fd is made non-blocking afterwards. */
export const NONBLOCK = SOCK_NONBLOCK ?? 0;

/** Makes a new fd non-blocking where the call that made it could not. */
export function nonblocking(fd: number): number {
  if (NONBLOCK === 0 && fd >= 0) sys.setblocking(fd, false);
  return fd;
}

/** socket(2), non-blocking and close-on-exec: the new fd, or a SocketError. */
export function openSocketFd(family: number, type: number, protocol: number): number {
  const fd = sys.socket(family, type | NONBLOCK, protocol);
  if (fd < 0) throw systemError(fd, 'socket');
  return nonblocking(fd);
}
