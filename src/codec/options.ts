// The option table: every option berkeley knows by name (LuaSocket's and
// nixio's names) with its level, number and value codec (option-values.ts);
// nixio's (level, name) spellings and constant names, each only at its own
// level; and the options by number that have a struct or string value
// (S-Lang's and luaposix's), with the two-value form.
import { Buffer } from 'node:buffer';
import { ENOPROTOOPT } from '../sys/errno.js';
import { binding } from '../sys/binding.js';
import { isLevelName, LEVEL_PREFIX, LEVELS, levelNumber } from './names.js';
import { invalidArgType, invalidArgValue, unavailableError, type SocketErrorCode } from '../errors.js';
import type { Credentials } from './message.js';
import type { SocketType } from './names.js';
import { validateInteger } from '../validate.js';
import { type Codec, INT32_MAX, INT32_MIN, bool, decodeRawOption, error, ifname, int, intIn, ipMreqStruct, ipv6MreqStruct, linger, lingerStruct, mreq, mreq6, mreqSource, ms, multicastIf4, multicastIf6, peercred, rawOptionBytes, rawOptionSize, string, tcpInfo, timevalStruct, type } from './option-values.js';
export type { IpMreqStruct, Ipv6MreqStruct, LingerStruct, TimevalStruct } from './option-values.js';

const k = binding.constants;
/** One named option. Every record has the same fields (one hidden class), so reading them stays monomorphic. */
export interface OptionDef { level: number | undefined; name: number | undefined; codec: Codec; readOnly: boolean; writeOnly: boolean }

const S = k.SOL_SOCKET;
const IP = k.IPPROTO_IP;
const IP6 = k.IPPROTO_IPV6;
const TCP = k.IPPROTO_TCP;
const UDP = k.IPPROTO_UDP;
const opt = (level: number | undefined, name: number | undefined, codec: Codec, extra: { readOnly?: true; writeOnly?: true } = {}): OptionDef =>
  ({ level, name, codec, readOnly: extra.readOnly === true, writeOnly: extra.writeOnly === true });

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
  bindtodevice: opt(S, k.SO_BINDTODEVICE, ifname),
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
  'ip-ttl': opt(IP, k.IP_TTL, intIn(-1, 255, false)),
  'ip-tos': opt(IP, k.IP_TOS, intIn(0, 255)),
  'ip-hdrincl': opt(IP, k.IP_HDRINCL, bool),
  'ip-mtu': opt(IP, k.IP_MTU, int, { readOnly: true }),
  'ip-mtu-discover': opt(IP, k.IP_MTU_DISCOVER, int),
  'ip-pktinfo': opt(IP, k.IP_PKTINFO, bool),
  'ip-recvtos': opt(IP, k.IP_RECVTOS, bool),
  'ip-recvttl': opt(IP, k.IP_RECVTTL, bool),
  'ip-recverr': opt(IP, k.IP_RECVERR, bool),
  'ip-recvorigdstaddr': opt(IP, k.IP_RECVORIGDSTADDR, bool),
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
  'ipv6-unicast-hops': opt(IP6, k.IPV6_UNICAST_HOPS, intIn(-1, 255)),
  'ipv6-multicast-hops': opt(IP6, k.IPV6_MULTICAST_HOPS, int),
  'ipv6-multicast-loop': opt(IP6, k.IPV6_MULTICAST_LOOP, bool),
  'ipv6-multicast-if': opt(IP6, k.IPV6_MULTICAST_IF, multicastIf6),
  'ipv6-add-membership': opt(IP6, k.IPV6_ADD_MEMBERSHIP ?? k.IPV6_JOIN_GROUP, mreq6, { writeOnly: true }),
  'ipv6-drop-membership': opt(IP6, k.IPV6_DROP_MEMBERSHIP ?? k.IPV6_LEAVE_GROUP, mreq6, { writeOnly: true }),
  'ipv6-recvpktinfo': opt(IP6, k.IPV6_RECVPKTINFO, bool),
  'ipv6-tclass': opt(IP6, k.IPV6_TCLASS, intIn(-1, 255)),
  'ipv6-recvtclass': opt(IP6, k.IPV6_RECVTCLASS, bool),
  'ipv6-recvhoplimit': opt(IP6, k.IPV6_RECVHOPLIMIT, bool),
  'ipv6-recverr': opt(IP6, k.IPV6_RECVERR, bool),
  'ipv6-recvorigdstaddr': opt(IP6, k.IPV6_RECVORIGDSTADDR, bool),
  'ipv6-mtu': opt(IP6, k.IPV6_MTU, int),
  'ipv6-mtu-discover': opt(IP6, k.IPV6_MTU_DISCOVER, int),
  'ipv6-freebind': opt(IP6, k.IPV6_FREEBIND, bool),
  'udp-segment': opt(UDP, k.UDP_SEGMENT, int),
  'udp-gro': opt(UDP, k.UDP_GRO, bool),
  'udp-cork': opt(UDP, k.UDP_CORK, bool),
} satisfies Record<OptionName, OptionDef>;

/**
 * Every option name setOption/getOption know: those getOption reads
 * ({@link OptionValues}) and those setOption sets ({@link OptionInputs});
 * the option table holds exactly these names.
 */
export type OptionName = keyof OptionValues | keyof OptionInputs;

/** LuaSocket's linger table, as getOption('linger') returns it: `timeout` in seconds. */
export interface Linger { on: boolean; timeout: number }
/** A multicast group and the interface to join it on (by name, index or, for IPv4, an address; default: the kernel's choice). */
export interface Membership { multiaddr: string; interface?: string | number }
/** A source-specific IPv4 membership: receive `multiaddr` only from `source`; `interface` an IPv4 address. */
export interface SourceMembership { multiaddr: string; source: string; interface?: string }

/** The options read and set with values of the same type and meaning (OptionValues and OptionInputs add the rest). */
export interface SharedOptions {
  keepalive: boolean;
  reuseaddr: boolean;
  reuseport: boolean;
  broadcast: boolean;
  dontroute: boolean;
  oobinline: boolean;
  sndbuf: number;
  rcvbuf: number;
  sndlowat: number;
  rcvlowat: number;
  priority: number;
  mark: number;
  passcred: boolean;
  timestamp: boolean;
  timestampns: boolean;
  'tcp-nodelay': boolean;
  'tcp-cork': boolean;
  'tcp-keepidle': number;
  'tcp-keepintvl': number;
  'tcp-keepcnt': number;
  'tcp-quickack': boolean;
  'tcp-fastopen': number;
  'tcp-maxseg': number;
  'tcp-user-timeout': number;
  'tcp-notsent-lowat': number;
  'tcp-defer-accept': number;
  /** The TTL of unicast datagrams sent, 1-255 (-1 sets the default back; per datagram: Message.ttl). */
  'ip-ttl': number;
  /** The TOS byte of datagrams sent, 0-255: DSCP in the high six bits, ECN in the low two (per datagram: Message.tos). */
  'ip-tos': number;
  'ip-hdrincl': boolean;
  /** IP_PMTUDISC_DONT (0), WANT (1), DO (2: never fragment; a datagram over the path MTU fails with EMSGSIZE), PROBE (3). */
  'ip-mtu-discover': number;
  /** Receive where each datagram arrived (ReceivedMessage.pktinfo). */
  'ip-pktinfo': boolean;
  /** Receive each datagram's TOS byte (ReceivedMessage.tos; ECN is `tos & 3`). */
  'ip-recvtos': boolean;
  /** Receive each datagram's TTL (ReceivedMessage.ttl). */
  'ip-recvttl': boolean;
  /** Queue ICMP and local errors on the error queue, read with recvErrors() (IP_RECVERR). */
  'ip-recverr': boolean;
  /** Receive each datagram's original destination (ReceivedMessage.originalDestination; IP_ORIGDSTADDR). */
  'ip-recvorigdstaddr': boolean;
  'ip-freebind': boolean;
  'ip-transparent': boolean;
  'ip-bind-address-no-port': boolean;
  'ip-multicast-ttl': number;
  'ip-multicast-loop': boolean;
  'ip-multicast-all': boolean;
  'ipv6-v6only': boolean;
  /** The hop limit of unicast datagrams sent, 0-255 (-1: the route's default; per datagram: Message.ttl). */
  'ipv6-unicast-hops': number;
  'ipv6-multicast-hops': number;
  'ipv6-multicast-loop': boolean;
  'ipv6-recvpktinfo': boolean;
  /** The traffic class of datagrams sent, 0-255 (-1: the default); ECN is its low two bits (per datagram: Message.tos). */
  'ipv6-tclass': number;
  /** Receive each datagram's traffic class (ReceivedMessage.tos). */
  'ipv6-recvtclass': boolean;
  /** Receive each datagram's hop limit (ReceivedMessage.ttl). */
  'ipv6-recvhoplimit': boolean;
  /** Queue ICMPv6 and local errors on the error queue, read with recvErrors() (IPV6_RECVERR). */
  'ipv6-recverr': boolean;
  /** Receive each datagram's original destination (ReceivedMessage.originalDestination; IPV6_ORIGDSTADDR). */
  'ipv6-recvorigdstaddr': boolean;
  'ipv6-mtu': number;
  'ipv6-mtu-discover': number;
  'ipv6-freebind': boolean;
  /** The GSO segment size in bytes (0: off). */
  'udp-segment': number;
  'udp-gro': boolean;
  'udp-cork': boolean;
}

/**
 * What getOption(name) returns, by option name: every option that can be
 * read (the membership options are write-only and are not here). The
 * options a tcp()/udp() socket remembers before it has a family read back
 * as they were given.
 */
export interface OptionValues extends SharedOptions {
  /** `{ on, timeout }`, timeout in seconds. */
  linger: Linger;
  /** Milliseconds; null: no limit. */
  sndtimeo: number | null;
  /** Milliseconds; null: no limit. */
  rcvtimeo: number | null;
  /** The interface name ('' when none). */
  bindtodevice: string;
  /** Read-only: the pending error as a code ('ECONNREFUSED'), or null. Reading it clears it. */
  error: SocketErrorCode | null;
  /** Read-only: the socket type by name, or its SOCK_* number when it has no name. */
  type: SocketType | number;
  /** Read-only: whether the socket is listening. */
  acceptconn: boolean;
  /** Read-only: the peer's credentials (Unix sockets). */
  peercred: Credentials;
  /** The congestion control algorithm ('cubic', 'reno', ...). */
  'tcp-congestion': string;
  /** Read-only: struct tcp_info as an object of numbers (state, rtt, snd_cwnd, ...; the fields this platform's struct has). */
  'tcp-info': Record<string, number>;
  /** Read-only: the path MTU of a connected socket. */
  'ip-mtu': number;
  /** The interface's IPv4 address ('0.0.0.0': the kernel's choice), or null when the kernel returned none. */
  'ip-multicast-if': string | null;
  /** The interface index (0: the kernel's choice). */
  'ipv6-multicast-if': number;
}

/**
 * What setOption(name, value) takes, by option name: every option that can
 * be set (the read-only `error`, `type`, `acceptconn`, `peercred`,
 * `tcp-info` and `ip-mtu` are not here). Flags take booleans only (not 0 or
 * 1); numbers are int32 integers unless said otherwise.
 */
export interface OptionInputs extends SharedOptions {
  /** `{ on, timeout }`: timeout in seconds, default 0. */
  linger: { on: boolean; timeout?: number };
  /** Milliseconds (an integer >= 0); null or 0: no limit. */
  sndtimeo: number | null;
  /** Milliseconds (an integer >= 0); null or 0: no limit. */
  rcvtimeo: number | null;
  /** An interface name, shorter than IFNAMSIZ bytes ('' unbinds). */
  bindtodevice: string;
  /** A congestion control algorithm the kernel has ('cubic', 'reno', ...). */
  'tcp-congestion': string;
  /** An interface by name or index, or an IPv4 address. */
  'ip-multicast-if': string | number;
  /** Write-only: joins an IPv4 group. */
  'ip-add-membership': Membership;
  /** Write-only: leaves an IPv4 group. */
  'ip-drop-membership': Membership;
  /** Write-only: joins an IPv4 group for one source. */
  'ip-add-source-membership': SourceMembership;
  /** Write-only: leaves a source-specific membership. */
  'ip-drop-source-membership': SourceMembership;
  /** An interface by name or index. */
  'ipv6-multicast-if': string | number;
  /** Write-only: joins an IPv6 group (interface by name or index). */
  'ipv6-add-membership': Membership;
  /** Write-only: leaves an IPv6 group. */
  'ipv6-drop-membership': Membership;
}

/** The options getOption can read. */
export type ReadableOptionName = keyof OptionValues;
/** The options setOption can set. */
export type WritableOptionName = keyof OptionInputs;

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

/** A named option getOption can read (level, number and codec set), or a TypeError/ENOPROTOOPT. */
export function readableOption(name: unknown): OptionDef {
  const def = lookup(name, 'getsockopt');
  if (def.writeOnly || !def.codec.decode) throw invalidArgValue('name', name, 'is write-only');
  return def;
}

/**
 * Resolves nixio-style (level, name) to a named option: nixio's short name
 * at its level ('tcp', 'nodelay' -> 'tcp-nodelay'), or berkeley's own name
 * ('tcp', 'tcp-nodelay'), only where the option belongs to that level. null
 * when `name` is a number or a constant name, which are handled by number.
 */
export function namedOption(level: unknown, name: unknown): OptionName | null {
  if (typeof name !== 'string' || !isLevelName(level)) return null;
  for (const key of [LEVEL_PREFIX[level] + name.toLowerCase().replace(/_/g, '-'), name]) {
    if (Object.hasOwn(OPTIONS, key) && (OPTIONS as Record<string, OptionDef>)[key].level === LEVELS[level]) return key as OptionName;
  }
  return null;
}

/**
 * A value given nixio-style for a named option: nixio sets its flags with
 * the integers 0 and 1, so those two stand for false and true there (any
 * other number is still refused by the boolean codec).
 */
export function nixioValue(name: OptionName, value: unknown): unknown {
  return (OPTIONS as Record<string, OptionDef>)[name].codec === bool && (value === 0 || value === 1) ? value === 1 : value;
}

/** Which level each option constant's prefix belongs to (IPV6_ before IP_: the longer first). */
const PREFIX_LEVELS: readonly (readonly [prefix: string, level: number | undefined, name: string])[] = [
  ['SO_', S, "'socket'"], ['IPV6_', IP6, "'ipv6'"], ['IP_', IP, "'ip'"], ['TCP_', TCP, "'tcp'"], ['UDP_', UDP, "'udp'"],
  ['NETLINK_', k.SOL_NETLINK, 'SOL_NETLINK'], ['PACKET_', k.SOL_PACKET, 'SOL_PACKET'],
];

/**
 * An option number given as a number (int32) or a constant name of the
 * option's own level: 'TCP_NODELAY' or nixio's short 'NODELAY' at level
 * 'tcp' (or IPPROTO_TCP). A constant of another level is refused, never
 * taken for its number: ('socket', 'TCP_NODELAY') would be SO_DEBUG.
 */
export function optionNumber(level: unknown, name: unknown): number {
  if (typeof name === 'number') return validateInteger(name, 'name', INT32_MIN, INT32_MAX);
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string or number', name);
  const lvl = levelNumber(level);
  const upper = name.toUpperCase().replace(/-/g, '_');
  const own = (key: string): number | undefined => (Object.hasOwn(k, key) ? k[key] : undefined);
  for (const [prefix, l] of PREFIX_LEVELS) {
    if (l !== lvl || upper.startsWith(prefix)) continue;
    const v = own(prefix + upper); // nixio's short name
    if (v !== undefined) return v;
  }
  const entry = PREFIX_LEVELS.find(([prefix]) => upper.startsWith(prefix));
  const v = own(upper);
  if (entry === undefined || v === undefined) throw invalidArgValue('name', name, 'is not an option name or constant berkeley knows on this platform');
  if (entry[1] !== lvl) throw invalidArgValue('name', name, `is an option of level ${entry[2]}, not of level ${typeof level === 'string' ? `'${level}'` : level}`);
  return v;
}

/** The options that have a struct or string value when given by number: level -> name -> codec (numbers as keys: no key string per call). */
const BY_NUMBER = new Map<number, Map<number, Codec>>();
const codecByNumber = (level: number, name: number): Codec | undefined => BY_NUMBER.get(level)?.get(name);
for (const [level, name, codec] of [
  [S, k.SO_LINGER, lingerStruct], [S, k.SO_RCVTIMEO, timevalStruct], [S, k.SO_SNDTIMEO, timevalStruct],
  [IP, k.IP_ADD_MEMBERSHIP, ipMreqStruct], [IP, k.IP_DROP_MEMBERSHIP, ipMreqStruct],
  [IP6, k.IPV6_JOIN_GROUP ?? k.IPV6_ADD_MEMBERSHIP, ipv6MreqStruct], [IP6, k.IPV6_LEAVE_GROUP ?? k.IPV6_DROP_MEMBERSHIP, ipv6MreqStruct],
  [S, k.SO_BINDTODEVICE, ifname], [TCP, k.TCP_CONGESTION, string],
] as [number | undefined, number | undefined, Codec][]) {
  if (level === undefined || name === undefined) continue;
  let names = BY_NUMBER.get(level);
  if (!names) BY_NUMBER.set(level, names = new Map());
  names.set(name, codec);
}

/**
 * The bytes of a setsockopt by number: the option's struct from an object
 * (SO_LINGER { l_onoff, l_linger }, ...) or from luaposix's two values, a
 * string for SO_BINDTODEVICE and TCP_CONGESTION, or a raw int, boolean or
 * bytes. `value2` is only taken by SO_LINGER and the timeouts.
 */
export function encodeOptionValue(level: number, name: number, value: unknown, value2?: unknown): Uint8Array {
  const codec = codecByNumber(level, name);
  if (value2 !== undefined) {
    if (!codec?.pair) throw invalidArgValue('value2', value2, 'is only taken by SO_LINGER (l_onoff, l_linger), SO_RCVTIMEO and SO_SNDTIMEO (tv_sec, tv_usec)');
    return codec.pair(value, value2);
  }
  if (value instanceof Uint8Array) {
    codec?.checkBytes?.(value, 'value');
    return rawOptionBytes(value);
  }
  return codec?.encode ? codec.encode(value, 'value') : rawOptionBytes(value);
}

/** How to read an option by number: the getsockopt buffer size and the decoder of what came back. */
export interface OptionReader { size: number; decode(buf: Buffer, len: number): unknown }

const RAW_INT: OptionReader = { size: int.size!, decode: int.decode! };
const RAW_BYTES: OptionReader = { size: rawOptionSize('bytes'), decode: (b, len) => decodeRawOption(b, len, 'bytes') };

/**
 * How to read an option by number. Without `kind`, the option's struct or
 * string where it has one ({ l_onoff, l_linger }, { tv_sec, tv_usec }, the
 * interface or congestion control name), else a C int; `kind` ('int',
 * 'bytes', a byte length) forces a representation.
 */
export function optionValueReader(level: number, name: number, kind?: unknown): OptionReader {
  if (kind === undefined) {
    const codec = codecByNumber(level, name);
    return codec?.decode && codec.size !== undefined ? codec as OptionReader : RAW_INT;
  }
  if (kind === 'int') return RAW_INT;
  if (kind === 'bytes') return RAW_BYTES;
  return { size: rawOptionSize(kind), decode: (b, len) => decodeRawOption(b, len, kind) };
}
