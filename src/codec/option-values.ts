// Option values: the codecs between JavaScript values and the C values of
// socket options. Each C struct is laid out once (linger, timeval, ip_mreq,
// ip_mreqn, ipv6_mreq, C strings) and serves both the named options
// (LuaSocket's { on, timeout }, ...) and the options by number (S-Lang's and
// luaposix's { l_onoff, l_linger }, { tv_sec, tv_usec }, two-value form).
import { Buffer } from 'node:buffer';
import * as sys from '../sys/fd.js';
import { i32, int as readSized, intBytes, layout, readIntValue, setI32, setInt as writeSized, setU32, tcpInfo as tcpInfoLayout, u32, uint } from '../sys/struct.js';
import { IFNAMSIZ } from '../sys/constants.js';
import { encodeAddress } from './sockaddr.js';
import { typeName } from './names.js';
import { errnoName, invalidArgType, invalidArgValue, outOfRange, systemError } from '../errors.js';
import { isBytes, validateBoolean, validateInteger, validateObject } from '../validate.js';

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;

export interface Codec {
  /** The getsockopt buffer size; undefined when the platform lacks the struct (the option is then unavailable). */
  size: number | undefined;
  encode?(value: unknown, name: string): Uint8Array;
  decode?(buf: Buffer, len: number): unknown;
  /** luaposix's two-value form, setsockopt(fd, level, name, value1, value2). */
  pair?(value1: unknown, value2: unknown): Uint8Array;
  /** Checks raw bytes given for this option (bindtodevice: a name the kernel would truncate). */
  checkBytes?(bytes: Uint8Array, name: string): void;
}

export const int: Codec = {
  size: layout.intSize,
  encode: (v, name) => intBytes(validateInteger(v, name, INT32_MIN, INT32_MAX)),
  decode: (b, len) => readIntValue(b, len),
};
/**
 * A C int in [min, max], refused before the kernel truncates it or answers
 * EINVAL: IP_TOS 0-255; IP_TTL 1-255 and IPV6_UNICAST_HOPS/IPV6_TCLASS
 * 0-255, each with -1 for the kernel's default (`zero`: whether 0 is taken).
 */
export function intIn(min: number, max: number, zero = true): Codec {
  return {
    size: layout.intSize,
    encode: (v, name) => {
      const n = validateInteger(v, name, min, max);
      if (n === 0 && !zero) throw outOfRange(name, `-1 or >= 1 && <= ${max}`, v);
      return intBytes(n);
    },
    decode: int.decode,
  };
}
/** A C int read as a boolean; only true and false are written (not 0, 1, NaN or 'false'). */
export const bool: Codec = {
  size: layout.intSize,
  encode: (v, name) => intBytes(validateBoolean(v, name) ? 1 : 0),
  decode: (b, len) => (int.decode!(b, len) as number) !== 0,
};

// ---- C structs: each laid out in one place, for the named codecs and by number --

/** struct linger, as S-Lang and luaposix spell it. */
export interface LingerStruct { l_onoff: number; l_linger: number }
/** struct timeval, as luaposix spells it. */
export interface TimevalStruct { tv_sec: number; tv_usec: number }
/** struct ip_mreq, as S-Lang spells it: addresses as text (set only). */
export interface IpMreqStruct { imr_multiaddr: string; imr_interface?: string }
/** struct ipv6_mreq: the group as text, the interface by index (set only). */
export interface Ipv6MreqStruct { ipv6mr_multiaddr: string; ipv6mr_interface?: number }

/** l_onoff: a C int used as a flag; a boolean is 1 or 0. */
export function onoff(v: unknown, name: string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number or boolean', v);
  return validateInteger(v, name, INT32_MIN, INT32_MAX);
}
export const lingerSeconds = (v: unknown, name: string): number => validateInteger(v, name, 0, INT32_MAX);
const tvSec = (v: unknown, name: string): number => validateInteger(v, name, 0, INT32_MAX);
/** tv_usec: 0..999999 (the kernel answers EDOM otherwise). */
const tvUsec = (v: unknown, name: string): number => validateInteger(v, name, 0, 999_999);

function lingerBytes(on: number, seconds: number): Buffer {
  const b = Buffer.alloc(layout.lingerSize);
  setI32(b, layout.lingerOnoff, on);
  setI32(b, layout.lingerLinger, seconds);
  return b;
}
const readLinger = (b: Buffer): LingerStruct => ({ l_onoff: i32(b, layout.lingerOnoff), l_linger: i32(b, layout.lingerLinger) });

function timevalBytes(sec: number, usec: number): Buffer {
  const b = Buffer.alloc(layout.timevalSize);
  writeSized(b, layout.timevalSec, layout.timevalSecSize, sec);
  writeSized(b, layout.timevalUsec, layout.timevalUsecSize, usec);
  return b;
}
const readTimeval = (b: Buffer): TimevalStruct => ({
  tv_sec: readSized(b, layout.timevalSec, layout.timevalSecSize),
  tv_usec: readSized(b, layout.timevalUsec, layout.timevalUsecSize),
});

/** An interface given by index (0..2^32-1) or, where `names`, by name or decimal string. */
export function ifindex(v: unknown, name: string, names = true): number {
  if (typeof v === 'number') return validateInteger(v, name, 0, 0xffffffff);
  if (names && typeof v === 'string') {
    if (/^\d+$/.test(v)) return validateInteger(Number(v), name, 0, 0xffffffff);
    if (v.includes('\0')) throw invalidArgValue(name, v, 'must not contain null bytes');
    const idx = sys.if_nametoindex(v);
    if (idx < 0) throw systemError(idx, 'if_nametoindex');
    return idx;
  }
  throw invalidArgType(name, names ? 'of type string (an interface name) or number (an index)' : 'of type number (an interface index)', v);
}

/** An IPv4 address as the four bytes of a struct in_addr. */
export function ipv4(text: unknown, name: string): Buffer {
  const enc = encodeAddress({ family: 'inet', address: text, port: 0 }, 'setsockopt', name);
  return enc.bytes.subarray(layout.inAddr, layout.inAddr + 4);
}
/** An IPv6 address as the sixteen bytes of a struct in6_addr. */
export function ipv6(text: unknown, name: string): Buffer {
  const enc = encodeAddress({ family: 'inet6', address: text, port: 0 }, 'setsockopt', name);
  return enc.bytes.subarray(layout.in6Addr, layout.in6Addr + 16);
}

/** struct ip_mreq: group and interface by address. */
function ipMreqBytes(group: Buffer, iface: Buffer): Buffer {
  const b = Buffer.alloc(layout.ipMreqSize);
  group.copy(b, layout.ipMreqMultiaddr);
  iface.copy(b, layout.ipMreqInterface);
  return b;
}
/** struct ip_mreqn (Linux): group, and interface by index. */
function ipMreqnBytes(group: Buffer, index: number): Buffer {
  const b = Buffer.alloc(layout.ipMreqnSize!);
  group.copy(b, layout.ipMreqnMultiaddr!);
  setU32(b, layout.ipMreqnIfindex!, index); // an int in C: the same bits
  return b;
}
/** struct ipv6_mreq: group, and interface by index. */
function ipv6MreqBytes(group: Buffer, index: number): Buffer {
  const b = Buffer.alloc(layout.ipv6MreqSize);
  group.copy(b, layout.ipv6MreqMultiaddr);
  setU32(b, layout.ipv6MreqInterface, index);
  return b;
}

/** A NUL-terminated string; `limit` (IFNAMSIZ for interface names) bounds it with its NUL, as the kernel would truncate it. */
function cString(limit?: number): Codec {
  const checkLength = (bytes: number, v: unknown, name: string): void => {
    if (limit !== undefined && bytes >= limit) throw invalidArgValue(name, v, `must be shorter than ${limit} bytes (IFNAMSIZ): the kernel would cut it`);
  };
  return {
    size: 256,
    encode: (v, name) => {
      if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
      if (v.includes('\0')) throw invalidArgValue(name, v, 'must not contain null bytes');
      const b = Buffer.from(`${v}\0`);
      checkLength(b.length - 1, v, name);
      return b;
    },
    decode: (b, len) => {
      const s = b.subarray(0, len);
      const end = s.indexOf(0);
      return s.toString('utf8', 0, end < 0 ? len : end);
    },
    checkBytes: (bytes, name) => {
      const end = bytes.indexOf(0);
      checkLength(end < 0 ? bytes.length : end, `[${bytes.length} bytes]`, name);
    },
  };
}
export const string = cString();
/** An interface name (SO_BINDTODEVICE): at most IFNAMSIZ - 1 bytes, never truncated. */
export const ifname = cString(IFNAMSIZ);

// ---- named codecs (LuaSocket's and nixio's values) -----------------------------

/** { on: boolean, timeout: seconds (default 0) }, LuaSocket's linger table. */
export const linger: Codec = {
  size: layout.lingerSize,
  encode: (v, name) => {
    const o = validateObject<{ on?: unknown; timeout?: unknown }>(v, name);
    return lingerBytes(validateBoolean(o.on, `${name}.on`) ? 1 : 0, lingerSeconds(o.timeout ?? 0, `${name}.timeout`));
  },
  decode: (b) => { const l = readLinger(b); return { on: l.l_onoff !== 0, timeout: l.l_linger }; },
};
/** Milliseconds in a struct timeval; null or 0: none. */
export const ms: Codec = {
  size: layout.timevalSize,
  encode: (v, name) => {
    const n = v === null ? 0 : validateInteger(v, name, 0, INT32_MAX * 1000);
    return timevalBytes(Math.floor(n / 1000), (n % 1000) * 1000);
  },
  decode: (b) => {
    const t = readTimeval(b);
    const total = t.tv_sec * 1000 + Math.round(t.tv_usec / 1000);
    return total === 0 ? null : total;
  },
};
export const error: Codec = {
  size: layout.intSize,
  decode: (b) => { const e = i32(b, 0); return e === 0 ? null : errnoName(e); },
};
export const type: Codec = { size: layout.intSize, decode: (b) => typeName(i32(b, 0)) };
export const peercred: Codec = {
  size: layout.ucredSize,
  decode: (b) => ({ pid: i32(b, layout.ucredPid!), uid: u32(b, layout.ucredUid!), gid: u32(b, layout.ucredGid!) }),
};
export const tcpInfo: Codec = {
  size: tcpInfoLayout.size || undefined, // 0: the platform's struct tcp_info is unknown here
  decode: (b, len) => {
    const out: Record<string, number> = {};
    for (const [name, [off, size]] of Object.entries(tcpInfoLayout.fields)) if (off + size <= len) out[name] = uint(b, off, size);
    const w = tcpInfoLayout.wscaleOffset;
    if (w !== undefined && w < len) { out.sndWscale = b[w] & 0x0f; out.rcvWscale = b[w] >> 4; }
    return out;
  },
};

/** { multiaddr, interface }: interface an IPv4 address, a name or an index (ip_mreqn on Linux). */
export const mreq: Codec = {
  size: layout.ipMreqnSize ?? layout.ipMreqSize,
  encode: (v, name) => {
    const o = validateObject<{ multiaddr?: unknown; interface?: unknown }>(v, name);
    const iface = o.interface ?? 0;
    const byAddress = typeof iface === 'string' && iface.includes('.');
    const group = ipv4(o.multiaddr, `${name}.multiaddr`);
    if (layout.ipMreqnSize !== undefined && !byAddress) return ipMreqnBytes(group, ifindex(iface, `${name}.interface`));
    return ipMreqBytes(group, ipv4(byAddress ? iface : '0.0.0.0', `${name}.interface`));
  },
};
/** { multiaddr, interface, source }: source-specific membership (ip_mreq_source). */
export const mreqSource: Codec = {
  size: layout.ipMreqSourceSize,
  encode: (v, name) => {
    const o = validateObject<{ multiaddr?: unknown; interface?: unknown; source?: unknown }>(v, name);
    const b = Buffer.alloc(layout.ipMreqSourceSize);
    ipv4(o.multiaddr, `${name}.multiaddr`).copy(b, layout.ipMreqSourceMultiaddr);
    ipv4(o.interface ?? '0.0.0.0', `${name}.interface`).copy(b, layout.ipMreqSourceInterface);
    ipv4(o.source, `${name}.source`).copy(b, layout.ipMreqSourceSourceaddr);
    return b;
  },
};
/** { multiaddr, interface }: interface a name or an index (ipv6_mreq). */
export const mreq6: Codec = {
  size: layout.ipv6MreqSize,
  encode: (v, name) => {
    const o = validateObject<{ multiaddr?: unknown; interface?: unknown }>(v, name);
    return ipv6MreqBytes(ipv6(o.multiaddr, `${name}.multiaddr`), ifindex(o.interface ?? 0, `${name}.interface`));
  },
};
/** sizeof(struct in_addr): an IPv4 address, four bytes on every platform. */
const IN_ADDR_SIZE = 4;
/** IP_MULTICAST_IF: an interface name/index (ip_mreqn) or an IPv4 address; reads back the address. null is no interface. */
export const multicastIf4: Codec = {
  size: layout.ipMreqnSize ?? IN_ADDR_SIZE,
  encode: (v, name) => {
    if (typeof v !== 'string' && typeof v !== 'number') throw invalidArgType(name, 'of type string (a name or IPv4 address) or number (an index)', v);
    return mreq.encode!({ multiaddr: '0.0.0.0', interface: v }, name);
  },
  decode: (b, len) => (len >= 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : null),
};
/** IPV6_MULTICAST_IF: an interface name or index; reads back the index. */
export const multicastIf6: Codec = {
  size: layout.intSize,
  encode: (v, name) => intBytes(ifindex(v, name)),
  decode: (b) => u32(b, 0),
};


// ---- options by number: the structs of S-Lang and luaposix -----------------------

/** SO_LINGER by number: { l_onoff, l_linger }, or luaposix's (l_onoff, l_linger). */
export const lingerStruct: Codec = {
  size: layout.lingerSize,
  encode: (v, name) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgType(name, 'of type object ({ l_onoff, l_linger }) or two numbers (l_onoff, l_linger)', v);
    const o = v as Partial<Record<keyof LingerStruct, unknown>>;
    return lingerBytes(onoff(o.l_onoff, `${name}.l_onoff`), lingerSeconds(o.l_linger, `${name}.l_linger`));
  },
  pair: (a, b) => lingerBytes(onoff(a, 'value'), lingerSeconds(b, 'value2')),
  decode: (b) => readLinger(b),
};
/** SO_RCVTIMEO/SO_SNDTIMEO by number: { tv_sec, tv_usec }, or luaposix's (tv_sec, tv_usec). */
export const timevalStruct: Codec = {
  size: layout.timevalSize,
  encode: (v, name) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgType(name, 'of type object ({ tv_sec, tv_usec }) or two numbers (tv_sec, tv_usec)', v);
    const o = v as Partial<Record<keyof TimevalStruct, unknown>>;
    return timevalBytes(tvSec(o.tv_sec, `${name}.tv_sec`), tvUsec(o.tv_usec, `${name}.tv_usec`));
  },
  pair: (a, b) => timevalBytes(tvSec(a, 'value'), tvUsec(b, 'value2')),
  decode: (b) => readTimeval(b),
};
/** IP_ADD/DROP_MEMBERSHIP by number: { imr_multiaddr, imr_interface } (addresses; the interface defaults to 0.0.0.0). */
export const ipMreqStruct: Codec = {
  size: layout.ipMreqSize,
  encode: (v, name) => {
    const o = validateObject<Partial<Record<keyof IpMreqStruct, unknown>>>(v, name);
    return ipMreqBytes(ipv4(o.imr_multiaddr, `${name}.imr_multiaddr`), ipv4(o.imr_interface ?? '0.0.0.0', `${name}.imr_interface`));
  },
};
/** IPV6_JOIN/LEAVE_GROUP by number: { ipv6mr_multiaddr, ipv6mr_interface } (an index, default 0), or the group alone as luaposix takes it. */
export const ipv6MreqStruct: Codec = {
  size: layout.ipv6MreqSize,
  encode: (v, name) => {
    if (typeof v === 'string') return ipv6MreqBytes(ipv6(v, name), 0);
    const o = validateObject<Partial<Record<keyof Ipv6MreqStruct, unknown>>>(v, name);
    return ipv6MreqBytes(ipv6(o.ipv6mr_multiaddr, `${name}.ipv6mr_multiaddr`), ifindex(o.ipv6mr_interface ?? 0, `${name}.ipv6mr_interface`, false));
  },
};


// ---- raw options: numbers and bytes ------------------------------------------

/** The largest raw option value berkeley reads or writes. */
const MAX_OPTION_BYTES = 65536;

/** A raw option value's bytes: numbers (int32 or uint32) and booleans as a C int, bytes as given (at most 64 KiB). */
export function rawOptionBytes(value: unknown, name = 'value'): Uint8Array {
  if (typeof value === 'boolean') return intBytes(value ? 1 : 0);
  if (typeof value === 'number') return intBytes(validateInteger(value, name, -0x80000000, 0xffffffff));
  if (isBytes(value)) {
    if (value.length > MAX_OPTION_BYTES) throw invalidArgValue(name, `[${value.length} bytes]`, 'must be at most 64 KiB');
    return value;
  }
  throw invalidArgType(name, 'of type number, boolean or an instance of Uint8Array', value);
}

/** The buffer size for a raw getsockopt: `kind` 'int' (default) a C int, 'bytes' 4096, or a byte length up to 64 KiB. */
export function rawOptionSize(kind: unknown = 'int'): number {
  if (kind === 'int') return layout.intSize;
  if (kind === 'bytes') return 4096;
  if (typeof kind === 'number') return validateInteger(kind, 'kind', 0, MAX_OPTION_BYTES);
  throw invalidArgValue('kind', kind, "must be 'int', 'bytes' or a byte length");
}

/** What a raw getsockopt of `kind` returned in `len` bytes of `buf`: a number for 'int', else a copy of the bytes. */
export function decodeRawOption(buf: Buffer, len: number, kind: unknown = 'int'): number | Buffer {
  if (kind === 'int') return readIntValue(buf, len);
  return Buffer.from(buf.subarray(0, Math.min(len, buf.length)));
}
