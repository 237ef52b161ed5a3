// Name resolution for the Socket layer: getaddrinfo/getnameinfo on libuv's
// thread pool (and blocking variants), interface helpers, and the parsing
// of AddressLike values ('host:port', '[v6]:port', { host, port }, paths).
import { binding } from './sys/binding.js';
import { AF, encodeAddress, familyNumber, type Family, type SocketAddress } from './codec/sockaddr.js';
import { invalidArgType, invalidArgValue, resolverError } from './errors.js';
import { addrInfoResult, addressDetails, getaddrinfo as posixGetaddrinfo, if_indextoname, if_nameindex, if_nametoindex, lookupArgs, type AddrInfo } from './posix.js';
import { validateObject } from './validate.js';

const k = binding.constants;

export type SocketType = 'stream' | 'dgram' | 'seqpacket' | 'raw' | 'rdm';

export const SOCK_TYPES: Record<SocketType, number> = {
  stream: k.SOCK_STREAM, dgram: k.SOCK_DGRAM, seqpacket: k.SOCK_SEQPACKET, raw: k.SOCK_RAW, rdm: k.SOCK_RDM,
};
const typeNames = new Map<number, SocketType>(Object.entries(SOCK_TYPES).map(([n, v]) => [v, n as SocketType]));

export function typeName(type: number): SocketType | number {
  return typeNames.get(type) ?? type;
}

export function typeNumber(type: unknown, name = 'type'): number {
  if (typeof type === 'number') {
    if (!Number.isInteger(type) || type < 0) throw invalidArgValue(name, type, 'must be a SOCK_* number');
    return type;
  }
  if (typeof type === 'string' && Object.hasOwn(SOCK_TYPES, type)) return SOCK_TYPES[type as SocketType];
  if (typeof type === 'string') throw invalidArgValue(name, type, "must be one of 'stream', 'dgram', 'seqpacket', 'raw', 'rdm' or a SOCK_* number");
  throw invalidArgType(name, 'of type string or number', type);
}

const PROTOCOLS: Record<string, number | undefined> = {
  ip: k.IPPROTO_IP, tcp: k.IPPROTO_TCP, udp: k.IPPROTO_UDP, icmp: k.IPPROTO_ICMP, icmpv6: k.IPPROTO_ICMPV6,
  ipv6: k.IPPROTO_IPV6, raw: k.IPPROTO_RAW, udplite: k.IPPROTO_UDPLITE, sctp: k.IPPROTO_SCTP, igmp: k.IPPROTO_IGMP,
  gre: k.IPPROTO_GRE, esp: k.IPPROTO_ESP, ah: k.IPPROTO_AH, mptcp: k.IPPROTO_MPTCP,
};
const NETLINK_PROTOCOLS: Record<string, number | undefined> = {
  route: k.NETLINK_ROUTE, generic: k.NETLINK_GENERIC, audit: k.NETLINK_AUDIT, netfilter: k.NETLINK_NETFILTER,
  'kobject-uevent': k.NETLINK_KOBJECT_UEVENT, 'sock-diag': k.NETLINK_SOCK_DIAG, xfrm: k.NETLINK_XFRM,
  connector: k.NETLINK_CONNECTOR, usersock: k.NETLINK_USERSOCK, selinux: k.NETLINK_SELINUX,
};
const htons = (v: number): number => ((v & 0xff) << 8) | ((v >> 8) & 0xff);
// Packet sockets take the ethertype in network byte order (htons(ETH_P_ALL)).
const PACKET_PROTOCOLS: Record<string, number | undefined> = {
  all: k.ETH_P_ALL, ip: k.ETH_P_IP, ipv6: k.ETH_P_IPV6, arp: k.ETH_P_ARP, lldp: k.ETH_P_LLDP,
};

/** A protocol name ('tcp', 'udp', 'icmp', ...; 'route', 'generic' for netlink; 'all', 'ip', 'arp' for packet) or number. */
export function protocolNumber(protocol: unknown, af: number): number {
  if (protocol === undefined) return 0;
  if (typeof protocol === 'number') {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 0xffff) throw invalidArgValue('protocol', protocol, 'must be an integer from 0 to 65535');
    return protocol;
  }
  if (typeof protocol !== 'string') throw invalidArgType('protocol', 'of type string or number', protocol);
  const name = protocol.toLowerCase();
  let n: number | undefined;
  if (af === AF.netlink) n = NETLINK_PROTOCOLS[name];
  else if (af === AF.packet) n = PACKET_PROTOCOLS[name] !== undefined ? htons(PACKET_PROTOCOLS[name]!) : undefined;
  else n = PROTOCOLS[name];
  if (n === undefined) throw invalidArgValue('protocol', protocol, 'is not a protocol berkeley knows for this family');
  return n;
}

/** Anything a socket method accepts as an address. */
export type AddressLike = SocketAddress | { host: string; port: number | string } | string;

/** A host and service still to be resolved. */
export interface HostPort { host: string; port: string }

/**
 * Splits an AddressLike into a ready SocketAddress or a host/port pair to
 * resolve. For Unix sockets any string is a path; elsewhere a string with '/'
 * or a leading NUL is one too.
 */
export function parseAddressLike(address: unknown, af: number, name = 'address'): SocketAddress | HostPort {
  if (typeof address === 'string') {
    if (af === AF.unix || address.includes('/') || address.startsWith('\0')) return { family: 'unix', path: address };
    let m = /^\[([^\]]+)\]:([^:]+)$/.exec(address);
    if (!m) m = /^([^:]*):([^:]+)$/.exec(address);
    if (!m) throw invalidArgValue(name, address, "must be 'host:port', '[ipv6]:port' or a unix path");
    return { host: m[1], port: m[2] };
  }
  const o = validateObject<Record<string, unknown>>(address, name);
  if ('family' in o) return o as SocketAddress;
  if (typeof o.host !== 'string') throw invalidArgType(`${name}.host`, 'of type string', o.host);
  if (typeof o.port === 'number') {
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw invalidArgValue(`${name}.port`, o.port, 'must be an integer from 0 to 65535');
    return { host: o.host, port: String(o.port) };
  }
  if (typeof o.port !== 'string') throw invalidArgType(`${name}.port`, 'of type number or string', o.port);
  return { host: o.host, port: o.port };
}

function lookupHints(hp: HostPort, af: number, passive: boolean): [string | null, string, number, number] {
  // '*' (and '') is the wildcard address, as in LuaSocket's bind('*', port).
  const host = hp.host === '*' || hp.host === '' ? null : hp.host;
  lookupArgs(host, hp.port);
  let flags = passive ? k.AI_PASSIVE : 0;
  // An inet6 socket reaches IPv4-only names through v4-mapped addresses.
  if (af === AF.inet6) flags |= k.AI_V4MAPPED;
  const family = af === AF.inet || af === AF.inet6 ? af : k.AF_UNSPEC;
  return [host, hp.port, family, flags];
}

function resolvedAddresses(infos: AddrInfo[], hp: HostPort): SocketAddress[] {
  const out: SocketAddress[] = [];
  const seen = new Set<string>();
  for (const ai of infos) {
    const key = JSON.stringify(ai.address);
    if (!seen.has(key)) { seen.add(key); out.push(ai.address); }
  }
  if (out.length === 0) throw resolverError(k.EAI_NONAME, 0, 'no addresses', hp.host);
  return out;
}

/** Resolves a host/port for a socket of family `af` and type `type` (blocking). */
export function resolveSync(hp: HostPort, af: number, type: number, passive: boolean): SocketAddress[] {
  const [host, port, family, flags] = lookupHints(hp, af, passive);
  return resolvedAddresses(posixGetaddrinfo(host, port, { family, socktype: type, flags }), hp);
}

/** Resolves a host/port on the thread pool. */
export async function resolve(hp: HostPort, af: number, type: number, passive: boolean): Promise<SocketAddress[]> {
  const [host, port, family, flags] = lookupHints(hp, af, passive);
  const raw = await binding.getaddrinfoAsync(host, port, family, type, 0, flags);
  return resolvedAddresses(addrInfoResult(raw, host), hp);
}

export interface LookupHints { family?: Family; type?: SocketType; protocol?: number | string; flags?: number }

function hintsArgs(hints: unknown): [number, number, number, number] {
  const h = validateObject<LookupHints>(hints ?? {}, 'hints');
  const family = h.family === undefined ? k.AF_UNSPEC : familyNumber(h.family, 'hints.family');
  const type = h.type === undefined ? 0 : typeNumber(h.type, 'hints.type');
  const protocol = h.protocol === undefined ? 0 : protocolNumber(h.protocol, family);
  const flags = h.flags ?? 0;
  if (typeof flags !== 'number' || !Number.isInteger(flags)) throw invalidArgType('hints.flags', 'an integer', flags);
  return [family, type, protocol, flags];
}

/** getaddrinfo(3) on libuv's thread pool; ENOTFOUND for unknown names. */
export async function getaddrinfo(host: string | null, service?: string | number | null, hints?: LookupHints): Promise<AddrInfo[]> {
  const [h, s] = lookupArgs(host, service);
  const [family, type, protocol, flags] = hintsArgs(hints);
  return addrInfoResult(await binding.getaddrinfoAsync(h, s, family, type, protocol, flags), h);
}

/** getaddrinfo(3), blocking the calling thread. */
export function getaddrinfoSync(host: string | null, service?: string | number | null, hints?: LookupHints): AddrInfo[] {
  const [h, s] = lookupArgs(host, service);
  const [family, type, protocol, flags] = hintsArgs(hints);
  return addrInfoResult(binding.getaddrinfo(h, s, family, type, protocol, flags), h);
}

function nameInfo(r: [string, string] | { eai: number; errno: number }, address: SocketAddress): { host: string; service: string } {
  if (Array.isArray(r)) return { host: r[0], service: r[1] };
  const err = resolverError(r.eai, r.errno, binding.gaiStrerror(r.eai), null);
  err.syscall = 'getnameinfo';
  err.message = err.message.replace(/^getaddrinfo/, 'getnameinfo');
  Object.assign(err, addressDetails(address));
  throw err;
}

/** getnameinfo(3) on libuv's thread pool. */
export async function getnameinfo(address: SocketAddress, flags = 0): Promise<{ host: string; service: string }> {
  const a = encodeAddress(address, 'getnameinfo');
  if (!Number.isInteger(flags)) throw invalidArgType('flags', 'an integer', flags);
  return nameInfo(await binding.getnameinfoAsync(a.bytes, a.length, flags), address);
}

/** getnameinfo(3), blocking. */
export function getnameinfoSync(address: SocketAddress, flags = 0): { host: string; service: string } {
  const a = encodeAddress(address, 'getnameinfo');
  if (!Number.isInteger(flags)) throw invalidArgType('flags', 'an integer', flags);
  return nameInfo(binding.getnameinfo(a.bytes, a.length, flags), address);
}

/** Every network interface's index and name (if_nameindex). */
export const interfaces = (): { index: number; name: string }[] => if_nameindex();
/** if_nametoindex(3) */
export const ifNameToIndex = (name: string): number => if_nametoindex(name);
/** if_indextoname(3) */
export const ifIndexToName = (index: number): string => if_indextoname(index);

