// Messages for sendmsg/recvmsg: gathered data, SCM_RIGHTS, SCM_CREDENTIALS,
// per-datagram IP fields (ip-control.ts), the error queue's extended error
// (extended-error.ts) and raw control messages, encoded to and decoded from
// the cmsg buffer with the CMSG_* layout the addon exports.
import { Buffer } from 'node:buffer';
import * as sys from '../sys/fd.js';
import { binding } from '../sys/binding.js';
import { i32, int, layout, setI32, setU16, setU32, setUint, u16, u32, uint } from '../sys/struct.js';
import { type SocketAddress } from './sockaddr.js';
import { invalidArgType, invalidArgValue } from '../errors.js';
import { toBytes, validateFd, validateInt32, validateInteger, validateObject, validateUint32 } from '../validate.js';
import { decodeIpField, encodeIpFields, hasIpFields, readIpFields, type ControlPart, type IpReceivedFields, type IpTarget, type SendPacketInfo } from './ip-control.js';
import type { ExtendedError } from './extended-error.js';

const k = binding.constants;

/** Process credentials carried by SCM_CREDENTIALS (Linux). */
export interface Credentials { pid: number; uid: number; gid: number }

/** A control message: level (SOL_SOCKET, IPPROTO_IP, ...), type, and payload. */
export interface ControlMessage { level: number; type: number; data: Uint8Array }

/** What sendmsg sends. Arrays of data are gathered (one iovec each). */
export interface Message {
  data?: Uint8Array | string | (Uint8Array | string)[];
  address?: SocketAddress;
  fds?: number[];
  credentials?: Credentials;
  control?: ControlMessage[];
  /** UDP GSO: send `data` as segments of this many bytes (UDP_SEGMENT); split in TypeScript where the kernel lacks GSO. */
  segmentSize?: number;
  /**
   * inet/inet6 datagram sockets: send from this local address and/or
   * interface (IP_PKTINFO's ipi_spec_dst and ipi_ifindex; IPV6_PKTINFO),
   * e.g. the address a query arrived on (the received message's
   * `pktinfo.address`).
   */
  pktinfo?: SendPacketInfo;
  /**
   * inet/inet6 datagram sockets: this datagram's TOS byte (IP_TOS) or
   * traffic class (IPV6_TCLASS), 0-255. The high six bits are the DSCP, the
   * low two bits the ECN field (1 or 2: ECN-capable, 3: congestion
   * experienced).
   */
  tos?: number;
  /** inet/inet6 datagram sockets: this datagram's TTL (IP_TTL) or hop limit (IPV6_HOPLIMIT), 1-255. */
  ttl?: number;
}

/** Where a datagram arrived (IP_PKTINFO / IPV6_RECVPKTINFO). */
export interface PacketInfo {
  /** Index of the interface it arrived on. */
  ifindex: number;
  /** The destination address in its IP header. */
  address: string;
  /** IPv4 only: the local address the kernel would answer from (ipi_spec_dst). */
  localAddress?: string;
}

/** What recvmsg received. */
export interface ReceivedMessage {
  data: Buffer;
  address: SocketAddress | null;
  flags: number;
  /** Received fds, already close-on-exec; the caller owns (and must close) them. */
  fds: number[];
  credentials?: Credentials;
  /** Control messages other than SCM_RIGHTS and SCM_CREDENTIALS, which are decoded above. */
  control: { level: number; type: number; data: Buffer }[];
  /** MSG_TRUNC: the datagram was longer than the buffer. */
  truncated: boolean;
  /** MSG_CTRUNC: control data did not fit; fds that did not fit were never installed. */
  controlTruncated: boolean;
  /** With 'ip-pktinfo' / 'ipv6-recvpktinfo' on: where the datagram arrived. */
  pktinfo?: PacketInfo;
  /** With 'timestamp' / 'timestampns' on: the kernel's receive time, ms since the epoch (fractional). */
  timestamp?: number;
  /** With 'udp-gro' on: the size of the segments a coalesced datagram was made of (UDP_GRO). */
  segmentSize?: number;
  /** With 'ip-recvtos' / 'ipv6-recvtclass' on: the datagram's TOS byte or traffic class; ECN is its low two bits (`tos & 3`). */
  tos?: number;
  /** With 'ip-recvttl' / 'ipv6-recvhoplimit' on: the TTL or hop limit the datagram arrived with. */
  ttl?: number;
  /** With 'ip-recvorigdstaddr' / 'ipv6-recvorigdstaddr' on: the address and port the datagram was sent to (IP_ORIGDSTADDR), as before a TPROXY redirect. */
  originalDestination?: SocketAddress;
  /** On a message read with MSG_ERRQUEUE ('ip-recverr' / 'ipv6-recverr' on): the queued error, decoded. */
  extendedError?: ExtendedError;
}

/**
 * The most fds berkeley puts in or accepts from one SCM_RIGHTS message: a
 * library limit, equal to Linux's SCM_MAX_FD (which no header exports).
 */
export const MAX_FDS = 253;

const align = (n: number): number => (n + layout.cmsgAlign - 1) & ~(layout.cmsgAlign - 1);
/** CMSG_SPACE(n): bytes a control message with an n-byte payload occupies. */
export const cmsgSpace = (n: number): number => align(layout.cmsgDataOffset) + align(n);
/** CMSG_LEN(n): the cmsg_len of a control message with an n-byte payload. */
export const cmsgLen = (n: number): number => layout.cmsgDataOffset + n;

const INT = layout.intSize;
const writeLen = (buf: Buffer, off: number, v: number): void => setUint(buf, off, layout.cmsgLenSize, v);
const readLen = (buf: Buffer, off: number): number => uint(buf, off, layout.cmsgLenSize);

/**
 * A Message read once: each field of the caller's object (getters, Proxies)
 * is read exactly once and arrays are copied, so what is validated is what
 * is sent, and a getter that answers differently on a second read cannot
 * slip fds past a check.
 */
export function readMessage(message: unknown, name = 'message'): Message {
  const m = validateObject<Record<string, unknown>>(message, name);
  // A Proxy of a Uint8Array, or an object inheriting from one, is no view and no Message either.
  if (m instanceof Uint8Array) throw invalidArgType(name, 'a Message object, a string or a Uint8Array', m);
  const copy = (v: unknown): unknown => (Array.isArray(v) ? Array.from(v as unknown[]) : v);
  return {
    data: copy(m.data) as Message['data'],
    address: m.address as SocketAddress | undefined,
    fds: copy(m.fds) as number[] | undefined,
    credentials: m.credentials as Credentials | undefined,
    control: (Array.isArray(m.control)
      ? Array.from(m.control as unknown[], (c) => (typeof c === 'object' && c !== null ? { level: (c as ControlMessage).level, type: (c as ControlMessage).type, data: (c as ControlMessage).data } : c))
      : m.control) as ControlMessage[] | undefined,
    segmentSize: m.segmentSize as number | undefined,
    ...readIpFields(m),
  };
}

/**
 * The field of a message (read with readMessage) that only a Unix socket
 * can carry, or null: fds (SCM_RIGHTS) and credentials (SCM_CREDENTIALS),
 * given as fields or as raw control entries. Other families' kernels drop
 * them silently, so sending them there is refused before the system call.
 */
export function unixOnlyField(m: Message): 'fds' | 'credentials' | 'control' | null {
  if (m.fds !== undefined && !(Array.isArray(m.fds) && m.fds.length === 0)) return 'fds';
  if (m.credentials !== undefined) return 'credentials';
  if (Array.isArray(m.control)) {
    for (const c of m.control) {
      if (typeof c !== 'object' || c === null) continue;
      const { level, type } = c as unknown as Record<string, unknown>;
      if (level === k.SOL_SOCKET && (type === k.SCM_RIGHTS || type === k.SCM_CREDENTIALS)) return 'control';
    }
  }
  return null;
}

/** Normalises message data to one Uint8Array or an array of them (for the iovec). */
export function messageData(data: Message['data'], name = 'message.data'): Uint8Array | Uint8Array[] {
  if (data === undefined) return Buffer.alloc(0);
  if (Array.isArray(data)) {
    if (data.length > 1024) throw invalidArgValue(name, `[${data.length} buffers]`, 'must hold at most 1024 buffers (IOV_MAX)');
    return data.map((d, i) => toBytes(d, `${name}[${i}]`));
  }
  return toBytes(data, name);
}

// The last UDP_SEGMENT-only cmsg built: GSO senders repeat one segment size
// on every message. Only the addon reads it, so one copy serves them all.
let lastSegment = -1;
let lastSegmentCmsg: Buffer | null = null;

/**
 * Builds the cmsg buffer for a message's fds, credentials, GSO segment size,
 * per-datagram IP fields (for `ip`: the socket's family and destination;
 * null where they cannot be carried) and control entries; null when there
 * are none.
 */
export function encodeControl(message: Message, name = 'message', ip: IpTarget | null = null): Buffer | null {
  if (message.segmentSize === lastSegment && message.fds === undefined && message.credentials === undefined && message.control === undefined && !hasIpFields(message)) {
    return lastSegmentCmsg;
  }
  const parts: ControlPart[] = [];
  if (message.fds !== undefined) {
    if (!Array.isArray(message.fds)) throw invalidArgType(`${name}.fds`, 'an instance of Array', message.fds);
    if (message.fds.length > MAX_FDS) throw invalidArgValue(`${name}.fds`, `[${message.fds.length} fds]`, `must hold at most ${MAX_FDS} fds (SCM_MAX_FD)`);
    if (message.fds.length > 0) {
      const data = Buffer.alloc(message.fds.length * INT);
      message.fds.forEach((fd, i) => setI32(data, i * INT, validateFd(fd, `${name}.fds[${i}]`)));
      parts.push({ level: k.SOL_SOCKET, type: k.SCM_RIGHTS, data });
    }
  }
  if (message.credentials !== undefined) {
    if (k.SCM_CREDENTIALS === undefined) throw invalidArgValue(`${name}.credentials`, message.credentials, 'is not supported on this platform');
    const c = validateObject<Record<string, unknown>>(message.credentials, `${name}.credentials`);
    const data = Buffer.alloc(layout.ucredSize!);
    setI32(data, layout.ucredPid!, validateInt32(c.pid, `${name}.credentials.pid`));
    setU32(data, layout.ucredUid!, validateUint32(c.uid, `${name}.credentials.uid`));
    setU32(data, layout.ucredGid!, validateUint32(c.gid, `${name}.credentials.gid`));
    parts.push({ level: k.SOL_SOCKET, type: k.SCM_CREDENTIALS, data });
  }
  if (message.segmentSize !== undefined) {
    const seg = Buffer.alloc(2);
    const v = validateInteger(message.segmentSize, `${name}.segmentSize`, 1, 0xffff);
    setU16(seg, 0, v);
    parts.push({ level: k.SOL_UDP ?? k.IPPROTO_UDP, type: k.UDP_SEGMENT, data: seg });
  }
  encodeIpFields(message, name, ip, parts);
  if (message.control !== undefined) {
    if (!Array.isArray(message.control)) throw invalidArgType(`${name}.control`, 'an instance of Array', message.control);
    message.control.forEach((c, i) => {
      const m = validateObject<Record<string, unknown>>(c, `${name}.control[${i}]`);
      parts.push({
        level: validateInt32(m.level, `${name}.control[${i}].level`),
        type: validateInt32(m.type, `${name}.control[${i}].type`),
        data: toBytes(m.data, `${name}.control[${i}].data`),
      });
    });
  }
  if (parts.length === 0) return null;
  let total = 0;
  for (const p of parts) total += cmsgSpace(p.data.length);
  if (total > 65536) throw invalidArgValue(`${name}.control`, `[${total} bytes]`, 'must fit in 64 KiB');
  const buf = Buffer.alloc(total);
  let off = 0;
  for (const p of parts) {
    writeLen(buf, off + layout.cmsgLen, cmsgLen(p.data.length));
    setI32(buf, off + layout.cmsgLevel, p.level);
    setI32(buf, off + layout.cmsgType, p.type);
    buf.set(p.data, off + layout.cmsgDataOffset);
    off += cmsgSpace(p.data.length);
  }
  if (parts.length === 1 && message.segmentSize !== undefined && message.control === undefined) {
    lastSegment = message.segmentSize;
    lastSegmentCmsg = buf;
  }
  return buf;
}

/** The default control buffer: room for `maxFds` fds, credentials and 256 more bytes. */
export function controlSpace(maxFds: number): number {
  return cmsgSpace(maxFds * INT) + (layout.ucredSize ? cmsgSpace(layout.ucredSize) : 0) + 256;
}

/** The fields decoded from received control data: fds, credentials, and the optional ones copyDecoded hands on. */
export interface DecodedControl extends DecodedFields {
  fds: number[];
  control: { level: number; type: number; data: Buffer }[];
}

/** The optional fields of a ReceivedMessage that come from its control data. */
export interface DecodedFields extends IpReceivedFields {
  credentials?: Credentials;
  pktinfo?: PacketInfo;
  timestamp?: number;
  segmentSize?: number;
}

/** Copies the optional decoded fields that `from` has onto `to` (a received message, a read-ahead copy). */
export function copyDecoded(to: DecodedFields, from: DecodedFields): void {
  if (from.credentials) to.credentials = from.credentials;
  if (from.pktinfo) to.pktinfo = from.pktinfo;
  if (from.timestamp !== undefined) to.timestamp = from.timestamp;
  if (from.segmentSize !== undefined) to.segmentSize = from.segmentSize;
  if (from.tos !== undefined) to.tos = from.tos;
  if (from.ttl !== undefined) to.ttl = from.ttl;
  if (from.originalDestination !== undefined) to.originalDestination = from.originalDestination;
  if (from.extendedError !== undefined) to.extendedError = from.extendedError;
}

const SCM_TIMESTAMP = k.SCM_TIMESTAMP ?? k.SO_TIMESTAMP;
const SCM_TIMESTAMPNS = k.SCM_TIMESTAMPNS ?? k.SO_TIMESTAMPNS;
const SOL_UDP = k.SOL_UDP ?? k.IPPROTO_UDP;
const ipv4 = (b: Buffer, off: number): string => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

/**
 * Walks `length` bytes of received control data. Every fd found is returned;
 * fds beyond `maxFds` are closed here so none can leak (the caller then
 * reports the control data as truncated).
 */
export function decodeControl(buf: Buffer, length: number, maxFds = MAX_FDS): DecodedControl & { excess: boolean } {
  const out: DecodedControl & { excess: boolean } = { fds: [], control: [], excess: false };
  let off = 0;
  while (off + layout.cmsgDataOffset <= length) {
    const len = readLen(buf, off + layout.cmsgLen);
    if (len < layout.cmsgDataOffset) break;
    // A cmsg_len running past the data ends the walk after this entry (the
    // kernel clamps a truncated last entry; anything larger is not a length).
    const last = len > length - off;
    const end = last ? length : off + len;
    const level = i32(buf, off + layout.cmsgLevel);
    const type = i32(buf, off + layout.cmsgType);
    const start = off + layout.cmsgDataOffset;
    if (level === k.SOL_SOCKET && type === k.SCM_RIGHTS) {
      for (let p = start; p + INT <= end; p += INT) {
        const fd = i32(buf, p);
        if (out.fds.length < maxFds) out.fds.push(fd);
        else { sys.close(fd); out.excess = true; }
      }
    } else if (level === k.SOL_SOCKET && type === k.SCM_CREDENTIALS && end - start >= layout.ucredSize!) {
      out.credentials = {
        pid: i32(buf, start + layout.ucredPid!),
        uid: u32(buf, start + layout.ucredUid!),
        gid: u32(buf, start + layout.ucredGid!),
      };
    } else if (level === k.IPPROTO_IP && type === k.IP_PKTINFO && layout.inPktinfoSize && end - start >= layout.inPktinfoSize) {
      out.pktinfo = {
        ifindex: i32(buf, start + layout.inPktinfoIfindex!),
        address: ipv4(buf, start + layout.inPktinfoAddr!),
        localAddress: ipv4(buf, start + layout.inPktinfoSpecDst!),
      };
    } else if (level === k.IPPROTO_IPV6 && type === k.IPV6_PKTINFO && end - start >= layout.in6PktinfoSize) {
      out.pktinfo = {
        ifindex: i32(buf, start + layout.in6PktinfoIfindex),
        address: sys.inet_ntop(k.AF_INET6, buf.subarray(start + layout.in6PktinfoAddr, start + layout.in6PktinfoAddr + 16)) as string,
      };
    } else if (level === k.SOL_SOCKET && type === SCM_TIMESTAMP && end - start >= layout.timevalSize) {
      out.timestamp = int(buf, start + layout.timevalSec, layout.timevalSecSize) * 1000 +
        int(buf, start + layout.timevalUsec, layout.timevalUsecSize) / 1000;
    } else if (level === k.SOL_SOCKET && type === SCM_TIMESTAMPNS && end - start >= layout.timespecSize) {
      out.timestamp = int(buf, start + layout.timevalSec, layout.timevalSecSize) * 1000 +
        int(buf, start + layout.timespecNsec, layout.timevalSecSize) / 1e6;
    } else if (level === SOL_UDP && type === k.UDP_GRO && end - start >= 2) {
      out.segmentSize = end - start >= INT ? i32(buf, start) : u16(buf, start);
    } else if (!decodeIpField(level, type, buf, start, end, out)) {
      out.control.push({ level, type, data: Buffer.from(buf.subarray(start, end)) });
    }
    if (last) break;
    off += align(len);
  }
  return out;
}

/** Assembles a ReceivedMessage from what recvmsg reported: data, sender, msg_flags and `ctlLen` bytes of control data. */
export function receivedMessage(data: Buffer, address: SocketAddress | null, flags: number, ctl: Buffer, ctlLen: number, maxFds: number): ReceivedMessage {
  const c = decodeControl(ctl, ctlLen, maxFds);
  const msg: ReceivedMessage = {
    data, address, flags, fds: c.fds, control: c.control,
    truncated: (flags & k.MSG_TRUNC) !== 0,
    controlTruncated: (flags & k.MSG_CTRUNC) !== 0 || c.excess,
  };
  copyDecoded(msg, c);
  return msg;
}
