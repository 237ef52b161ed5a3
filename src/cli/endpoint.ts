// The two sides of a `berkeley cat` relay: sockets of every type, and
// stdin/stdout. Each side says how its data ends, so the relay has one
// end-of-stream model: bytes and records end with an empty read (the peer
// shut its sending half), datagrams never end by themselves.
import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { Socket, connect, getaddrinfo, listen, type SocketAddress } from '../index.js';
import type { Spec } from './address.js';

/** How the data of a side ends: 'stream' and 'record' with an empty read, 'datagram' never. */
export type Framing = 'stream' | 'record' | 'datagram';

/**
 * One side of a relay. read() gives null at the end (or once `signal`
 * aborts); its chunk may be overwritten by the next read(), so write() has
 * sent or copied it when it resolves. Nothing is buffered beyond that chunk.
 */
export interface Endpoint {
  name: string;
  framing: Framing;
  /**
   * Whether the end of the data toward this side can be passed on (a
   * socket's sending half is shut) with the other direction going on. Not
   * for stdout: once the socket's data ended, the quiet period applies.
   */
  halfCloses: boolean;
  read(signal: AbortSignal): Promise<Buffer | null>;
  write(data: Buffer, signal: AbortSignal): Promise<void>;
  /** Tells the peer no more data comes: shutdown(SHUT_WR) for streams and seqpacket, as nc -N does. */
  endWrite(): void;
  close(): void;
}

export interface SocketOptions { keepalive: boolean; nodelay: boolean; reuseport: boolean; timeout: number | null; verbose: boolean }

const CHUNK = 65536;
/** The largest UDP payload: stdin chunks longer than this go out as several datagrams. */
const MAX_UDP = 65507;

/** Errors that mean this side has nothing more to give: its end, not a failure. */
const END_CODES = new Set(['ABORT_ERR', 'ERR_SOCKET_CLOSED', 'ECONNRESET']);

export function socketEndpoint(s: Socket, name: string): Endpoint {
  const framing: Framing = s.type === 'stream' ? 'stream' : s.type === 'seqpacket' ? 'record' : 'datagram';
  const chunk = Buffer.allocUnsafe(CHUNK);
  return {
    name,
    framing,
    halfCloses: true,
    async read(signal) {
      try {
        // One buffer per side, reused: the relay writes a chunk out before it reads the next.
        const b = chunk.subarray(0, await s.recvInto(chunk, { signal }));
        // recv(2) gives 0 bytes at end of stream; on seqpacket that is also
        // what a hang-up gives, again and again, so it ends the stream there
        // too (a zero-length record cannot be told apart, as for socat).
        return b.length === 0 && framing !== 'datagram' ? null : b;
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (END_CODES.has(code)) return null;
        if (framing === 'datagram' && code === 'ECONNREFUSED') return null; // nobody listens at the other end (any more)
        throw err;
      }
    },
    async write(data, signal) {
      if (framing === 'stream') return s.sendAll(data, { signal });
      const max = framing === 'datagram' && s.family !== 'unix' ? MAX_UDP : data.length;
      for (let off = 0; off < data.length; off += max) await s.send(data.subarray(off, off + max), { signal });
    },
    endWrite() {
      if (framing !== 'datagram' && !s.closed) try { s.shutdown('send'); } catch { /* the peer is gone already */ }
    },
    close() { s.close(); },
  };
}

/** Resolves null when `signal` aborts: a read that cannot take a signal still ends on time. */
function whenAborted(signal: AbortSignal): Promise<null> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(null);
    else signal.addEventListener('abort', () => resolve(null), { once: true });
  });
}

export function stdioEndpoint(): Endpoint {
  const it = process.stdin[Symbol.asyncIterator]();
  return {
    name: 'stdio',
    framing: 'stream',
    halfCloses: false,
    async read(signal) {
      try {
        const r = await Promise.race([it.next(), whenAborted(signal)]);
        return r === null || r.done ? null : Buffer.from(r.value as Buffer);
      } catch {
        return null; // stdin destroyed at close: its end
      }
    },
    async write(data, signal) {
      // A copy: stdout may keep the chunk queued after write() returns, and the reader reuses it.
      if (!process.stdout.write(Buffer.from(data))) await Promise.race([once(process.stdout, 'drain'), whenAborted(signal)]);
    },
    endWrite() { /* stdout stays open until exit */ },
    close() { process.stdin.destroy(); },
  };
}

export const show = (a: SocketAddress | null): string => {
  if (!a) return '(unnamed)';
  if (a.family === 'inet') return `${a.address}:${a.port}`;
  if (a.family === 'inet6') return `[${a.address}]:${a.port}`;
  if (a.family === 'unix') return a.path === '' ? '(unnamed)' : a.path.startsWith('\0') ? `@${a.path.slice(1)}` : a.path;
  return JSON.stringify(a);
};

export function log(o: SocketOptions, line: string): void {
  if (o.verbose) process.stderr.write(`berkeley cat: ${line}\n`);
}

export function tune(s: Socket, spec: Spec, o: SocketOptions): void {
  if (spec.kind === 'tcp' || (spec.kind === 'inherited' && spec.family !== undefined && spec.type === 'stream')) {
    if (o.keepalive) s.setOption('keepalive', true);
    if (o.nodelay) s.setOption('tcp-nodelay', true);
  }
}

/** A Unix socket of `type` connected to the path; datagram ones get an autobound name so the listener can answer. */
async function connectUnixAs(type: Spec['type'], path: string, timeout: number | undefined): Promise<Socket> {
  const s = new Socket('unix', type);
  try {
    if (type === 'dgram') s.bind('');
    await s.connect({ family: 'unix', path }, { timeout });
    return s;
  } catch (err) {
    s.close();
    throw err;
  }
}

/** Opens the connecting side of an address. */
export async function open(spec: Spec, o: SocketOptions): Promise<Endpoint> {
  if (spec.kind === 'stdio') return stdioEndpoint();
  if (spec.socket) {
    tune(spec.socket, spec, o);
    return socketEndpoint(spec.socket, spec.text);
  }
  const timeout = o.timeout ?? undefined;
  let s: Socket;
  if (spec.kind === 'tcp') {
    s = await connect(spec.host!, spec.port!, { timeout, family: spec.family });
  } else if (spec.kind === 'udp') {
    const [ai] = await getaddrinfo(spec.host!, spec.port!, { type: 'dgram', family: spec.family });
    s = new Socket(ai.address.family as 'inet' | 'inet6', 'dgram');
    await s.connect(ai.address);
  } else if (spec.anyType) {
    // socat's UNIX-CLIENT: a stream socket, else the type the listener has (EPROTOTYPE says it differs).
    s = await connectUnixAs('stream', spec.path!, timeout)
      .catch((err) => { if (err.code !== 'EPROTOTYPE') throw err; return connectUnixAs('seqpacket', spec.path!, timeout); })
      .catch((err) => { if (err.code !== 'EPROTOTYPE') throw err; return connectUnixAs('dgram', spec.path!, timeout); });
  } else {
    s = await connectUnixAs(spec.type, spec.path!, timeout);
  }
  tune(s, spec, o);
  log(o, `connected ${show(s.localAddress())} -> ${show(s.remoteAddress())}`);
  return socketEndpoint(s, spec.text);
}

/** Binds and listens (streams, seqpacket) or binds (datagrams); an inherited socket is already both. */
export function bindListener(spec: Spec, o: SocketOptions): Socket {
  if (spec.socket) return spec.socket;
  if (spec.kind === 'tcp') {
    return listen(spec.host!, spec.port!, { reuseport: o.reuseport || undefined, family: spec.family });
  }
  if (spec.kind === 'udp') {
    const s = new Socket(spec.family ?? (spec.host?.includes(':') ? 'inet6' : 'inet'), 'dgram');
    try {
      s.setOption('reuseaddr', true);
      if (o.reuseport) s.setOption('reuseport', true);
      s.bind({ host: spec.host!, port: spec.port! });
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }
  const s = new Socket('unix', spec.type);
  try {
    s.bind({ family: 'unix', path: spec.path! });
    if (spec.type !== 'dgram') s.listen();
  } catch (err) {
    s.close();
    throw err;
  }
  return s;
}
