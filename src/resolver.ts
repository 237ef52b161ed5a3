// Name resolution and interfaces: getaddrinfo/getnameinfo on libuv's thread
// pool (and blocking variants), if_nametoindex and friends. berkeley/posix
// re-exports the blocking forms under their C names.
import { Buffer } from 'node:buffer';
import { invalidArgValue, resolverError, systemError } from './errors.js';
import { familyNumber, protocolNumber, typeNumber, type Family, type SocketType } from './codec/names.js';
import { addressDetails, checkZone, portOf } from './codec/address.js';
import { encodeAddress, type SocketAddress } from './codec/sockaddr.js';
import { addrInfoResult, type AddrInfo } from './io/lookup.js';
import { AF_UNSPEC, IFNAMSIZ } from './sys/constants.js';
import { ENODEV } from './sys/errno.js';
import * as sys from './sys/fd.js';
import type { GaiFailure } from './sys/binding.js';
import { validateCString, validateFlags, validateInteger, validateObject, validateUint32 } from './validate.js';

export type { AddrInfo };

/**
 * Validates getaddrinfo's host and service: strings without NUL, a port
 * number, or null (not both). A numeric service follows the port rule of
 * the address funnel (0..65535, canonical decimal): glibc would wrap '70000'
 * to 4464 and take ' 80' and '+80'. A numeric IPv6 zone is a scope id
 * (0..2^32-1).
 */
export function lookupArgs(host: unknown, service: unknown): [string | null, string | null] {
  const h = host === null || host === undefined ? null : validateCString(host, 'host');
  if (h !== null) checkZone(h, 'host');
  let s: string | null;
  if (service === null || service === undefined) s = null;
  else if (typeof service === 'number') s = String(validateInteger(service, 'service', 0, 65535));
  else s = String(portOf(validateCString(service, 'service'), 'service'));
  if (h === null && s === null) throw invalidArgValue('host', host, 'and service cannot both be null');
  if (h !== null && h.length > 1024) throw invalidArgValue('host', host, 'is longer than NI_MAXHOST');
  if (s !== null && s.length > 63) throw invalidArgValue('service', service, 'is too long');
  return [h, s];
}

/** getaddrinfo()'s hints: a family and socket type to keep, a protocol, AI_* flags. */
export interface LookupHints { family?: Family; type?: SocketType; protocol?: number | string; flags?: number }

function hintsArgs(hints: unknown): [number, number, number, number] {
  const h = validateObject<LookupHints>(hints ?? {}, 'hints');
  const family = h.family === undefined ? AF_UNSPEC : familyNumber(h.family, 'hints.family');
  const type = h.type === undefined ? 0 : typeNumber(h.type, 'hints.type');
  const protocol = h.protocol === undefined ? 0 : protocolNumber(h.protocol, family);
  return [family, type, protocol, validateFlags(h.flags, 'hints.flags')];
}

/**
 * getaddrinfo(3) on libuv's thread pool: the addresses `host` (null: the
 * local or, with AI_PASSIVE, the wildcard address) and `service` (a port
 * or a service name) resolve to, in the resolver's order.
 *
 * @throws {@link SocketError} `ENOTFOUND` for unknown names (EAI_NONAME,
 * EAI_NODATA), `EAI_AGAIN`, `EAI_SERVICE`, ..., with `syscall` 'getaddrinfo'
 * and `hostname`.
 * @throws TypeError / RangeError for a bad argument (as a rejection).
 * @example
 * const [first] = await getaddrinfo('localhost', 80, { family: 'inet6', type: 'stream' });
 * const sock = new Socket(first.family, first.socktype);
 * await sock.connect(first.address);
 */
export async function getaddrinfo(host: string | null, service?: string | number | null, hints?: LookupHints): Promise<AddrInfo[]> {
  const [h, s] = lookupArgs(host, service);
  const [family, type, protocol, flags] = hintsArgs(hints);
  return addrInfoResult(await sys.getaddrinfoAsync(h, s, family, type, protocol, flags), h);
}

/**
 * getaddrinfo(3), blocking the calling thread: getaddrinfo()'s answer, for
 * code that must not wait for the event loop.
 *
 * @throws {@link SocketError} as getaddrinfo() rejects: `ENOTFOUND`, `EAI_AGAIN`, `EAI_SERVICE`, ...
 * @throws TypeError / RangeError for a bad argument.
 * @example
 * const [{ address }] = getaddrinfoSync('localhost', 'http', { family: 'inet', type: 'stream' });
 */
export function getaddrinfoSync(host: string | null, service?: string | number | null, hints?: LookupHints): AddrInfo[] {
  const [h, s] = lookupArgs(host, service);
  const [family, type, protocol, flags] = hintsArgs(hints);
  return addrInfoResult(sys.getaddrinfo(h, s, family, type, protocol, flags), h);
}

/** getnameinfo's result, or the resolver error it stands for (syscall 'getnameinfo', with the address). */
export function nameInfo(r: [string, string] | GaiFailure, address: SocketAddress): [string, string] {
  if (Array.isArray(r)) return r;
  throw resolverError(r.eai, r.errno, sys.gaiStrerror(r.eai), null, 'getnameinfo', addressDetails(address));
}

/**
 * getnameinfo(3) on libuv's thread pool: the host name and service name of
 * an address (numeric where none is known, or with NI_NUMERICHOST /
 * NI_NUMERICSERV in `flags`).
 *
 * @throws {@link SocketError} (as a rejection) `ENOTFOUND` with NI_NAMEREQD and no name, `EAI_AGAIN`, ..., with `syscall` 'getnameinfo'.
 * @throws TypeError / RangeError (as a rejection) for a malformed address or flags.
 * @example
 * const { host, service } = await getnameinfo({ family: 'inet', address: '127.0.0.1', port: 22 });
 * // host 'localhost', service 'ssh' where /etc/services names port 22
 */
export async function getnameinfo(address: SocketAddress, flags = 0): Promise<{ host: string; service: string }> {
  const a = encodeAddress(address, 'getnameinfo');
  const [host, service] = nameInfo(await sys.getnameinfoAsync(a.bytes, a.length, validateFlags(flags)), address);
  return { host, service };
}

/**
 * getnameinfo(3), blocking the calling thread.
 *
 * @throws {@link SocketError} as getnameinfo() rejects.
 * @throws TypeError / RangeError for a malformed address or flags.
 * @example
 * const { service } = getnameinfoSync({ family: 'inet', address: '127.0.0.1', port: 80 });
 */
export function getnameinfoSync(address: SocketAddress, flags = 0): { host: string; service: string } {
  const a = encodeAddress(address, 'getnameinfo');
  const [host, service] = nameInfo(sys.getnameinfo(a.bytes, a.length, validateFlags(flags)), address);
  return { host, service };
}

/**
 * if_nametoindex(3): the index of a network interface.
 *
 * @throws {@link SocketError} `ENODEV` for an unknown interface.
 * @throws TypeError for a name that is not a string or holds a NUL byte.
 * @example
 * const lo = ifNameToIndex('lo');   // 1
 */
export function ifNameToIndex(name: string): number {
  validateCString(name, 'name');
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw systemError(ENODEV, 'if_nametoindex');
  const r = sys.if_nametoindex(name);
  if (r < 0) throw systemError(r, 'if_nametoindex');
  return r;
}

/**
 * if_indextoname(3): the name of a network interface.
 *
 * @throws {@link SocketError} `ENXIO` for an unknown index.
 * @throws TypeError / RangeError for an index that is not a uint32.
 * @example
 * console.log(ifIndexToName(1));   // 'lo'
 */
export function ifIndexToName(index: number): string {
  const r = sys.if_indextoname(validateUint32(index, 'index'));
  if (typeof r === 'number') throw systemError(r, 'if_indextoname');
  return r;
}

/**
 * if_nameindex(3): every network interface's index and name.
 *
 * @throws {@link SocketError} `ENOBUFS` (or another errno) when the kernel cannot list them.
 * @example
 * for (const { index, name } of interfaces()) console.log(index, name);
 */
export function interfaces(): { index: number; name: string }[] {
  const r = sys.if_nameindex();
  if (typeof r === 'number') throw systemError(r, 'if_nameindex');
  return r.map(([index, name]) => ({ index, name }));
}
