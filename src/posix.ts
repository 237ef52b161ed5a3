// berkeley/posix: one synchronous function per system call, on integer fds,
// as luaposix's posix.sys.socket and the S-Lang socket module offer them.
// Sockets made here are blocking unless SOCK_NONBLOCK is passed; a call that
// would block on a non-blocking fd throws SocketError EAGAIN/EINPROGRESS.
// The calls on names and addresses (getaddrinfo, inet_pton, the services
// database, ...) are in posix/netdb.ts, re-exported here.
/**
 * One synchronous function per system call, on integer fds, as luaposix's
 * posix.sys.socket and S-Lang's socket module offer them: {@link socket},
 * {@link bind}, {@link connect}, {@link sendmsg}, {@link getsockopt}, ... A
 * failed call throws a `SocketError` with its errno's name as `code` and the
 * call as `syscall`; a call that would block on a non-blocking fd throws
 * `EAGAIN` (or `EINPROGRESS` for connect). The C constants are exported
 * under their C names (`AF_INET`, `SOCK_STREAM`, `SOL_SOCKET`, `SO_*`,
 * `IPPROTO_*`, `MSG_*`, `TCP_*`, ...), each this platform's number, or
 * undefined where it lacks the constant; `constants` has them all by name.
 *
 * @packageDocumentation
 * @example
 * import * as posix from 'berkeley/posix';
 * const fd = posix.socket(posix.AF_INET, posix.SOCK_DGRAM);
 * posix.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
 * posix.sendto(fd, 'ping', posix.getsockname(fd));
 * const [data, from] = posix.recvfrom(fd, 1500);
 * posix.close(fd);
 */
import { Buffer } from 'node:buffer';
import { check } from './errors.js';
import { addressDetails } from './codec/address.js';
import { decodeAddress, encodeAddress, type SocketAddress } from './codec/sockaddr.js';
import { cmsgLen, cmsgSpace, controlSpace, encodeControl, MAX_FDS, messageData, receivedMessage, type Message, type ReceivedMessage } from './codec/message.js';
import { encodeOptionValue, optionValueReader, type IpMreqStruct, type Ipv6MreqStruct, type LingerStruct, type TimevalStruct } from './codec/options.js';
import type { AddrInfo } from './io/lookup.js';
import { SOMAXCONN } from './sys/constants.js';
import * as sys from './sys/fd.js';
import { toBytes, validateBoolean, validateFd, validateFlags, validateInt32, validateInteger, validateLength, validateObject } from './validate.js';

export * from './sys/constants.js';
export { SocketError, AbortError } from './errors.js';
export type { SocketAddress } from './codec/sockaddr.js';
export type { Family } from './codec/names.js';
export type { Message, ReceivedMessage, Credentials, ControlMessage } from './codec/message.js';
export type { AddrInfo };

/** The address a call left in the fd layer's scratch. */
const lastAddress = (): SocketAddress | null => decodeAddress(sys.sockaddr, sys.results[0]);

/**
 * socket(2): a new socket fd, close-on-exec. `type` may include SOCK_NONBLOCK.
 *
 * @throws {@link SocketError} `EAFNOSUPPORT`, `EPROTONOSUPPORT`, `EINVAL`, `EACCES` (raw sockets without the privilege), `EMFILE`.
 * @throws TypeError / RangeError for an argument that is not an int32.
 * @example
 * const fd = posix.socket(posix.AF_INET, posix.SOCK_DGRAM);
 */
export function socket(domain: number, type: number, protocol = 0): number {
  return check(sys.socket(validateInt32(domain, 'domain'), validateInt32(type, 'type'), validateInt32(protocol, 'protocol')), 'socket');
}

/**
 * socketpair(2): two connected fds, both close-on-exec.
 *
 * @throws {@link SocketError} `EOPNOTSUPP` (a family without pairs), `EMFILE`.
 * @throws TypeError / RangeError for an argument that is not an int32.
 * @example
 * const [a, b] = posix.socketpair(posix.AF_UNIX, posix.SOCK_STREAM);
 */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  check(sys.socketpair(validateInt32(domain, 'domain'), validateInt32(type, 'type'), validateInt32(protocol, 'protocol')), 'socketpair');
  return [sys.results[0], sys.results[1]];
}

/**
 * bind(2). Unix paths that do not fit sun_path throw ENAMETOOLONG.
 *
 * @throws {@link SocketError} `EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`, `ENAMETOOLONG`, `EBADF`, with the address.
 * @throws TypeError / RangeError for a bad fd or a malformed address, before the system call.
 * @example
 * posix.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
 */
export function bind(fd: number, address: SocketAddress): void {
  validateFd(fd);
  const a = encodeAddress(address, 'bind');
  check(sys.bind(fd, a.bytes, a.length), 'bind', addressDetails(address));
}

/**
 * listen(2); the backlog defaults to SOMAXCONN.
 *
 * @throws {@link SocketError} `EOPNOTSUPP` (not a stream or seqpacket socket), `EADDRINUSE`, `EBADF`.
 * @throws TypeError / RangeError for a bad fd or backlog.
 * @example
 * posix.listen(fd, 128);
 */
export function listen(fd: number, backlog: number = SOMAXCONN): void {
  check(sys.listen(validateFd(fd), validateInt32(backlog, 'backlog')), 'listen');
}

/**
 * accept4(2) with SOCK_CLOEXEC (plus `flags`, e.g. SOCK_NONBLOCK): the new fd and the peer's address.
 *
 * @throws {@link SocketError} `EAGAIN` on a non-blocking fd with no connection waiting, `EINVAL` (not listening), `EMFILE`.
 * @throws TypeError / RangeError for a bad fd or flags.
 * @example
 * const [conn, peer] = posix.accept(listener);
 */
export function accept(fd: number, flags = 0): [fd: number, peer: SocketAddress] {
  const cfd = check(sys.accept(validateFd(fd), validateFlags(flags)), 'accept');
  return [cfd, lastAddress() ?? { family: 'unix', path: '' }];
}

/**
 * connect(2). On a non-blocking fd, EINPROGRESS is thrown while the connect goes on.
 *
 * @throws {@link SocketError} `ECONNREFUSED`, `ENOENT` (no such Unix path), `ETIMEDOUT`, `ENETUNREACH`, `EINPROGRESS`, with the address.
 * @throws TypeError / RangeError for a bad fd or a malformed address, before the system call.
 * @example
 * posix.connect(fd, { family: 'unix', path: '/run/app.sock' });
 */
export function connect(fd: number, address: SocketAddress): void {
  validateFd(fd);
  const a = encodeAddress(address, 'connect');
  check(sys.connect(fd, a.bytes, a.length), 'connect', addressDetails(address));
}

/**
 * send(2) with MSG_NOSIGNAL: the number of bytes sent (may be fewer than given).
 *
 * @throws {@link SocketError} `EPIPE` (the peer is gone; no SIGPIPE), `EAGAIN` on a full non-blocking socket, `ENOTCONN`.
 * @throws TypeError / RangeError for a bad fd, data or flags.
 * @example
 * const n = posix.send(fd, 'hello');
 */
export function send(fd: number, data: Uint8Array | string, flags = 0): number {
  validateFd(fd);
  const bytes = toBytes(data);
  return check(sys.send(fd, bytes, 0, bytes.length, validateFlags(flags)), 'send');
}

function received(buf: Buffer, n: number): Buffer {
  // Keep a small result from pinning a large buffer.
  return n < buf.length >>> 1 && buf.length > 4096 ? Buffer.from(buf.subarray(0, n)) : buf.subarray(0, n);
}

/**
 * recv(2): up to `length` bytes; an empty Buffer at end of stream.
 *
 * @throws {@link SocketError} `EAGAIN` on a non-blocking fd with nothing to read, `ECONNRESET`, `ENOTCONN`.
 * @throws TypeError / RangeError for a bad fd, length or flags.
 * @example
 * const data = posix.recv(fd, 4096);
 */
export function recv(fd: number, length: number, flags = 0): Buffer {
  validateFd(fd);
  const buf = Buffer.allocUnsafe(validateLength(length));
  const n = check(sys.recv(fd, buf, 0, buf.length, validateFlags(flags)), 'recv');
  return received(buf, n);
}

/**
 * sendto(2) with MSG_NOSIGNAL: the number of bytes sent.
 *
 * @throws {@link SocketError} `EMSGSIZE`, `ECONNREFUSED` (an earlier datagram's ICMP error), `ENOENT` (no such Unix path), `EAGAIN`, with the address.
 * @throws TypeError / RangeError for a bad fd, data, address or flags, before the system call.
 * @example
 * posix.sendto(fd, 'ping', { family: 'inet', address: '127.0.0.1', port: 9000 });
 */
export function sendto(fd: number, data: Uint8Array | string, address: SocketAddress, flags = 0): number {
  validateFd(fd);
  const bytes = toBytes(data);
  const a = encodeAddress(address, 'sendto');
  return check(sys.sendto(fd, bytes, 0, bytes.length, validateFlags(flags), a.bytes, a.length), 'sendto', addressDetails(address));
}

/**
 * recvfrom(2): the data and the sender's address (null on connected streams).
 *
 * @throws {@link SocketError} `EAGAIN` on a non-blocking fd with nothing to read, `ECONNREFUSED`.
 * @throws TypeError / RangeError for a bad fd, length or flags.
 * @example
 * const [data, from] = posix.recvfrom(fd, 2048);
 */
export function recvfrom(fd: number, length: number, flags = 0): [Buffer, SocketAddress | null] {
  validateFd(fd);
  const buf = Buffer.allocUnsafe(validateLength(length));
  const n = check(sys.recvfrom(fd, buf, 0, buf.length, validateFlags(flags)), 'recvfrom');
  return [received(buf, n), lastAddress()];
}

/**
 * sendmsg(2) with MSG_NOSIGNAL: gathered data, a destination, fds, credentials, raw control messages.
 *
 * @throws {@link SocketError} `EPIPE`, `EAGAIN`, `EMSGSIZE`, `ETOOMANYREFS`, `EPERM` (forged credentials), with the address.
 * @throws TypeError / RangeError for a malformed message, before the system call.
 * @example
 * posix.sendmsg(fd, { data: ['head', 'body'], fds: [fileFd] });
 */
export function sendmsg(fd: number, message: Message, flags = 0): number {
  validateFd(fd);
  const m = validateObject<Message>(message, 'message');
  const data = messageData(m.data);
  const control = encodeControl(m);
  const a = m.address !== undefined ? encodeAddress(m.address, 'sendmsg', 'message.address') : null;
  return check(sys.sendmsg(fd, data, a ? a.bytes : null, a ? a.length : 0, control, validateFlags(flags)), 'sendmsg', addressDetails(m.address));
}

/** The options of {@link recvmsg}: how many fds to accept, the control buffer's size, MSG_* flags. */
export interface RecvmsgOptions {
  /** The most fds to accept (default 253, SCM_MAX_FD); any beyond are closed and controlTruncated is set. */
  maxFds?: number;
  /** Size of the control buffer in bytes; default room for maxFds fds, credentials and 256 bytes. */
  controlLength?: number;
  /** MSG_* flags (MSG_PEEK, MSG_DONTWAIT, MSG_ERRQUEUE, ...). */
  flags?: number;
}

/**
 * recvmsg(2) with MSG_CMSG_CLOEXEC: data, sender, fds, credentials and control messages.
 *
 * @throws {@link SocketError} `EAGAIN` on a non-blocking fd with nothing to read, `ECONNRESET`.
 * @throws TypeError / RangeError for a bad fd, length or option.
 * @example
 * const { data, fds } = posix.recvmsg(fd, 4096, { maxFds: 4 });
 */
export function recvmsg(fd: number, length: number, options: RecvmsgOptions = {}): ReceivedMessage {
  validateFd(fd);
  const o = validateObject<RecvmsgOptions>(options, 'options');
  const buf = Buffer.allocUnsafe(validateLength(length));
  const maxFds = o.maxFds === undefined ? MAX_FDS : validateInteger(o.maxFds, 'options.maxFds', 0, MAX_FDS);
  const ctlLen = o.controlLength === undefined ? controlSpace(maxFds) : validateInteger(o.controlLength, 'options.controlLength', 0, 65536);
  const ctl = Buffer.alloc(ctlLen);
  const n = check(sys.recvmsg(fd, buf, 0, buf.length, validateFlags(o.flags), ctl), 'recvmsg');
  return receivedMessage(received(buf, n), lastAddress(), sys.results[2], ctl, sys.results[1], maxFds);
}

/**
 * shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR.
 *
 * @throws {@link SocketError} `ENOTCONN`, `EINVAL`, `EBADF`.
 * @throws TypeError / RangeError for a bad fd or `how`.
 * @example
 * posix.shutdown(fd, posix.SHUT_WR);   // the peer reads end of stream
 */
export function shutdown(fd: number, how: number): void {
  check(sys.shutdown(validateFd(fd), validateInt32(how, 'how')), 'shutdown');
}

/**
 * close(2). With `how` (a SHUT_* value, as lua-net's close(fd, flag)) the
 * connection is shut down first; a shutdown failure (ENOTCONN) is ignored.
 *
 * @throws {@link SocketError} `EBADF` for an fd that is not open.
 * @throws TypeError / RangeError for a bad fd or `how`.
 * @example
 * posix.close(fd, posix.SHUT_RDWR);
 */
export function close(fd: number, how?: number): void {
  validateFd(fd);
  if (how !== undefined) sys.shutdown(fd, validateInt32(how, 'how'));
  check(sys.close(fd), 'close');
}

/**
 * getsockname(2): the address the socket is bound to.
 *
 * @throws {@link SocketError} `EBADF`, `ENOTSOCK`.
 * @throws TypeError / RangeError for a bad fd.
 * @example
 * const { port } = posix.getsockname(fd) as { port: number };
 */
export function getsockname(fd: number): SocketAddress {
  check(sys.getsockname(validateFd(fd)), 'getsockname');
  return lastAddress() ?? { family: 'unix', path: '' };
}

/**
 * getpeername(2): the address of the connected peer.
 *
 * @throws {@link SocketError} `ENOTCONN` when not connected, `EBADF`, `ENOTSOCK`.
 * @throws TypeError / RangeError for a bad fd.
 * @example
 * const peer = posix.getpeername(conn);
 */
export function getpeername(fd: number): SocketAddress {
  check(sys.getpeername(validateFd(fd)), 'getpeername');
  return lastAddress() ?? { family: 'unix', path: '' };
}

export type { LingerStruct, TimevalStruct, IpMreqStruct, Ipv6MreqStruct } from './codec/options.js';

/**
 * getsockopt(2). Options with a struct or string value come back decoded, as
 * S-Lang and luaposix return them: SO_LINGER `{ l_onoff, l_linger }`,
 * SO_RCVTIMEO/SO_SNDTIMEO `{ tv_sec, tv_usec }`, SO_BINDTODEVICE and
 * TCP_CONGESTION a string; others a C int. `kind` forces a representation:
 * 'int' reads a C int, 'bytes' the raw value (up to 64 KiB), a number that
 * many bytes.
 *
 * @throws {@link SocketError} `ENOPROTOOPT` (no such option at that level), `EBADF`, `ENOTSOCK`.
 * @throws TypeError / RangeError for a bad fd, level, name or kind.
 * @example
 * const { l_onoff, l_linger } = posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER) as posix.LingerStruct;
 */
export function getsockopt(fd: number, level: number, name: number, kind?: 'int' | 'bytes' | number): number | Buffer | string | LingerStruct | TimevalStruct {
  validateFd(fd);
  validateInt32(level, 'level');
  validateInt32(name, 'name');
  const reader = optionValueReader(level, name, kind);
  check(sys.getsockopt(fd, level, name, reader.size), 'getsockopt');
  return reader.decode(sys.option, sys.results[0]) as number | Buffer | string | LingerStruct | TimevalStruct;
}

/**
 * setsockopt(2) with an int, a boolean (as 0/1), raw bytes, or the option's
 * struct or string: SO_LINGER `{ l_onoff, l_linger }`, SO_RCVTIMEO/SO_SNDTIMEO
 * `{ tv_sec, tv_usec }`, IP_ADD/DROP_MEMBERSHIP `{ imr_multiaddr,
 * imr_interface }`, IPV6_JOIN/LEAVE_GROUP `{ ipv6mr_multiaddr,
 * ipv6mr_interface }`, SO_BINDTODEVICE and TCP_CONGESTION a string.
 * luaposix's two-value form, `setsockopt(fd, level, name, value1, value2)`,
 * sets SO_LINGER (l_onoff, l_linger) and the timeouts (tv_sec, tv_usec).
 *
 * @throws {@link SocketError} `ENOPROTOOPT`, `EINVAL` (a value the kernel refuses), `EPERM`, `EBADF`.
 * @throws TypeError / RangeError for a bad fd, level or name, or a value of the wrong shape, before the system call.
 * @example
 * posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_SNDTIMEO, 1, 0);   // luaposix
 * posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER, { l_onoff: 1, l_linger: 10 });   // S-Lang
 */
export function setsockopt(fd: number, level: number, name: number,
  value: number | boolean | string | Uint8Array | LingerStruct | TimevalStruct | IpMreqStruct | Ipv6MreqStruct, value2?: number): void {
  validateFd(fd);
  validateInt32(level, 'level');
  validateInt32(name, 'name');
  check(sys.setsockopt(fd, level, name, encodeOptionValue(level, name, value, value2)), 'setsockopt');
}

/**
 * Clears or sets O_NONBLOCK (fcntl(2) F_SETFL).
 *
 * @throws {@link SocketError} `EBADF`, with syscall 'fcntl'.
 * @throws TypeError for a bad fd or a `blocking` that is not a boolean.
 * @example
 * posix.setblocking(fd, false);   // calls that would wait throw EAGAIN instead
 */
export function setblocking(fd: number, blocking: boolean): void {
  check(sys.setblocking(validateFd(fd), validateBoolean(blocking, 'blocking')), 'fcntl');
}

/** getaddrinfo(3)'s hints, by number: AF_*, SOCK_*, IPPROTO_* and AI_* flags (0 or absent: any). */
export interface AddrInfoHints { family?: number; socktype?: number; protocol?: number; flags?: number }

// The resolver, interface, inet_pton/inet_ntop and services/protocols calls.
export {
  getaddrinfo, getnameinfo, if_nametoindex, if_indextoname, if_nameindex, inet_pton, inet_ntop, getservbyname, getservbyport, getprotobyname,
} from './posix/netdb.js';

/** The largest payloads CMSG_LEN / CMSG_SPACE take: Python's bounds, whose results fit an int (socklen_t as Python limits it). */
const MAX_CMSG_LEN = 0x7fffffff - cmsgLen(0);
const MAX_CMSG_SPACE = 0x7fffffff - cmsgSpace(1);

/**
 * CMSG_LEN(3): the `cmsg_len` of a control message carrying `length` bytes
 * of data (header plus data, no trailing padding), as Python's
 * socket.CMSG_LEN.
 *
 * @throws RangeError (`ERR_OUT_OF_RANGE`) for a length that is not an integer, negative, or so large the result overflows an int.
 * @example
 * posix.CMSG_LEN(4);   // 20 on 64-bit Linux: one fd
 */
export function CMSG_LEN(length: number): number {
  return cmsgLen(validateInteger(length, 'length', 0, MAX_CMSG_LEN));
}

/**
 * CMSG_SPACE(3): the bytes a control message carrying `length` bytes of
 * data occupies in a control buffer, padding included, as Python's
 * socket.CMSG_SPACE: sum it over the messages to size `controlLength`.
 *
 * @throws RangeError (`ERR_OUT_OF_RANGE`) for a length that is not an integer, negative, or so large the result overflows an int.
 * @example
 * posix.CMSG_SPACE(4 * 3);   // room for three fds
 */
export function CMSG_SPACE(length: number): number {
  return cmsgSpace(validateInteger(length, 'length', 0, MAX_CMSG_SPACE));
}

/** gethostname(2): this machine's host name, as Python's socket.gethostname and Node's os.hostname. */
export { gethostname } from './sys/features.js';
