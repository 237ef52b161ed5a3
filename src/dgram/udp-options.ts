// The option setters of node:dgram's Socket, done as libuv does them
// (uv_udp_set_*): the same range checks (EINVAL before any system call),
// IPv4 or IPv6 option by the family the socket was bound with, EBADF
// before bind (libuv has no fd yet), the implicit wildcard bind of a
// membership call on an unbound socket, and buffer sizes reported as
// node:dgram's ERR_SOCKET_BUFFER_SIZE. Also bind({ fd }): adopting an open
// UDP socket, which node:dgram checks with guessHandleType.
import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { constants as os } from 'node:os';
import { Socket as BSocket } from '../socket/socket.js';
import {
  IP_MULTICAST_IF, IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP, IPV6_UNICAST_HOPS, SO_BROADCAST, SO_RCVBUF, SO_SNDBUF, SOL_SOCKET,
} from '../sys/constants.js';
import { inet_pton } from '../posix.js';
import { argType, badBufferSize, bufferSizeError, errnoException, errnoOf, invalidFdType, missingArgs } from './errors.js';
import { EINVAL, socketAddress } from './address.js';
import { isIPv4, isIPv6 } from 'node:net';
import { ensureSocket, type DgramState } from './handle.js';

const EBADF = -os.errno.EBADF;
const ENOSYS = -os.errno.ENOSYS;

/** Node's int32 conversion of a number argument (NaN is 0). */
const int32 = (n: number): number => n | 0;

/** The setters of one call: `method` names the call in its errors (`setTTL EINVAL`). */
export class UdpOptions {
  constructor(private readonly state: DgramState, private readonly method: string) {}

  /** setsockopt(2) of an int at the level of the socket's family; libuv's EBADF when there is no fd yet. */
  #set(v4: [number, number], v6: [number, number], value: number | Buffer): void {
    const sock = this.state.sock;
    if (sock === null) throw errnoException(EBADF, this.method);
    const [level, name] = sock.family === 'inet6' ? v6 : v4;
    try {
      sock.setsockopt(level, name, value);
    } catch (err) {
      throw errnoException(errnoOf(err) ?? EINVAL, this.method);
    }
  }

  broadcast(flag: unknown): void {
    this.#set([SOL_SOCKET, SO_BROADCAST], [SOL_SOCKET, SO_BROADCAST], flag ? 1 : 0);
  }

  ttl(ttl: unknown): number {
    const value = checkNumber(ttl, 'ttl');
    if (value < 1 || value > 255) throw errnoException(EINVAL, this.method);
    this.#set([IPPROTO_IP, IP_TTL], [IPPROTO_IPV6, IPV6_UNICAST_HOPS], value);
    return ttl as number;
  }

  multicastTTL(ttl: unknown): number {
    const value = checkNumber(ttl, 'ttl');
    if (value < 0 || value > 255) throw errnoException(EINVAL, this.method);
    this.#set([IPPROTO_IP, IP_MULTICAST_TTL], [IPPROTO_IPV6, IPV6_MULTICAST_HOPS], value);
    return ttl as number;
  }

  multicastLoopback<T>(flag: T): T {
    this.#set([IPPROTO_IP, IP_MULTICAST_LOOP], [IPPROTO_IPV6, IPV6_MULTICAST_LOOP], flag ? 1 : 0);
    return flag;
  }

  /** uv_udp_set_multicast_interface: an IPv4 address sets IP_MULTICAST_IF, an IPv6 one its zone's index as IPV6_MULTICAST_IF. */
  multicastInterface(iface: unknown): void {
    if (typeof iface !== 'string') throw argType('interfaceAddress', 'of type string', iface);
    if (isIPv4(iface)) return this.#set([IPPROTO_IP, IP_MULTICAST_IF], [IPPROTO_IP, IP_MULTICAST_IF], inet_pton(2, iface));
    if (!isIPv6(iface)) throw errnoException(EINVAL, this.method);
    const scope = (socketAddress(iface, 0, true) as { scopeId?: number }).scopeId ?? 0;
    this.#set([IPPROTO_IPV6, IPV6_MULTICAST_IF], [IPPROTO_IPV6, IPV6_MULTICAST_IF], scope);
  }

  /** uv_udp_set_membership: the group's family decides; an unbound socket is bound to that family's wildcard first. */
  membership(join: boolean, group: unknown, iface: unknown): void {
    if (!group) throw missingArgs('multicastAddress');
    const v6 = typeof group === 'string' && !isIPv4(group) && isIPv6(group);
    if (typeof group !== 'string' || (!v6 && !isIPv4(group))) throw errnoException(EINVAL, this.method);
    const sock = this.#deferredBind(v6);
    let where: string | number = 0;
    if (iface !== undefined && iface !== null) {
      const s = String(iface);
      if (v6) {
        if (!isIPv6(s)) throw errnoException(EINVAL, this.method);
        where = (socketAddress(s, 0, true) as { scopeId?: number }).scopeId ?? 0;
      } else {
        if (!isIPv4(s)) throw errnoException(EINVAL, this.method);
        where = s;
      }
    }
    try {
      if (join) sock.addMembership(group, where);
      else sock.dropMembership(group, where);
    } catch (err) {
      throw errnoException(errnoOf(err) ?? EINVAL, this.method);
    }
  }

  /** uv_udp_set_source_membership (IPv4; IPv6 source-specific membership is ENOSYS here). */
  sourceMembership(join: boolean, source: unknown, group: unknown, iface: unknown): void {
    if (typeof source !== 'string') throw argType('sourceAddress', 'of type string', source);
    if (typeof group !== 'string') throw argType('groupAddress', 'of type string', group);
    if (!isIPv4(group)) throw errnoException(isIPv6(group) && isIPv6(source) ? ENOSYS : EINVAL, this.method);
    if (!isIPv4(source)) throw errnoException(EINVAL, this.method);
    const sock = this.#deferredBind(false);
    if (iface !== undefined && iface !== null && !isIPv4(String(iface))) throw errnoException(EINVAL, this.method);
    try {
      if (join) sock.addSourceMembership(group, source, iface == null ? '0.0.0.0' : String(iface));
      else sock.dropSourceMembership(group, source, iface == null ? '0.0.0.0' : String(iface));
    } catch (err) {
      throw errnoException(errnoOf(err) ?? EINVAL, this.method);
    }
  }

  /** uv__udp_maybe_deferred_bind: no fd yet, so one of the group's family, bound to its wildcard with SO_REUSEADDR. */
  #deferredBind(v6: boolean): BSocket {
    const state = this.state;
    if (state.sock !== null) return state.sock;
    const sock = ensureSocket(state, v6);
    try {
      sock.setOption('reuseaddr', true);
      sock.bind(socketAddress(v6 ? '::' : '0.0.0.0', 0, v6));
    } catch (err) {
      throw errnoException(errnoOf(err) ?? EINVAL, this.method);
    }
    return sock;
  }
}

function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw argType(name, 'of type number', value);
  return int32(value);
}

/** SO_RCVBUF / SO_SNDBUF: `size` 0 reads it, anything else sets it (node:dgram's bufferSize). */
export function bufferSize(state: DgramState, size: number, recv: boolean): number {
  if (size >>> 0 !== size) throw badBufferSize();
  const sock = state.sock;
  if (sock === null) throw bufferSizeError(EBADF, recv);
  const name = recv ? SO_RCVBUF : SO_SNDBUF;
  try {
    if (size === 0) return sock.getsockopt(SOL_SOCKET, name, 'int') as number;
    sock.setsockopt(SOL_SOCKET, name, size);
    return size;
  } catch (err) {
    throw bufferSizeError(errnoOf(err) ?? EINVAL, recv);
  }
}

/** What libuv's uv_guess_handle calls an fd: 'UDP' for an inet datagram socket. */
function handleType(fd: number): string {
  let st;
  try { st = fstatSync(fd); } catch { return 'UNKNOWN'; }
  if (!st.isSocket()) return st.isFIFO() ? 'PIPE' : isatty(fd) ? 'TTY' : st.isFile() || st.isCharacterDevice() ? 'FILE' : 'UNKNOWN';
  return '';
}

/** bind({ fd }): adopts an open UDP socket (node:dgram's handle.open); 0 or a negative errno. */
export function openFd(state: DgramState, fd: number): number {
  const kind = handleType(fd);
  if (kind !== '') throw invalidFdType(kind);
  let sock: BSocket;
  try {
    sock = BSocket.from(fd);
  } catch (err) {
    return errnoOf(err) ?? EINVAL;
  }
  const family = sock.family;
  if (sock.type !== 'dgram' || (family !== 'inet' && family !== 'inet6')) {
    sock.detach();
    throw invalidFdType(sock.type === 'stream' ? (family === 'unix' ? 'PIPE' : 'TCP') : 'UNKNOWN');
  }
  if (!state.ref) sock.unref();
  state.sock?.close();
  state.sock = sock;
  state.v6 = family === 'inet6';
  return 0;
}
