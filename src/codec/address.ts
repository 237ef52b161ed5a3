// codec/ turns values into bytes and back, with no system call and no
// waiting: name tables (names.ts), this address funnel, sockaddr and cmsg
// codecs (sockaddr.ts, message.ts), the option table (options.ts) and the
// option value codecs (option-values.ts).
//
// The address funnel: every spelling of an address a caller may give
// (SocketAddress objects, 'host:port', '[v6]:port', '*:port', { host, port },
// (host, port) arguments, Unix paths, abstract names) comes through here and
// leaves as a validated SocketAddress, or a HostPort for the resolver, before
// any system call. One port rule and one host rule serve every spelling, so
// the same mistake is refused the same way wherever it is made.
import { invalidArgType, invalidArgValue, outOfRange, type ErrorDetails } from '../errors.js';
import { validateObject } from '../validate.js';
import { AF } from './names.js';
import { encodeAddress, type SocketAddress } from './sockaddr.js';

/** Anything a socket method accepts as an address. */
export type AddressLike = SocketAddress | { host: string; port: number | string } | string;

/** A host and a port still to be resolved. */
export interface HostPort {
  /** The name or numeric address to look up; null for the wildcard ('*' or ''). */
  host: string | null;
  /** A port number, or a service name ('http') for the resolver. */
  port: number | string;
  /** The host as the caller spelled it, for error messages. */
  hostname: string;
}

const SERVICE = /^[A-Za-z][A-Za-z0-9._+-]*$/;
const MAX_SERVICE = 63;
const MAX_HOST = 1024;

/**
 * The port rule: an integer 0..65535, as a number or a canonical decimal
 * string, or a service name ('http', starting with a letter) for the
 * resolver. Anything else is refused: never wrapped, never looked up.
 */
export function portOf(value: unknown, name = 'port'): number | string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
    if (value < 0 || value > 65535) throw outOfRange(name, '>= 0 && <= 65535', value);
    return value;
  }
  if (typeof value !== 'string') throw invalidArgType(name, 'of type number or string', value);
  if (/^[0-9]+$/.test(value)) {
    const n = Number(value);
    if (n > 65535) throw outOfRange(name, '>= 0 && <= 65535', value);
    if (value.length > 1 && value[0] === '0') throw invalidArgValue(name, value, 'must be a decimal port without leading zeros');
    return n;
  }
  if (value.length <= MAX_SERVICE && SERVICE.test(value)) return value;
  throw invalidArgValue(name, value, 'must be a port from 0 to 65535 or a service name');
}

/**
 * The host rule: a string without NUL; '*' and '' are the wildcard (null). A
 * numeric IPv6 zone ('fe80::1%3') is a scope id, 0..2^32-1: the resolver
 * would otherwise wrap '%4294967297' to scope 1.
 */
export function hostOf(value: unknown, name = 'host'): string | null {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.includes('\0')) throw invalidArgValue(name, value, 'must be a string without null bytes');
  if (value.length > MAX_HOST) throw invalidArgValue(name, value, 'is longer than NI_MAXHOST');
  checkZone(value, name);
  return value === '*' || value === '' ? null : value;
}

/** A numeric IPv6 zone in a host ('fe80::1%3') is a scope id: RangeError past 2^32-1. */
export function checkZone(host: string, name = 'host'): void {
  const zone = host.indexOf('%');
  if (zone >= 0 && /^[0-9]+$/.test(host.slice(zone + 1)) && Number(host.slice(zone + 1)) > 0xffffffff) {
    throw outOfRange(`${name} zone`, '>= 0 && <= 4294967295', host.slice(zone + 1));
  }
}

/** A (host, port) pair of arguments, checked as one. */
export function hostPort(host: unknown, port: unknown, hostName = 'host', portName = 'port'): HostPort {
  const h = hostOf(host, hostName);
  return { host: h, port: portOf(port, portName), hostname: host as string };
}

/**
 * Any AddressLike for a socket of family `af` (-1 when not known yet): a
 * SocketAddress (a copy of the caller's object, each field read once) or a
 * HostPort. For Unix sockets any string is a path; elsewhere a string with
 * '/' or a leading NUL is one too. A SocketAddress is validated here, whole
 * (port, address, scope id, path length: what encodeAddress checks), so a
 * caller that makes a socket before encoding (tcp()'s deferred family, the
 * connect() constructor's localAddress) never does so for a bad address;
 * `check` false skips that for callers that encode at once (`syscall` names
 * the call in ENAMETOOLONG errors).
 */
export function addressTarget(address: unknown, af: number, name = 'address', syscall = 'bind', check = true): SocketAddress | HostPort {
  if (AF.vsock !== undefined && af === AF.vsock) return vsockTarget(address, name, syscall, check);
  if (typeof address === 'string') {
    if (af === AF.unix || address.includes('/') || address.startsWith('\0')) return checked({ family: 'unix', path: address }, check, syscall, name);
    const m = /^\[([^\]]+)\]:([^:]*)$/.exec(address) ?? /^([^:[\]]*):([^:]*)$/.exec(address);
    if (!m) throw invalidArgValue(name, address, "must be 'host:port', '[ipv6]:port' or a unix path");
    return hostPort(m[1], m[2], name, name);
  }
  const o = { ...validateObject<Record<string, unknown>>(address, name) };
  if ('family' in o) return checked(o as SocketAddress, check, syscall, name);
  return hostPort(o.host, o.port, `${name}.host`, `${name}.port`);
}

/**
 * An address for a vsock socket: a SocketAddress, `{ cid, port }`, or
 * 'cid:port' in decimal: there is no resolver for context ids, so nothing
 * here becomes a HostPort.
 */
function vsockTarget(address: unknown, name: string, syscall: string, check: boolean): SocketAddress {
  if (typeof address === 'string') {
    const m = /^(0|[1-9][0-9]*):(0|[1-9][0-9]*)$/.exec(address);
    if (!m) throw invalidArgValue(name, address, "must be 'cid:port' (decimal) for a vsock socket");
    return checked({ family: 'vsock', cid: Number(m[1]), port: Number(m[2]) }, true, syscall, name);
  }
  const o = { ...validateObject<Record<string, unknown>>(address, name) };
  if (!('family' in o)) return checked({ family: 'vsock', cid: o.cid as number, port: o.port as number }, true, syscall, name);
  return checked(o as SocketAddress, check, syscall, name);
}

function checked(a: SocketAddress, check: boolean, syscall: string, name: string): SocketAddress {
  if (check) encodeAddress(a, syscall, name);
  return a;
}

export const isHostPort = (t: SocketAddress | HostPort): t is HostPort => !('family' in t);

/** Where an address points, for error messages. */
export function addressDetails(address: SocketAddress | HostPort | string | null | undefined): ErrorDetails {
  // A string is as the caller spelled it (sendMsg's message.address): a path, or a 'host:port' for the message.
  if (typeof address === 'string') return address.includes('/') || address.startsWith('\0') ? { path: address } : { hostname: address };
  if (!address || typeof address !== 'object') return {};
  if (isHostPort(address)) return typeof address.port === 'number' ? { hostname: address.hostname, port: address.port } : { hostname: address.hostname };
  if (address.family === 'inet' || address.family === 'inet6') return { address: address.address, port: address.port };
  if (address.family === 'unix') return { path: address.path };
  if (address.family === 'vsock') return { address: `vsock:${address.cid}`, port: address.port };
  return {};
}

/**
 * A cache key for a destination, made only of fields that are already the
 * primitives encodeAddress would accept; null when any is not (the caller
 * then encodes, which validates and refuses it) or the family is not cached.
 */
export function destinationKey(a: object): string | null {
  // Each field is read once: a getter that changes cannot make the key differ from what was checked.
  const { family, address, port, path, flowinfo = 0, scopeId = 0 } = a as Record<string, unknown>;
  if (family === 'unix') return typeof path === 'string' ? `u|${path}` : null;
  if ((family !== 'inet' && family !== 'inet6') || typeof address !== 'string' || !isPort(port)) return null;
  if (family === 'inet') return `4|${address}|${port}`;
  return isUint32(flowinfo) && isUint32(scopeId) ? `6|${address}|${port}|${flowinfo}|${scopeId}` : null;
}

const isPort = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
const isUint32 = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
