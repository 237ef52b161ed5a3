// Convenience constructors: LuaSocket's tcp()/udp() family and socket.connect/
// bind, lua-net's connect_inet_stream / bind_inet_stream / *_unix_*.
import { binding } from './binding.js';
import { invalidArgValue } from './errors.js';
import { resolve, type HostPort } from './resolver.js';
import { Socket, type IoOptions, type AddressLike } from './socket.js';
import { validateBoolean, validateObject } from './validate.js';

const k = binding.constants;

/** A TCP socket whose family (inet or inet6) is chosen at the first bind/connect, as LuaSocket 3's socket.tcp(). */
export function tcp(): Socket { return Socket.deferred(k.SOCK_STREAM, 0); }
/** An IPv4 TCP socket. */
export function tcp4(): Socket { return new Socket('inet', 'stream'); }
/** An IPv6-only TCP socket (ipv6-v6only set). */
export function tcp6(): Socket { const s = new Socket('inet6', 'stream'); s.setOption('ipv6-v6only', true); return s; }
/** A UDP socket whose family is chosen at the first bind/connect/sendTo. */
export function udp(): Socket { return Socket.deferred(k.SOCK_DGRAM, 0); }
/** An IPv4 UDP socket. */
export function udp4(): Socket { return new Socket('inet', 'dgram'); }
/** An IPv6-only UDP socket (ipv6-v6only set). */
export function udp6(): Socket { const s = new Socket('inet6', 'dgram'); s.setOption('ipv6-v6only', true); return s; }

type Fam = 'inet' | 'inet6';
function famOption(v: unknown): Fam | undefined {
  if (v === undefined) return undefined;
  if (v !== 'inet' && v !== 'inet6') throw invalidArgValue('options.family', v, "must be 'inet' or 'inet6'");
  return v;
}

/**
 * LuaSocket's socket.connect / lua-net's connect_inet_stream: a connected TCP
 * socket. Every resolved address is tried in order until one connects; the
 * deadline (`timeout`) covers them all. Reports the last failure, with all
 * of them as `errors`.
 */
export async function connect(host: string, port: number | string, opts: IoOptions & { family?: Fam; localAddress?: AddressLike } = {}): Promise<Socket> {
  const o = validateObject<IoOptions & { family?: Fam; localAddress?: AddressLike }>(opts, 'options');
  const family = famOption(o.family);
  const hp: HostPort = { host, port: String(port) };
  const deadline = o.timeout === undefined || o.timeout === null ? null : performance.now() + o.timeout;
  const af = family === undefined ? k.AF_UNSPEC : family === 'inet' ? k.AF_INET : k.AF_INET6;
  const addresses = await resolve(hp, af, k.SOCK_STREAM, false);
  const errors: Error[] = [];
  for (const a of addresses) {
    const s = new Socket(a.family as Fam, 'stream');
    try {
      if (o.localAddress !== undefined) s.bind(o.localAddress);
      const left = deadline === null ? null : Math.max(0, deadline - performance.now());
      await s.connect(a, { timeout: left, signal: o.signal });
      return s;
    } catch (err) {
      s.close();
      if ((err as { name?: string }).name === 'AbortError') throw err;
      errors.push(err as Error);
      if ((err as { code?: string }).code === 'ETIMEDOUT' && deadline !== null && performance.now() >= deadline) break;
    }
  }
  const last = errors[errors.length - 1];
  if (errors.length > 1) (last as Error & { errors?: Error[] }).errors = errors;
  throw last;
}

/**
 * LuaSocket's socket.bind / lua-net's bind_inet_stream: a listening TCP
 * socket. reuseaddr defaults to true; host '*' is the wildcard address.
 */
export function listen(host: string, port: number | string, opts: { backlog?: number; reuseaddr?: boolean; reuseport?: boolean; family?: Fam; ipv6Only?: boolean } = {}): Socket {
  const o = validateObject<{ backlog?: number; reuseaddr?: boolean; reuseport?: boolean; family?: Fam; ipv6Only?: boolean }>(opts, 'options');
  const family = famOption(o.family);
  const v6only = o.ipv6Only === undefined ? undefined : validateBoolean(o.ipv6Only, 'options.ipv6Only');
  // Without a family the socket is made at bind time, for the address the host resolves to.
  const s = family === undefined ? Socket.deferred(k.SOCK_STREAM, 0, v6only) : new Socket(family, 'stream');
  try {
    if (family === 'inet6' && v6only !== undefined) s.setOption('ipv6-v6only', v6only);
    if (o.reuseaddr === undefined || validateBoolean(o.reuseaddr, 'options.reuseaddr')) s.setOption('reuseaddr', true);
    if (o.reuseport !== undefined && validateBoolean(o.reuseport, 'options.reuseport')) s.setOption('reuseport', true);
    s.bind({ host, port: String(port) });
    s.listen(o.backlog);
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/** lua-net's connect_unix_stream: a connected Unix stream (or seqpacket) socket. */
export async function connectUnix(path: string, opts: IoOptions & { type?: 'stream' | 'seqpacket' } = {}): Promise<Socket> {
  const o = validateObject<IoOptions & { type?: 'stream' | 'seqpacket' }>(opts, 'options');
  const type = o.type ?? 'stream';
  if (type !== 'stream' && type !== 'seqpacket') throw invalidArgValue('options.type', type, "must be 'stream' or 'seqpacket'");
  const s = new Socket('unix', type);
  try {
    await s.connect({ family: 'unix', path }, { timeout: o.timeout, signal: o.signal });
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/** lua-net's bind_unix_stream: a listening Unix stream (or seqpacket) socket. */
export function listenUnix(path: string, opts: { backlog?: number; type?: 'stream' | 'seqpacket' } = {}): Socket {
  const o = validateObject<{ backlog?: number; type?: 'stream' | 'seqpacket' }>(opts, 'options');
  const type = o.type ?? 'stream';
  if (type !== 'stream' && type !== 'seqpacket') throw invalidArgValue('options.type', type, "must be 'stream' or 'seqpacket'");
  const s = new Socket('unix', type);
  try {
    s.bind({ family: 'unix', path });
    s.listen(o.backlog);
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/** A bound UDP socket. */
export function bindUdp(host: string, port: number | string, opts: { reuseaddr?: boolean; reuseport?: boolean; family?: Fam } = {}): Socket {
  const o = validateObject<{ reuseaddr?: boolean; reuseport?: boolean; family?: Fam }>(opts, 'options');
  const family = famOption(o.family);
  const s = family === undefined ? udp() : new Socket(family, 'dgram');
  try {
    if (o.reuseaddr !== undefined && validateBoolean(o.reuseaddr, 'options.reuseaddr')) s.setOption('reuseaddr', true);
    if (o.reuseport !== undefined && validateBoolean(o.reuseport, 'options.reuseport')) s.setOption('reuseport', true);
    s.bind({ host, port: String(port) });
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/** A Unix datagram socket bound to `path` ('' autobinds an abstract name). */
export function bindUnixDgram(path: string): Socket {
  const s = new Socket('unix', 'dgram');
  try {
    s.bind({ family: 'unix', path });
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}
