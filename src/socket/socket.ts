// socket/ is the Socket class: its state (state.ts), its operations by idea
// (receive.ts, send.ts, connect.ts, sockopt.ts), tcp()/udp()'s deferred
// family (family.ts), iteration (iterate.ts), node:net interop (interop.ts)
// and this façade.
//
// The Socket class: the façade of the socket layer. Every I/O method is an
// async/sync pair of one-liners over one op (receive.ts, send.ts,
// connect.ts) run by the engine's two drivers (io/engine.ts); options,
// iteration and node:net interop delegate to their own modules. The state
// lives behind a module-private symbol (state.ts), shared with select(),
// net.ts and the iterator.
import type net from 'node:net';
import type dgram from 'node:dgram';
import { invalidArgValue, systemError } from '../errors.js';
import { validateBoolean, validateFd, validateInteger, validateTimeout } from '../validate.js';
import type { AddressLike } from '../codec/address.js';
import { familyName, familyNumber, protocolNumber, shutdownNumber, typeName, typeNumber, type Family, type SocketType } from '../codec/names.js';
import { decodeAddress, type SocketAddress } from '../codec/sockaddr.js';
import type { Message, ReceivedMessage } from '../codec/message.js';
import type { OptionName } from '../codec/options.js';
import { AF_UNSPEC, SOCK_NONBLOCK, SOL_SOCKET, SOMAXCONN, SO_DOMAIN, SO_PROTOCOL, SO_TYPE } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import { callOptions, Op, runAsync, runSync } from '../io/engine.js';
import { EAGAIN } from '../sys/errno.js';
import { READ, WRITE, type Direction } from '../io/readiness.js';
import { Accept, bind, Connect, listen } from './connect.js';
import { fromNodeSocket, toNodeSocket } from './interop.js';
import { iterate } from './iterate.js';
import { DEFAULT_RECV, Receive, Recv, RecvFrom, RecvInto, RecvMany, RecvMsg, type Datagram } from './receive.js';
import { Send, SendAll, SendMany, SendMsg, SendTo, splitSegments } from './send.js';
import { getOption, getsockopt, intOption, membership, multicastOption, setOption, setsockopt, sourceMembership } from './sockopt.js';
import { kState, SocketState } from './state.js';

export type { AddressLike, SocketType };

/** Per-call options of every I/O method. */
export interface IoOptions {
  /** A limit for this whole call in ms (null: none); the socket's own timeouts still apply. */
  timeout?: number | null;
  /** Cancels the call with an AbortError. Sync calls only check it before starting. */
  signal?: AbortSignal;
}

type Flags = IoOptions & { flags?: number };
type RecvMsgOptions = Flags & { size?: number; maxFds?: number; controlLength?: number };
type RecvManyOptions = Flags & { maxMessages?: number; size?: number; controlLength?: number; buffer?: Uint8Array };
type Level = number | 'socket' | 'ip' | 'ipv6' | 'tcp' | 'udp';

/** Made by this module for its own constructor calls: `new Socket(kAdopt, state)` wraps an existing state. */
const kAdopt = Symbol('berkeley.adopt');
const NONBLOCK = SOCK_NONBLOCK ?? 0;

/** A Socket around a new state that owns `fd`; with `made`, the fd is closed when it cannot be owned. */
function adopt(fd: number, family: number, type: number, protocol: number, made: boolean, ref = true): Socket {
  const s = new SocketState(family, type, protocol);
  if (!ref) s.setRef(false);
  try {
    s.own(fd);
  } catch (err) {
    if (made) sys.close(fd);
    throw err;
  }
  return new Socket(kAdopt as never, s as never);
}

/** A tcp()/udp() socket: no fd until the first bind/connect/send picks its family. */
export function deferredSocket(type: number, protocol: number, v6only?: boolean): Socket {
  const s = new SocketState(AF_UNSPEC, type, protocol);
  s.deferred = { type, protocol, options: [], v6only };
  return new Socket(kAdopt as never, s as never);
}

/** Waits until a read (or write) would not block: buffered input counts as readable. */
class Ready extends Op<void, SocketState> {
  readonly syscall = 'poll';
  #s!: SocketState;
  #waited = false;
  constructor(dir: Direction, private readonly opts: unknown) { super(); this.dir = dir; }
  start(s: SocketState): void { this.call = callOptions(this.opts); this.#s = s; }
  attempt(): void | number {
    if (this.#waited || (this.dir === READ && this.#s.buffered())) return;
    this.#waited = true;
    return EAGAIN;
  }
}

/**
 * A socket of any family and type. The fd is non-blocking and close-on-exec;
 * blocking behaviour comes from timeouts (setTimeout), applied alike to the
 * Promise-returning methods and their ...Sync twins.
 */
export class Socket implements Disposable, AsyncDisposable {
  /** @internal */
  readonly [kState]: SocketState;

  /**
   * socket(2): `family` 'inet' | 'inet6' | 'unix' | 'netlink' | 'packet' or an
   * AF_* number; `type` 'stream' | 'dgram' | 'seqpacket' | 'raw' | 'rdm' or a
   * SOCK_* number; `protocol` a number or a name ('tcp', 'udp', 'icmp',
   * 'icmpv6'; 'route', 'generic' for netlink; 'all', 'ip', 'arp' for packet).
   * Throws TypeError for unknown names, SocketError if the kernel refuses.
   */
  constructor(family: Family | number, type: SocketType | number, protocol?: number | string) {
    if ((family as unknown) === kAdopt) {
      this[kState] = type as unknown as SocketState;
    } else {
      const af = familyNumber(family);
      const st = typeNumber(type);
      const proto = protocolNumber(protocol, af);
      const fd = sys.socket(af, st | NONBLOCK, proto);
      if (fd < 0) throw systemError(fd, 'socket');
      if (!NONBLOCK) sys.setblocking(fd, false);
      const s = new SocketState(af, st, proto);
      try {
        s.own(fd);
      } catch (err) {
        sys.close(fd);
        throw err;
      }
      this[kState] = s;
    }
    this[kState].track(this);
  }

  /** Adopts an open socket fd (LuaSocket's setfd, lua-net's wrap); family, type and protocol are read from the kernel. The fd is made non-blocking. */
  static from(fd: number): Socket {
    validateFd(fd);
    const type = intOption(fd, SOL_SOCKET, SO_TYPE);
    const family = SO_DOMAIN !== undefined ? intOption(fd, SOL_SOCKET, SO_DOMAIN) : localFamily(fd);
    const protocol = SO_PROTOCOL !== undefined ? intOption(fd, SOL_SOCKET, SO_PROTOCOL) : 0;
    const rc = sys.setblocking(fd, false);
    if (rc < 0) throw systemError(rc, 'fcntl');
    return adopt(fd, family, type, protocol, false);
  }

  /** socketpair(2): two connected sockets, by default a Unix stream pair. */
  static pair(type: SocketType | number = 'stream', family: Family | number = 'unix'): [Socket, Socket] {
    const af = familyNumber(family);
    const st = typeNumber(type);
    const rc = sys.socketpair(af, st | NONBLOCK, 0);
    if (rc < 0) throw systemError(rc, 'socketpair');
    const [a, b] = sys.pair;
    let first: Socket | null = null;
    try {
      first = adopt(a, af, st, 0, true);
      return [first, adopt(b, af, st, 0, true)];
    } catch (err) {
      if (first) first.close(); else sys.close(b);
      throw err;
    }
  }

  /**
   * A berkeley Socket on a duplicate (F_DUPFD_CLOEXEC) of a node:net or
   * node:dgram socket's fd, to set options or use calls Node lacks. Both stay
   * usable; closing one does not close the other.
   */
  static fromNodeSocket(s: net.Socket | dgram.Socket): Socket { return fromNodeSocket(s, Socket.from); }

  /** The file descriptor, or -1 once closed or detached (or before a tcp()/udp() socket picked its family). */
  get fd(): number { return this[kState].fd; }
  /** The family by name ('inet', ...) or AF_* number; 'inet' for a tcp()/udp() socket until its family is chosen. */
  get family(): Family | number { const s = this[kState]; return s.deferred ? 'inet' : familyName(s.family); }
  /** The type by name ('stream', ...) or SOCK_* number. */
  get type(): SocketType | number { return typeName(this[kState].type); }
  /** The protocol number (0: the family's default). */
  get protocol(): number { return this[kState].protocol; }
  /** Whether the socket was closed or detached (a tcp()/udp() socket without an fd yet is not closed). */
  get closed(): boolean { const s = this[kState]; return s.fd < 0 && !s.deferred; }

  // ---- lifecycle ----------------------------------------------------------

  /** close(2). Idempotent; fd becomes -1 first, pending operations reject with ERR_SOCKET_CLOSED, and no later call touches the old fd number. Read-ahead datagrams are dropped and their fds closed. */
  close(): void { const s = this[kState]; s.deferred = null; s.disown(true); }
  /** Gives up the fd without closing it (LuaSocket's getfd + setfd(-1)); the socket is closed afterwards. Read-ahead datagrams are dropped. */
  detach(): number { const s = this[kState]; s.open('detach'); return s.disown(false); }
  [Symbol.dispose](): void { this.close(); }
  async [Symbol.asyncDispose](): Promise<void> { this.close(); }
  /** Pending operations keep the process alive (the default). */
  ref(): this { this[kState].setRef(true); return this; }
  /** Pending operations do not keep the process alive. */
  unref(): this { this[kState].setRef(false); return this; }

  // ---- timeouts -----------------------------------------------------------

  /**
   * LuaSocket's settimeout, in ms: 'block' bounds each wait for readiness,
   * 'total' the whole call; with both, whichever comes first. null or any
   * negative value = no limit (LuaSocket: "Negative timeout values have the
   * same effect" as nil); 0 = never wait (ETIMEDOUT at once when a call would
   * block). NaN is a RangeError.
   */
  setTimeout(ms: number | null, mode: 'block' | 'total' | 'b' | 't' = 'block'): void {
    const v = validateTimeout(ms, 'ms');
    if (mode === 'block' || mode === 'b') this[kState].block = v;
    else if (mode === 'total' || mode === 't') this[kState].total = v;
    else throw invalidArgValue('mode', mode, "must be 'block' or 'total'");
  }
  /** LuaSocket's gettimeout: both limits in ms (null: none). */
  getTimeout(): { block: number | null; total: number | null } { const s = this[kState]; return { block: s.block, total: s.total }; }
  /** nixio's setblocking: false is setTimeout(0), true is setTimeout(null). */
  setBlocking(blocking: boolean): void { this[kState].block = validateBoolean(blocking, 'blocking') ? null : 0; }

  // ---- naming and connecting ------------------------------------------------

  /** bind(2). Host names are resolved synchronously; '*' is the wildcard address. Each resolved address is tried in turn. */
  bind(address: AddressLike): void { bind(this[kState], address); }
  /** listen(2); the backlog defaults to SOMAXCONN. */
  listen(backlog: number = SOMAXCONN): void { listen(this[kState], backlog); }
  /** connect(2). Host names are resolved on the thread pool and each address tried in turn; the last error is thrown with `errors` listing all. */
  connect(address: AddressLike, opts?: IoOptions): Promise<void> { return runAsync(this[kState], new Connect(address, opts)); }
  /** The blocking twin of connect(). */
  connectSync(address: AddressLike, opts?: IoOptions): void { runSync(this[kState], new Connect(address, opts)); }
  /** accept4(2): the next connection as a new Socket (non-blocking, close-on-exec). */
  accept(opts?: IoOptions): Promise<Socket> { return runAsync(this[kState], new Accept(opts)).then((fd) => this.#accepted(fd)); }
  /** The blocking twin of accept(). */
  acceptSync(opts?: IoOptions): Socket { return this.#accepted(runSync(this[kState], new Accept(opts))); }
  #accepted(fd: number): Socket { const s = this[kState]; return adopt(fd, s.family, s.type, s.protocol, true, s.ref); }
  /** getsockname(2) */
  localAddress(): SocketAddress { return nameOf(sys.getsockname(this[kState].open('getsockname')), 'getsockname'); }
  /** getpeername(2); ENOTCONN when not connected. */
  remoteAddress(): SocketAddress { return nameOf(sys.getpeername(this[kState].open('getpeername')), 'getpeername'); }
  /** shutdown(2): 'both' (default, also 'rdwr'), 'send' ('wr'), 'receive' ('rd'), or SHUT_*. */
  shutdown(how: 'both' | 'send' | 'receive' | 'rdwr' | 'wr' | 'rd' | number = 'both'): void {
    const rc = sys.shutdown(this[kState].open('shutdown'), shutdownNumber(how));
    if (rc < 0) throw systemError(rc, 'shutdown');
  }

  // ---- sending --------------------------------------------------------------

  /** One send(2) (MSG_NOSIGNAL): the number of bytes sent, possibly fewer than given. */
  send(data: Uint8Array | string, opts?: Flags): Promise<number> { return runAsync(this[kState], new Send(data, opts)); }
  /** The blocking twin of send(). */
  sendSync(data: Uint8Array | string, opts?: Flags): number { return runSync(this[kState], new Send(data, opts)); }
  /**
   * Sends everything, looping over partial sends; a failure carries `sent` (bytes that did go out).
   *
   * With `i` (and `j`), LuaSocket's send(data, i, j): sends the bytes Lua's
   * string.sub(data, i, j) selects (1-based, inclusive, negative from the
   * end, clamped; strings count UTF-8 bytes) and resolves to the index of the
   * last byte sent within [i, j] (i - 1 when the range is empty). A failure
   * carries that index as `lastIndex`, so `sendAll(data, err.lastIndex + 1, j)`
   * resumes. Indices are integers (RangeError otherwise).
   * @example
   * const last = await sock.sendAll('hello world', 7);     // sends 'world', resolves to 11
   * await sock.sendAll(bytes, -3);                          // the last 3 bytes
   */
  sendAll(data: Uint8Array | string, opts?: IoOptions): Promise<void>;
  sendAll(data: Uint8Array | string, i: number, j?: number, opts?: IoOptions): Promise<number>;
  sendAll(data: Uint8Array | string, i?: number | IoOptions, j?: number, opts?: IoOptions): Promise<number | void> { return runAsync(this[kState], new SendAll(data, i, j, opts)); }
  /** The blocking twin of sendAll(): undefined, or with `i` the index of the last byte sent. */
  sendAllSync(data: Uint8Array | string, opts?: IoOptions): void;
  sendAllSync(data: Uint8Array | string, i: number, j?: number, opts?: IoOptions): number;
  sendAllSync(data: Uint8Array | string, i?: number | IoOptions, j?: number, opts?: IoOptions): number | void { return runSync(this[kState], new SendAll(data, i, j, opts)); }
  /** sendto(2) (MSG_NOSIGNAL); host names are resolved on the thread pool (first address). */
  sendTo(data: Uint8Array | string, address: AddressLike, opts?: Flags): Promise<number> { return runAsync(this[kState], new SendTo(data, address, opts)); }
  /** The blocking twin of sendTo(). */
  sendToSync(data: Uint8Array | string, address: AddressLike, opts?: Flags): number { return runSync(this[kState], new SendTo(data, address, opts)); }
  /** sendmsg(2) (MSG_NOSIGNAL): gathered data, a destination, fds, credentials, control messages, a GSO segment size (split into datagrams where the kernel lacks GSO). Returns bytes sent. */
  sendMsg(message: Message, opts?: Flags): Promise<number> {
    return splitSegments(message) ? runAsync(this[kState], new SendMany([message], opts, true)) : runAsync(this[kState], new SendMsg(message, opts));
  }
  /** The blocking twin of sendMsg(). */
  sendMsgSync(message: Message, opts?: Flags): number {
    return splitSegments(message) ? runSync(this[kState], new SendMany([message], opts, true)) : runSync(this[kState], new SendMsg(message, opts));
  }
  /** sendmmsg(2): every message (bytes, strings, or Message objects), in batches of up to 256, waiting as needed. Returns how many were sent; a failure carries that count as `sent`. */
  sendMany(messages: (Message | Uint8Array | string)[], opts?: Flags): Promise<number> { return runAsync(this[kState], new SendMany(messages, opts)); }
  /** The blocking twin of sendMany(). */
  sendManySync(messages: (Message | Uint8Array | string)[], opts?: Flags): number { return runSync(this[kState], new SendMany(messages, opts)); }

  // ---- receiving ------------------------------------------------------------

  /** One recv(2) of up to `size` bytes (default 65536); buffered receive() data comes first. Empty at end of stream. */
  recv(size = DEFAULT_RECV, opts?: Flags): Promise<Buffer> { return runAsync(this[kState], new Recv(size, opts)); }
  /** The blocking twin of recv(). */
  recvSync(size = DEFAULT_RECV, opts?: Flags): Buffer { return runSync(this[kState], new Recv(size, opts)); }
  /** recv(2) into your own buffer: the number of bytes written (0 at end of stream). */
  recvInto(buffer: Uint8Array, opts?: Flags): Promise<number> { return runAsync(this[kState], new RecvInto(buffer, opts)); }
  /** The blocking twin of recvInto(). */
  recvIntoSync(buffer: Uint8Array, opts?: Flags): number { return runSync(this[kState], new RecvInto(buffer, opts)); }
  /** recvfrom(2): one datagram (up to `size` bytes), its sender, and whether it was cut short. */
  recvFrom(size = DEFAULT_RECV, opts?: Flags): Promise<Datagram> { return runAsync(this[kState], new RecvFrom(size, opts)); }
  /** The blocking twin of recvFrom(). */
  recvFromSync(size = DEFAULT_RECV, opts?: Flags): Datagram { return runSync(this[kState], new RecvFrom(size, opts)); }
  /** recvmsg(2) (MSG_CMSG_CLOEXEC): data, sender, fds, credentials, control messages, truncation flags. */
  recvMsg(opts?: RecvMsgOptions): Promise<ReceivedMessage> { return runAsync(this[kState], new RecvMsg(opts)); }
  /** The blocking twin of recvMsg(). */
  recvMsgSync(opts?: RecvMsgOptions): ReceivedMessage { return runSync(this[kState], new RecvMsg(opts)); }
  /**
   * recvmmsg(2): waits for at least one datagram, then returns up to
   * `maxMessages` (default 32) of at most `size` bytes (default 4096) each,
   * copied into one buffer sized to what arrived or, with `buffer` (at least
   * maxMessages x size bytes, yours to reuse), received straight into it as
   * views. Addresses are decoded when first read.
   */
  recvMany(opts?: RecvManyOptions): Promise<ReceivedMessage[]> { return runAsync(this[kState], new RecvMany(opts)); }
  /** The blocking twin of recvMany(). */
  recvManySync(opts?: RecvManyOptions): ReceivedMessage[] { return runSync(this[kState], new RecvMany(opts)); }
  /**
   * LuaSocket's receive: 'line' (default, also '*l': up to LF, without the LF
   * and every CR), 'all' ('*a': until the peer closes), or a byte count
   * (exactly that many). `prefix` is prepended. On ETIMEDOUT or EOF the
   * error's `partial` holds prefix plus what was read, so
   * receive(pattern, err.partial) resumes.
   */
  receive(pattern?: 'line' | 'all' | '*l' | '*a' | number, prefix?: string | Uint8Array, opts?: IoOptions): Promise<Buffer> {
    return runAsync(this[kState], new Receive(pattern, prefix, opts));
  }
  /** The blocking twin of receive(). */
  receiveSync(pattern?: 'line' | 'all' | '*l' | '*a' | number, prefix?: string | Uint8Array, opts?: IoOptions): Buffer {
    return runSync(this[kState], new Receive(pattern, prefix, opts));
  }
  /** Whether receive() (or a loop's read-ahead) left input that a read returns without a system call. */
  dirty(): boolean { return this[kState].buffered(); }
  /** Resolves when a read would not block (buffered input counts); ETIMEDOUT past the deadline. */
  readable(opts?: IoOptions): Promise<void> { return runAsync(this[kState], new Ready(READ, opts)); }
  /** Resolves when a write would not block; ETIMEDOUT past the deadline. */
  writable(opts?: IoOptions): Promise<void> { return runAsync(this[kState], new Ready(WRITE, opts)); }

  // ---- options --------------------------------------------------------------

  /** Sets an option by name ('reuseaddr', 'tcp-nodelay', 'linger', ...); ENOPROTOOPT where the platform lacks it. A tcp()/udp() socket without a family yet remembers it. */
  setOption(name: OptionName, value: unknown): void { setOption(this[kState], name, value); }
  /** Reads an option by name, decoded ('linger' -> { on, timeout }, 'error' -> a code or null, 'tcp-info' -> an object). */
  getOption(name: OptionName): unknown { return getOption(this[kState], name); }
  /**
   * nixio's setopt, S-Lang's and luaposix's setsockopt: level 'socket' | 'ip' |
   * 'ipv6' | 'tcp' | 'udp' or a number; name as nixio spells it (a named
   * option with its decoded value), or a constant name of that level or a
   * number. By number, SO_LINGER takes { l_onoff, l_linger }, SO_RCVTIMEO and
   * SO_SNDTIMEO { tv_sec, tv_usec } (or luaposix's two values, `value2`),
   * IP_ADD/DROP_MEMBERSHIP { imr_multiaddr, imr_interface },
   * IPV6_JOIN/LEAVE_GROUP { ipv6mr_multiaddr, ipv6mr_interface },
   * SO_BINDTODEVICE and TCP_CONGESTION a string; other options a number,
   * boolean or raw bytes.
   * @example
   * sock.setsockopt(SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 10 });  // S-Lang
   * sock.setsockopt(SOL_SOCKET, SO_SNDTIMEO, 1, 500000);                    // luaposix
   */
  setsockopt(level: Level, name: number | string, value: number | boolean | string | Uint8Array | object, value2?: number): void { setsockopt(this[kState], level, name, value, value2); }
  /** nixio's getopt, S-Lang's and luaposix's getsockopt: as setsockopt (structs and strings decoded by number); `kind` 'int', 'bytes' or a byte length forces a raw representation. */
  getsockopt(level: Level, name: number | string, kind?: 'int' | 'bytes' | number): unknown { return getsockopt(this[kState], level, name, kind); }
  /** Joins a multicast group, on an interface given by name, index or (IPv4) address; default: the kernel's choice. */
  addMembership(group: string, iface: string | number = 0): void { membership(this[kState], true, group, iface); }
  /** Leaves a multicast group joined with addMembership. */
  dropMembership(group: string, iface: string | number = 0): void { membership(this[kState], false, group, iface); }
  /** Source-specific membership (IPv4): receive `group` only from `source`; `iface` is an IPv4 address. */
  addSourceMembership(group: string, source: string, iface = '0.0.0.0'): void { sourceMembership(this[kState], true, group, source, iface); }
  /** Leaves a source-specific membership. */
  dropSourceMembership(group: string, source: string, iface = '0.0.0.0'): void { sourceMembership(this[kState], false, group, source, iface); }
  /** The interface outgoing multicast leaves by: a name or index (or an IPv4 address on inet sockets). */
  setMulticastInterface(iface: string | number): void { multicastOption(this[kState], 'ip-multicast-if', 'ipv6-multicast-if', iface); }
  /** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS. */
  setMulticastTTL(ttl: number): void { multicastOption(this[kState], 'ip-multicast-ttl', 'ipv6-multicast-hops', validateInteger(ttl, 'ttl', 0, 255)); }
  /** IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: whether this host receives what it sends to a group. */
  setMulticastLoopback(on: boolean): void { multicastOption(this[kState], 'ip-multicast-loop', 'ipv6-multicast-loop', validateBoolean(on, 'on')); }

  // ---- accounting -------------------------------------------------------------

  /** LuaSocket's getstats: bytes received, bytes sent, age in seconds. */
  stats(): { received: number; sent: number; age: number } {
    const s = this[kState];
    return { received: s.received, sent: s.sent, age: (Date.now() - s.born) / 1000 };
  }
  /** LuaSocket's setstats. */
  setStats(received: number, sent: number, age: number): void {
    validateInteger(received, 'received', 0);
    validateInteger(sent, 'sent', 0);
    if (typeof age !== 'number' || !(age >= 0) || age === Infinity) throw invalidArgValue('age', age, 'must be a finite number >= 0');
    const s = this[kState];
    s.received = received;
    s.sent = sent;
    s.born = Date.now() - age * 1000;
  }

  // ---- node:net interop and iteration ----------------------------------------------

  /**
   * Hands a stream socket (TCP or Unix stream) over to node:net: the result
   * owns the fd, this socket is detached. Data buffered by receive() comes
   * first. Works with node:tls and node:http (server.emit('connection', ...)).
   */
  toNodeSocket(): net.Socket { return toNodeSocket(this[kState], () => this.detach()); }

  /**
   * `for await` yields accepted connections of a listening socket; on a
   * stream socket what each recvMsg reads, ending at end of stream; on
   * datagram sockets one message per datagram, read up to 16 per recvmmsg(2),
   * the rest kept for later receive calls so leaving the loop loses none.
   * Ends when the socket is closed.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Socket | ReceivedMessage> { return iterate(this[kState], () => this.accept()); }
}

/** The address getsockname/getpeername left in the scratch, or their error. */
function nameOf(rc: number, syscall: string): SocketAddress {
  if (rc < 0) throw systemError(rc, syscall);
  return decodeAddress(sys.sockaddr, sys.results[0]) ?? { family: 'unix', path: '' };
}

/** The family of an fd from its local address, where SO_DOMAIN is missing. */
function localFamily(fd: number): number {
  const rc = sys.getsockname(fd);
  if (rc < 0) throw systemError(rc, 'getsockname');
  const a = decodeAddress(sys.sockaddr, sys.results[0]);
  return a === null ? AF_UNSPEC : typeof a.family === 'number' ? a.family : familyNumber(a.family);
}
