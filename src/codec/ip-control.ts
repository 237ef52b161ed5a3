// Per-datagram IP control messages. On send: the local address or interface
// a datagram leaves from (IP_PKTINFO / IPV6_PKTINFO), its TOS or traffic
// class (IP_TOS / IPV6_TCLASS) and its TTL or hop limit (IP_TTL /
// IPV6_HOPLIMIT), validated for the socket's family before any system call.
// On receive: TOS, TTL, the original destination (IP_ORIGDSTADDR /
// IPV6_ORIGDSTADDR) and the error queue's extended error.
import { Buffer } from 'node:buffer';
import { invalidArgValue } from '../errors.js';
import { binding } from '../sys/binding.js';
import { i32, layout, setI32, setU32 } from '../sys/struct.js';
import { validateInteger, validateObject } from '../validate.js';
import { decodeExtendedError, isExtendedError, type ExtendedError } from './extended-error.js';
import { ipv4, ipv6 } from './option-values.js';
import { decodeAddress, type SocketAddress } from './sockaddr.js';

const k = binding.constants;
const IP = k.IPPROTO_IP;
const IP6 = k.IPPROTO_IPV6;

/** Where a datagram leaves from (IP_PKTINFO / IPV6_PKTINFO on send): a local address, an interface index, or both. */
export interface SendPacketInfo {
  /** The source address: one of this host's addresses (an IPv4 address on an inet6 socket only for an IPv4-mapped destination). */
  address?: string;
  /** The interface to send on, by index (0: the route's). */
  ifindex?: number;
}

/** The per-datagram IP fields of a message to send. */
export interface IpMessageFields { pktinfo?: SendPacketInfo; tos?: number; ttl?: number }

/** The per-datagram IP fields of a received message, present when the option that asks for each is on. */
export interface IpReceivedFields {
  tos?: number;
  ttl?: number;
  originalDestination?: SocketAddress;
  extendedError?: ExtendedError;
}

/**
 * Where per-datagram IP fields are going: an inet6 socket or not, and
 * whether the message's destination is an IPv4-mapped address (null: the
 * message names none, as on a connected socket).
 */
export interface IpTarget { inet6: boolean; mapped: boolean | null }

/** A control message to encode. */
export interface ControlPart { level: number; type: number; data: Uint8Array }

/** Whether a message carries any per-datagram IP field. */
export const hasIpFields = (m: IpMessageFields): boolean => m.pktinfo !== undefined || m.tos !== undefined || m.ttl !== undefined;

/** Reads the per-datagram IP fields of a caller's message once (pktinfo copied), for readMessage. */
export function readIpFields(m: Record<string, unknown>): IpMessageFields {
  let pktinfo = m.pktinfo as SendPacketInfo | undefined;
  if (typeof pktinfo === 'object' && pktinfo !== null && !Array.isArray(pktinfo)) pktinfo = { address: pktinfo.address, ifindex: pktinfo.ifindex };
  return { pktinfo, tos: m.tos as number | undefined, ttl: m.ttl as number | undefined };
}

const intData = (v: number): Buffer => {
  const b = Buffer.alloc(layout.intSize);
  setI32(b, 0, v);
  return b;
};

/** Whether 16 address bytes are an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
export function isMapped(bytes: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 10; i++) if (bytes[off + i] !== 0) return false;
  return bytes[off + 10] === 0xff && bytes[off + 11] === 0xff;
}

/** in6_pktinfo's address: IPv6 text, or IPv4 text as ::ffff:a.b.c.d where the destination is IPv4-mapped. */
function pktinfoAddress6(text: unknown, name: string, mapped: boolean | null): Buffer {
  if (typeof text === 'string' && !text.includes(':')) {
    if (mapped !== true) throw invalidArgValue(name, text, 'is an IPv4 address: an inet6 socket takes one only for an IPv4-mapped destination (::ffff:a.b.c.d) named in the message');
    const b = Buffer.alloc(16);
    b[10] = b[11] = 0xff;
    ipv4(text, name).copy(b, 12);
    return b;
  }
  const b = ipv6(text, name);
  if (mapped === true && !isMapped(b)) throw invalidArgValue(name, text, 'must be an IPv4 (or IPv4-mapped) address for an IPv4-mapped destination');
  return b;
}

/**
 * Appends the control messages of a message's pktinfo, tos and ttl to
 * `parts`. `target` null: the socket cannot carry them (not an inet or inet6
 * datagram socket), which is an argument error, as is a value out of range.
 * On an inet6 socket, tos and ttl also go as IP_TOS / IP_TTL unless the
 * destination is known to be IPv6: an IPv4-mapped destination takes only
 * those, an IPv6 one only IPV6_TCLASS / IPV6_HOPLIMIT.
 */
export function encodeIpFields(m: IpMessageFields, name: string, target: IpTarget | null, parts: ControlPart[]): void {
  if (!hasIpFields(m)) return;
  if (target === null) {
    const field = m.pktinfo !== undefined ? 'pktinfo' : m.tos !== undefined ? 'tos' : 'ttl';
    throw invalidArgValue(`${name}.${field}`, m[field], 'can only be sent on an inet or inet6 datagram socket');
  }
  const v4too = target.inet6 && target.mapped !== false;
  if (m.pktinfo !== undefined) {
    const p = validateObject<SendPacketInfo>(m.pktinfo, `${name}.pktinfo`);
    const ifindex = p.ifindex === undefined ? 0 : validateInteger(p.ifindex, `${name}.pktinfo.ifindex`, 0, 0x7fffffff);
    if (target.inet6) {
      const data = Buffer.alloc(layout.in6PktinfoSize);
      if (p.address !== undefined) pktinfoAddress6(p.address, `${name}.pktinfo.address`, target.mapped).copy(data, layout.in6PktinfoAddr);
      setU32(data, layout.in6PktinfoIfindex, ifindex);
      parts.push({ level: IP6, type: k.IPV6_PKTINFO, data });
    } else {
      if (layout.inPktinfoSize === undefined) throw invalidArgValue(`${name}.pktinfo`, p, 'is not supported on this platform (no struct in_pktinfo)');
      const data = Buffer.alloc(layout.inPktinfoSize);
      if (p.address !== undefined) ipv4(p.address, `${name}.pktinfo.address`).copy(data, layout.inPktinfoSpecDst!);
      setI32(data, layout.inPktinfoIfindex!, ifindex);
      parts.push({ level: IP, type: k.IP_PKTINFO, data });
    }
  }
  if (m.tos !== undefined) {
    const tos = intData(validateInteger(m.tos, `${name}.tos`, 0, 255));
    if (target.inet6 && target.mapped !== true) parts.push({ level: IP6, type: k.IPV6_TCLASS, data: tos });
    if (!target.inet6 || v4too) parts.push({ level: IP, type: k.IP_TOS, data: tos });
  }
  if (m.ttl !== undefined) {
    const ttl = intData(validateInteger(m.ttl, `${name}.ttl`, 1, 255));
    if (target.inet6 && target.mapped !== true) parts.push({ level: IP6, type: k.IPV6_HOPLIMIT, data: ttl });
    if (!target.inet6 || v4too) parts.push({ level: IP, type: k.IP_TTL, data: ttl });
  }
}

/**
 * Decodes a received IP control message into `out` when it is one of
 * TOS/TTL/original destination/extended error; false for any other.
 */
export function decodeIpField(level: number, type: number, buf: Buffer, start: number, end: number, out: IpReceivedFields): boolean {
  const len = end - start;
  if (level === IP) {
    // IP_RECVTOS delivers one byte; IP_RECVTTL an int.
    if (type === k.IP_TOS && len >= 1) out.tos = buf[start];
    else if (type === k.IP_TTL && len >= layout.intSize) out.ttl = i32(buf, start);
    else if (type === k.IP_ORIGDSTADDR && len >= layout.inSize) out.originalDestination = decodeAddress(buf.subarray(start, end), len) ?? undefined;
    else if (!isExtendedError(level, type)) return false;
  } else if (level === IP6) {
    if (type === k.IPV6_TCLASS && len >= layout.intSize) out.tos = i32(buf, start);
    else if (type === k.IPV6_HOPLIMIT && len >= layout.intSize) out.ttl = i32(buf, start);
    else if (type === k.IPV6_ORIGDSTADDR && len >= layout.in6Size) out.originalDestination = decodeAddress(buf.subarray(start, end), len) ?? undefined;
    else if (!isExtendedError(level, type)) return false;
  } else return false;
  if (isExtendedError(level, type)) {
    const e = decodeExtendedError(buf, start, end);
    if (e === null) return false;
    out.extendedError = e;
  }
  return true;
}
