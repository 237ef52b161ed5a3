// What a Socket is apart from its I/O: its state behind the module-private
// symbol, lifecycle (close, detach, ref), LuaSocket's timeouts, options and
// stats. The Socket class (socket.ts) extends it with the I/O methods.
import { invalidArgValue } from '../errors.js';
import { validateBoolean, validateInteger, validateTimeout } from '../validate.js';
import { familyName, typeName, type Family, type SocketType } from '../codec/names.js';
import type { OptionInputs, OptionValues, ReadableOptionName, WritableOptionName } from '../codec/options.js';
import { getOption, getsockopt, membership, multicastOption, setOption, setsockopt, sourceMembership } from './sockopt.js';
import { kState, type SocketState } from './state.js';
import { attachFilter, detachFilter, lockFilter, type AttachFilterOptions } from './filter.js';
import type { BpfInstruction } from '../capture/bpf.js';
import { inheritable, setInheritable } from './descriptor.js';
import type { FamilyOf, OptionLevel } from './types.js';

/** The state, lifecycle, timeouts, options and stats of a {@link Socket}. */
export class SocketBase<out F extends Family | number = Family | number> implements Disposable, AsyncDisposable {
  /** @internal */
  readonly [kState]: SocketState;

  /** @internal Wraps a state; sockets are made with `new Socket(...)`. */
  constructor(state: SocketState) {
    this[kState] = state;
    state.track(this);
  }

  /** The file descriptor, or -1 once closed or detached (or before a tcp()/udp() socket picked its family). */
  get fd(): number { return this[kState].fd; }
  /** The family by name ('inet', ...) or AF_* number; 'inet' for a tcp()/udp() socket until its family is chosen. */
  get family(): FamilyOf<F> { const s = this[kState]; return (s.deferred ? 'inet' : familyName(s.family)) as FamilyOf<F>; }
  /** The type by name ('stream', ...) or SOCK_* number. */
  get type(): SocketType | number { return typeName(this[kState].type); }
  /**
   * The protocol number given to socket(2) (or read with SO_PROTOCOL by
   * Socket.from): 0 is the family's default for the type (TCP for inet
   * streams, UDP for inet datagrams), IPPROTO_ICMP = 1, ...
   */
  get protocol(): number { return this[kState].protocol; }
  /**
   * Whether the socket was closed or detached: every call on it then fails
   * with `ERR_SOCKET_CLOSED` and `fd` is -1. A tcp()/udp() socket without an
   * fd yet is not closed.
   */
  get closed(): boolean { const s = this[kState]; return s.fd < 0 && !s.deferred; }

  /**
   * Whether a child process inherits the fd (Python's get_inheritable and
   * set_inheritable): false by default, as every fd the library makes is
   * close-on-exec. Setting it true clears FD_CLOEXEC (fcntl F_SETFD), so
   * the fd stays open, at the same number, across the execve of any process
   * started afterwards (child_process.spawn included) until it is set back
   * to false: hand it over on purpose (LISTEN_FDS at fd 3, a number in an
   * environment variable). spawn's stdio mapping (`stdio: [..., sock.fd]`)
   * needs no flag: the child gets its own copy at the slot's index.
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED`.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when set to a non-boolean.
   * @example
   * server.inheritable = true;
   * const child = spawn('worker', [], { env: { ...process.env, SERVER_FD: String(server.fd) } });
   * server.inheritable = false;   // later children do not get it
   */
  get inheritable(): boolean { return inheritable(this[kState]); }
  set inheritable(value: boolean) { setInheritable(this[kState], value); }

  // ---- lifecycle ----------------------------------------------------------

  /**
   * close(2). Idempotent; fd becomes -1 first, pending operations reject with ERR_SOCKET_CLOSED, and no later call touches the old fd number. Read-ahead datagrams are dropped and their fds closed.
   * Never throws (a close(2) error is not reported: the fd is gone either way).
   *
   * @example
   * sock.close();
   * sock.closed;   // true
   */
  close(): void { const s = this[kState]; s.deferred = null; s.disown(true); }
  /**
   * Gives up the fd without closing it (LuaSocket's getfd + setfd(-1)); the socket is closed afterwards. Read-ahead datagrams are dropped.
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED` on a closed socket.
   * @example
   * const fd = sock.detach();   // yours now: hand it to node:net, a child, posix.close
   */
  detach(): number { const s = this[kState]; s.open('detach'); return s.disown(false); }
  /**
   * close(), for `using`: the socket closes when the block ends. Never throws.
   *
   * @example
   * using sock = new Socket('inet', 'dgram');
   */
  [Symbol.dispose](): void { this.close(); }
  /**
   * close(), for `await using`. Never rejects.
   *
   * @example
   * await using conn = await connect('127.0.0.1', 8080);
   */
  async [Symbol.asyncDispose](): Promise<void> { this.close(); }
  /**
   * Pending operations keep the process alive (the default); undoes unref(). Returns the socket. Never throws.
   *
   * @example
   * sock.unref();
   * sock.ref();   // a pending receive holds the process open again
   */
  ref(): this { this[kState].setRef(true); return this; }
  /**
   * Pending operations (an accept, a receive waiting for data) no longer
   * keep the process alive, as Node's `server.unref()`: the process may exit
   * while they wait. Sockets accepted from an unref'ed socket start
   * unref'ed. A socket with nothing pending never keeps the process alive
   * anyway. Returns the socket. Never throws.
   *
   * @example
   * const control = listenUnix('/run/app/control.sock').unref();
   * control.accept().then(handle);   // serves while the process runs, does not hold it open
   */
  unref(): this { this[kState].setRef(false); return this; }

  // ---- timeouts -----------------------------------------------------------

  /**
   * LuaSocket's settimeout, in ms: 'block' bounds each wait for readiness,
   * 'total' the whole call; with both, whichever comes first. null or any
   * negative value = no limit (LuaSocket: "Negative timeout values have the
   * same effect" as nil); 0 = never wait (ETIMEDOUT at once when a call would
   * block). NaN is a RangeError.
   *
   * @throws RangeError / TypeError for a timeout that is NaN or not a number; TypeError `ERR_INVALID_ARG_VALUE` for another mode.
   * @example
   * sock.setTimeout(2000);            // each wait at most 2 s
   * sock.setTimeout(10_000, 'total'); // each call at most 10 s
   */
  setTimeout(ms: number | null, mode: 'block' | 'total' | 'b' | 't' = 'block'): void {
    const v = validateTimeout(ms, 'ms');
    if (mode === 'block' || mode === 'b') this[kState].block = v;
    else if (mode === 'total' || mode === 't') this[kState].total = v;
    else throw invalidArgValue('mode', mode, "must be 'block' or 'total'");
  }
  /**
   * LuaSocket's gettimeout: the limits setTimeout set, in ms: `block` for
   * each wait, `total` for each whole call; null means no limit (the
   * default for both). Never throws.
   *
   * @example
   * sock.setTimeout(500);
   * sock.getTimeout();   // { block: 500, total: null }
   */
  getTimeout(): { block: number | null; total: number | null } { const s = this[kState]; return { block: s.block, total: s.total }; }
  /**
   * nixio's setblocking: false is setTimeout(0), true is setTimeout(null).
   *
   * @throws TypeError `ERR_INVALID_ARG_TYPE` for a value that is not a boolean.
   * @example
   * sock.setBlocking(false);   // a ...Sync call that would wait fails with ETIMEDOUT at once
   */
  setBlocking(blocking: boolean): void { this[kState].block = validateBoolean(blocking, 'blocking') ? null : 0; }

  // ---- options --------------------------------------------------------------

  /**
   * setsockopt(2) by name ('reuseaddr', 'tcp-nodelay', 'linger', ...), the
   * value typed per option ({@link OptionInputs}): flags take booleans
   * only, `linger` `{ on, timeout }`, timeouts ms. A tcp()/udp() socket
   * without a family yet remembers it and applies it at bind/connect.
   *
   * @throws {@link SocketError} `ENOPROTOOPT` where the platform lacks the
   * option, `EINVAL`/`EPERM`/`ENODEV` when the kernel refuses the value,
   * `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for an unknown or read-only name, or a value of the wrong type or range.
   * @example
   * sock.setOption('tcp-nodelay', true);
   * sock.setOption('linger', { on: true, timeout: 5 });
   * udp.setOption('ip-add-membership', { multiaddr: '239.1.2.3', interface: 'eth0' });
   */
  setOption<N extends WritableOptionName>(name: N, value: OptionInputs[N]): void { setOption(this[kState], name, value); }
  /**
   * getsockopt(2) by name, decoded and typed per option
   * ({@link OptionValues}): 'linger' is `{ on, timeout }`, 'error' a code
   * or null, 'tcp-info' an object, 'peercred' `{ pid, uid, gid }`.
   *
   * @throws {@link SocketError} `ENOPROTOOPT` where the platform (or the
   * socket's protocol) lacks the option, `ERR_SOCKET_CLOSED`; `ENOTCONN` on
   * a tcp()/udp() socket with no family yet, for an option not set on it.
   * @throws TypeError for an unknown or write-only name.
   * @example
   * if (sock.getOption('linger').on) console.log('lingers');
   * const { rtt } = sock.getOption('tcp-info');       // microseconds
   * const pending = sock.getOption('error');           // 'ECONNREFUSED' or null
   */
  getOption<N extends ReadableOptionName>(name: N): OptionValues[N] { return getOption(this[kState], name) as OptionValues[N]; }
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
   *
   * @throws {@link SocketError} `ENOPROTOOPT`, `EINVAL`/`EPERM` when the kernel refuses the value, `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for an unknown level or name, or a value of the wrong shape, before the system call.
   * @example
   * sock.setsockopt(SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 10 });  // S-Lang
   * sock.setsockopt(SOL_SOCKET, SO_SNDTIMEO, 1, 500000);                    // luaposix
   */
  setsockopt(level: OptionLevel, name: number | string, value: number | boolean | string | Uint8Array | object, value2?: number): void { setsockopt(this[kState], level, name, value, value2); }
  /**
   * nixio's getopt, S-Lang's and luaposix's getsockopt: as setsockopt (structs and strings decoded by number); `kind` 'int', 'bytes' or a byte length forces a raw representation.
   *
   * @throws {@link SocketError} `ENOPROTOOPT`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for an unknown level or name, or a bad `kind`.
   * @example
   * sock.getsockopt('socket', 'rcvbuf');             // nixio: 212992
   * sock.getsockopt(SOL_SOCKET, SO_RCVBUF, 'int');   // by number
   */
  getsockopt(level: OptionLevel, name: number | string, kind?: 'int' | 'bytes' | number): unknown { return getsockopt(this[kState], level, name, kind); }
  /**
   * Joins a multicast group, on an interface given by name, index or (IPv4) address; default: the kernel's choice.
   *
   * @throws {@link SocketError} `EINVAL` for a group that is not multicast, `ENODEV` for an unknown interface, `EADDRINUSE` when already joined, `ENOBUFS` past the membership limit, `ERR_SOCKET_CLOSED`.
   * @throws TypeError for a group or interface that is not an address, name or index.
   * @example
   * rx.addMembership('239.1.2.3', 'eth0');
   */
  addMembership(group: string, iface: string | number = 0): void { membership(this[kState], true, group, iface); }
  /**
   * Leaves a multicast group joined with addMembership.
   *
   * @throws {@link SocketError} `EADDRNOTAVAIL` when not a member, `ERR_SOCKET_CLOSED`.
   * @throws TypeError for a group or interface that is not an address, name or index.
   * @example
   * rx.dropMembership('239.1.2.3', 'eth0');
   */
  dropMembership(group: string, iface: string | number = 0): void { membership(this[kState], false, group, iface); }
  /**
   * Source-specific membership (IPv4): receive `group` only from `source`; `iface` is an IPv4 address.
   *
   * @throws {@link SocketError} `EINVAL` for a group that is not multicast, `ENOBUFS`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError for addresses that are not IPv4.
   * @example
   * rx.addSourceMembership('232.1.2.3', '192.0.2.10');
   */
  addSourceMembership(group: string, source: string, iface = '0.0.0.0'): void { sourceMembership(this[kState], true, group, source, iface); }
  /**
   * Leaves a source-specific membership.
   *
   * @throws {@link SocketError} `EINVAL` when not a member, `ERR_SOCKET_CLOSED`.
   * @throws TypeError for addresses that are not IPv4.
   * @example
   * rx.dropSourceMembership('232.1.2.3', '192.0.2.10');
   */
  dropSourceMembership(group: string, source: string, iface = '0.0.0.0'): void { sourceMembership(this[kState], false, group, source, iface); }
  /**
   * The interface outgoing multicast leaves by: a name or index (or an IPv4 address on inet sockets).
   *
   * @throws {@link SocketError} `ENODEV` for an unknown interface, `EADDRNOTAVAIL`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for a value that is not an interface name, index or address.
   * @example
   * tx.setMulticastInterface('eth1');
   */
  setMulticastInterface(iface: string | number): void { multicastOption(this[kState], 'ip-multicast-if', 'ipv6-multicast-if', iface); }
  /**
   * IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS: how many hops a multicast datagram may take (0-255; default 1).
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED`.
   * @throws RangeError / TypeError for a TTL that is not an integer 0-255.
   * @example
   * tx.setMulticastTTL(8);
   */
  setMulticastTTL(ttl: number): void { multicastOption(this[kState], 'ip-multicast-ttl', 'ipv6-multicast-hops', validateInteger(ttl, 'ttl', 0, 255)); }
  /**
   * IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: whether this host receives what it sends to a group.
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED`.
   * @throws TypeError for a value that is not a boolean.
   * @example
   * tx.setMulticastLoopback(false);
   */
  setMulticastLoopback(on: boolean): void { multicastOption(this[kState], 'ip-multicast-loop', 'ipv6-multicast-loop', validateBoolean(on, 'on')); }

  // ---- the socket's BPF filter --------------------------------------------------

  /**
   * SO_ATTACH_FILTER: the kernel runs `program` on every packet before it
   * is queued on this socket and drops those it rejects (returns 0); a
   * non-zero return keeps that many bytes. `program` is classic BPF
   * instructions, or a pcap-filter expression (the subset of
   * `compileFilter` from `berkeley/capture`) compiled for where the kernel runs it here: a packet socket's
   * frames, or for UDP, TCP and raw IP sockets the packet from its network
   * header (SKF_NET_OFF), so 'udp src port 53' works on a UDP socket.
   * Replaces any filter attached before. With `{ reuseport: true }`,
   * SO_ATTACH_REUSEPORT_CBPF: the program picks which socket of the
   * SO_REUSEPORT group gets each packet (it returns the index).
   *
   * @throws TypeError (`ERR_INVALID_ARG_VALUE`) for an expression outside
   * the subset (the message names the token) or a malformed program,
   * before any system call.
   * @throws {@link SocketError} `EPERM` after lockFilter(), `EINVAL` when
   * the kernel refuses the program, `ERR_SOCKET_CLOSED`.
   * @example
   * udp.attachFilter('not src port 5353');        // datagrams from port 5353 never arrive
   * raw.attachFilter([{ code: 0x06, jt: 0, jf: 0, k: 0xffff }]);   // accept all
   */
  attachFilter(program: BpfInstruction[] | string, opts?: AttachFilterOptions): void { attachFilter(this[kState], program, opts); }
  /**
   * SO_DETACH_FILTER: removes the filter attachFilter() set.
   *
   * @throws {@link SocketError} `ENOENT` when none is attached, `EPERM`
   * after lockFilter(), `ERR_SOCKET_CLOSED`.
   * @example
   * udp.detachFilter();   // every datagram arrives again
   */
  detachFilter(): void { detachFilter(this[kState]); }
  /**
   * SO_LOCK_FILTER: the filter can no longer be replaced or removed (e.g.
   * before dropping privileges).
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED`; another errno when the
   * kernel refuses (EPERM when already locked and asked to unlock).
   * @example
   * raw.attachFilter('icmp');
   * raw.lockFilter();   // attachFilter and detachFilter now fail with EPERM
   */
  lockFilter(): void { lockFilter(this[kState]); }

  // ---- accounting -------------------------------------------------------------

  /**
   * LuaSocket's getstats: bytes received, bytes sent, age in seconds. Never throws.
   *
   * @example
   * const { received, sent, age } = sock.stats();
   */
  stats(): { received: number; sent: number; age: number } {
    const s = this[kState];
    return { received: s.received, sent: s.sent, age: (Date.now() - s.born) / 1000 };
  }
  /**
   * LuaSocket's setstats: sets the counters stats() reports.
   *
   * @throws TypeError / RangeError for counts that are not integers >= 0, or an age that is not a finite number >= 0.
   * @example
   * sock.setStats(0, 0, 0);   // start counting afresh
   */
  setStats(received: number, sent: number, age: number): void {
    validateInteger(received, 'received', 0);
    validateInteger(sent, 'sent', 0);
    if (typeof age !== 'number' || !(age >= 0) || age === Infinity) throw invalidArgValue('age', age, 'must be a finite number >= 0');
    const s = this[kState];
    s.received = received;
    s.sent = sent;
    s.born = Date.now() - age * 1000;
  }
}
