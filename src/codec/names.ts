// Name tables and their lookups: address families, socket types, protocols
// (IP, netlink, packet), option levels and shutdown spellings, each mapped to
// the platform's number. Names are looked up as own properties only
// ('constructor' is no protocol); numbers are checked to be integers in the
// range the system call takes, before it is made.
import { binding } from '../sys/binding.js';
import { htons } from '../sys/struct.js';
import { invalidArgType, invalidArgValue } from '../errors.js';
import { validateInteger } from '../validate.js';

const k = binding.constants;
const INT32_MAX = 0x7fffffff;

/** A name table's value for `name`, own properties only; undefined when absent or not on this platform. */
function own<T>(table: Record<string, T | undefined>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

// ---- families -------------------------------------------------------------

/** An address family by name: AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_PACKET, AF_VSOCK. */
export type Family = 'inet' | 'inet6' | 'unix' | 'netlink' | 'packet' | 'vsock';

/** AF_* for each family name; undefined where the platform lacks the family. */
export const AF = {
  inet: k.AF_INET,
  inet6: k.AF_INET6,
  unix: k.AF_UNIX,
  netlink: k.AF_NETLINK,
  packet: k.AF_PACKET,
  vsock: k.AF_VSOCK,
} as const satisfies Record<Family, number | undefined>;

const familyNames = new Map<number, Family>();
for (const [name, value] of Object.entries(AF)) if (value !== undefined) familyNames.set(value, name as Family);

/** The family name for an AF_* number, or the number itself when berkeley has no name for it. */
export function familyName(af: number): Family | number {
  return familyNames.get(af) ?? af;
}

/** The AF_* number for a family name or number (0..65535); TypeError for unknown names. */
export function familyNumber(family: unknown, name = 'family'): number {
  if (typeof family === 'number') return validateInteger(family, name, 0, 0xffff);
  if (typeof family === 'string') {
    const n = own<number>(AF, family);
    if (n !== undefined) return n;
    throw invalidArgValue(name, family, "must be one of 'inet', 'inet6', 'unix', 'netlink', 'packet', 'vsock' or an AF_* number");
  }
  throw invalidArgType(name, 'of type string or number', family);
}

// ---- socket types ---------------------------------------------------------

/** A socket type by name: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_RDM. */
export type SocketType = 'stream' | 'dgram' | 'seqpacket' | 'raw' | 'rdm';

/** SOCK_* for each type name. */
export const SOCK_TYPES: Readonly<Record<SocketType, number>> = Object.freeze({
  stream: k.SOCK_STREAM, dgram: k.SOCK_DGRAM, seqpacket: k.SOCK_SEQPACKET, raw: k.SOCK_RAW, rdm: k.SOCK_RDM,
});
const typeNames = new Map<number, SocketType>(Object.entries(SOCK_TYPES).map(([n, v]) => [v, n as SocketType]));

/** The type name for a SOCK_* number, or the number itself when berkeley has no name for it. */
export function typeName(type: number): SocketType | number {
  return typeNames.get(type) ?? type;
}

/**
 * The SOCK_* number for a type name or number. Numbers (which may carry
 * SOCK_NONBLOCK / SOCK_CLOEXEC) are integers 0..2^31-1, else RangeError.
 */
export function typeNumber(type: unknown, name = 'type'): number {
  if (typeof type === 'number') return validateInteger(type, name, 0, INT32_MAX);
  if (typeof type === 'string') {
    const n = own<number>(SOCK_TYPES, type);
    if (n !== undefined) return n;
    throw invalidArgValue(name, type, "must be one of 'stream', 'dgram', 'seqpacket', 'raw', 'rdm' or a SOCK_* number");
  }
  throw invalidArgType(name, 'of type string or number', type);
}

// ---- protocols ------------------------------------------------------------

/** IPPROTO_* by name, for inet and inet6 sockets. */
export const PROTOCOLS: Readonly<Record<string, number | undefined>> = Object.freeze({
  ip: k.IPPROTO_IP, tcp: k.IPPROTO_TCP, udp: k.IPPROTO_UDP, icmp: k.IPPROTO_ICMP, icmpv6: k.IPPROTO_ICMPV6,
  ipv6: k.IPPROTO_IPV6, raw: k.IPPROTO_RAW, udplite: k.IPPROTO_UDPLITE, sctp: k.IPPROTO_SCTP, igmp: k.IPPROTO_IGMP,
  gre: k.IPPROTO_GRE, esp: k.IPPROTO_ESP, ah: k.IPPROTO_AH, mptcp: k.IPPROTO_MPTCP,
});
/** NETLINK_* by name, for netlink sockets. */
export const NETLINK_PROTOCOLS: Readonly<Record<string, number | undefined>> = Object.freeze({
  route: k.NETLINK_ROUTE, generic: k.NETLINK_GENERIC, audit: k.NETLINK_AUDIT, netfilter: k.NETLINK_NETFILTER,
  'kobject-uevent': k.NETLINK_KOBJECT_UEVENT, 'sock-diag': k.NETLINK_SOCK_DIAG, xfrm: k.NETLINK_XFRM,
  connector: k.NETLINK_CONNECTOR, usersock: k.NETLINK_USERSOCK, selinux: k.NETLINK_SELINUX,
});
/** ETH_P_* by name, for packet sockets, in host order (protocolNumber applies htons). */
export const PACKET_PROTOCOLS: Readonly<Record<string, number | undefined>> = Object.freeze({
  all: k.ETH_P_ALL, ip: k.ETH_P_IP, ipv6: k.ETH_P_IPV6, arp: k.ETH_P_ARP, lldp: k.ETH_P_LLDP,
});

/**
 * A protocol name ('tcp', 'udp', 'icmp', ...; 'route', 'generic' for netlink;
 * 'all', 'ip', 'arp' for packet, which take the ethertype in network byte
 * order) or number, for a socket of family `af`; undefined is 0. Numbers are
 * integers 0..2^31-1, else RangeError; unknown names are TypeError.
 */
export function protocolNumber(protocol: unknown, af: number): number {
  if (protocol === undefined) return 0;
  if (typeof protocol === 'number') return validateInteger(protocol, 'protocol', 0, INT32_MAX);
  if (typeof protocol !== 'string') throw invalidArgType('protocol', 'of type string or number', protocol);
  const name = protocol.toLowerCase();
  let n: number | undefined;
  if (AF.netlink !== undefined && af === AF.netlink) n = own(NETLINK_PROTOCOLS, name);
  else if (AF.packet !== undefined && af === AF.packet) {
    const p = own(PACKET_PROTOCOLS, name);
    n = p === undefined ? undefined : htons(p);
  } else n = own(PROTOCOLS, name);
  if (n === undefined) throw invalidArgValue('protocol', protocol, 'is not a protocol berkeley knows for this family');
  return n;
}

// ---- option levels --------------------------------------------------------

export type LevelName = 'socket' | 'ip' | 'ipv6' | 'tcp' | 'udp';

/** SOL_SOCKET / IPPROTO_* for each option level name. */
export const LEVELS: Readonly<Record<LevelName, number | undefined>> = Object.freeze({
  socket: k.SOL_SOCKET, ip: k.IPPROTO_IP, ipv6: k.IPPROTO_IPV6, tcp: k.IPPROTO_TCP, udp: k.IPPROTO_UDP,
});
/** How berkeley's option names at each level begin ('tcp-nodelay'). */
export const LEVEL_PREFIX: Readonly<Record<LevelName, string>> = Object.freeze({
  socket: '', ip: 'ip-', ipv6: 'ipv6-', tcp: 'tcp-', udp: 'udp-',
});

/** Whether `level` is one of the level names (an own property of LEVELS). */
export function isLevelName(level: unknown): level is LevelName {
  return typeof level === 'string' && Object.hasOwn(LEVELS, level);
}

/** A level name ('socket', 'ip', 'ipv6', 'tcp', 'udp') or int32 number. */
export function levelNumber(level: unknown): number {
  if (typeof level === 'number') return validateInteger(level, 'level', -0x80000000, INT32_MAX);
  const n = isLevelName(level) ? LEVELS[level] : undefined;
  if (n !== undefined) return n;
  throw invalidArgValue('level', level, "must be 'socket', 'ip', 'ipv6', 'tcp', 'udp' or a number");
}

// ---- shutdown -------------------------------------------------------------

export type ShutdownName = 'both' | 'send' | 'receive' | 'rdwr' | 'wr' | 'rd';

/** SHUT_* for each spelling shutdown() accepts. */
export const SHUTDOWN: Readonly<Record<ShutdownName, number>> = Object.freeze({
  both: k.SHUT_RDWR, rdwr: k.SHUT_RDWR, send: k.SHUT_WR, wr: k.SHUT_WR, receive: k.SHUT_RD, rd: k.SHUT_RD,
});

/** shutdown(2)'s `how`: a spelling above or a SHUT_* number (0..2). */
export function shutdownNumber(how: unknown): number {
  if (typeof how === 'number') return validateInteger(how, 'how', 0, 2);
  const n = typeof how === 'string' ? own<number>(SHUTDOWN, how) : undefined;
  if (n !== undefined) return n;
  throw invalidArgValue('how', how, "must be 'both', 'send', 'receive', 'rdwr', 'wr', 'rd' or SHUT_*");
}
