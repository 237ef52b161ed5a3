// Multipath TCP (RFC 8684): a stream socket made with IPPROTO_MPTCP, which
// falls back to plain TCP where the kernel refuses MPTCP (disabled by
// net.mptcp.enabled, or not built in), and the question whether a socket is
// multipath now (an MPTCP socket can also fall back to TCP on the wire, when
// the peer does not speak MPTCP).
import { AF_INET, IPPROTO_MPTCP, IPPROTO_TCP, MPTCP_INFO, SOCK_STREAM, SOL_MPTCP, SOL_SOCKET, SO_PROTOCOL } from '../sys/constants.js';
import { EINVAL, ENOPROTOOPT, EPROTONOSUPPORT } from '../sys/errno.js';
import * as sys from '../sys/fd.js';
import { SocketError } from '../errors.js';
import { intOption } from './sockopt.js';
import { openSocketFd, type SocketState } from './state.js';

/** What socket(2) answers where the kernel has no MPTCP for this socket: the socket is made as TCP instead. */
const REFUSED = new Set([ENOPROTOOPT, EPROTONOSUPPORT, EINVAL]);

/**
 * socket(2) for family, type and protocol: the fd and the protocol it got.
 * An MPTCP stream socket the kernel refuses (ENOPROTOOPT, EPROTONOSUPPORT,
 * EINVAL) is made as a TCP socket instead.
 */
export function openWithFallback(af: number, type: number, protocol: number): [fd: number, protocol: number] {
  if (protocol !== IPPROTO_MPTCP || IPPROTO_MPTCP === undefined || type !== SOCK_STREAM) return [openSocketFd(af, type, protocol), protocol];
  try {
    return [openSocketFd(af, type, protocol), protocol];
  } catch (err) {
    if (!(err instanceof SocketError) || !REFUSED.has(err.errno ?? 0)) throw err;
    return [openSocketFd(af, type, IPPROTO_TCP), IPPROTO_TCP];
  }
}

/**
 * The protocol a stream socket of a family not yet known gets for
 * `{ mptcp: true }`: IPPROTO_MPTCP where the kernel makes an MPTCP socket
 * (probed once with an IPv4 one, closed at once), else TCP (0).
 */
export function multipathProtocol(): number {
  if (IPPROTO_MPTCP === undefined) return 0;
  const [fd, protocol] = openWithFallback(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
  sys.close(fd);
  return protocol === IPPROTO_MPTCP ? protocol : 0;
}

/**
 * Whether the connection is multipath now: the socket is an MPTCP socket
 * (SO_PROTOCOL is IPPROTO_MPTCP) that has not fallen back to plain TCP
 * (getsockopt MPTCP_INFO with a zero length answers; after a fallback it
 * fails). A socket with no fd yet (tcp()) is not.
 */
export function isMultipath(s: SocketState): boolean {
  if (s.deferred || IPPROTO_MPTCP === undefined || SO_PROTOCOL === undefined || SOL_MPTCP === undefined || MPTCP_INFO === undefined) return false;
  const fd = s.open('getsockopt');
  if (intOption(fd, SOL_SOCKET, SO_PROTOCOL) !== IPPROTO_MPTCP) return false;
  return sys.getsockopt(fd, SOL_MPTCP, MPTCP_INFO, 0) === 0;
}
