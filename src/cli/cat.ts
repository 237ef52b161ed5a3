// berkeley cat: relays between stdin/stdout (or a second address) and a
// socket of any kind, in the spirit of socat. Half-close is propagated as
// `nc -N` does: when one side ends, the other side's writing half is shut.
import { once } from 'node:events';
import { unlinkSync } from 'node:fs';
import { Socket, connect, getaddrinfo, listen, type SocketAddress } from '../index.js';
import { numberOption, parse, UsageError, type Command } from './usage.js';

const usage = `Usage: berkeley cat ADDRESS [ADDRESS] [options]

Relays between ADDRESS and stdin/stdout, or between two addresses.

Addresses:
  tcp:HOST:PORT              tcp-listen:[HOST:]PORT
  udp:HOST:PORT              udp-listen:[HOST:]PORT
  unix:PATH                  unix-listen:PATH
  unix-dgram:PATH            unix-dgram-listen:PATH
  seqpacket:PATH             seqpacket-listen:PATH
  abstract:NAME, abstract-listen:NAME, abstract-dgram:NAME,
  abstract-dgram-listen:NAME, abstract-seqpacket:NAME, abstract-seqpacket-listen:NAME
  - (or stdio)               stdin/stdout
  IPv6 hosts go in brackets: tcp:[::1]:8080

Options:
  --fork           serve every connection of a stream listener (needs a second address)
  --keepalive      SO_KEEPALIVE on TCP sockets
  --nodelay        TCP_NODELAY on TCP sockets
  --reuseport      SO_REUSEPORT on listeners
  --timeout S      seconds allowed to connect, and of inactivity before giving up
  -v, --verbose    addresses on stderr, bytes each way on exit (live progress on a terminal)
  -h, --help`;

interface Spec {
  kind: 'tcp' | 'udp' | 'unix' | 'stdio';
  type: 'stream' | 'dgram' | 'seqpacket';
  listen: boolean;
  host?: string;
  port?: string;
  path?: string;
  text: string;
}

const UNIX_KINDS: Record<string, [Spec['type'], boolean, boolean]> = {
  unix: ['stream', false, false], 'unix-listen': ['stream', true, false],
  'unix-dgram': ['dgram', false, false], 'unix-dgram-listen': ['dgram', true, false],
  seqpacket: ['seqpacket', false, false], 'seqpacket-listen': ['seqpacket', true, false],
  abstract: ['stream', false, true], 'abstract-listen': ['stream', true, true],
  'abstract-dgram': ['dgram', false, true], 'abstract-dgram-listen': ['dgram', true, true],
  'abstract-seqpacket': ['seqpacket', false, true], 'abstract-seqpacket-listen': ['seqpacket', true, true],
};

/** 'HOST:PORT' or '[V6]:PORT' (host optional when `hostOptional`). */
function hostPort(rest: string, text: string, hostOptional: boolean): { host: string; port: string } {
  const m = /^\[([^\]]+)\]:([^:]+)$/.exec(rest) ?? /^([^:[\]]+):([^:]+)$/.exec(rest);
  if (m) return { host: m[1], port: m[2] };
  if (hostOptional && /^[^:]+$/.test(rest)) return { host: '*', port: rest };
  throw new UsageError(`bad address '${text}': expected ${hostOptional ? '[HOST:]PORT' : 'HOST:PORT'}`);
}

export function parseSpec(text: string): Spec {
  if (text === '-' || text === 'stdio') return { kind: 'stdio', type: 'stream', listen: false, text };
  const i = text.indexOf(':');
  if (i < 0) throw new UsageError(`bad address '${text}': expected KIND:...`);
  const kind = text.slice(0, i).toLowerCase();
  const rest = text.slice(i + 1);
  if (kind === 'tcp' || kind === 'udp') return { kind, type: kind === 'tcp' ? 'stream' : 'dgram', listen: false, ...hostPort(rest, text, false), text };
  if (kind === 'tcp-listen' || kind === 'udp-listen') {
    return { kind: kind === 'tcp-listen' ? 'tcp' : 'udp', type: kind === 'tcp-listen' ? 'stream' : 'dgram', listen: true, ...hostPort(rest, text, true), text };
  }
  const u = UNIX_KINDS[kind];
  if (u) {
    if (rest === '') throw new UsageError(`bad address '${text}': the path is empty`);
    return { kind: 'unix', type: u[0], listen: u[1], path: u[2] ? `\0${rest}` : rest, text };
  }
  throw new UsageError(`unknown address kind '${kind}' in '${text}' (see berkeley cat --help)`);
}

interface Options { keepalive: boolean; nodelay: boolean; reuseport: boolean; timeout: number | null; verbose: boolean }

/** One side of a relay. read() gives null at end of stream. */
interface Endpoint {
  name: string;
  datagram: boolean;
  read(idle: number | null): Promise<Buffer | null>;
  write(data: Buffer): Promise<void>;
  endWrite(): void;
  close(): void;
}

function socketEndpoint(s: Socket, name: string): Endpoint {
  const datagram = s.type !== 'stream';
  return {
    name,
    datagram,
    async read(idle) {
      try {
        const b = await s.recv(65536, idle === null ? undefined : { timeout: idle });
        return b.length === 0 && !datagram ? null : b;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ETIMEDOUT' || code === 'ERR_SOCKET_CLOSED' || code === 'ECONNRESET') return null;
        if (datagram && code === 'ECONNREFUSED') return null; // nobody listens at the other end (any more)
        throw err;
      }
    },
    async write(data) {
      if (!datagram) return s.sendAll(data);
      for (let off = 0; off < data.length || off === 0; off += 65507) {
        await s.send(data.subarray(off, off + 65507));
        if (data.length === 0) break;
      }
    },
    endWrite() {
      if (!datagram && !s.closed) try { s.shutdown('send'); } catch { /* already gone */ }
    },
    close() { s.close(); },
  };
}

function stdioEndpoint(): Endpoint {
  const it = process.stdin[Symbol.asyncIterator]();
  return {
    name: 'stdio',
    datagram: false,
    async read() {
      const r = await it.next();
      return r.done ? null : Buffer.from(r.value as Buffer);
    },
    async write(data) {
      if (!process.stdout.write(data)) await once(process.stdout, 'drain');
    },
    endWrite() { /* stdout stays open until exit */ },
    close() { process.stdin.destroy(); },
  };
}

const show = (a: SocketAddress | null): string => {
  if (!a) return '(unnamed)';
  if (a.family === 'inet') return `${a.address}:${a.port}`;
  if (a.family === 'inet6') return `[${a.address}]:${a.port}`;
  if (a.family === 'unix') return a.path === '' ? '(unnamed)' : a.path.startsWith('\0') ? `@${a.path.slice(1)}` : a.path;
  return JSON.stringify(a);
};

function log(o: Options, line: string): void {
  if (o.verbose) process.stderr.write(`berkeley cat: ${line}\n`);
}

function tune(s: Socket, spec: Spec, o: Options): void {
  if (spec.kind === 'tcp') {
    if (o.keepalive) s.setOption('keepalive', true);
    if (o.nodelay) s.setOption('tcp-nodelay', true);
  }
}

/** Opens the connecting side of an address. */
async function open(spec: Spec, o: Options): Promise<Endpoint> {
  if (spec.kind === 'stdio') return stdioEndpoint();
  const timeout = o.timeout ?? undefined;
  let s: Socket;
  if (spec.kind === 'tcp') {
    s = await connect(spec.host!, spec.port!, { timeout });
  } else if (spec.kind === 'udp') {
    const [ai] = await getaddrinfo(spec.host!, spec.port!, { type: 'dgram' });
    s = new Socket(ai.address.family as 'inet' | 'inet6', 'dgram');
    await s.connect(ai.address);
  } else {
    s = new Socket('unix', spec.type);
    // A datagram client binds an autobound name so that the listener can answer.
    if (spec.type === 'dgram') s.bind('');
    try {
      await s.connect({ family: 'unix', path: spec.path! }, { timeout });
    } catch (err) {
      s.close();
      throw err;
    }
  }
  tune(s, spec, o);
  log(o, `connected ${show(s.localAddress())} -> ${show(s.remoteAddress())}`);
  return socketEndpoint(s, spec.text);
}

/** Binds and listens (streams) or binds and waits for the first datagram (datagrams). */
function bindListener(spec: Spec, o: Options): Socket {
  if (spec.kind === 'tcp') {
    return listen(spec.host!, spec.port!, { reuseport: o.reuseport || undefined });
  }
  if (spec.kind === 'udp') {
    const s = new Socket(spec.host?.includes(':') ? 'inet6' : 'inet', 'dgram');
    s.setOption('reuseaddr', true);
    if (o.reuseport) s.setOption('reuseport', true);
    s.bind({ host: spec.host!, port: spec.port! });
    return s;
  }
  const s = new Socket('unix', spec.type);
  s.bind({ family: 'unix', path: spec.path! });
  if (spec.type !== 'dgram') s.listen();
  return s;
}

/** The first peer of a datagram listener: its first datagram, then a socket connected to it. */
async function firstDatagram(s: Socket, o: Options): Promise<[Endpoint, Buffer]> {
  const { data, address } = await s.recvFrom(65536, o.timeout === null ? undefined : { timeout: o.timeout });
  if (!address || (address.family === 'unix' && address.path === '')) {
    throw new Error('the first datagram came from an unnamed socket: there is nowhere to answer');
  }
  await s.connect(address);
  log(o, `first datagram from ${show(address)}`);
  return [socketEndpoint(s, 'listener'), data];
}

interface Counters { ab: number; ba: number }

/** Copies one way until end of stream, then shuts the other side's writing half. */
async function pump(from: Endpoint, to: Endpoint, count: (n: number) => void, idle: () => number | null): Promise<void> {
  for (;;) {
    const b = await from.read(idle());
    if (b === null) break;
    await to.write(b);
    count(b.length);
  }
  to.endWrite();
}

async function relay(a: Endpoint, b: Endpoint, o: Options, first?: Buffer): Promise<Counters> {
  const c: Counters = { ab: 0, ba: 0 };
  if (first) { await a.write(first); c.ba += first.length; }
  let ended = false;
  // Once one direction ended, datagram sides (which never see an end of
  // stream) get half a second of quiet, as socat gives them.
  const idle = () => o.timeout ?? (ended && (a.datagram || b.datagram) ? 500 : null);
  let progress: NodeJS.Timeout | undefined;
  if (o.verbose && process.stderr.isTTY) {
    const t0 = performance.now();
    progress = setInterval(() => {
      const s = (performance.now() - t0) / 1000;
      process.stderr.write(`\r${a.name} -> ${b.name}: ${c.ab} B, ${b.name} -> ${a.name}: ${c.ba} B, ${((c.ab + c.ba) / s / 1e6).toFixed(2)} MB/s `);
    }, 1000);
    progress.unref();
  }
  const done = (p: Promise<void>) => p.finally(() => { ended = true; });
  try {
    await Promise.all([
      done(pump(a, b, (n) => { c.ab += n; }, idle)),
      done(pump(b, a, (n) => { c.ba += n; }, idle)),
    ]);
  } finally {
    clearInterval(progress);
    if (progress) process.stderr.write('\n');
    a.close();
    b.close();
  }
  return c;
}

export const cat: Command = {
  name: 'cat',
  summary: 'relay between stdio and any socket, or two sockets (socat-like)',
  usage,
  async run(argv) {
    const args = parse(argv, {
      fork: { type: 'boolean' }, keepalive: { type: 'boolean' }, nodelay: { type: 'boolean' },
      reuseport: { type: 'boolean' }, timeout: { type: 'string' }, verbose: { type: 'boolean', short: 'v' },
    }, usage);
    if (!args) return 0;
    const [first, second, extra] = args.positionals;
    if (first === undefined || extra !== undefined) throw new UsageError('expected ADDRESS [ADDRESS]');
    const t = args.values.timeout;
    const o: Options = {
      keepalive: !!args.values.keepalive, nodelay: !!args.values.nodelay, reuseport: !!args.values.reuseport,
      timeout: t === undefined ? null : numberOption(t, 'timeout', 0) * 1000, verbose: !!args.values.verbose,
    };
    const a = parseSpec(first);
    const b = parseSpec(second ?? '-');
    if (a.kind === 'stdio' && b.kind === 'stdio') throw new UsageError('at least one address must be a socket');
    if (args.values.fork && (!a.listen || a.type === 'dgram' || b.kind === 'stdio')) {
      throw new UsageError('--fork needs a stream listener as the first address and a second address to connect to');
    }
    if (b.listen && !a.listen && a.kind !== 'stdio') throw new UsageError('put the listening address first');

    const totals: Counters = { ab: 0, ba: 0 };
    const report = () => log({ ...o }, `${a.text} -> ${b.text}: ${totals.ab} bytes, ${b.text} -> ${a.text}: ${totals.ba} bytes`);
    const cleanup: string[] = [];
    const spec = a.kind === 'stdio' ? b : a;
    const other = a.kind === 'stdio' ? a : b;
    try {
      if (!spec.listen) {
        const left = await open(spec, o);
        const right = await open(other, o).catch((err) => { left.close(); throw err; });
        Object.assign(totals, await relay(left, right, o));
      } else {
        const server = bindListener(spec, o);
        if (spec.kind === 'unix' && !spec.path!.startsWith('\0')) cleanup.push(spec.path!);
        const bound = server.localAddress();
        log(o, `listening on ${show(bound)}`);
        if (spec.type === 'dgram') {
          const [left, firstData] = await firstDatagram(server, o);
          const right = await open(other, o);
          const c = await relay(right, left, o, firstData);
          totals.ab = c.ba;
          totals.ba = c.ab;
        } else if (!args.values.fork) {
          const conn = await server.accept(o.timeout === null ? undefined : { timeout: o.timeout });
          server.close();
          tune(conn, spec, o);
          log(o, `accepted ${show(conn.remoteAddress())}`);
          const right = await open(other, o);
          Object.assign(totals, await relay(socketEndpoint(conn, spec.text), right, o));
        } else {
          const stop = () => server.close();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          for await (const conn of server) {
            const s = conn as Socket;
            tune(s, spec, o);
            log(o, `accepted ${show(s.remoteAddress())}`);
            open(other, o)
              .then((right) => relay(socketEndpoint(s, spec.text), right, o))
              .then((c) => { totals.ab += c.ab; totals.ba += c.ba; }, (err) => { s.close(); process.stderr.write(`berkeley cat: ${(err as Error).message}\n`); });
          }
        }
      }
    } finally {
      for (const p of cleanup) try { unlinkSync(p); } catch { /* already gone */ }
    }
    report();
    return 0;
  },
};
