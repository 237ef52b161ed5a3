// Socket options by name (LuaSocket's and nixio's names), each with the codec
// that turns its C value into a JavaScript one and back: bool, int, linger,
// milliseconds (timeval), interface names, multicast membership structs,
// peer credentials, TCP_INFO. Struct offsets come from the addon.
import { ENOPROTOOPT } from '../sys/errno.js';
import * as sys from '../sys/fd.js';
import { binding } from '../sys/binding.js';
import { i32, int as readSized, intBytes, layout, readIntValue, setI32, setInt as writeSized, tcpInfo as tcpInfoLayout, u32, uint } from '../sys/struct.js';
import { encodeAddress } from './sockaddr.js';
import { CONSTANT_PREFIX, isLevelName, LEVEL_PREFIX, LEVELS, typeName } from './names.js';
import { errnoName, invalidArgType, invalidArgValue, systemError, unavailableError } from '../errors.js';
import { validateInteger, validateObject } from '../validate.js';

// Kept for modules that still import it from here; it lives in names.ts.

const k = binding.constants;

interface Codec {
  /** The getsockopt buffer size; undefined when the platform lacks the struct (the option is then unavailable). */
  size: number | undefined;
  encode?(value: unknown, name: string): Uint8Array;
  decode?(buf: Buffer, len: number): unknown;
}

const int: Codec = {
  size: layout.intSize,
  encode: (v, name) => intBytes(validateInteger(v, name, -0x80000000, 0x7fffffff)),
  decode: (b, len) => readIntValue(b, len),
};
const bool: Codec = {
  size: layout.intSize,
  encode: (v, name) => {
    if (typeof v !== 'boolean' && typeof v !== 'number') throw invalidArgType(name, 'of type boolean', v);
    return intBytes(v ? 1 : 0);
  },
  decode: (b, len) => (int.decode!(b, len) as number) !== 0,
};
const linger: Codec = {
  size: layout.lingerSize,
  encode: (v, name) => {
    const o = validateObject<{ on?: unknown; timeout?: unknown }>(v, name);
    const b = Buffer.alloc(layout.lingerSize);
    setI32(b, layout.lingerOnoff, o.on ? 1 : 0);
    setI32(b, layout.lingerLinger, validateInteger(o.timeout ?? 0, `${name}.timeout`, 0, 0x7fffffff));
    return b;
  },
  decode: (b) => ({ on: i32(b, layout.lingerOnoff) !== 0, timeout: i32(b, layout.lingerLinger) }),
};
const ms: Codec = {
  size: layout.timevalSize,
  encode: (v, name) => {
    const n = v === null ? 0 : validateInteger(v, name, 0, 0x7fffffff * 1000);
    const b = Buffer.alloc(layout.timevalSize);
    writeSized(b, layout.timevalSec, layout.timevalSecSize, Math.floor(n / 1000));
    writeSized(b, layout.timevalUsec, layout.timevalUsecSize, (n % 1000) * 1000);
    return b;
  },
  decode: (b) => {
    const total = readSized(b, layout.timevalSec, layout.timevalSecSize) * 1000 + Math.round(readSized(b, layout.timevalUsec, layout.timevalUsecSize) / 1000);
    return total === 0 ? null : total;
  },
};
const string: Codec = {
  size: 256,
  encode: (v, name) => {
    if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
    if (v.includes('\0')) throw invalidArgValue(name, v, 'must not contain null bytes');
    return Buffer.from(`${v}\0`);
  },
  decode: (b, len) => {
    const s = b.subarray(0, len);
    const end = s.indexOf(0);
    return s.toString('utf8', 0, end < 0 ? len : end);
  },
};
const error: Codec = {
  size: layout.intSize,
  decode: (b) => { const e = i32(b, 0); return e === 0 ? null : errnoName(e); },
};
const type: Codec = { size: layout.intSize, decode: (b) => typeName(i32(b, 0)) };
const peercred: Codec = {
  size: layout.ucredSize,
  decode: (b) => ({ pid: i32(b, layout.ucredPid!), uid: u32(b, layout.ucredUid!), gid: u32(b, layout.ucredGid!) }),
};
const tcpInfo: Codec = {
  size: tcpInfoLayout.size || undefined, // 0: the platform's struct tcp_info is unknown here
  decode: (b, len) => {
    const out: Record<string, number> = {};
    for (const [name, [off, size]] of Object.entries(tcpInfoLayout.fields)) if (off + size <= len) out[name] = uint(b, off, size);
    const w = tcpInfoLayout.wscaleOffset;
    if (w !== undefined && w < len) { out.sndWscale = b[w] & 0x0f; out.rcvWscale = b[w] >> 4; }
    return out;
  },
};

/** An interface given by name or index. */
function ifindex(v: unknown, name: string): number {
  if (typeof v === 'number') return validateInteger(v, name, 0, 0x7fffffff);
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return validateInteger(Number(v), name, 0, 0x7fffffff);
    if (v.includes('\0')) throw invalidArgValue(name, v, 'must not contain null bytes');
    const idx = sys.if_nametoindex(v);
    if (idx < 0) throw systemError(idx, 'if_nametoindex');
    return idx;
  }
  throw invalidArgType(name, 'of type string (an interface name) or number (an index)', v);
}

function ipv4(text: unknown, name: string): Buffer {
  const enc = encodeAddress({ family: 'inet', address: text, port: 0 }, 'setsockopt', name);
  return enc.bytes.subarray(layout.inAddr, layout.inAddr + 4);
}

/** { multiaddr, interface }: interface an IPv4 address, a name or an index (ip_mreqn on Linux). */
const mreq: Codec = {
  size: layout.ipMreqnSize ?? layout.ipMreqSize,
  encode: (v, name) => {
    const o = validateObject<{ multiaddr?: unknown; interface?: unknown; source?: unknown }>(v, name);
    const iface = o.interface ?? 0;
    const byAddress = typeof iface === 'string' && iface.includes('.');
    if (layout.ipMreqnSize !== undefined && !byAddress) {
      const b = Buffer.alloc(layout.ipMreqnSize);
      ipv4(o.multiaddr, `${name}.multiaddr`).copy(b, layout.ipMreqnMultiaddr!);
      setI32(b, layout.ipMreqnIfindex!, ifindex(iface, `${name}.interface`));
      return b;
    }
    const b = Buffer.alloc(layout.ipMreqSize);
    ipv4(o.multiaddr, `${name}.multiaddr`).copy(b, layout.ipMreqMultiaddr);
    ipv4(byAddress ? iface : '0.0.0.0', `${name}.interface`).copy(b, layout.ipMreqInterface);
    return b;
  },
};
/** { multiaddr, interface, source }: source-specific membership (ip_mreq_source). */
const mreqSource: Codec = {
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
const mreq6: Codec = {
  size: layout.ipv6MreqSize,
  encode: (v, name) => {
    const o = validateObject<{ multiaddr?: unknown; interface?: unknown }>(v, name);
    const enc = encodeAddress({ family: 'inet6', address: o.multiaddr, port: 0 }, 'setsockopt', `${name}.multiaddr`);
    const b = Buffer.alloc(layout.ipv6MreqSize);
    enc.bytes.copy(b, layout.ipv6MreqMultiaddr, layout.in6Addr, layout.in6Addr + 16);
    setI32(b, layout.ipv6MreqInterface, ifindex(o.interface ?? 0, `${name}.interface`));
    return b;
  },
};
/** sizeof(struct in_addr): an IPv4 address, four bytes on every platform. */
const IN_ADDR_SIZE = 4;
/** IP_MULTICAST_IF: an interface name/index (ip_mreqn) or an IPv4 address; reads back the address. */
const multicastIf4: Codec = {
  size: layout.ipMreqnSize ?? IN_ADDR_SIZE,
  encode: (v, name) => mreq.encode!({ multiaddr: '0.0.0.0', interface: v ?? 0 }, name),
  decode: (b, len) => (len >= 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : null),
};
/** IPV6_MULTICAST_IF: an interface name or index; reads back the index. */
const multicastIf6: Codec = {
  size: layout.intSize,
  encode: (v, name) => intBytes(ifindex(v, name)),
  decode: (b) => i32(b, 0),
};

interface OptionDef { level: number | undefined; name: number | undefined; codec: Codec; readOnly?: boolean; writeOnly?: boolean }

const S = k.SOL_SOCKET;
const IP = k.IPPROTO_IP;
const IP6 = k.IPPROTO_IPV6;
const TCP = k.IPPROTO_TCP;
const UDP = k.IPPROTO_UDP;
const opt = (level: number | undefined, name: number | undefined, codec: Codec, extra: Partial<OptionDef> = {}): OptionDef => ({ level, name, codec, ...extra });

/** Every option berkeley knows by name. */
export const OPTIONS = {
  keepalive: opt(S, k.SO_KEEPALIVE, bool),
  linger: opt(S, k.SO_LINGER, linger),
  reuseaddr: opt(S, k.SO_REUSEADDR, bool),
  reuseport: opt(S, k.SO_REUSEPORT, bool),
  broadcast: opt(S, k.SO_BROADCAST, bool),
  dontroute: opt(S, k.SO_DONTROUTE, bool),
  oobinline: opt(S, k.SO_OOBINLINE, bool),
  sndbuf: opt(S, k.SO_SNDBUF, int),
  rcvbuf: opt(S, k.SO_RCVBUF, int),
  sndlowat: opt(S, k.SO_SNDLOWAT, int),
  rcvlowat: opt(S, k.SO_RCVLOWAT, int),
  sndtimeo: opt(S, k.SO_SNDTIMEO, ms),
  rcvtimeo: opt(S, k.SO_RCVTIMEO, ms),
  priority: opt(S, k.SO_PRIORITY, int),
  mark: opt(S, k.SO_MARK, int),
  bindtodevice: opt(S, k.SO_BINDTODEVICE, string),
  error: opt(S, k.SO_ERROR, error, { readOnly: true }),
  type: opt(S, k.SO_TYPE, type, { readOnly: true }),
  acceptconn: opt(S, k.SO_ACCEPTCONN, bool, { readOnly: true }),
  peercred: opt(S, k.SO_PEERCRED, peercred, { readOnly: true }),
  passcred: opt(S, k.SO_PASSCRED, bool),
  timestamp: opt(S, k.SO_TIMESTAMP, bool),
  timestampns: opt(S, k.SO_TIMESTAMPNS, bool),
  'tcp-nodelay': opt(TCP, k.TCP_NODELAY, bool),
  'tcp-cork': opt(TCP, k.TCP_CORK, bool),
  'tcp-keepidle': opt(TCP, k.TCP_KEEPIDLE, int),
  'tcp-keepintvl': opt(TCP, k.TCP_KEEPINTVL, int),
  'tcp-keepcnt': opt(TCP, k.TCP_KEEPCNT, int),
  'tcp-quickack': opt(TCP, k.TCP_QUICKACK, bool),
  'tcp-fastopen': opt(TCP, k.TCP_FASTOPEN, int),
  'tcp-maxseg': opt(TCP, k.TCP_MAXSEG, int),
  'tcp-user-timeout': opt(TCP, k.TCP_USER_TIMEOUT, int),
  'tcp-congestion': opt(TCP, k.TCP_CONGESTION, string),
  'tcp-info': opt(TCP, k.TCP_INFO, tcpInfo, { readOnly: true }),
  'tcp-notsent-lowat': opt(TCP, k.TCP_NOTSENT_LOWAT, int),
  'tcp-defer-accept': opt(TCP, k.TCP_DEFER_ACCEPT, int),
  'ip-ttl': opt(IP, k.IP_TTL, int),
  'ip-tos': opt(IP, k.IP_TOS, int),
  'ip-hdrincl': opt(IP, k.IP_HDRINCL, bool),
  'ip-mtu': opt(IP, k.IP_MTU, int, { readOnly: true }),
  'ip-mtu-discover': opt(IP, k.IP_MTU_DISCOVER, int),
  'ip-pktinfo': opt(IP, k.IP_PKTINFO, bool),
  'ip-recvtos': opt(IP, k.IP_RECVTOS, bool),
  'ip-recvttl': opt(IP, k.IP_RECVTTL, bool),
  'ip-freebind': opt(IP, k.IP_FREEBIND, bool),
  'ip-transparent': opt(IP, k.IP_TRANSPARENT, bool),
  'ip-bind-address-no-port': opt(IP, k.IP_BIND_ADDRESS_NO_PORT, bool),
  'ip-multicast-ttl': opt(IP, k.IP_MULTICAST_TTL, int),
  'ip-multicast-loop': opt(IP, k.IP_MULTICAST_LOOP, bool),
  'ip-multicast-if': opt(IP, k.IP_MULTICAST_IF, multicastIf4),
  'ip-multicast-all': opt(IP, k.IP_MULTICAST_ALL, bool),
  'ip-add-membership': opt(IP, k.IP_ADD_MEMBERSHIP, mreq, { writeOnly: true }),
  'ip-drop-membership': opt(IP, k.IP_DROP_MEMBERSHIP, mreq, { writeOnly: true }),
  'ip-add-source-membership': opt(IP, k.IP_ADD_SOURCE_MEMBERSHIP, mreqSource, { writeOnly: true }),
  'ip-drop-source-membership': opt(IP, k.IP_DROP_SOURCE_MEMBERSHIP, mreqSource, { writeOnly: true }),
  'ipv6-v6only': opt(IP6, k.IPV6_V6ONLY, bool),
  'ipv6-unicast-hops': opt(IP6, k.IPV6_UNICAST_HOPS, int),
  'ipv6-multicast-hops': opt(IP6, k.IPV6_MULTICAST_HOPS, int),
  'ipv6-multicast-loop': opt(IP6, k.IPV6_MULTICAST_LOOP, bool),
  'ipv6-multicast-if': opt(IP6, k.IPV6_MULTICAST_IF, multicastIf6),
  'ipv6-add-membership': opt(IP6, k.IPV6_ADD_MEMBERSHIP ?? k.IPV6_JOIN_GROUP, mreq6, { writeOnly: true }),
  'ipv6-drop-membership': opt(IP6, k.IPV6_DROP_MEMBERSHIP ?? k.IPV6_LEAVE_GROUP, mreq6, { writeOnly: true }),
  'ipv6-recvpktinfo': opt(IP6, k.IPV6_RECVPKTINFO, bool),
  'ipv6-tclass': opt(IP6, k.IPV6_TCLASS, int),
  'ipv6-recvtclass': opt(IP6, k.IPV6_RECVTCLASS, bool),
  'ipv6-mtu': opt(IP6, k.IPV6_MTU, int),
  'ipv6-mtu-discover': opt(IP6, k.IPV6_MTU_DISCOVER, int),
  'ipv6-freebind': opt(IP6, k.IPV6_FREEBIND, bool),
  'udp-segment': opt(UDP, k.UDP_SEGMENT, int),
  'udp-gro': opt(UDP, k.UDP_GRO, bool),
  'udp-cork': opt(UDP, k.UDP_CORK, bool),
} satisfies Record<string, OptionDef>;

export type OptionName = keyof typeof OPTIONS;

// nixio's names that differ from berkeley's.
const NIXIO_ALIASES: Record<string, string> = { 'ipv6-add_membership': 'ipv6-add-membership', 'ipv6-drop_membership': 'ipv6-drop-membership' };


function lookup(name: unknown, syscall: string): OptionDef {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  if (!Object.hasOwn(OPTIONS, name)) throw invalidArgValue('name', name, 'is not a known option name');
  const def = (OPTIONS as Record<string, OptionDef>)[name];
  if (def.level === undefined || def.name === undefined || def.codec.size === undefined) throw unavailableError(ENOPROTOOPT, syscall, `${name} is not available on this platform`);
  return def;
}

/** Encodes a named option's value: [level, optname, bytes]. */
export function encodeOption(name: unknown, value: unknown): [number, number, Uint8Array] {
  const def = lookup(name, 'setsockopt');
  if (def.readOnly || !def.codec.encode) throw invalidArgValue('name', name, 'is read-only');
  return [def.level!, def.name!, def.codec.encode(value, 'value')];
}

/** The option's [level, optname, buffer size, decode]. */
export function optionReader(name: unknown): [number, number, number, (b: Buffer, len: number) => unknown] {
  const def = lookup(name, 'getsockopt');
  if (def.writeOnly || !def.codec.decode) throw invalidArgValue('name', name, 'is write-only');
  return [def.level!, def.name!, def.codec.size!, def.codec.decode];
}

/**
 * Resolves nixio-style (level, name) to a named option ('tcp', 'nodelay' ->
 * 'tcp-nodelay'); null when `name` is a number or a constant name, which are
 * handled raw.
 */
export function namedOption(level: unknown, name: unknown): OptionName | null {
  if (typeof name !== 'string' || !isLevelName(level)) return null;
  let key = LEVEL_PREFIX[level] + name.toLowerCase().replace(/_/g, '-');
  if (Object.hasOwn(NIXIO_ALIASES, key)) key = NIXIO_ALIASES[key];
  if (Object.hasOwn(OPTIONS, key) && (OPTIONS as Record<string, OptionDef>)[key].level === LEVELS[level]) return key as OptionName;
  if (level === 'socket' && Object.hasOwn(OPTIONS, name)) return name as OptionName;
  return null;
}

/** An option number given as a number or a constant name ('TCP_NODELAY', or 'NODELAY' at level 'tcp'). */
export function optionNumber(level: unknown, name: unknown): number {
  if (typeof name === 'number') return validateInteger(name, 'name', -0x80000000, 0x7fffffff);
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string or number', name);
  const upper = name.toUpperCase().replace(/-/g, '_');
  const prefix = isLevelName(level) ? CONSTANT_PREFIX[level] : undefined;
  const own = (key: string): number | undefined => (Object.hasOwn(k, key) ? k[key] : undefined);
  const v = (prefix !== undefined ? own(prefix + upper) : undefined) ?? own(upper);
  if (v === undefined) throw invalidArgValue('name', name, 'is not an option name or constant berkeley knows on this platform');
  return v;
}

// ---- raw options: numbers and bytes ------------------------------------------

/** The largest raw option value berkeley reads or writes. */
export const MAX_OPTION_BYTES = 65536;

/** A raw option value's bytes: numbers (int32 or uint32) and booleans as a C int, bytes as given (at most 64 KiB). */
export function rawOptionBytes(value: unknown, name = 'value'): Uint8Array {
  if (typeof value === 'boolean') return intBytes(value ? 1 : 0);
  if (typeof value === 'number') return intBytes(validateInteger(value, name, -0x80000000, 0xffffffff));
  if (value instanceof Uint8Array) {
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
