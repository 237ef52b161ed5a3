// berkeley/posix's calls on names and addresses: getaddrinfo(3) and
// getnameinfo(3) (blocking), the if_* interface calls, inet_pton(3) and
// inet_ntop(3), and the services and protocols databases (getservbyname,
// getservbyport, getprotobyname). None of them takes a socket fd, so they
// live apart from the socket calls of posix.ts, which re-exports each under
// its C name.
import { Buffer } from 'node:buffer';
import { invalidArgType, invalidArgValue, systemError } from '../errors.js';
import { encodeAddress, type SocketAddress } from '../codec/sockaddr.js';
import { addrInfoResult, type AddrInfo } from '../io/lookup.js';
// The hints type stays in posix.ts, where the reference documents it.
import type { AddrInfoHints } from '../posix.js';
import { ifIndexToName, ifNameToIndex, interfaces, lookupArgs, nameInfo } from '../resolver.js';
import { AF_INET, AF_INET6 } from '../sys/constants.js';
import { EAFNOSUPPORT } from '../sys/errno.js';
import * as sys from '../sys/fd.js';
import { isBytes, validateCString, validateFlags, validateInt32, validateObject, validatePort, validateString } from '../validate.js';

/**
 * getaddrinfo(3), blocking: the addresses `host` and `service` resolve to,
 * with numeric hints.
 *
 * @throws {@link SocketError} `ENOTFOUND` (EAI_NONAME, EAI_NODATA), `EAI_AGAIN`, `EAI_SERVICE`, ..., with syscall 'getaddrinfo' and `hostname`.
 * @throws TypeError / RangeError for a bad host, service or hint.
 * @example
 * const [first] = posix.getaddrinfo('localhost', 80, { family: posix.AF_INET, socktype: posix.SOCK_STREAM });
 */
export function getaddrinfo(host: string | null, service?: string | number | null, hints: AddrInfoHints = {}): AddrInfo[] {
  const [h, s] = lookupArgs(host, service);
  const o = validateObject<AddrInfoHints>(hints, 'hints');
  const raw = sys.getaddrinfo(h, s, validateFlags(o.family, 'hints.family'), validateFlags(o.socktype, 'hints.socktype'),
    validateFlags(o.protocol, 'hints.protocol'), validateFlags(o.flags, 'hints.flags'));
  return addrInfoResult(raw, h);
}

/**
 * getnameinfo(3), blocking: [host, service].
 *
 * @throws {@link SocketError} `ENOTFOUND` (with NI_NAMEREQD and no name), `EAI_AGAIN`, ..., with syscall 'getnameinfo'.
 * @throws TypeError / RangeError for a malformed address or flags.
 * @example
 * const [host, service] = posix.getnameinfo({ family: 'inet', address: '127.0.0.1', port: 22 });
 */
export function getnameinfo(address: SocketAddress, flags = 0): [host: string, service: string] {
  const a = encodeAddress(address, 'getnameinfo');
  return nameInfo(sys.getnameinfo(a.bytes, a.length, validateFlags(flags)), address);
}

/**
 * if_nametoindex(3): the index of a network interface.
 *
 * @throws {@link SocketError} `ENODEV` for an unknown interface.
 * @throws TypeError for a name that is not a string or holds a NUL byte.
 * @example
 * posix.if_nametoindex('lo');   // 1
 */
export const if_nametoindex = (name: string): number => ifNameToIndex(name);
/**
 * if_indextoname(3): the name of a network interface.
 *
 * @throws {@link SocketError} `ENXIO` for an unknown index.
 * @throws TypeError / RangeError for an index that is not a uint32.
 * @example
 * posix.if_indextoname(1);   // 'lo'
 */
export const if_indextoname = (index: number): string => ifIndexToName(index);
/**
 * if_nameindex(3): every interface's index and name.
 *
 * @throws {@link SocketError} when the kernel cannot list them (`ENOBUFS`, ...).
 * @example
 * for (const { index, name } of posix.if_nameindex()) console.log(index, name);
 */
export const if_nameindex = (): { index: number; name: string }[] => interfaces();

function ipFamily(family: number): number {
  validateInt32(family, 'family');
  if (family !== AF_INET && family !== AF_INET6) throw systemError(EAFNOSUPPORT, 'inet_pton');
  return family;
}

/**
 * inet_pton(3): the 4 (AF_INET) or 16 (AF_INET6) bytes of an address in text form.
 *
 * @throws TypeError `ERR_INVALID_ARG_VALUE` for text that is not an address of the family, `ERR_INVALID_ARG_TYPE` for text that is not a string.
 * @throws {@link SocketError} `EAFNOSUPPORT` for a family other than AF_INET and AF_INET6.
 * @example
 * posix.inet_pton(posix.AF_INET, '127.0.0.1');   // <Buffer 7f 00 00 01>
 */
export function inet_pton(family: number, text: string): Buffer {
  ipFamily(family);
  validateString(text, 'text');
  const buf = Buffer.alloc(16);
  const rc = text.includes('\0') ? 0 : sys.inet_pton(family, text, buf);
  if (rc < 0) throw systemError(rc, 'inet_pton');
  if (rc === 0) throw invalidArgValue('text', text, `is not a valid ${family === AF_INET ? 'IPv4' : 'IPv6'} address`);
  return buf.subarray(0, family === AF_INET ? 4 : 16);
}

/**
 * inet_ntop(3): the text form of 4 (AF_INET) or 16 (AF_INET6) address bytes.
 *
 * @throws TypeError for bytes that are not a Uint8Array or not 4 / 16 long.
 * @throws {@link SocketError} `EAFNOSUPPORT` for a family other than AF_INET and AF_INET6.
 * @example
 * posix.inet_ntop(posix.AF_INET6, Buffer.alloc(16));   // '::'
 */
export function inet_ntop(family: number, bytes: Uint8Array): string {
  ipFamily(family);
  if (!isBytes(bytes)) throw invalidArgType('bytes', 'an instance of Uint8Array', bytes);
  const need = family === AF_INET ? 4 : 16;
  if (bytes.length !== need) throw invalidArgValue('bytes', bytes, `must be ${need} bytes long`);
  const r = sys.inet_ntop(family, bytes);
  if (typeof r === 'number') throw systemError(r, 'inet_ntop');
  return r;
}

// ---- the services and protocols databases (Python's socket module) ----------

/** The longest service or protocol name passed to libc (the addon's bound too). */
const MAX_DB_NAME = 256;

/** A name for the netdb lookups: a string without NUL, at most MAX_DB_NAME UTF-8 bytes. */
function dbName(value: unknown, name: string): string {
  validateCString(value, name);
  if (Buffer.byteLength(value as string) > MAX_DB_NAME) throw invalidArgValue(name, value, `must be at most ${MAX_DB_NAME} bytes`);
  return value as string;
}

/** A netdb result: the value, undefined when not found, a SocketError for -errno. */
function dbResult<T>(r: T | number | undefined, syscall: string, isError: (r: T | number) => boolean): T | undefined {
  if (r !== undefined && isError(r)) throw systemError(r as number, syscall);
  return r as T | undefined;
}

/**
 * getservbyname_r(3): the port of a service in the services database
 * (/etc/services), for protocol `proto` ('tcp', 'udp') or any protocol
 * when omitted; undefined when there is no such service. Python's
 * socket.getservbyname, which raises instead.
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`) for a name or proto that is not a string, contains NUL or is over 256 bytes.
 * @example
 * posix.getservbyname('http', 'tcp');   // 80
 */
export function getservbyname(name: string, proto?: string): number | undefined {
  const n = dbName(name, 'name');
  const p = proto === undefined ? null : dbName(proto, 'proto');
  return dbResult<number>(sys.getservbyname(n, p), 'getservbyname', (r) => r < 0);
}

/**
 * getservbyport_r(3): the name of the service on `port` (0..65535) in the
 * services database, for protocol `proto` or any protocol when omitted;
 * undefined when there is none. Python's socket.getservbyport.
 *
 * @throws RangeError (`ERR_OUT_OF_RANGE`) for a port that is not an integer 0..65535; TypeError for a port that is not a number or a bad proto.
 * @example
 * posix.getservbyport(22, 'tcp');   // 'ssh'
 */
export function getservbyport(port: number, proto?: string): string | undefined {
  const n = validatePort(port, 'port');
  const p = proto === undefined ? null : dbName(proto, 'proto');
  return dbResult<string>(sys.getservbyport(n, p), 'getservbyport', (r) => typeof r === 'number');
}

/**
 * getprotobyname_r(3): the number of a protocol in the protocols database
 * (/etc/protocols); undefined when there is none. Python's
 * socket.getprotobyname.
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`) for a name that is not a string, contains NUL or is over 256 bytes.
 * @example
 * posix.getprotobyname('udp');   // 17
 */
export function getprotobyname(name: string): number | undefined {
  return dbResult<number>(sys.getprotobyname(dbName(name, 'name')), 'getprotobyname', (r) => r < 0);
}
