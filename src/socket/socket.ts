// The Socket class: every family and type, non-blocking underneath. Async
// methods try the system call, and on EAGAIN wait for readiness on Node's
// event loop (readiness.ts); ...Sync methods wait in poll(2) instead. Both
// honour the socket's block/total timeouts and a per-call { timeout, signal }.
import { constants as osConstants } from 'node:os';
import net from 'node:net';
import type dgram from 'node:dgram';
import { binding, layout } from '../sys/binding.js';
import {
  AF, decodeAddress, encodeAddress, familyName, familyNumber, type EncodedAddress, type Family, type SocketAddress,
} from '../codec/sockaddr.js';
import {
  AbortError, closedError, eofError, invalidArgType, invalidArgValue, SocketError, systemError, timeoutError,
  type ErrorDetails,
} from '../errors.js';
import { controlSpace, encodeControl, MAX_FDS, messageData, type Message, type ReceivedMessage } from '../codec/message.js';
import { features } from '../sys/features.js';
import { encodeOption, levelNumber, namedOption, optionNumber, optionReader, type OptionName } from '../codec/options.js';
import { addressDetails, getsockopt as posixGetsockopt, receivedMessage, setsockopt as posixSetsockopt } from '../posix.js';
import { abortError, MAX_TIMER, READ, Readiness, WRITE, type Direction } from '../io/readiness.js';
import { InputBuffer, parsePattern, PatternReader } from '../io/reader.js';
import { controlBuffer, readBuffer, takeOut } from '../io/buffers.js';
import { Batch, sameBytes } from '../io/batch.js';
import { aheadData, aheadInto, aheadMessage, fromQueue, ReadAhead } from '../io/readahead.js';
import {
  parseAddressLike, protocolNumber, resolve, resolveSync, typeName, typeNumber, type AddressLike, type HostPort, type SocketType,
} from '../resolver.js';
import { toBytes, validateBoolean, validateFlags, validateInteger, validateObject } from '../validate.js';

export type { AddressLike, SocketType };

/** Per-call options of every I/O method. */
export interface IoOptions {
  /** A limit for this whole call in ms (null: none); the socket's own timeouts still apply. */
  timeout?: number | null;
  /** Cancels the call with an AbortError. Sync calls only check it before starting. */
  signal?: AbortSignal;
}

// Constants copied into locals once: binding.constants holds hundreds of
// entries (a dictionary-mode object), too slow to read on every call.
const k = binding.constants;
const { AF_UNSPEC, SOCK_STREAM, SOCK_DGRAM, MSG_PEEK, MSG_TRUNC, SOL_SOCKET, SO_ERROR } = k;
const E = osConstants.errno;
const EAGAIN = -E.EAGAIN;
const EINPROGRESS = -E.EINPROGRESS;
const SOCK_NONBLOCK = k.SOCK_NONBLOCK ?? 0;
const DEFAULT_RECV = 65536;
/** Datagrams the async iterator reads per recvmmsg(2), each up to DEFAULT_RECV bytes with recvMsg's control space. */
const AHEAD_COUNT = 16;
const AHEAD_CONTROL = controlSpace(MAX_FDS);
const noCount = (): void => {};
const ITERATION_DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });
/** How many async calls may complete without waiting before one yields to the event loop (libuv reads 32 per wake-up). */
const BURST = 32;

// Scratch space for results returned by reference; copied out at once.
const out = new Int32Array(4);
const addrBuf = Buffer.alloc(layout.storage);

// Sockets the user forgot are closed when collected (LuaSocket does the same).
const registry = new FinalizationRegistry<Readiness>((r) => {
  r.close(closedError());
  binding.closeOwned(r.fd);
});

function validateTimeout(value: unknown, name: string): number | null {
  if (value === null || value === undefined || value === Infinity) return null;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidArgType(name, 'of type number or null', value);
  if (value < 0) throw invalidArgValue(name, value, 'must be >= 0 or null');
  return value;
}

const NO_OPTIONS = Object.freeze({ deadline: null, flags: 0, raw: Object.freeze({}) as Record<string, unknown> });

function ioOptions(opts: unknown): { deadline: number | null; signal?: AbortSignal; flags: number; raw: Record<string, unknown> } {
  if (opts === undefined) return NO_OPTIONS;
  const o = validateObject<Record<string, unknown>>(opts, 'options');
  const t = validateTimeout(o.timeout, 'options.timeout');
  const signal = o.signal as AbortSignal | undefined;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  if (signal?.aborted) throw abortError(signal);
  return { deadline: t === null ? null : performance.now() + t, signal, flags: validateFlags(o.flags, 'options.flags'), raw: o };
}

/** A valid receive size (the slow paths validate with a clear error). */
function isSize(size: unknown): size is number {
  return typeof size === 'number' && size >= 0 && size <= 0x7fffffff && Number.isInteger(size);
}

/**
 * Whether per-call options can be ignored when a call completes without
 * waiting: none at all, or only a valid timeout and a signal not yet aborted.
 * Anything else takes the full path (and its validation).
 */
function plainOptions(opts: unknown): boolean {
  if (opts === undefined) return true;
  if (typeof opts !== 'object' || opts === null) return false;
  const o = opts as IoOptions & { flags?: unknown };
  if (o.flags !== undefined) return false;
  const t = o.timeout;
  if (t !== undefined && t !== null && !(typeof t === 'number' && t >= 0)) return false;
  if (o.signal !== undefined && (!(o.signal instanceof AbortSignal) || o.signal.aborted)) return false;
  for (const key in o) if (key !== 'timeout' && key !== 'signal') return false;
  return true;
}

const SHUTDOWN: Record<string, number> = {
  both: k.SHUT_RDWR, rdwr: k.SHUT_RDWR, send: k.SHUT_WR, wr: k.SHUT_WR, receive: k.SHUT_RD, rd: k.SHUT_RD,
};

/** Messages ready for sendmmsg: data, address slots and lengths, cmsg buffers. */
interface OutBatch { datas: Uint8Array[]; addrs: Buffer | null; lens: Int32Array | null; controls: (Buffer | null)[] | null }

/** What a socket created before its family is known (tcp(), udp()) remembers. */
interface Deferred {
  type: number;
  protocol: number;
  options: [OptionName, unknown][];
  v6only?: boolean;
}

let adopting: { fd: number; family: number; type: number; protocol: number } | null = null;
let deferring: Deferred | null = null;

/**
 * A socket of any family and type. The fd is non-blocking and close-on-exec;
 * blocking behaviour comes from timeouts (setTimeout), applied alike to the
 * Promise-returning methods and their ...Sync twins.
 */
export class Socket implements Disposable, AsyncDisposable {
  #fd: number;
  #family: number;
  #type: number;
  #protocol: number;
  #r: Readiness | null = null;
  #deferred: Deferred | null = null;
  #respawn: Deferred | null = null; // how a tcp()/udp() socket was made, until its family is settled
  #block: number | null = null;
  #total: number | null = null;
  #ref = true;
  #in = new InputBuffer();
  /** Datagrams the async iterator read ahead; null when none wait. */
  #ahead: ReadAhead | null = null;
  #received = 0;
  #sent = 0;
  #born = Date.now();
  #lastTo: { key: string; enc: EncodedAddress } | null = null;
  #lastFrom: { len: number; bytes: Buffer; address: SocketAddress | null } | null = null;
  #listening = false;
  #streak = 0; // async calls completed without waiting, since the last yield to the event loop
  #replyDue = false; // the last completed sync call sent data
  #replyWaits = false; // the last sync read after a send had to wait for its data

  /**
   * socket(2): `family` 'inet' | 'inet6' | 'unix' | 'netlink' | 'packet' or an
   * AF_* number; `type` 'stream' | 'dgram' | 'seqpacket' | 'raw' | 'rdm' or a
   * SOCK_* number; `protocol` a number or a name ('tcp', 'udp', 'icmp',
   * 'icmpv6'; 'route', 'generic' for netlink; 'all', 'ip', 'arp' for packet).
   * Throws TypeError for unknown names, SocketError if the kernel refuses.
   */
  constructor(family: Family | number, type: SocketType | number, protocol?: number | string) {
    if (adopting) {
      const a = adopting;
      adopting = null;
      this.#fd = a.fd;
      this.#family = a.family;
      this.#type = a.type;
      this.#protocol = a.protocol;
    } else if (deferring) {
      this.#deferred = deferring;
      deferring = null;
      this.#fd = -1;
      this.#family = AF_UNSPEC;
      this.#type = this.#deferred.type;
      this.#protocol = this.#deferred.protocol;
      return;
    } else {
      const af = familyNumber(family);
      const st = typeNumber(type);
      const proto = protocolNumber(protocol, af);
      const fd = binding.socket(af, st | SOCK_NONBLOCK, proto);
      if (fd < 0) throw systemError(fd, 'socket');
      this.#fd = fd;
      this.#family = af;
      this.#type = st;
      this.#protocol = proto;
      if (!SOCK_NONBLOCK) binding.setblocking(fd, false);
    }
    this.#watch();
  }

  /** Adopts an open socket fd (LuaSocket's setfd, lua-net's wrap); family, type and protocol are read from the kernel. The fd is made non-blocking. */
  static from(fd: number): Socket {
    validateInteger(fd, 'fd', 0, 0x7fffffff);
    const family = posixGetsockopt(fd, SOL_SOCKET, k.SO_DOMAIN ?? 39) as number;
    const type = posixGetsockopt(fd, SOL_SOCKET, k.SO_TYPE) as number;
    const protocol = posixGetsockopt(fd, SOL_SOCKET, k.SO_PROTOCOL ?? 38) as number;
    const rc = binding.setblocking(fd, false);
    if (rc < 0) throw systemError(rc, 'fcntl');
    return Socket.#adopt(fd, family, type, protocol);
  }

  /** socketpair(2): two connected sockets, by default a Unix stream pair. */
  static pair(type: SocketType | number = 'stream', family: Family | number = 'unix'): [Socket, Socket] {
    const af = familyNumber(family);
    const st = typeNumber(type);
    const fds = new Int32Array(2);
    const rc = binding.socketpair(af, st | SOCK_NONBLOCK, 0, fds);
    if (rc < 0) throw systemError(rc, 'socketpair');
    return [Socket.#adopt(fds[0], af, st, 0), Socket.#adopt(fds[1], af, st, 0)];
  }

  static #adopt(fd: number, family: number, type: number, protocol: number): Socket {
    adopting = { fd, family, type, protocol };
    return new Socket(family, type, protocol);
  }

  /** @internal A socket whose fd is created at the first bind/connect, once the address family is known. */
  static deferred(type: number, protocol: number, v6only?: boolean): Socket {
    deferring = { type, protocol, options: [], v6only };
    return new Socket(0, type, protocol);
  }

  #watch(): void {
    const rc = binding.own(this.#fd);
    if (rc < 0) {
      binding.close(this.#fd);
      this.#fd = -1;
      throw systemError(rc, 'socket');
    }
    this.#r = new Readiness(this.#fd);
    if (!this.#ref) this.#r.setRef(false);
    registry.register(this, this.#r, this);
  }

  /** The file descriptor, or -1 once closed or detached (or before a tcp()/udp() socket picked its family). */
  get fd(): number { return this.#fd; }
  /** The family by name ('inet', ...) or AF_* number; 'inet' for a tcp()/udp() socket until its family is chosen. */
  get family(): Family | number { return this.#family === AF_UNSPEC && this.#deferred ? 'inet' : familyName(this.#family); }
  /** The type by name ('stream', ...) or SOCK_* number. */
  get type(): SocketType | number { return typeName(this.#type); }
  get protocol(): number { return this.#protocol; }
  get closed(): boolean { return this.#fd < 0 && !this.#deferred; }

  // ---- lifecycle -------------------------------------------------------

  /** Creates the fd of a tcp()/udp() socket once an address decides the family; applies remembered options. */
  #materialize(af: number): void {
    const d = this.#deferred;
    if (!d) return;
    const fd = binding.socket(af, d.type | SOCK_NONBLOCK, d.protocol);
    if (fd < 0) throw systemError(fd, 'socket');
    this.#deferred = null;
    this.#respawn = d;
    this.#fd = fd;
    this.#family = af;
    this.#watch();
    try {
      if (af === AF.inet6 && d.v6only !== undefined) this.setOption('ipv6-v6only', d.v6only);
      for (const [name, value] of d.options) this.setOption(name, value);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * Gives a tcp()/udp() socket the family of the address about to be tried:
   * creates its fd, or re-creates it when an earlier address of the other
   * family failed (LuaSocket 3 does the same). A bind or connect that
   * succeeds settles the family.
   */
  #useFamily(af: number): void {
    if (this.#deferred) return this.#materialize(af);
    if (!this.#respawn || this.#family === af) return;
    const fd = this.#fd;
    this.#fd = -1;
    registry.unregister(this);
    this.#r!.close(closedError());
    binding.closeOwned(fd);
    this.#deferred = this.#respawn;
    this.#materialize(af);
  }

  #open(syscall: string): number {
    if (this.#fd < 0) {
      if (this.#deferred) throw new SocketError(`${syscall} ENOTCONN (the socket has no family yet: bind or connect it first)`, 'ENOTCONN', { errno: -E.ENOTCONN, syscall });
      throw closedError(syscall);
    }
    return this.#fd;
  }

  /**
   * close(2). Idempotent; fd becomes -1 first, pending operations reject with
   * ERR_SOCKET_CLOSED, and no later call touches the old fd number.
   */
  close(): void {
    this.#deferred = null;
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.#dropAhead();
    registry.unregister(this);
    this.#r!.close(closedError());
    binding.closeOwned(fd);
  }

  /**
   * Gives up the fd without closing it (LuaSocket's getfd + setfd(-1)); the
   * socket is closed afterwards. Datagrams the async iterator read ahead and
   * nobody received are dropped (their fds closed): they cannot go back.
   */
  detach(): number {
    const fd = this.#open('detach');
    this.#fd = -1;
    this.#dropAhead();
    registry.unregister(this);
    this.#r!.close(closedError());
    binding.release(fd);
    return fd;
  }

  [Symbol.dispose](): void { this.close(); }
  async [Symbol.asyncDispose](): Promise<void> { this.close(); }

  /** Whether pending operations keep the process alive (default true). */
  ref(): this { this.#ref = true; this.#r?.setRef(true); return this; }
  unref(): this { this.#ref = false; this.#r?.setRef(false); return this; }

  // ---- timeouts ---------------------------------------------------------

  /**
   * LuaSocket's settimeout, in ms: 'block' bounds each wait for readiness,
   * 'total' the whole call; with both, whichever comes first. null = no limit;
   * 0 = never wait (ETIMEDOUT at once when a call would block).
   */
  setTimeout(ms: number | null, mode: 'block' | 'total' | 'b' | 't' = 'block'): void {
    const v = validateTimeout(ms, 'ms');
    if (mode === 'block' || mode === 'b') this.#block = v;
    else if (mode === 'total' || mode === 't') this.#total = v;
    else throw invalidArgValue('mode', mode, "must be 'block' or 'total'");
  }

  getTimeout(): { block: number | null; total: number | null } {
    return { block: this.#block, total: this.#total };
  }

  /** nixio's setblocking: false is setTimeout(0), true is setTimeout(null). */
  setBlocking(blocking: boolean): void {
    this.#block = validateBoolean(blocking, 'blocking') ? null : 0;
  }

  /** The deadline for a whole call: the earlier of the socket's total timeout and the call's own. */
  #callDeadline(callDeadline: number | null): number | null {
    if (this.#total === null) return callDeadline;
    const t = performance.now() + this.#total;
    return callDeadline === null ? t : Math.min(t, callDeadline);
  }

  /** The deadline for one wait: the call's deadline, or sooner with a block timeout. */
  #waitDeadline(callDeadline: number | null): number | null {
    if (this.#block === null) return callDeadline;
    const b = performance.now() + this.#block;
    return callDeadline === null ? b : Math.min(b, callDeadline);
  }

  // ---- the I/O loops -----------------------------------------------------

  /**
   * Async: attempt; on EAGAIN wait for readiness (bounded by the deadlines)
   * and retry. Calls that keep completing at once yield to the event loop
   * every BURST of them, so one busy socket cannot starve timers and other I/O.
   * The common calls have a fast path in front (#immediate): one attempt
   * without an async frame, coming here only to wait (waitFirst) or to yield.
   */
  async #io(dir: Direction, syscall: string, deadline: number | null, signal: AbortSignal | undefined,
    attempt: (fd: number) => number, details?: () => ErrorDetails, waitFirst = false): Promise<number> {
    if (waitFirst) {
      // A fast path's attempt just met EAGAIN: wait before the first attempt here.
      this.#streak = 0;
      await this.#wait(dir, syscall, deadline, signal, details);
    } else if (++this.#streak > BURST) await this.#yield();
    for (;;) {
      const n = attempt(this.#open(syscall));
      if (n !== EAGAIN) {
        if (n < 0) throw systemError(n, syscall, details?.());
        return n;
      }
      this.#streak = 0;
      await this.#wait(dir, syscall, deadline, signal, details);
    }
  }

  /**
   * Sync request/response: when the read after the last send had to wait, the
   * next one will too, so it waits in poll(2) first instead of making a recv
   * that fails with EAGAIN: one system call fewer per round trip. Whether it
   * really waited (poll took over 50 µs) decides the next time, so pipelined
   * or bulk traffic goes back to trying first. Never with timeout 0.
   */
  #waitFirst(dir: Direction, deadline: number | null): boolean {
    if (dir !== READ || !this.#replyDue) return false;
    this.#replyDue = false;
    if (!this.#replyWaits || this.#in.length > 0 || this.#ahead !== null) return false;
    const wd = this.#waitDeadline(deadline);
    return wd === null || wd - performance.now() > 1;
  }

  /**
   * Whether a call may try its system call at once, outside #io: the socket is
   * open, the options matter only for waiting, and the burst allowance is not
   * used up. Receiving calls also need receive()'s buffer to be empty.
   */
  #immediate(opts: unknown): boolean {
    return this.#fd >= 0 && plainOptions(opts) && ++this.#streak <= BURST;
  }

  #yield(): Promise<void> {
    this.#streak = 0;
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Waits once for readiness; ETIMEDOUT when the deadline passes. */
  async #wait(dir: Direction, syscall: string, deadline: number | null, signal: AbortSignal | undefined, details?: () => ErrorDetails): Promise<void> {
    let ready: boolean;
    try {
      ready = await this.#r!.wait(dir, this.#waitDeadline(deadline), signal);
    } catch (err) {
      if (err instanceof SocketError && err.code === 'ERR_SOCKET_CLOSED') throw closedError(syscall);
      throw err;
    }
    if (!ready) throw timeoutError(syscall, details?.());
  }

  /** Sync: attempt; on EAGAIN block in poll(2) (bounded by the deadlines) and retry. */
  #ioSync(dir: Direction, syscall: string, deadline: number | null, attempt: (fd: number) => number, details?: () => ErrorDetails): number {
    const reply = dir === READ && this.#replyDue;
    if (this.#waitFirst(dir, deadline)) {
      const t0 = performance.now();
      this.#waitSync(this.#open(syscall), dir, syscall, deadline, details);
      this.#replyWaits = performance.now() - t0 > 0.05;
    } else if (reply) this.#replyWaits = false;
    for (;;) {
      const fd = this.#open(syscall);
      const n = attempt(fd);
      if (n !== EAGAIN) {
        if (n < 0) throw systemError(n, syscall, details?.());
        this.#replyDue = dir === WRITE;
        return n;
      }
      if (reply) this.#replyWaits = true;
      this.#waitSync(fd, dir, syscall, deadline, details);
    }
  }

  /**
   * #io for calls whose attempt yields a value: `once` returns it, or a
   * negative errno (EAGAIN to wait). Values are taken out of the shared
   * scratch inside the attempt, before anything else can run.
   */
  async #ioValue<T extends object>(dir: Direction, syscall: string, deadline: number | null, signal: AbortSignal | undefined,
    once: (fd: number) => T | number, waitFirst = false): Promise<T> {
    let value!: T;
    await this.#io(dir, syscall, deadline, signal, (fd) => {
      const r = once(fd);
      if (typeof r === 'number') return r;
      value = r;
      return 0;
    }, undefined, waitFirst);
    return value;
  }

  /** The blocking twin of #ioValue. */
  #ioSyncValue<T extends object>(dir: Direction, syscall: string, deadline: number | null, once: (fd: number) => T | number): T {
    let value!: T;
    this.#ioSync(dir, syscall, deadline, (fd) => {
      const r = once(fd);
      if (typeof r === 'number') return r;
      value = r;
      return 0;
    });
    return value;
  }

  #waitSync(fd: number, dir: Direction, syscall: string, deadline: number | null, details?: () => ErrorDetails): void {
    const wd = this.#waitDeadline(deadline);
    const ms = wd === null ? -1 : Math.ceil(wd - performance.now());
    if (wd !== null && ms <= 0) throw timeoutError(syscall, details?.());
    const r = binding.pollWait(fd, dir, ms);
    if (r < 0) throw systemError(r, 'poll');
    if (r === 0) throw timeoutError(syscall, details?.());
  }

  // ---- addresses -----------------------------------------------------------

  #targets(address: unknown): SocketAddress | HostPort {
    return parseAddressLike(address, this.#family === AF_UNSPEC ? -1 : this.#family);
  }

  /** bind(2). Host names are resolved synchronously; '*' is the wildcard address. Each resolved address is tried in turn. */
  bind(address: AddressLike): void {
    const t = this.#targets(address);
    const list = 'host' in t ? resolveSync(t as HostPort, this.#family, this.#type, true) : [t as SocketAddress];
    this.#tryEach(list, 'bind', (a) => {
      const enc = encodeAddress(a, 'bind');
      this.#useFamily(familyNumber(a.family));
      const rc = binding.bind(this.#open('bind'), enc.bytes, enc.length);
      if (rc < 0) throw systemError(rc, 'bind', addressDetails(a));
      this.#respawn = null;
    });
  }

  #tryEach(list: SocketAddress[], syscall: string, fn: (a: SocketAddress) => void): void {
    const errors: Error[] = [];
    for (const a of list) {
      try { return fn(a); } catch (err) { nextAddress(err, errors); }
    }
    throw lastOf(errors, syscall);
  }

  /** listen(2); the backlog defaults to SOMAXCONN. */
  listen(backlog: number = k.SOMAXCONN): void {
    validateInteger(backlog, 'backlog', -0x80000000, 0x7fffffff);
    const rc = binding.listen(this.#open('listen'), backlog);
    if (rc < 0) throw systemError(rc, 'listen');
    this.#listening = true;
  }

  /** getsockname(2) */
  localAddress(): SocketAddress {
    const rc = binding.getsockname(this.#open('getsockname'), addrBuf, out);
    if (rc < 0) throw systemError(rc, 'getsockname');
    return decodeAddress(addrBuf, out[0]) ?? { family: 'unix', path: '' };
  }

  /** getpeername(2); ENOTCONN when not connected. */
  remoteAddress(): SocketAddress {
    const rc = binding.getpeername(this.#open('getpeername'), addrBuf, out);
    if (rc < 0) throw systemError(rc, 'getpeername');
    return decodeAddress(addrBuf, out[0]) ?? { family: 'unix', path: '' };
  }

  /** shutdown(2): 'both' (default, also 'rdwr'), 'send' ('wr'), 'receive' ('rd'), or SHUT_*. */
  shutdown(how: 'both' | 'send' | 'receive' | 'rdwr' | 'wr' | 'rd' | number = 'both'): void {
    let h: number;
    if (typeof how === 'number') h = validateInteger(how, 'how', 0, 2);
    else if (typeof how === 'string' && Object.hasOwn(SHUTDOWN, how)) h = SHUTDOWN[how];
    else throw invalidArgValue('how', how, "must be 'both', 'send', 'receive', 'rdwr', 'wr', 'rd' or SHUT_*");
    const rc = binding.shutdown(this.#open('shutdown'), h);
    if (rc < 0) throw systemError(rc, 'shutdown');
  }

  // ---- connect / accept --------------------------------------------------

  /**
   * connect(2). Host names are resolved on the thread pool and each address
   * tried in turn until one connects; the error of the last attempt is
   * thrown (with `errors` listing all). ETIMEDOUT past the deadline.
   */
  async connect(address: AddressLike, opts?: IoOptions): Promise<void> {
    const o = ioOptions(opts);
    const deadline = this.#callDeadline(o.deadline);
    const t = this.#targets(address);
    const list = 'host' in t ? await resolve(t as HostPort, this.#family, this.#type, false) : [t as SocketAddress];
    const errors: Error[] = [];
    for (const a of list) {
      try {
        await this.#connectOne(a, deadline, o.signal);
        this.#respawn = null;
        return;
      } catch (err) {
        nextAddress(err, errors);
      }
    }
    throw lastOf(errors, 'connect');
  }

  async #connectOne(a: SocketAddress, deadline: number | null, signal?: AbortSignal): Promise<void> {
    const enc = encodeAddress(a, 'connect');
    this.#useFamily(familyNumber(a.family));
    const details = () => addressDetails(a);
    let backoff = 1;
    for (;;) {
      const rc = binding.connect(this.#open('connect'), enc.bytes, enc.length);
      if (rc === 0) return;
      if (rc === EINPROGRESS) {
        await this.#wait(WRITE, 'connect', deadline, signal, details);
        return connected(this.#open('connect'), details);
      }
      if (rc !== EAGAIN) throw systemError(rc, 'connect', details());
      await sleep(this.#retryDelay(backoff, deadline, details), signal, this.#ref);
      backoff *= 2;
    }
  }

  /**
   * A connect to a Unix listener with a full backlog fails with EAGAIN and is
   * not in progress: it must be retried. Backs off up to 50 ms, within the
   * deadline (ETIMEDOUT past it).
   */
  #retryDelay(backoff: number, deadline: number | null, details: () => ErrorDetails): number {
    const wd = this.#waitDeadline(deadline);
    const delay = Math.min(backoff, 50, wd === null ? 50 : wd - performance.now());
    if (delay <= 0) throw timeoutError('connect', details());
    return delay;
  }

  /** The blocking twin of connect(). */
  connectSync(address: AddressLike, opts?: IoOptions): void {
    const o = ioOptions(opts);
    const deadline = this.#callDeadline(o.deadline);
    const t = this.#targets(address);
    const list = 'host' in t ? resolveSync(t as HostPort, this.#family, this.#type, false) : [t as SocketAddress];
    const errors: Error[] = [];
    for (const a of list) {
      try {
        this.#connectOneSync(a, deadline);
        this.#respawn = null;
        return;
      } catch (err) {
        nextAddress(err, errors);
      }
    }
    throw lastOf(errors, 'connect');
  }

  #connectOneSync(a: SocketAddress, deadline: number | null): void {
    const enc = encodeAddress(a, 'connect');
    this.#useFamily(familyNumber(a.family));
    const details = () => addressDetails(a);
    let backoff = 1;
    for (;;) {
      const fd = this.#open('connect');
      const rc = binding.connect(fd, enc.bytes, enc.length);
      if (rc === 0) return;
      if (rc === EINPROGRESS) {
        this.#waitSync(fd, WRITE, 'connect', deadline, details);
        return connected(fd, details);
      }
      if (rc !== EAGAIN) throw systemError(rc, 'connect', details());
      binding.pollWait(-1, 0, Math.ceil(this.#retryDelay(backoff, deadline, details))); // sleep in poll(2) without an fd
      backoff *= 2;
    }
  }

  /** accept4(2): the next connection as a new Socket (non-blocking, close-on-exec). */
  async accept(opts?: IoOptions): Promise<Socket> {
    const o = ioOptions(opts);
    const fd = await this.#io(READ, 'accept', this.#callDeadline(o.deadline), o.signal, (s) => binding.accept(s, SOCK_NONBLOCK, addrBuf, out));
    return this.#accepted(fd);
  }

  /** The blocking twin of accept(). */
  acceptSync(opts?: IoOptions): Socket {
    const o = ioOptions(opts);
    const fd = this.#ioSync(READ, 'accept', this.#callDeadline(o.deadline), (s) => binding.accept(s, SOCK_NONBLOCK, addrBuf, out));
    return this.#accepted(fd);
  }

  #accepted(fd: number): Socket {
    if (!SOCK_NONBLOCK) binding.setblocking(fd, false);
    const s = Socket.#adopt(fd, this.#family, this.#type, this.#protocol);
    return this.#ref ? s : s.unref();
  }

  // ---- sending -----------------------------------------------------------

  /** One send(2) (MSG_NOSIGNAL): the number of bytes sent, possibly fewer than given. */
  send(data: Uint8Array | string, opts?: IoOptions & { flags?: number }): Promise<number> {
    if (data instanceof Uint8Array && this.#immediate(opts)) {
      const n = binding.send(this.#fd, data, 0, data.length, 0);
      if (n >= 0) { this.#sent += n; return Promise.resolve(n); }
      if (n !== EAGAIN) return Promise.reject(systemError(n, 'send'));
      return this.#send(data, opts, true);
    }
    return this.#send(data, opts, false);
  }

  async #send(data: Uint8Array | string, opts: unknown, waitFirst: boolean): Promise<number> {
    const bytes = toBytes(data);
    const o = ioOptions(opts);
    const n = await this.#io(WRITE, 'send', this.#callDeadline(o.deadline), o.signal, (fd) => binding.send(fd, bytes, 0, bytes.length, o.flags), undefined, waitFirst);
    this.#sent += n;
    return n;
  }

  /** The blocking twin of send(). */
  sendSync(data: Uint8Array | string, opts?: IoOptions & { flags?: number }): number {
    const bytes = toBytes(data);
    const o = ioOptions(opts);
    const n = this.#ioSync(WRITE, 'send', this.#callDeadline(o.deadline), (fd) => binding.send(fd, bytes, 0, bytes.length, o.flags));
    this.#sent += n;
    return n;
  }

  /** Sends everything, looping over partial sends; a failure carries `sent` (bytes that did go out). */
  async sendAll(data: Uint8Array | string, opts?: IoOptions): Promise<void> {
    const bytes = toBytes(data);
    const o = ioOptions(opts);
    const deadline = this.#callDeadline(o.deadline);
    let off = 0;
    try {
      do {
        const n = await this.#io(WRITE, 'send', deadline, o.signal, (fd) => binding.send(fd, bytes, off, bytes.length - off, 0));
        off += n;
        this.#sent += n;
      } while (off < bytes.length);
    } catch (err) {
      throw withSent(err, off);
    }
  }

  /** The blocking twin of sendAll(). */
  sendAllSync(data: Uint8Array | string, opts?: IoOptions): void {
    const bytes = toBytes(data);
    const o = ioOptions(opts);
    const deadline = this.#callDeadline(o.deadline);
    let off = 0;
    try {
      do {
        const n = this.#ioSync(WRITE, 'send', deadline, (fd) => binding.send(fd, bytes, off, bytes.length - off, 0));
        off += n;
        this.#sent += n;
      } while (off < bytes.length);
    } catch (err) {
      throw withSent(err, off);
    }
  }

  #destination(address: unknown): EncodedAddress {
    const a = this.#targets(address);
    if ('host' in a) throw invalidArgValue('address', address, 'must be numeric here: resolve host names first (getaddrinfo)');
    const key = addressKey(a as SocketAddress);
    if (key !== null && this.#lastTo?.key === key) return this.#lastTo.enc;
    const enc = encodeAddress(a, 'sendto');
    this.#materialize(familyNumber((a as SocketAddress).family));
    this.#respawn = null;
    if (key !== null) this.#lastTo = { key, enc };
    return enc;
  }

  async #resolveDestination(address: unknown): Promise<[EncodedAddress, SocketAddress | HostPort]> {
    const t = this.#targets(address);
    if (!('host' in t)) return [this.#destination(t), t];
    const [a] = await resolve(t as HostPort, this.#family, this.#type, false);
    return [this.#destination(a), a];
  }

  #resolveDestinationSync(address: unknown): [EncodedAddress, SocketAddress | HostPort] {
    const t = this.#targets(address);
    if (!('host' in t)) return [this.#destination(t), t];
    const [a] = resolveSync(t as HostPort, this.#family, this.#type, false);
    return [this.#destination(a), a];
  }

  /** sendto(2) (MSG_NOSIGNAL); host names are resolved on the thread pool (first address). */
  async sendTo(data: Uint8Array | string, address: AddressLike, opts?: IoOptions & { flags?: number }): Promise<number> {
    const bytes = toBytes(data);
    const o = ioOptions(opts);
    const [enc, a] = await this.#resolveDestination(address);
    const n = await this.#io(WRITE, 'sendto', this.#callDeadline(o.deadline), o.signal,
      (fd) => binding.sendto(fd, bytes, 0, bytes.length, o.flags, enc.bytes, enc.length), () => addressDetails(a as SocketAddress));
    this.#sent += n;
    return n;
  }

  /** The blocking twin of sendTo(). */
  sendToSync(data: Uint8Array | string, address: AddressLike, opts?: IoOptions & { flags?: number }): number {
    const bytes = toBytes(data);
    const o = ioOptions(opts);
    const [enc, a] = this.#resolveDestinationSync(address);
    const n = this.#ioSync(WRITE, 'sendto', this.#callDeadline(o.deadline),
      (fd) => binding.sendto(fd, bytes, 0, bytes.length, o.flags, enc.bytes, enc.length), () => addressDetails(a as SocketAddress));
    this.#sent += n;
    return n;
  }

  #message(message: unknown): [Uint8Array | Uint8Array[], EncodedAddress | null, Buffer | null, SocketAddress | undefined] {
    const m = validateObject<Message>(message, 'message');
    const data = messageData(m.data);
    const control = encodeControl(m);
    let enc: EncodedAddress | null = null;
    if (m.address !== undefined) {
      enc = encodeAddress(m.address, 'sendmsg', 'message.address');
      this.#materialize(familyNumber(m.address.family));
      this.#respawn = null;
    }
    return [data, enc, control, m.address];
  }

  /**
   * sendmsg(2) (MSG_NOSIGNAL): gathered data, a destination, fds, credentials,
   * control messages, a GSO segment size. Returns bytes sent.
   */
  async sendMsg(message: Message, opts?: IoOptions & { flags?: number }): Promise<number> {
    if (message?.segmentSize !== undefined && !features.gso) return this.#sendSegments(message, opts, false) as Promise<number>;
    const o = ioOptions(opts);
    const [data, enc, control, address] = this.#message(message);
    const n = await this.#io(WRITE, 'sendmsg', this.#callDeadline(o.deadline), o.signal,
      (fd) => binding.sendmsg(fd, data, enc?.bytes ?? null, enc?.length ?? 0, control, o.flags), () => addressDetails(address));
    this.#sent += n;
    return n;
  }

  // Without kernel GSO the segments go out as separate datagrams (one sendmmsg).
  #sendSegments(message: Message, opts: IoOptions | undefined, sync: boolean): number | Promise<number> {
    const d = messageData(message.data);
    const bytes = Array.isArray(d) ? d.reduce((n, b) => n + b.length, 0) : d.length;
    if (sync) { this.sendManySync([message], opts); return bytes; }
    return this.sendMany([message], opts).then(() => bytes);
  }

  /** The blocking twin of sendMsg(). */
  sendMsgSync(message: Message, opts?: IoOptions & { flags?: number }): number {
    if (message?.segmentSize !== undefined && !features.gso) return this.#sendSegments(message, opts, true) as number;
    const o = ioOptions(opts);
    const [data, enc, control, address] = this.#message(message);
    const n = this.#ioSync(WRITE, 'sendmsg', this.#callDeadline(o.deadline),
      (fd) => binding.sendmsg(fd, data, enc?.bytes ?? null, enc?.length ?? 0, control, o.flags), () => addressDetails(address));
    this.#sent += n;
    return n;
  }

  // ---- receiving ---------------------------------------------------------

  /** One recv(2) of up to `size` bytes (default 65536); buffered receive() data comes first. Empty at end of stream. */
  recv(size = DEFAULT_RECV, opts?: IoOptions & { flags?: number }): Promise<Buffer> {
    if (isSize(size) && this.#in.length === 0 && this.#ahead === null && this.#immediate(opts)) {
      const buf = readBuffer(size);
      const n = binding.recv(this.#fd, buf, 0, size, 0);
      if (n >= 0) { this.#received += n; return Promise.resolve(takeOut(buf, n, size)); }
      if (n !== EAGAIN) return Promise.reject(systemError(n, 'recv'));
      return this.#recv(size, opts, true);
    }
    return this.#recv(size, opts, false);
  }

  async #recv(size: number, opts: unknown, waitFirst: boolean): Promise<Buffer> {
    validateInteger(size, 'size', 0, 0x7fffffff);
    const o = ioOptions(opts);
    if (this.#in.length > 0 && !(o.flags & MSG_PEEK)) return this.#in.take(size);
    const data = await this.#ioValue(READ, 'recv', this.#callDeadline(o.deadline), o.signal, (fd) => this.#recvOnce(fd, size, o.flags), waitFirst);
    this.#received += data.length;
    return data;
  }

  /** One recv: a read-ahead datagram, else recv(2) into the scratch, taken out; or a negative errno. */
  #recvOnce(fd: number, size: number, flags: number): Buffer | number {
    const m = this.#nextAhead(flags);
    if (m !== null) return aheadData(m, size, flags);
    const buf = readBuffer(size);
    const n = binding.recv(fd, buf, 0, size, flags);
    return n >= 0 ? takeOut(buf, n, size) : n;
  }

  /** The blocking twin of recv(). */
  recvSync(size = DEFAULT_RECV, opts?: IoOptions & { flags?: number }): Buffer {
    validateInteger(size, 'size', 0, 0x7fffffff);
    const o = ioOptions(opts);
    if (this.#in.length > 0 && !(o.flags & MSG_PEEK)) return this.#in.take(size);
    const data = this.#ioSyncValue(READ, 'recv', this.#callDeadline(o.deadline), (fd) => this.#recvOnce(fd, size, o.flags));
    this.#received += data.length;
    return data;
  }

  /** recv(2) into your own buffer: the number of bytes written (0 at end of stream). */
  recvInto(buffer: Uint8Array, opts?: IoOptions & { flags?: number }): Promise<number> {
    if (buffer instanceof Uint8Array && this.#in.length === 0 && this.#ahead === null && this.#immediate(opts)) {
      const n = binding.recv(this.#fd, buffer, 0, buffer.length, 0);
      if (n >= 0) { this.#received += n; return Promise.resolve(n); }
      if (n !== EAGAIN) return Promise.reject(systemError(n, 'recv'));
      return this.#recvInto(buffer, opts, true);
    }
    return this.#recvInto(buffer, opts, false);
  }

  async #recvInto(buffer: Uint8Array, opts: unknown, waitFirst: boolean): Promise<number> {
    if (!(buffer instanceof Uint8Array)) throw invalidArgType('buffer', 'an instance of Uint8Array', buffer);
    const o = ioOptions(opts);
    if (this.#in.length > 0 && !(o.flags & MSG_PEEK)) return this.#in.takeInto(buffer);
    const n = await this.#io(READ, 'recv', this.#callDeadline(o.deadline), o.signal, (fd) => this.#recvIntoAttempt(fd, buffer, o.flags), undefined, waitFirst);
    this.#received += n;
    return n;
  }

  /** The blocking twin of recvInto(). */
  recvIntoSync(buffer: Uint8Array, opts?: IoOptions & { flags?: number }): number {
    if (!(buffer instanceof Uint8Array)) throw invalidArgType('buffer', 'an instance of Uint8Array', buffer);
    const o = ioOptions(opts);
    if (this.#in.length > 0 && !(o.flags & MSG_PEEK)) return this.#in.takeInto(buffer);
    const n = this.#ioSync(READ, 'recv', this.#callDeadline(o.deadline), (fd) => this.#recvIntoAttempt(fd, buffer, o.flags));
    this.#received += n;
    return n;
  }

  #recvIntoAttempt(fd: number, buffer: Uint8Array, flags: number): number {
    const m = this.#nextAhead(flags);
    return m !== null ? aheadInto(m, buffer, flags) : binding.recv(fd, buffer, 0, buffer.length, flags);
  }

  // Datagram types report their real length with MSG_TRUNC; on streams that flag would discard data.
  #truncFlag(): number {
    return this.#type === SOCK_STREAM ? 0 : MSG_TRUNC;
  }

  #fromResult(buf: Buffer, size: number, n: number): { data: Buffer; address: SocketAddress | null; truncated: boolean } {
    const data = takeOut(buf, n, size);
    this.#received += data.length;
    return { data, address: this.#fromAddress(), truncated: n > size };
  }

  #fromAhead(m: ReceivedMessage, size: number, flags: number): { data: Buffer; address: SocketAddress | null; truncated: boolean } {
    const data = aheadData(m, size, flags);
    this.#received += data.length;
    return { data, address: m.address, truncated: m.truncated || m.data.length > size };
  }

  // Datagrams mostly come from the peer of the one before: reuse its decoded
  // (frozen) address when the sockaddr bytes are the same.
  #fromAddress(): SocketAddress | null {
    const len = out[0];
    const c = this.#lastFrom;
    if (c && c.len === len && sameBytes(c.bytes, addrBuf, 0, len)) return c.address;
    const address = decodeAddress(addrBuf, len);
    if (address) Object.freeze(address);
    this.#lastFrom = { len, bytes: Buffer.from(addrBuf.subarray(0, len)), address };
    return address;
  }

  /** recvfrom(2): one datagram (up to `size` bytes), its sender, and whether it was cut short. */
  recvFrom(size = DEFAULT_RECV, opts?: IoOptions & { flags?: number }): Promise<{ data: Buffer; address: SocketAddress | null; truncated: boolean }> {
    // Fast path: a datagram already queued, and nothing in the options that
    // matters before a wait (a timeout only bounds waiting).
    if (isSize(size) && this.#in.length === 0 && this.#ahead === null && this.#immediate(opts)) {
      const buf = readBuffer(size);
      const n = binding.recvfrom(this.#fd, buf, 0, size, this.#truncFlag(), addrBuf, out);
      if (n >= 0) return Promise.resolve(this.#fromResult(buf, size, n));
      if (n !== EAGAIN) return Promise.reject(systemError(n, 'recvfrom'));
      return this.#recvFrom(size, opts, true);
    }
    return this.#recvFrom(size, opts, false);
  }

  async #recvFrom(size: number, opts: unknown, waitFirst: boolean): Promise<{ data: Buffer; address: SocketAddress | null; truncated: boolean }> {
    validateInteger(size, 'size', 0, 0x7fffffff);
    const o = ioOptions(opts);
    const flags = o.flags | this.#truncFlag();
    return this.#ioValue(READ, 'recvfrom', this.#callDeadline(o.deadline), o.signal, (fd) => this.#recvFromOnce(fd, size, flags), waitFirst);
  }

  /** One recvfrom: a read-ahead datagram, else recvfrom(2) into the scratch; or a negative errno. */
  #recvFromOnce(fd: number, size: number, flags: number): { data: Buffer; address: SocketAddress | null; truncated: boolean } | number {
    const m = this.#nextAhead(flags);
    if (m !== null) return this.#fromAhead(m, size, flags);
    const buf = readBuffer(size);
    const n = binding.recvfrom(fd, buf, 0, size, flags, addrBuf, out);
    return n >= 0 ? this.#fromResult(buf, size, n) : n;
  }

  /** The blocking twin of recvFrom(). */
  recvFromSync(size = DEFAULT_RECV, opts?: IoOptions & { flags?: number }): { data: Buffer; address: SocketAddress | null; truncated: boolean } {
    validateInteger(size, 'size', 0, 0x7fffffff);
    // Fast path, as recvFrom's: a datagram already queued, and options that only bound a wait.
    if (this.#fd >= 0 && this.#ahead === null && plainOptions(opts)) {
      const buf = readBuffer(size);
      const n = binding.recvfrom(this.#fd, buf, 0, size, this.#truncFlag(), addrBuf, out);
      if (n >= 0) return this.#fromResult(buf, size, n);
      if (n !== EAGAIN) throw systemError(n, 'recvfrom');
    }
    const o = ioOptions(opts);
    const flags = o.flags | this.#truncFlag();
    return this.#ioSyncValue(READ, 'recvfrom', this.#callDeadline(o.deadline), (fd) => this.#recvFromOnce(fd, size, flags));
  }

  #msgArgs(opts: unknown): [ReturnType<typeof ioOptions>, number, number, number] {
    const o = ioOptions(opts);
    const size = o.raw.size === undefined ? DEFAULT_RECV : validateInteger(o.raw.size, 'options.size', 0, 0x7fffffff);
    const maxFds = o.raw.maxFds === undefined ? MAX_FDS : validateInteger(o.raw.maxFds, 'options.maxFds', 0, MAX_FDS);
    const ctlLen = o.raw.controlLength === undefined ? controlSpace(maxFds) : validateInteger(o.raw.controlLength, 'options.controlLength', 0, 65536);
    return [o, size, maxFds, ctlLen];
  }

  /** recvmsg(2) (MSG_CMSG_CLOEXEC): data, sender, fds, credentials, control messages, truncation flags. */
  async recvMsg(opts?: IoOptions & { size?: number; maxFds?: number; controlLength?: number; flags?: number }): Promise<ReceivedMessage> {
    const [o, size, maxFds, ctlLen] = this.#msgArgs(opts);
    return this.#ioValue(READ, 'recvmsg', this.#callDeadline(o.deadline), o.signal, (fd) => this.#recvMsgOnce(fd, size, maxFds, ctlLen, o.flags));
  }

  /** One recvmsg: a read-ahead datagram, else recvmsg(2) into the scratch, decoded; or a negative errno. */
  #recvMsgOnce(fd: number, size: number, maxFds: number, ctlLen: number, flags: number): ReceivedMessage | number {
    const m = this.#nextAhead(flags);
    if (m !== null) {
      const msg = aheadMessage(m, size, maxFds, flags);
      this.#received += msg.data.length;
      return msg;
    }
    const buf = readBuffer(size);
    const ctl = controlBuffer(ctlLen);
    const n = binding.recvmsg(fd, buf, 0, size, flags, addrBuf, ctl, out);
    if (n < 0) return n;
    const data = takeOut(buf, n, size);
    this.#received += data.length;
    return receivedMessage(data, decodeAddress(addrBuf, out[0]), out[2], ctl, out[1], maxFds);
  }

  /** The blocking twin of recvMsg(). */
  recvMsgSync(opts?: IoOptions & { size?: number; maxFds?: number; controlLength?: number; flags?: number }): ReceivedMessage {
    const [o, size, maxFds, ctlLen] = this.#msgArgs(opts);
    return this.#ioSyncValue(READ, 'recvmsg', this.#callDeadline(o.deadline), (fd) => this.#recvMsgOnce(fd, size, maxFds, ctlLen, o.flags));
  }

  // ---- batches (sendmmsg / recvmmsg) ------------------------------------------

  #batchOut(messages: unknown): OutBatch {
    if (!Array.isArray(messages)) throw invalidArgType('messages', 'an instance of Array', messages);
    const datas: Uint8Array[] = [];
    const targets: (EncodedAddress | null)[] = [];
    const ctls: (Buffer | null)[] = [];
    let anyAddr = false;
    let anyCtl = false;
    messages.forEach((m, i) => {
      const name = `messages[${i}]`;
      if (typeof m === 'string' || m instanceof Uint8Array || ArrayBuffer.isView(m)) {
        datas.push(toBytes(m, name));
        targets.push(null);
        ctls.push(null);
        return;
      }
      const msg = validateObject<Message>(m, name);
      if (msg.segmentSize !== undefined && !features.gso) {
        // No GSO in this kernel: send the segments as datagrams of their own.
        const whole = Buffer.concat(([] as Uint8Array[]).concat(messageData(msg.data, `${name}.data`)));
        const seg = validateInteger(msg.segmentSize, `${name}.segmentSize`, 1, 0xffff);
        const enc = msg.address !== undefined ? this.#destination(msg.address) : null;
        for (let off = 0; off < whole.length || off === 0; off += seg) {
          datas.push(whole.subarray(off, off + seg));
          targets.push(enc);
          ctls.push(null);
          anyAddr ||= enc !== null;
          if (whole.length === 0) break;
        }
        return;
      }
      const d = messageData(msg.data, `${name}.data`);
      datas.push(Array.isArray(d) ? Buffer.concat(d) : d);
      const enc = msg.address !== undefined ? this.#destination(msg.address) : null;
      targets.push(enc);
      anyAddr ||= enc !== null;
      const ctl = encodeControl(msg, name);
      ctls.push(ctl);
      anyCtl ||= ctl !== null;
    });
    let addrs: Buffer | null = null;
    let lens: Int32Array | null = null;
    if (anyAddr) {
      addrs = Buffer.alloc(targets.length * layout.storage);
      lens = new Int32Array(targets.length);
      targets.forEach((t, i) => { if (t) { t.bytes.copy(addrs!, i * layout.storage, 0, t.length); lens![i] = t.length; } });
    }
    return { datas, addrs, lens, controls: anyCtl ? ctls : null };
  }

  /**
   * sendmmsg(2): sends every message (bytes, strings, or Message objects with
   * address, fds, control, segmentSize) in batches of up to 256, waiting for
   * writability as needed. Returns how many were sent; a failure carries
   * that count as `sent`.
   */
  async sendMany(messages: (Message | Uint8Array | string)[], opts?: IoOptions & { flags?: number }): Promise<number> {
    const o = ioOptions(opts);
    const b = this.#batchOut(messages);
    const deadline = this.#callDeadline(o.deadline);
    let done = 0;
    try {
      while (done < b.datas.length) done += await this.#io(WRITE, 'sendmmsg', deadline, o.signal, this.#batchAttempt(b, done, o.flags));
    } catch (err) {
      throw withSent(err, done);
    }
    return done;
  }

  /** The sendmmsg(2) attempt for up to 256 messages of `b` from `from`; counts the bytes of those sent. */
  #batchAttempt(b: OutBatch, from: number, flags: number): (fd: number) => number {
    const end = Math.min(from + 256, b.datas.length);
    return (fd) => {
      const n = binding.sendmmsg(fd, b.datas.slice(from, end), b.addrs && b.addrs.subarray(from * layout.storage),
        b.lens && b.lens.subarray(from), b.controls && b.controls.slice(from, end), flags);
      for (let i = from; i < from + n; i++) this.#sent += b.datas[i].length;
      return n;
    };
  }

  /** The blocking twin of sendMany(). */
  sendManySync(messages: (Message | Uint8Array | string)[], opts?: IoOptions & { flags?: number }): number {
    const o = ioOptions(opts);
    const b = this.#batchOut(messages);
    const deadline = this.#callDeadline(o.deadline);
    let done = 0;
    try {
      while (done < b.datas.length) done += this.#ioSync(WRITE, 'sendmmsg', deadline, this.#batchAttempt(b, done, o.flags));
    } catch (err) {
      throw withSent(err, done);
    }
    return done;
  }

  #batchIn(opts: unknown): { o: ReturnType<typeof ioOptions>; count: number; size: number; ctlSlot: number; into: Buffer | null } {
    const o = ioOptions(opts);
    const count = o.raw.maxMessages === undefined ? 32 : validateInteger(o.raw.maxMessages, 'options.maxMessages', 1, 256);
    const size = o.raw.size === undefined ? 4096 : validateInteger(o.raw.size, 'options.size', 0, 0x7fffffff);
    const ctlSlot = o.raw.controlLength === undefined ? 128 : validateInteger(o.raw.controlLength, 'options.controlLength', 0, 65536);
    if (count * size > 0x7fffffff) throw invalidArgValue('options.size', size, 'times maxMessages must stay under 2 GiB');
    let into: Buffer | null = null;
    if (o.raw.buffer !== undefined) {
      const b = o.raw.buffer;
      if (!(b instanceof Uint8Array)) throw invalidArgType('options.buffer', 'an instance of Uint8Array', b);
      if (b.length < count * size) throw invalidArgValue('options.buffer', `[${b.length} bytes]`, `must hold maxMessages x size = ${count * size} bytes`);
      into = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    }
    return { o, count, size, ctlSlot, into };
  }

  /**
   * recvmmsg(2): waits for at least one datagram, then returns up to
   * `maxMessages` (default 32) of at most `size` bytes (default 4096) each.
   * The data of one call are copied into one buffer sized to what arrived,
   * or, with `buffer` (at least maxMessages x size bytes, yours to reuse),
   * received straight into it and returned as views of it: no copy, valid
   * until you reuse the buffer. Each address is decoded only when read. GRO
   * segment sizes, pktinfo and timestamps are decoded as for recvMsg.
   */
  async recvMany(opts?: IoOptions & { maxMessages?: number; size?: number; controlLength?: number; flags?: number; buffer?: Uint8Array }): Promise<ReceivedMessage[]> {
    const { o, count, size, ctlSlot, into } = this.#batchIn(opts);
    return this.#ioValue(READ, 'recvmmsg', this.#callDeadline(o.deadline), o.signal, (fd) => this.#recvManyOnce(fd, count, size, ctlSlot, into, o.flags));
  }

  /** One recvMany: read-ahead datagrams, else recvmmsg(2) into `into` or the shared batch scratch; or a negative errno. */
  #recvManyOnce(fd: number, count: number, size: number, ctlSlot: number, into: Buffer | null, flags: number): ReceivedMessage[] | number {
    if (this.#ahead !== null && fromQueue(flags)) return this.#manyFromAhead(count, size, into, flags);
    const batch = Batch.get(count, into ? 0 : size, ctlSlot);
    const n = binding.recvmmsg(fd, into ?? batch.data, size, count, flags, batch.addrs, batch.ctl, ctlSlot, batch.meta, into ? 0 : 1);
    return n >= 0 ? batch.messages(n, size, into, (bytes) => { this.#received += bytes; }) : n;
  }

  /** The blocking twin of recvMany(). */
  recvManySync(opts?: IoOptions & { maxMessages?: number; size?: number; controlLength?: number; flags?: number; buffer?: Uint8Array }): ReceivedMessage[] {
    const { o, count, size, ctlSlot, into } = this.#batchIn(opts);
    return this.#ioSyncValue(READ, 'recvmmsg', this.#callDeadline(o.deadline), (fd) => this.#recvManyOnce(fd, count, size, ctlSlot, into, o.flags));
  }

  /**
   * recvMany from read-ahead datagrams: up to `count`, cut to `size`, placed
   * in `into` when given. A peek returns one, as a peeking recvmmsg(2) reads
   * the same datagram again and again.
   */
  #manyFromAhead(count: number, size: number, into: Buffer | null, flags: number): ReceivedMessage[] {
    const list: ReceivedMessage[] = [];
    while (list.length < count) {
      const m = this.#nextAhead(flags);
      if (m === null) break;
      const msg = aheadMessage(m, size, MAX_FDS, flags);
      if (into) {
        const at = list.length * size;
        into.set(msg.data, at);
        msg.data = into.subarray(at, at + msg.data.length);
      }
      this.#received += msg.data.length;
      list.push(msg);
      if (flags & MSG_PEEK) break;
    }
    return list;
  }

  // ---- multicast -----------------------------------------------------------------

  #inet6(): boolean {
    if (this.#family === AF.inet6) return true;
    if (this.#family === AF.inet || this.#deferred) return false;
    throw invalidArgValue('socket', familyName(this.#family), 'must be an inet or inet6 socket for multicast');
  }

  /** Joins a multicast group, on an interface given by name, index or (IPv4) address; default: the kernel's choice. */
  addMembership(group: string, iface: string | number = 0): void {
    this.setOption(this.#inet6() ? 'ipv6-add-membership' : 'ip-add-membership', { multiaddr: group, interface: iface });
  }

  /** Leaves a multicast group joined with addMembership. */
  dropMembership(group: string, iface: string | number = 0): void {
    this.setOption(this.#inet6() ? 'ipv6-drop-membership' : 'ip-drop-membership', { multiaddr: group, interface: iface });
  }

  /** Source-specific membership (IPv4): receive `group` only from `source`; `iface` is an IPv4 address. */
  addSourceMembership(group: string, source: string, iface = '0.0.0.0'): void {
    if (this.#inet6()) throw invalidArgValue('socket', 'inet6', 'source-specific membership is IPv4 only here (use setsockopt with MCAST_JOIN_SOURCE_GROUP)');
    this.setOption('ip-add-source-membership', { multiaddr: group, source, interface: iface });
  }

  /** Leaves a source-specific membership. */
  dropSourceMembership(group: string, source: string, iface = '0.0.0.0'): void {
    if (this.#inet6()) throw invalidArgValue('socket', 'inet6', 'source-specific membership is IPv4 only here');
    this.setOption('ip-drop-source-membership', { multiaddr: group, source, interface: iface });
  }

  /** The interface outgoing multicast leaves by: a name or index (or an IPv4 address on inet sockets). */
  setMulticastInterface(iface: string | number): void {
    this.setOption(this.#inet6() ? 'ipv6-multicast-if' : 'ip-multicast-if', iface);
  }

  /** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS. */
  setMulticastTTL(ttl: number): void {
    validateInteger(ttl, 'ttl', 0, 255);
    this.setOption(this.#inet6() ? 'ipv6-multicast-hops' : 'ip-multicast-ttl', ttl);
  }

  /** IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: whether this host receives what it sends to a group. */
  setMulticastLoopback(on: boolean): void {
    validateBoolean(on, 'on');
    this.setOption(this.#inet6() ? 'ipv6-multicast-loop' : 'ip-multicast-loop', on);
  }

  // ---- node:net interop ----------------------------------------------------------

  /**
   * Hands a stream socket (TCP or Unix stream) over to node:net: the result
   * owns the fd, this socket is detached. Data buffered by receive() comes
   * first on the net.Socket. Works with node:tls and node:http
   * (server.emit('connection', sock.toNodeSocket())).
   */
  toNodeSocket(): net.Socket {
    this.#open('toNodeSocket');
    if (this.#type !== SOCK_STREAM || (this.#family !== AF.inet && this.#family !== AF.inet6 && this.#family !== AF.unix)) {
      throw invalidArgValue('socket', `${familyName(this.#family)} ${typeName(this.#type)}`, 'must be a TCP or Unix stream socket to become a net.Socket');
    }
    const buffered = this.#in.length > 0 ? this.#in.take(this.#in.length) : null;
    const fd = this.detach();
    const s = new net.Socket({ fd, readable: true, writable: true });
    if (buffered) s.unshift(buffered);
    return s;
  }

  /**
   * A berkeley Socket on a duplicate (F_DUPFD_CLOEXEC) of a node:net or
   * node:dgram socket's fd, to set options or use calls Node lacks. Both stay
   * usable; closing one does not close the other.
   */
  static fromNodeSocket(s: net.Socket | dgram.Socket): Socket {
    const fd = nodeFd(s);
    const dup = binding.dup(fd);
    if (dup < 0) throw systemError(dup, 'fcntl');
    try {
      return Socket.from(dup);
    } catch (err) {
      binding.close(dup);
      throw err;
    }
  }

  // ---- iteration -----------------------------------------------------------------

  /**
   * `for await (const conn of server)` yields accepted connections of a
   * listening socket. On a stream socket it yields what each recvMsg reads
   * and ends at end of stream. On datagram sockets it yields one message per
   * datagram (as recvMsg with default options), read up to AHEAD_COUNT per
   * recvmmsg(2); datagrams read but not yet yielded stay queued for every
   * later receive call, so leaving the loop loses none. A zero-length message
   * when the peer has hung up (SOCK_SEQPACKET) ends it. Ends when the socket
   * is closed.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Socket | ReceivedMessage> {
    const listening = this.#listening || (this.#fd >= 0 && this.#type !== SOCK_DGRAM && this.getOption('acceptconn') === true);
    const stream = !listening && this.#type === SOCK_STREAM;
    let ended = false;
    const end = (): IteratorResult<Socket | ReceivedMessage> => { ended = true; return ITERATION_DONE; };
    // A datagram, or null when it marks the end (zero-length after a hang-up).
    const datagram = (m: ReceivedMessage): ReceivedMessage | null => (m.data.length === 0 && this.#hungUp() ? null : m);
    const read = async (): Promise<IteratorResult<Socket | ReceivedMessage>> => {
      try {
        if (listening) return { value: await this.accept(), done: false };
        if (stream) {
          const m = await this.recvMsg();
          return m.data.length === 0 ? end() : { value: m, done: false }; // empty: end of stream
        }
        const m = datagram(await this.#readAhead());
        return m === null ? end() : { value: m, done: false };
      } catch (err) {
        ended = true;
        if (err instanceof SocketError && err.code === 'ERR_SOCKET_CLOSED') return ITERATION_DONE;
        throw err;
      }
    };
    // Written out rather than an async generator: a datagram read ahead is
    // handed over in one resolved promise, without a generator's extra turns.
    return {
      next: () => {
        if (ended) return Promise.resolve(ITERATION_DONE);
        if (!listening && !stream) {
          const m = this.#nextAhead(0);
          if (m !== null) {
            this.#received += m.data.length;
            return Promise.resolve(datagram(m) === null ? end() : { value: m, done: false });
          }
        }
        return read();
      },
      return: () => Promise.resolve(end()),
      [Symbol.asyncIterator]() { return this; },
    };
  }

  /**
   * The iterator's read: one recvmmsg(2) for up to AHEAD_COUNT datagrams;
   * those after the first wait in #ahead, and other waiting receivers are
   * woken to take them (the kernel will not wake them: it has none left).
   */
  async #readAhead(): Promise<ReceivedMessage> {
    const first = await this.#ioValue(READ, 'recvmmsg', this.#callDeadline(null), undefined, (fd) => {
      const m = this.#nextAhead(0); // read ahead by a concurrent iterator while this one waited
      if (m !== null) return m;
      const batch = Batch.get(AHEAD_COUNT, DEFAULT_RECV, AHEAD_CONTROL);
      const n = binding.recvmmsg(fd, batch.data, DEFAULT_RECV, AHEAD_COUNT, 0, batch.addrs, batch.ctl, AHEAD_CONTROL, batch.meta, 1);
      if (n < 0) return n;
      const msgs = batch.messages(n, DEFAULT_RECV, null, noCount);
      if (n > 1) {
        this.#ahead = new ReadAhead(msgs, 1);
        this.#r!.poke(READ);
      }
      return msgs[0];
    });
    this.#received += first.data.length;
    return first;
  }


  /** The next read-ahead datagram for a call with `flags`, or null to ask the kernel. */
  #nextAhead(flags: number): ReceivedMessage | null {
    const a = this.#ahead;
    if (a === null || !fromQueue(flags)) return null;
    const m = a.next((flags & MSG_PEEK) !== 0);
    if (a.length === 0) this.#ahead = null;
    return m;
  }

  #dropAhead(): void {
    this.#ahead?.discard();
    this.#ahead = null;
  }

  /** Whether the peer hung up (POLLHUP), which makes a zero-length read its end rather than an empty datagram. */
  #hungUp(): boolean {
    if (this.#fd < 0) return false;
    const events = new Int32Array([1]);
    return binding.pollMany(new Int32Array([this.#fd]), events, 0) > 0 && (events[0] & 4) !== 0;
  }

  // ---- receive patterns (LuaSocket) ------------------------------------------

  /**
   * LuaSocket's receive: 'line' (default, also '*l': up to LF, without the LF
   * and every CR), 'all' ('*a': until the peer closes), or a byte count
   * (exactly that many). `prefix` is prepended. On ETIMEDOUT or EOF the
   * error's `partial` holds prefix plus what was read, so
   * receive(pattern, err.partial) resumes.
   */
  receive(pattern?: 'line' | 'all' | '*l' | '*a' | number, prefix?: string | Uint8Array, opts?: IoOptions): Promise<Buffer> {
    // Fast path: a plain receive('line') whose line is already buffered.
    if ((pattern === undefined || pattern === 'line' || pattern === '*l') && prefix === undefined && opts === undefined && this.#fd >= 0) {
      const line = this.#in.takeLine();
      if (line) return Promise.resolve(line);
    }
    return this.#receive(pattern, prefix, opts);
  }

  async #receive(pattern: unknown, prefix: unknown, opts: unknown): Promise<Buffer> {
    const { reader, o, deadline } = this.#receiveStart(pattern, prefix, opts);
    if (reader.satisfiedWithoutReading) return Buffer.from(reader.prefix);
    try {
      while (!reader.consume(this.#in)) {
        const size = reader.readSize;
        const buf = Buffer.allocUnsafe(size);
        const n = await this.#io(READ, 'recv', deadline, o.signal, (fd) => this.#recvIntoAttempt(fd, buf, 0));
        if (this.#receiveRead(reader, buf, n)) break;
      }
    } catch (err) {
      throw withPartial(err, reader.result());
    }
    return reader.result();
  }

  /** The blocking twin of receive(). */
  receiveSync(pattern?: 'line' | 'all' | '*l' | '*a' | number, prefix?: string | Uint8Array, opts?: IoOptions): Buffer {
    if ((pattern === undefined || pattern === 'line' || pattern === '*l') && prefix === undefined && opts === undefined && this.#fd >= 0) {
      const line = this.#in.takeLine();
      if (line) return line;
    }
    const { reader, deadline } = this.#receiveStart(pattern, prefix, opts);
    if (reader.satisfiedWithoutReading) return Buffer.from(reader.prefix);
    try {
      while (!reader.consume(this.#in)) {
        const size = reader.readSize;
        const buf = Buffer.allocUnsafe(size);
        const n = this.#ioSync(READ, 'recv', deadline, (fd) => this.#recvIntoAttempt(fd, buf, 0));
        if (this.#receiveRead(reader, buf, n)) break;
      }
    } catch (err) {
      throw withPartial(err, reader.result());
    }
    return reader.result();
  }

  #receiveStart(pattern: unknown, prefix: unknown, opts: unknown) {
    const reader = new PatternReader(parsePattern(pattern), prefix);
    const o = ioOptions(opts);
    this.#open('recv');
    return { reader, o, deadline: this.#callDeadline(o.deadline) };
  }

  /** Takes in one read of `n` bytes: true when end of stream completes the pattern ('all'); EOF error when it cannot. */
  #receiveRead(reader: PatternReader, buf: Buffer, n: number): boolean {
    if (n === 0) {
      if (reader.endOfStream()) return true;
      throw eofError('receive', Buffer.alloc(0));
    }
    this.#received += n;
    this.#in.push(n === buf.length ? buf : buf.subarray(0, n));
    return false;
  }

  /** Whether receive() left buffered input that a read would return without a system call. */
  dirty(): boolean {
    return this.#in.length > 0 || this.#ahead !== null;
  }

  // ---- readiness -----------------------------------------------------------

  /** Resolves when a read would not block (buffered receive() data counts); ETIMEDOUT past the deadline. */
  async readable(opts?: IoOptions): Promise<void> {
    const o = ioOptions(opts);
    this.#open('poll');
    if (this.#in.length > 0 || this.#ahead !== null) return;
    await this.#wait(READ, 'poll', this.#callDeadline(o.deadline), o.signal);
  }

  /** Resolves when a write would not block; ETIMEDOUT past the deadline. */
  async writable(opts?: IoOptions): Promise<void> {
    const o = ioOptions(opts);
    this.#open('poll');
    await this.#wait(WRITE, 'poll', this.#callDeadline(o.deadline), o.signal);
  }

  /**
   * @internal For select(): waits for readiness bounded only by `deadline`
   * (a performance.now() time), ignoring the socket's own timeouts. Resolves
   * false on timeout, rejects on abort or close.
   */
  static waitReady(s: Socket, write: boolean, deadline: number | null, signal?: AbortSignal): Promise<boolean> {
    if (s.#fd < 0 || !s.#r) return Promise.resolve(true);
    if (!write && (s.#in.length > 0 || s.#ahead !== null)) return Promise.resolve(true);
    return s.#r.wait(write ? WRITE : READ, deadline, signal);
  }

  // ---- options -------------------------------------------------------------

  /**
   * Sets an option by name ('reuseaddr', 'tcp-nodelay', 'linger', 'ip-add-membership', ...).
   * ENOPROTOOPT when the platform lacks it. On a tcp()/udp() socket without a
   * family yet, the option is remembered and applied when the socket is made.
   */
  setOption(name: OptionName, value: unknown): void {
    const [level, opt, bytes] = encodeOption(name, value);
    if (this.#deferred) {
      this.#deferred.options.push([name, value]);
      return;
    }
    const rc = binding.setsockopt(this.#open('setsockopt'), level, opt, bytes);
    if (rc < 0) throw systemError(rc, 'setsockopt');
  }

  /** Reads an option by name, decoded ('linger' -> { on, timeout }, 'error' -> a code or null, 'tcp-info' -> an object). */
  getOption(name: OptionName): unknown {
    const [level, opt, size, decode] = optionReader(name);
    if (this.#deferred) {
      const remembered = this.#deferred.options.findLast(([n]) => n === name);
      if (remembered) return remembered[1];
      throw new SocketError('getsockopt ENOTCONN (the socket has no family yet)', 'ENOTCONN', { errno: -E.ENOTCONN, syscall: 'getsockopt' });
    }
    const buf = Buffer.alloc(size);
    const res = new Int32Array(1);
    const rc = binding.getsockopt(this.#open('getsockopt'), level, opt, buf, res);
    if (rc < 0) throw systemError(rc, 'getsockopt');
    return decode(buf, res[0]);
  }

  /**
   * nixio's setopt: level 'socket' | 'ip' | 'ipv6' | 'tcp' | 'udp' or a number,
   * name as nixio spells it ('nodelay', 'multicast_ttl', 'add_membership'), a
   * constant name ('TCP_NODELAY') or a number. Named options take their
   * decoded values; raw ones a number, boolean or bytes.
   */
  setsockopt(level: number | 'socket' | 'ip' | 'ipv6' | 'tcp' | 'udp', name: number | string, value: number | boolean | Uint8Array | object): void {
    const named = namedOption(level, name);
    if (named) return this.setOption(named, value);
    const lvl = levelNumber(level);
    const opt = optionNumber(level, name);
    if (typeof value === 'object' && !(value instanceof Uint8Array)) throw invalidArgType('value', 'of type number, boolean or an instance of Uint8Array for a raw option', value);
    posixSetsockopt(this.#open('setsockopt'), lvl, opt, value as number | boolean | Uint8Array);
  }

  /** nixio's getopt: as setsockopt; raw options read as 'int' (default), 'bytes' or a byte length. */
  getsockopt(level: number | 'socket' | 'ip' | 'ipv6' | 'tcp' | 'udp', name: number | string, kind?: 'int' | 'bytes' | number): unknown {
    const named = kind === undefined ? namedOption(level, name) : null;
    if (named) return this.getOption(named);
    return posixGetsockopt(this.#open('getsockopt'), levelNumber(level), optionNumber(level, name), kind);
  }

  // ---- accounting ----------------------------------------------------------

  /** LuaSocket's getstats: bytes received, bytes sent, age in seconds. */
  stats(): { received: number; sent: number; age: number } {
    return { received: this.#received, sent: this.#sent, age: (Date.now() - this.#born) / 1000 };
  }

  /** LuaSocket's setstats. */
  setStats(received: number, sent: number, age: number): void {
    validateInteger(received, 'received', 0);
    validateInteger(sent, 'sent', 0);
    if (typeof age !== 'number' || !(age >= 0)) throw invalidArgValue('age', age, 'must be a number >= 0');
    this.#received = received;
    this.#sent = sent;
    this.#born = Date.now() - age * 1000;
  }
}

/** The fd under a node:net or node:dgram socket (Unix). */
function nodeFd(s: unknown): number {
  const handleFd = (h: unknown) => (h && typeof (h as { fd?: unknown }).fd === 'number' ? (h as { fd: number }).fd : -1);
  if (s instanceof net.Socket) {
    const fd = handleFd((s as unknown as { _handle?: unknown })._handle);
    if (fd >= 0) return fd;
    throw invalidArgValue('socket', 'net.Socket', 'has no fd (not connected yet, or destroyed)');
  }
  if (s && typeof s === 'object' && typeof (s as { address?: unknown }).address === 'function' && typeof (s as { send?: unknown }).send === 'function') {
    // node:dgram keeps its handle under a private symbol; find it without the deprecated _handle getter.
    for (const sym of Object.getOwnPropertySymbols(s)) {
      const state = (s as Record<symbol, unknown>)[sym] as { handle?: unknown } | undefined;
      const fd = handleFd(state?.handle);
      if (fd >= 0) return fd;
    }
    throw invalidArgValue('socket', 'dgram.Socket', 'has no fd (bind it first)');
  }
  throw invalidArgType('socket', 'an instance of net.Socket or dgram.Socket', s);
}

/** After a connect in progress became writable: its outcome from SO_ERROR. */
function connected(fd: number, details: () => ErrorDetails): void {
  const err = posixGetsockopt(fd, SOL_SOCKET, SO_ERROR) as number;
  if (err !== 0) throw systemError(-err, 'connect', details());
}

/** In a loop over resolved addresses: records a failure worth trying the next address after, rethrows the rest. */
function nextAddress(err: unknown, errors: Error[]): void {
  if (!(err instanceof SocketError) || err.code === 'ERR_SOCKET_CLOSED' || err.code === 'ETIMEDOUT') throw err;
  errors.push(err);
}

/** The error of the last attempt, listing every attempt's error as `errors`. */
function lastOf(errors: Error[], syscall: string): Error {
  const last = errors[errors.length - 1] ?? new SocketError(`${syscall} ENOTFOUND`, 'ENOTFOUND', { syscall });
  if (errors.length > 1) (last as Error & { errors?: Error[] }).errors = errors;
  return last;
}

function withSent(err: unknown, sent: number): unknown {
  if (err instanceof SocketError || err instanceof AbortError) (err as SocketError).sent = sent;
  return err;
}

function withPartial(err: unknown, partial: Buffer): unknown {
  if (err instanceof SocketError || err instanceof AbortError) (err as SocketError).partial = partial;
  return err;
}

/** A received buffer cut to its length; small results are copied so they do not pin a large allocation. */
/** A cache key for numeric inet/inet6/unix destinations (null: do not cache). */
function addressKey(a: SocketAddress): string | null {
  if (a.family === 'inet') return `4|${a.address}|${a.port}`;
  if (a.family === 'inet6') return `6|${a.address}|${a.port}|${a.flowinfo ?? 0}|${a.scopeId ?? 0}`;
  if (a.family === 'unix') return `u|${a.path}`;
  return null;
}

function sleep(ms: number, signal: AbortSignal | undefined, ref: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => { clearTimeout(t); reject(abortError(signal!)); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, Math.min(Math.ceil(ms), MAX_TIMER));
    if (!ref) t.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

