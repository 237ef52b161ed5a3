// berkeley/posix: one synchronous function per system call, on integer fds,
// as luaposix's posix.sys.socket and the S-Lang socket module offer them.
// Sockets made here are blocking unless SOCK_NONBLOCK is passed; a call that
// would block on a non-blocking fd throws SocketError EAGAIN/EINPROGRESS.
import { constants as osConstants } from 'node:os';
import { binding, layout } from './sys/binding.js';
import { decodeAddress, encodeAddress, type SocketAddress } from './codec/sockaddr.js';
import {
  check, invalidArgType, invalidArgValue, registerGaiCodes, resolverError, systemError, type ErrorDetails,
} from './errors.js';
import {
  controlSpace, decodeControl, encodeControl, MAX_FDS, messageData, type Message, type ReceivedMessage,
} from './codec/message.js';
import {
  toBytes, validateBoolean, validateCString, validateFd, validateFlags, validateInt32, validateInteger,
  validateLength, validateObject, validateString, validateUint32,
} from './validate.js';

export * from './sys/constants.js';
export { SocketError, AbortError } from './errors.js';
export type { SocketAddress, Family } from './codec/sockaddr.js';
export type { Message, ReceivedMessage, Credentials, ControlMessage } from './codec/message.js';

const k = binding.constants;
registerGaiCodes(k);

// Scratch space reused by every call: results are copied out before return.
const out = new Int32Array(4);
const addrBuf = Buffer.alloc(layout.storage);

/** Where an address points, for error messages. */
export function addressDetails(address: SocketAddress | null | undefined): ErrorDetails {
  if (!address) return {};
  if (address.family === 'inet' || address.family === 'inet6') return { address: address.address, port: address.port };
  if (address.family === 'unix') return { path: address.path };
  return {};
}

/** socket(2): a new socket fd, close-on-exec. `type` may include SOCK_NONBLOCK. */
export function socket(domain: number, type: number, protocol = 0): number {
  return check(binding.socket(validateInt32(domain, 'domain'), validateInt32(type, 'type'), validateInt32(protocol, 'protocol')), 'socket');
}

/** socketpair(2): two connected fds, both close-on-exec. */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  const fds = new Int32Array(2);
  check(binding.socketpair(validateInt32(domain, 'domain'), validateInt32(type, 'type'), validateInt32(protocol, 'protocol'), fds), 'socketpair');
  return [fds[0], fds[1]];
}

/** bind(2). Unix paths that do not fit sun_path throw ENAMETOOLONG. */
export function bind(fd: number, address: SocketAddress): void {
  validateFd(fd);
  const a = encodeAddress(address, 'bind');
  check(binding.bind(fd, a.bytes, a.length), 'bind', addressDetails(address));
}

/** listen(2); the backlog defaults to SOMAXCONN. */
export function listen(fd: number, backlog: number = k.SOMAXCONN): void {
  check(binding.listen(validateFd(fd), validateInt32(backlog, 'backlog')), 'listen');
}

/** accept4(2) with SOCK_CLOEXEC (plus `flags`, e.g. SOCK_NONBLOCK): the new fd and the peer's address. */
export function accept(fd: number, flags = 0): [fd: number, peer: SocketAddress] {
  const cfd = check(binding.accept(validateFd(fd), validateFlags(flags), addrBuf, out), 'accept');
  return [cfd, decodeAddress(addrBuf, out[0]) ?? { family: 'unix', path: '' }];
}

/** connect(2). On a non-blocking fd, EINPROGRESS is thrown while the connect goes on. */
export function connect(fd: number, address: SocketAddress): void {
  validateFd(fd);
  const a = encodeAddress(address, 'connect');
  check(binding.connect(fd, a.bytes, a.length), 'connect', addressDetails(address));
}

/** send(2) with MSG_NOSIGNAL: the number of bytes sent (may be fewer than given). */
export function send(fd: number, data: Uint8Array | string, flags = 0): number {
  validateFd(fd);
  const bytes = toBytes(data);
  return check(binding.send(fd, bytes, 0, bytes.length, validateFlags(flags)), 'send');
}

function received(buf: Buffer, n: number): Buffer {
  // Keep a small result from pinning a large buffer.
  return n < buf.length >>> 1 && buf.length > 4096 ? Buffer.from(buf.subarray(0, n)) : buf.subarray(0, n);
}

/** recv(2): up to `length` bytes; an empty Buffer at end of stream. */
export function recv(fd: number, length: number, flags = 0): Buffer {
  validateFd(fd);
  const buf = Buffer.allocUnsafe(validateLength(length));
  const n = check(binding.recv(fd, buf, 0, buf.length, validateFlags(flags)), 'recv');
  return received(buf, n);
}

/** sendto(2) with MSG_NOSIGNAL. */
export function sendto(fd: number, data: Uint8Array | string, address: SocketAddress, flags = 0): number {
  validateFd(fd);
  const bytes = toBytes(data);
  const a = encodeAddress(address, 'sendto');
  return check(binding.sendto(fd, bytes, 0, bytes.length, validateFlags(flags), a.bytes, a.length), 'sendto', addressDetails(address));
}

/** recvfrom(2): the data and the sender's address (null on connected streams). */
export function recvfrom(fd: number, length: number, flags = 0): [Buffer, SocketAddress | null] {
  validateFd(fd);
  const buf = Buffer.allocUnsafe(validateLength(length));
  const n = check(binding.recvfrom(fd, buf, 0, buf.length, validateFlags(flags), addrBuf, out), 'recvfrom');
  return [received(buf, n), decodeAddress(addrBuf, out[0])];
}

/** sendmsg(2) with MSG_NOSIGNAL: gathered data, a destination, fds, credentials, raw control messages. */
export function sendmsg(fd: number, message: Message, flags = 0): number {
  validateFd(fd);
  const m = validateObject<Message>(message, 'message');
  const data = messageData(m.data);
  const control = encodeControl(m);
  const a = m.address !== undefined ? encodeAddress(m.address, 'sendmsg', 'message.address') : null;
  return check(binding.sendmsg(fd, data, a ? a.bytes : null, a ? a.length : 0, control, validateFlags(flags)), 'sendmsg', addressDetails(m.address));
}

export interface RecvmsgOptions {
  /** The most fds to accept (default 253, SCM_MAX_FD); any beyond are closed and controlTruncated is set. */
  maxFds?: number;
  /** Size of the control buffer in bytes; default room for maxFds fds, credentials and 256 bytes. */
  controlLength?: number;
  flags?: number;
}

/** recvmsg(2) with MSG_CMSG_CLOEXEC: data, sender, fds, credentials and control messages. */
export function recvmsg(fd: number, length: number, options: RecvmsgOptions = {}): ReceivedMessage {
  validateFd(fd);
  const o = validateObject<RecvmsgOptions>(options, 'options');
  const buf = Buffer.allocUnsafe(validateLength(length));
  const maxFds = o.maxFds === undefined ? MAX_FDS : validateInteger(o.maxFds, 'options.maxFds', 0, MAX_FDS);
  const ctlLen = o.controlLength === undefined ? controlSpace(maxFds) : validateInteger(o.controlLength, 'options.controlLength', 0, 65536);
  const ctl = Buffer.alloc(ctlLen);
  const n = check(binding.recvmsg(fd, buf, 0, buf.length, validateFlags(o.flags), addrBuf, ctl, out), 'recvmsg');
  return receivedMessage(received(buf, n), decodeAddress(addrBuf, out[0]), out[2], ctl, out[1], maxFds);
}

/** Assembles a ReceivedMessage from what recvmsg reported. */
export function receivedMessage(data: Buffer, address: SocketAddress | null, flags: number, ctl: Buffer, ctlLen: number, maxFds: number): ReceivedMessage {
  const c = decodeControl(ctl, ctlLen, maxFds);
  const msg: ReceivedMessage = {
    data, address, flags, fds: c.fds, control: c.control,
    truncated: (flags & k.MSG_TRUNC) !== 0,
    controlTruncated: (flags & k.MSG_CTRUNC) !== 0 || c.excess,
  };
  if (c.credentials) msg.credentials = c.credentials;
  if (c.pktinfo) msg.pktinfo = c.pktinfo;
  if (c.timestamp !== undefined) msg.timestamp = c.timestamp;
  if (c.segmentSize !== undefined) msg.segmentSize = c.segmentSize;
  return msg;
}

/** shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR. */
export function shutdown(fd: number, how: number): void {
  check(binding.shutdown(validateFd(fd), validateInt32(how, 'how')), 'shutdown');
}

/**
 * close(2). With `how` (a SHUT_* value, as lua-net's close(fd, flag)) the
 * connection is shut down first; a shutdown failure (ENOTCONN) is ignored.
 */
export function close(fd: number, how?: number): void {
  validateFd(fd);
  if (how !== undefined) binding.shutdown(fd, validateInt32(how, 'how'));
  check(binding.close(fd), 'close');
}

/** getsockname(2) */
export function getsockname(fd: number): SocketAddress {
  check(binding.getsockname(validateFd(fd), addrBuf, out), 'getsockname');
  return decodeAddress(addrBuf, out[0]) ?? { family: 'unix', path: '' };
}

/** getpeername(2); ENOTCONN when not connected. */
export function getpeername(fd: number): SocketAddress {
  check(binding.getpeername(validateFd(fd), addrBuf, out), 'getpeername');
  return decodeAddress(addrBuf, out[0]) ?? { family: 'unix', path: '' };
}

const MAX_OPTION_BYTES = 65536;

/**
 * getsockopt(2). `kind` 'int' (default) reads a C int; 'bytes' returns the raw
 * value (up to 64 KiB); a number reads that many bytes.
 */
export function getsockopt(fd: number, level: number, name: number, kind: 'int' | 'bytes' | number = 'int'): number | Buffer {
  validateFd(fd);
  validateInt32(level, 'level');
  validateInt32(name, 'name');
  let size: number;
  if (kind === 'int') size = layout.intSize;
  else if (kind === 'bytes') size = 4096;
  else if (typeof kind === 'number') size = validateInteger(kind, 'kind', 0, MAX_OPTION_BYTES);
  else throw invalidArgValue('kind', kind, "must be 'int', 'bytes' or a byte length");
  const buf = Buffer.alloc(size);
  check(binding.getsockopt(fd, level, name, buf, out), 'getsockopt');
  if (kind === 'int') {
    if (out[0] < layout.intSize) return out[0] === 1 ? buf[0] : out[0] === 2 ? (layout.littleEndian ? buf.readUInt16LE(0) : buf.readUInt16BE(0)) : 0;
    return layout.littleEndian ? buf.readInt32LE(0) : buf.readInt32BE(0);
  }
  return buf.subarray(0, out[0]);
}

/** The bytes of an option value: numbers and booleans as a C int, bytes as given. */
export function optionBytes(value: unknown, name = 'value'): Uint8Array {
  if (typeof value === 'boolean') value = value ? 1 : 0;
  if (typeof value === 'number') {
    const b = Buffer.alloc(layout.intSize);
    const v = validateInteger(value, name, -0x80000000, 0xffffffff) | 0;
    if (layout.littleEndian) b.writeInt32LE(v); else b.writeInt32BE(v);
    return b;
  }
  if (value instanceof Uint8Array) {
    if (value.length > MAX_OPTION_BYTES) throw invalidArgValue(name, `[${value.length} bytes]`, 'must be at most 64 KiB');
    return value;
  }
  throw invalidArgType(name, 'of type number, boolean or an instance of Uint8Array', value);
}

/** setsockopt(2) with an int, a boolean (as 0/1) or raw bytes (structs such as linger). */
export function setsockopt(fd: number, level: number, name: number, value: number | boolean | Uint8Array): void {
  validateFd(fd);
  check(binding.setsockopt(fd, validateInt32(level, 'level'), validateInt32(name, 'name'), optionBytes(value)), 'setsockopt');
}

/** Clears or sets O_NONBLOCK. */
export function setblocking(fd: number, blocking: boolean): void {
  check(binding.setblocking(validateFd(fd), validateBoolean(blocking, 'blocking')), 'fcntl');
}

export interface AddrInfoHints { family?: number; socktype?: number; protocol?: number; flags?: number }
export interface AddrInfo { family: number; socktype: number; protocol: number; address: SocketAddress; canonname?: string }

/** Validates getaddrinfo's host and service: strings without NUL, a port number, or null. */
export function lookupArgs(host: unknown, service: unknown): [string | null, string | null] {
  const h = host === null || host === undefined ? null : validateCString(host, 'host');
  let s: string | null;
  if (service === null || service === undefined) s = null;
  else if (typeof service === 'number') s = String(validateInteger(service, 'service', 0, 65535));
  else s = validateCString(service, 'service');
  if (h === null && s === null) throw invalidArgValue('host', host, 'and service cannot both be null');
  if (h !== null && h.length > 1024) throw invalidArgValue('host', host, 'is longer than NI_MAXHOST');
  if (s !== null && s.length > 63) throw invalidArgValue('service', service, 'is too long');
  return [h, s];
}

/** Turns the addon's getaddrinfo result into AddrInfo objects or a resolver error. */
export function addrInfoResult(raw: ReturnType<typeof binding.getaddrinfo>, host: string | null): AddrInfo[] {
  if (!Array.isArray(raw)) throw resolverError(raw.eai, raw.errno, binding.gaiStrerror(raw.eai), host);
  return raw.map(([family, socktype, protocol, addr, canonname]) => {
    const info: AddrInfo = { family, socktype, protocol, address: decodeAddress(addr, addr.length)! };
    if (canonname !== undefined) info.canonname = canonname;
    return info;
  });
}

/** getaddrinfo(3), blocking. EAI_NONAME/EAI_NODATA throw code ENOTFOUND, syscall 'getaddrinfo'. */
export function getaddrinfo(host: string | null, service?: string | number | null, hints: AddrInfoHints = {}): AddrInfo[] {
  const [h, s] = lookupArgs(host, service);
  const o = validateObject<AddrInfoHints>(hints, 'hints');
  const raw = binding.getaddrinfo(h, s, validateFlags(o.family, 'hints.family'), validateFlags(o.socktype, 'hints.socktype'),
    validateFlags(o.protocol, 'hints.protocol'), validateFlags(o.flags, 'hints.flags'));
  return addrInfoResult(raw, h);
}

/** getnameinfo(3), blocking: [host, service]. */
export function getnameinfo(address: SocketAddress, flags = 0): [host: string, service: string] {
  const a = encodeAddress(address, 'getnameinfo');
  const r = binding.getnameinfo(a.bytes, a.length, validateFlags(flags));
  if (!Array.isArray(r)) {
    const err = resolverError(r.eai, r.errno, binding.gaiStrerror(r.eai), null);
    err.syscall = 'getnameinfo';
    err.message = err.message.replace(/^getaddrinfo/, 'getnameinfo');
    Object.assign(err, addressDetails(address));
    throw err;
  }
  return r;
}

/** if_nametoindex(3); ENODEV for an unknown interface. */
export function if_nametoindex(name: string): number {
  validateCString(name, 'name');
  if (Buffer.byteLength(name) >= (k.IFNAMSIZ ?? 16)) throw systemError(-osConstants.errno.ENODEV, 'if_nametoindex');
  return check(binding.if_nametoindex(name), 'if_nametoindex');
}

/** if_indextoname(3); ENXIO for an unknown index. */
export function if_indextoname(index: number): string {
  const r = binding.if_indextoname(validateUint32(index, 'index'));
  if (typeof r === 'number') throw systemError(r, 'if_indextoname');
  return r;
}

/** if_nameindex(3): every interface's index and name. */
export function if_nameindex(): { index: number; name: string }[] {
  const r = binding.if_nameindex();
  if (typeof r === 'number') throw systemError(r, 'if_nameindex');
  return r.map(([index, name]) => ({ index, name }));
}

function ipFamily(family: number): number {
  validateInt32(family, 'family');
  if (family !== k.AF_INET && family !== k.AF_INET6) throw systemError(-osConstants.errno.EAFNOSUPPORT, 'inet_pton');
  return family;
}

/** inet_pton(3): 4 or 16 address bytes; ERR_INVALID_ARG_VALUE for text that is not an address. */
export function inet_pton(family: number, text: string): Buffer {
  ipFamily(family);
  validateString(text, 'text');
  const buf = Buffer.alloc(16);
  const rc = text.includes('\0') ? 0 : binding.inet_pton(family, text, buf);
  if (rc < 0) throw systemError(rc, 'inet_pton');
  if (rc === 0) throw invalidArgValue('text', text, `is not a valid ${family === k.AF_INET ? 'IPv4' : 'IPv6'} address`);
  return buf.subarray(0, family === k.AF_INET ? 4 : 16);
}

/** inet_ntop(3): the text form of 4 (AF_INET) or 16 (AF_INET6) address bytes. */
export function inet_ntop(family: number, bytes: Uint8Array): string {
  ipFamily(family);
  if (!(bytes instanceof Uint8Array)) throw invalidArgType('bytes', 'an instance of Uint8Array', bytes);
  const need = family === k.AF_INET ? 4 : 16;
  if (bytes.length !== need) throw invalidArgValue('bytes', bytes, `must be ${need} bytes long`);
  const r = binding.inet_ntop(family, bytes);
  if (typeof r === 'number') throw systemError(r, 'inet_ntop');
  return r;
}
