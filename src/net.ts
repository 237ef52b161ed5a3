// Convenience constructors: LuaSocket's tcp()/udp() family and socket.connect/
// bind, lua-net's connect_inet_stream / bind_inet_stream / *_unix_*.
import { performance } from 'node:perf_hooks';
import { abortError, invalidArgType, invalidArgValue, notFoundError } from './errors.js';
import { addressTarget, hostPort } from './codec/address.js';
import { encodeAddress } from './codec/sockaddr.js';
import { callOptions, runAsync } from './io/engine.js';
import { lookup } from './io/lookup.js';
import { AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM, SOCK_STREAM, SOMAXCONN } from './sys/constants.js';
import { deferredSocket, Socket, type IoOptions, type AddressLike } from './socket/socket.js';
import { dualstackOption } from './socket/family.js';
import { toBytes, validateBoolean, validateInt32, validateInteger, validateObject, validateTimeout } from './validate.js';
import { Connect } from './socket/connect.js';
import { multipathProtocol } from './socket/mptcp.js';
import { kState } from './socket/state.js';
import { IPPROTO_MPTCP } from './sys/constants.js';
import { Deadline } from './io/deadline.js';
import type { SocketAddress } from './codec/sockaddr.js';


/**
 * A TCP socket whose family (inet or inet6) is chosen at the first
 * bind/connect, as LuaSocket 3's socket.tcp(); options set before then are
 * remembered and applied. Never throws: socket(2) waits for that first
 * call, which reports its errors.
 *
 * @example
 * const s = tcp();
 * s.setOption('tcp-nodelay', true);
 * await s.connect('[::1]:8080');     // an inet6 socket from here on
 */
export function tcp(): Socket<'inet' | 'inet6'> { return deferredSocket(SOCK_STREAM, 0) as Socket<'inet' | 'inet6'>; }
/**
 * An IPv4 TCP socket.
 *
 * @throws {@link SocketError} `EMFILE`
 * @example
 * const s = tcp4();
 * await s.connect('127.0.0.1:8080');
 */
export function tcp4(): Socket<'inet'> { return new Socket('inet', 'stream'); }
/**
 * An IPv6-only TCP socket (ipv6-v6only set).
 *
 * @throws {@link SocketError} `EAFNOSUPPORT` without IPv6, `EMFILE`
 * @example
 * const s = tcp6();
 * await s.connect('[::1]:8080');
 */
export function tcp6(): Socket<'inet6'> { const s = new Socket('inet6', 'stream'); s.setOption('ipv6-v6only', true); return s; }
/**
 * A UDP socket whose family is chosen at the first bind/connect/sendTo.
 * Never throws: socket(2) waits for that first call, which reports its errors.
 *
 * @example
 * const s = udp();
 * await s.sendTo('ping', '[::1]:9000');   // an inet6 socket from here on
 */
export function udp(): Socket<'inet' | 'inet6'> { return deferredSocket(SOCK_DGRAM, 0) as Socket<'inet' | 'inet6'>; }
/**
 * An IPv4 UDP socket.
 *
 * @throws {@link SocketError} `EMFILE`
 * @example
 * const s = udp4();
 * s.bind('127.0.0.1:0');
 */
export function udp4(): Socket<'inet'> { return new Socket('inet', 'dgram'); }
/**
 * An IPv6-only UDP socket (ipv6-v6only set).
 *
 * @throws {@link SocketError} `EAFNOSUPPORT` without IPv6, `EMFILE`
 * @example
 * const s = udp6();
 * s.bind('[::1]:0');
 */
export function udp6(): Socket<'inet6'> { const s = new Socket('inet6', 'dgram'); s.setOption('ipv6-v6only', true); return s; }

/** The families of the inet convenience constructors. */
export type InetFamily = 'inet' | 'inet6';
type Fam = InetFamily;
function famOption(v: unknown): Fam | undefined {
  if (v === undefined) return undefined;
  if (v !== 'inet' && v !== 'inet6') throw invalidArgValue('options.family', v, "must be 'inet' or 'inet6'");
  return v;
}

/** The options of {@link connect}: the family, a local address, Happy Eyeballs, a resolver, MPTCP, TCP Fast Open, and a timeout and signal for the whole call. */
export interface ConnectOptions extends IoOptions {
  /** Only this family's addresses. */
  family?: Fam;
  /** Bind here before connecting. */
  localAddress?: AddressLike;
  /**
   * Race IPv6 and IPv4 as RFC 8305 describes when the name has both (default
   * true); false tries each address in order, one at a time.
   */
  happyEyeballs?: boolean;
  /** RFC 8305's Connection Attempt Delay in ms: how long an attempt runs alone before the next starts (default 250). */
  attemptDelay?: number;
  /** Resolves the host instead of getaddrinfo (tests, custom resolvers): the addresses to try, in the resolver's order. */
  lookup?: (host: string, port: string) => SocketAddress[] | Promise<SocketAddress[]>;
  /**
   * Multipath TCP (IPPROTO_MPTCP): the connection uses several paths where
   * both ends speak MPTCP, and is plain TCP otherwise. Where the kernel
   * refuses MPTCP sockets (net.mptcp.enabled = 0, no MPTCP built in) the
   * socket is made as TCP. isMultipath() tells which it became.
   */
  mptcp?: boolean;
  /**
   * TCP Fast Open: these bytes are the first sent, in the SYN where the
   * kernel holds a cookie from an earlier connection to the server
   * (sendto(2) with MSG_FASTOPEN), saving a round trip; otherwise the SYN
   * asks for a cookie and the bytes follow the handshake. The promise
   * resolves once all of them are sent. Fast Open needs the client bit
   * (1) of net.ipv4.tcp_fastopen, on by default; without it this is a
   * connect and a send. Use it only for data that is safe to receive twice
   * (a SYN can be repeated, and with Happy Eyeballs every attempt's SYN may
   * carry it), as RFC 7413 says.
   */
  fastOpen?: Uint8Array | string;
}

/** RFC 8305 section 4: alternate families, starting with the first address's (IPv6 when present). */
function interleave(addresses: SocketAddress[]): SocketAddress[] {
  const v6 = addresses.filter((a) => a.family === 'inet6');
  const v4 = addresses.filter((a) => a.family !== 'inet6');
  const [first, second] = v6.length > 0 ? [v6, v4] : [v4, v6];
  const out: SocketAddress[] = [];
  for (let i = 0; i < Math.max(first.length, second.length); i++) {
    if (i < first.length) out.push(first[i]);
    if (i < second.length) out.push(second[i]);
  }
  return out;
}

/** Tags the last error with every attempt's error as `errors`. */
function failure(errors: Error[]): Error {
  const last = errors[errors.length - 1];
  if (errors.length > 1) (last as Error & { errors?: Error[] }).errors = errors;
  return last;
}

/** The Fast Open bytes each connected socket sent with its SYN (the rest is sent once the race is won). */
const sentWithSyn = new WeakMap<Socket, number>();

async function attempt(a: SocketAddress, o: Attempt, deadline: number | null, signal?: AbortSignal, inflight?: Set<Socket>): Promise<Socket> {
  const s = new Socket(a.family as Fam, 'stream', o.mptcp ? IPPROTO_MPTCP : undefined);
  inflight?.add(s);
  try {
    if (o.localAddress !== undefined) s.bind(o.localAddress);
    const left = deadline === null ? null : Math.max(0, deadline - performance.now());
    const op = new Connect(a, { timeout: left, signal }, o.fastOpen);
    await runAsync(s[kState], op);
    if (o.fastOpen !== null) sentWithSyn.set(s, op.fastOpenSent);
    return s;
  } catch (err) {
    s.close();
    throw err;
  } finally {
    inflight?.delete(s);
  }
}

/**
 * LuaSocket's socket.connect / lua-net's connect_inet_stream: a connected TCP
 * socket. When the name resolves to both families the attempts race as in
 * RFC 8305 (Happy Eyeballs v2): IPv6 first, a new attempt every
 * `attemptDelay` ms or as soon as one fails, the first to connect wins and
 * the others are closed. `timeout` is a deadline for the whole call. On
 * failure the last error is thrown, with all of them as `errors`. With
 * `family`, the socket is typed as that family's.
 *
 * @throws {@link SocketError} `ENOTFOUND` (and the resolver's `EAI_*`),
 * `ECONNREFUSED`, `ETIMEDOUT`, `ENETUNREACH`, ...: the last attempt's
 * error, every attempt's as `errors`.
 * @throws `AbortError` when `opts.signal` aborts.
 * @throws TypeError / RangeError for a bad port or option, before any lookup.
 * @example
 * const sock = await connect('localhost', 8080, { timeout: 2000 });
 * await sock.sendAll('PING\r\n');
 * const reply = await sock.receive('line');
 * sock.close();
 * // Multipath TCP where both ends have it, and the request in the SYN once a cookie is cached:
 * const fast = await connect('localhost', 8080, { mptcp: true, fastOpen: 'PING\r\n' });
 */
export function connect<F extends InetFamily = InetFamily>(host: string, port: number | string, opts?: ConnectOptions & { family?: F }): Promise<Socket<F>>;
export async function connect(host: string, port: number | string, opts: ConnectOptions = {}): Promise<Socket> {
  const o = validateObject<ConnectOptions>(opts, 'options');
  const mptcp = o.mptcp !== undefined && validateBoolean(o.mptcp, 'options.mptcp');
  const early = o.fastOpen === undefined ? null : toBytes(o.fastOpen, 'options.fastOpen');
  const fastOpen = early !== null && early.length > 0 ? early : null;
  const a: Attempt = { localAddress: o.localAddress, mptcp, fastOpen };
  const s = await connectAny(host, port, o, a);
  if (fastOpen === null) return s;
  // The bytes that did not go with the SYN (all of them without a cookie), within the same deadline.
  try {
    const rest = fastOpen.subarray(sentWithSyn.get(s) ?? 0);
    const timeout = a.deadline === null ? null : Math.max(0, a.deadline! - performance.now());
    if (rest.length > 0) await s.sendAll(rest, { timeout, signal: o.signal });
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/** What each connect attempt needs besides the address: checked options, and the whole call's deadline. */
interface Attempt { localAddress: AddressLike | undefined; mptcp: boolean; fastOpen: Uint8Array | null; deadline?: number | null }

/** connect()'s attempts: one address at a time, or raced (Happy Eyeballs); the first socket connected. */
async function connectAny(host: string, port: number | string, o: ConnectOptions, a: Attempt): Promise<Socket> {
  const family = famOption(o.family);
  const hp = hostPort(host, port);
  const delay = o.attemptDelay === undefined ? 250 : validateInteger(o.attemptDelay, 'options.attemptDelay', 0, 60_000);
  // Every option is checked before the first lookup or socket.
  const { signal } = callOptions({ timeout: o.timeout, signal: o.signal });
  const deadline = a.deadline = Deadline.start(null, validateTimeout(o.timeout, 'options.timeout'), null).end;
  if (o.localAddress !== undefined) addressTarget(o.localAddress, -1, 'options.localAddress');
  if (o.lookup !== undefined && typeof o.lookup !== 'function') throw invalidArgType('options.lookup', 'of type function', o.lookup);
  if (o.happyEyeballs !== undefined) validateBoolean(o.happyEyeballs, 'options.happyEyeballs');
  const af = family === undefined ? AF_UNSPEC : family === 'inet' ? AF_INET : AF_INET6;
  let addresses = o.lookup ? await o.lookup(host, String(port)) : await lookup({ hp, af, type: SOCK_STREAM, passive: false });
  if (signal?.aborted) throw abortError(signal);
  if (family) addresses = addresses.filter((a) => a.family === family);
  if (addresses.length === 0) throw notFoundError(host);
  const mixed = new Set(addresses.map((a) => a.family)).size > 1;
  const errors: Error[] = [];

  if (o.happyEyeballs === false || !mixed) {
    for (const addr of addresses) {
      try {
        return await attempt(addr, a, deadline, o.signal);
      } catch (err) {
        if ((err as { name?: string }).name === 'AbortError') throw err;
        errors.push(err as Error);
        if (deadline !== null && performance.now() >= deadline) break;
      }
    }
    throw failure(errors);
  }

  // Happy Eyeballs: staggered, overlapping attempts; first success wins.
  const order = interleave(addresses);
  const race = new AbortController();
  const inflight = new Set<Socket>();
  // An abort stops the race and closes every attempt still connecting.
  const onAbort = () => {
    race.abort(o.signal!.reason);
    for (const s of inflight) s.close();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await new Promise<Socket>((resolve, reject) => {
      let next = 0;
      let running = 0;
      let won = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (won || running > 0 || next < order.length) return;
        reject(failure(errors));
      };
      const start = () => {
        clearTimeout(timer);
        if (won || next >= order.length || race.signal.aborted) return finish();
        const addr = order[next++];
        running++;
        attempt(addr, a, deadline, race.signal, inflight).then((s) => {
          running--;
          if (won || o.signal?.aborted) { s.close(); return; }
          won = true;
          clearTimeout(timer);
          // Close the losers now (their connects reject), then stop the race.
          for (const other of inflight) other.close();
          race.abort();
          resolve(s);
        }, (err) => {
          running--;
          if (o.signal?.aborted) return reject(abortError(o.signal));
          const e = err as { name?: string; code?: string };
          if (!won && e.name !== 'AbortError' && e.code !== 'ERR_SOCKET_CLOSED') errors.push(err);
          start(); // a failure starts the next attempt at once
        });
        if (next < order.length) timer = setTimeout(start, delay);
      };
      start();
    });
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** listen()'s options. */
export interface ListenOptions {
  /** listen(2)'s backlog (default SOMAXCONN). */
  backlog?: number;
  /** SO_REUSEADDR (default true). */
  reuseaddr?: boolean;
  /** SO_REUSEPORT (default false). */
  reuseport?: boolean;
  /** Only this family's addresses (and the socket typed as that family's). */
  family?: InetFamily;
  /** IPV6_V6ONLY on an inet6 socket. */
  ipv6Only?: boolean;
  /**
   * Added (Python's create_server(dualstack_ipv6=True)): an inet6 socket with
   * IPV6_V6ONLY cleared, accepting IPv4 (as '::ffff:a.b.c.d') and IPv6 alike;
   * host '*' binds '::'. An IPv4 host, family 'inet' or ipv6Only true is a
   * TypeError; see hasDualstackIPv6().
   */
  dualstack?: boolean;
  /**
   * A Multipath TCP listener (IPPROTO_MPTCP): it accepts MPTCP and plain
   * TCP clients alike (each accepted socket's isMultipath() tells which).
   * Where the kernel refuses MPTCP sockets it is a TCP listener.
   */
  mptcp?: boolean;
}

/**
 * LuaSocket's socket.bind / lua-net's bind_inet_stream: a listening TCP
 * socket. reuseaddr defaults to true; host '*' is the wildcard address.
 * Its localAddress() is typed as an inet or inet6 address (as the family
 * given in `opts`, when there is one).
 *
 * @throws {@link SocketError} `EADDRINUSE`, `EACCES` (a port below 1024), `EADDRNOTAVAIL`, `ENOTFOUND`.
 * @throws TypeError / RangeError for a bad port or option, before any socket is made.
 * @example
 * const server = listen('127.0.0.1', 0);
 * const { port } = server.localAddress();
 * const conn = await server.accept();
 */
export function listen<F extends InetFamily = InetFamily>(host: string, port: number | string, opts?: ListenOptions & { family?: F }): Socket<F>;
export function listen(host: string, port: number | string, opts: ListenOptions = {}): Socket {
  const o = validateObject<ListenOptions>(opts, 'options');
  const v6only = o.ipv6Only === undefined ? undefined : validateBoolean(o.ipv6Only, 'options.ipv6Only');
  // Every argument is checked before the socket is made.
  hostPort(host, port);
  const requested = famOption(o.family);
  const dualstack = dualstackOption(o.dualstack, host, requested, v6only);
  const family = dualstack ? 'inet6' : requested;
  const reuseaddr = o.reuseaddr === undefined || validateBoolean(o.reuseaddr, 'options.reuseaddr');
  const reuseport = o.reuseport !== undefined && validateBoolean(o.reuseport, 'options.reuseport');
  const backlog = o.backlog === undefined ? SOMAXCONN : validateInt32(o.backlog, 'options.backlog');
  const mptcp = o.mptcp !== undefined && validateBoolean(o.mptcp, 'options.mptcp');
  // Without a family the socket is made at bind time, for the address the host resolves to.
  const s = family === undefined
    ? deferredSocket(SOCK_STREAM, mptcp ? multipathProtocol() : 0, v6only)
    : new Socket(family, 'stream', mptcp ? IPPROTO_MPTCP : undefined);
  try {
    if (family === 'inet6' && (v6only !== undefined || dualstack)) s.setOption('ipv6-v6only', dualstack ? false : v6only!);
    if (reuseaddr) s.setOption('reuseaddr', true);
    if (reuseport) s.setOption('reuseport', true);
    s.bind({ host, port });
    s.listen(backlog);
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/**
 * lua-net's connect_unix_stream: a connected Unix stream (or seqpacket) socket.
 *
 * @throws {@link SocketError} `ENOENT` (no such path), `ECONNREFUSED` (nobody listening), `EACCES`, `ENAMETOOLONG`, `ETIMEDOUT`.
 * @throws `AbortError` when `opts.signal` aborts.
 * @example
 * const sock = await connectUnix('/run/app.sock', { timeout: 1000 });
 * const seq = await connectUnix('\0my-service', { type: 'seqpacket' });   // abstract name
 */
export async function connectUnix(path: string, opts: IoOptions & { type?: 'stream' | 'seqpacket' } = {}): Promise<Socket<'unix'>> {
  const o = validateObject<IoOptions & { type?: 'stream' | 'seqpacket' }>(opts, 'options');
  const type = o.type ?? 'stream';
  if (type !== 'stream' && type !== 'seqpacket') throw invalidArgValue('options.type', type, "must be 'stream' or 'seqpacket'");
  // Every argument is checked before the socket is made.
  callOptions({ timeout: o.timeout, signal: o.signal });
  encodeAddress({ family: 'unix', path }, 'connect', 'path');
  const s = new Socket('unix', type);
  try {
    await s.connect({ family: 'unix', path }, { timeout: o.timeout, signal: o.signal });
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/**
 * lua-net's bind_unix_stream: a listening Unix stream (or seqpacket)
 * socket. A path that exists is not removed: bind fails with `EADDRINUSE`.
 *
 * @throws {@link SocketError} `EADDRINUSE`, `EACCES`, `ENOENT` (no such directory), `ENAMETOOLONG`.
 * @example
 * const server = listenUnix('/tmp/app.sock');
 * for await (const conn of server.connections()) conn.close();
 */
export function listenUnix(path: string, opts: { backlog?: number; type?: 'stream' | 'seqpacket' } = {}): Socket<'unix'> {
  const o = validateObject<{ backlog?: number; type?: 'stream' | 'seqpacket' }>(opts, 'options');
  const type = o.type ?? 'stream';
  if (type !== 'stream' && type !== 'seqpacket') throw invalidArgValue('options.type', type, "must be 'stream' or 'seqpacket'");
  const backlog = o.backlog === undefined ? SOMAXCONN : validateInt32(o.backlog, 'options.backlog');
  encodeAddress({ family: 'unix', path }, 'bind', 'path');
  const s = new Socket('unix', type);
  try {
    s.bind({ family: 'unix', path });
    s.listen(backlog);
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/** bindUdp()'s options. */
export interface BindUdpOptions {
  /** SO_REUSEADDR (default false). */
  reuseaddr?: boolean;
  /** SO_REUSEPORT (default false). */
  reuseport?: boolean;
  /** Only this family's addresses (and the socket typed as that family's). */
  family?: InetFamily;
}

/**
 * A bound UDP socket; its localAddress() is typed as an inet or inet6
 * address (as the family given in `opts`, when there is one).
 *
 * @throws {@link SocketError} `EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, `ENOTFOUND`.
 * @throws TypeError / RangeError for a bad port or option, before any socket is made.
 * @example
 * const udp = bindUdp('127.0.0.1', 0, { family: 'inet' });
 * const { port } = udp.localAddress();
 * const { data, address } = await udp.recvFrom();
 */
export function bindUdp<F extends InetFamily = InetFamily>(host: string, port: number | string, opts?: BindUdpOptions & { family?: F }): Socket<F>;
export function bindUdp(host: string, port: number | string, opts: { reuseaddr?: boolean; reuseport?: boolean; family?: Fam } = {}): Socket {
  const o = validateObject<{ reuseaddr?: boolean; reuseport?: boolean; family?: Fam }>(opts, 'options');
  const family = famOption(o.family);
  hostPort(host, port);
  const reuseaddr = o.reuseaddr !== undefined && validateBoolean(o.reuseaddr, 'options.reuseaddr');
  const reuseport = o.reuseport !== undefined && validateBoolean(o.reuseport, 'options.reuseport');
  const s = family === undefined ? udp() : new Socket(family, 'dgram');
  try {
    if (reuseaddr) s.setOption('reuseaddr', true);
    if (reuseport) s.setOption('reuseport', true);
    s.bind({ host, port });
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/**
 * A Unix datagram socket bound to `path` ('' autobinds an abstract name).
 *
 * @throws {@link SocketError} `EADDRINUSE`, `EACCES`, `ENAMETOOLONG`.
 * @throws TypeError for a path that is not a string, before any socket is made.
 * @example
 * const log = bindUnixDgram('/run/app/log.sock');
 * for await (const m of log.messages()) console.log(m.data.toString());
 */
export function bindUnixDgram(path: string): Socket<'unix'> {
  encodeAddress({ family: 'unix', path }, 'bind', 'path');
  const s = new Socket('unix', 'dgram');
  try {
    s.bind({ family: 'unix', path });
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}
