// The error queue's control message: struct sock_extended_err (IP_RECVERR /
// IPV6_RECVERR, read with MSG_ERRQUEUE) and the offender's sockaddr that
// follows it (SO_EE_OFFENDER), decoded with the layout the addon exports.
import type { Buffer } from 'node:buffer';
import { errnoName } from '../errors.js';
import { binding } from '../sys/binding.js';
import { layout, u32 } from '../sys/struct.js';
import { decodeAddress, type SocketAddress } from './sockaddr.js';

const k = binding.constants;

/** Who reported a queued error (SO_EE_ORIGIN_*); a number for an origin berkeley has no name for. */
export type ErrorOrigin = 'none' | 'local' | 'icmp' | 'icmp6' | 'txstatus' | 'zerocopy' | 'txtime' | number;

/**
 * A queued error, decoded from struct sock_extended_err: what went wrong
 * with a datagram sent earlier, read from the socket's error queue
 * (MSG_ERRQUEUE) once 'ip-recverr' / 'ipv6-recverr' is on.
 *
 * @example
 * // ICMP port unreachable for a datagram sent to 127.0.0.1:9:
 * // { code: 'ECONNREFUSED', errno: 111, origin: 'icmp', type: 3, icmpCode: 3,
 * //   info: 0, data: 0, offender: { family: 'inet', address: '127.0.0.1', port: 0 } }
 */
export interface ExtendedError {
  /** ee_errno by name: 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EMSGSIZE', ...; '' for 0 (a zerocopy completion). */
  code: string;
  /** ee_errno: the positive errno number. */
  errno: number;
  /** ee_origin: 'local' (the sending host, e.g. EMSGSIZE), 'icmp' / 'icmp6' (a router or the peer), 'txstatus', 'zerocopy', 'txtime'. */
  origin: ErrorOrigin;
  /** ee_type: the ICMP type for ICMP errors (3: destination unreachable), else 0. */
  type: number;
  /** ee_code: the ICMP code (IPv4: 0 net, 1 host, 3 port unreachable; IPv6: 0 no route, 4 port unreachable). */
  icmpCode: number;
  /** ee_info: the path MTU for EMSGSIZE (local errors and ICMP "fragmentation needed" / "packet too big"). */
  info: number;
  /** ee_data: origin-specific (zerocopy: the last completed send's counter). */
  data: number;
  /** SO_EE_OFFENDER: the host that reported the error (the ICMP sender), or null (local errors). */
  offender: SocketAddress | null;
}

/** An error read from the error queue with recvErrors(): the ExtendedError, the destination of the failed datagram and its data. */
export interface QueuedError extends Omit<ExtendedError, 'data'> {
  /** msg_name: where the datagram that failed was going (port included), or null. */
  address: SocketAddress | null;
  /** The payload of the datagram that failed, as much as the kernel kept (ICMP quotes; none for local errors). */
  data: Buffer;
  /** The whole decoded error, ee_data included (the top-level `data` is the payload here). */
  extendedError: ExtendedError;
}

const ORIGINS = new Map<number | undefined, ErrorOrigin>([
  [k.SO_EE_ORIGIN_NONE, 'none'], [k.SO_EE_ORIGIN_LOCAL, 'local'], [k.SO_EE_ORIGIN_ICMP, 'icmp'],
  [k.SO_EE_ORIGIN_ICMP6, 'icmp6'], [k.SO_EE_ORIGIN_TXSTATUS, 'txstatus'], [k.SO_EE_ORIGIN_ZEROCOPY, 'zerocopy'],
  [k.SO_EE_ORIGIN_TXTIME, 'txtime'],
]);

/** Whether (level, type) is the error queue's control message: IP_RECVERR or IPV6_RECVERR. */
export function isExtendedError(level: number, type: number): boolean {
  return (level === k.IPPROTO_IP && type === k.IP_RECVERR) || (level === k.IPPROTO_IPV6 && type === k.IPV6_RECVERR);
}

/** Decodes a sock_extended_err at [start, end) of `buf` and the offender sockaddr after it; null when it is too short. */
export function decodeExtendedError(buf: Buffer, start: number, end: number): ExtendedError | null {
  const size = layout.eeSize;
  if (size === undefined || end - start < size) return null;
  const errno = u32(buf, start + layout.eeErrno!);
  const origin = buf[start + layout.eeOrigin!];
  const at = start + size;
  return {
    code: errno === 0 ? '' : errnoName(errno),
    errno,
    origin: ORIGINS.get(origin) ?? origin,
    type: buf[start + layout.eeType!],
    icmpCode: buf[start + layout.eeCode!],
    info: u32(buf, start + layout.eeInfo!),
    data: u32(buf, start + layout.eeData!),
    offender: end > at ? decodeAddress(buf.subarray(at, end), end - at) : null,
  };
}
