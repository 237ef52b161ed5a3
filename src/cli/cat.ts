// berkeley cat: relays between stdin/stdout (or a second address) and a
// socket of any kind, in the spirit of socat and nc. The addresses are in
// address.ts, the two sides in endpoint.ts, how a relay ends in relay.ts.
import { Buffer } from 'node:buffer';
import { fstatSync, readFileSync, unlinkSync } from 'node:fs';
import type { Socket } from '../index.js';
import { parseSpec, type Spec } from './address.js';
import { inherit } from './inherited.js';
import { bindListener, log, open, show, socketEndpoint, tune, type Endpoint, type SocketOptions } from './endpoint.js';
import { relay, type Counters } from './relay.js';
import { parse, secondsOption, UsageError, type Command } from './usage.js';

const usage = `Usage: berkeley cat ADDRESS [ADDRESS] [options]

Relays between ADDRESS and stdin/stdout, or between two addresses.

Addresses (keywords in any case; socat's spellings in brackets):
  tcp:HOST:PORT            [TCP-CONNECT:, TCP4:, TCP6:]
  tcp-listen:[HOST:]PORT   [TCP-L:, TCP4-LISTEN:, TCP6-LISTEN:]
  udp:HOST:PORT            [UDP-CONNECT:, UDP-SENDTO:, UDP4:, UDP6:]
  udp-listen:[HOST:]PORT   [UDP-L:, UDP-RECVFROM:; UDP-RECV: is receive-only]
  unix:PATH                [UNIX-CONNECT:; UNIX-CLIENT: or a bare /PATH also
                            connects to datagram and seqpacket listeners]
  unix-listen:PATH         [UNIX-L:]
  unix-dgram:PATH          [UNIX-SENDTO:]
  unix-dgram-listen:PATH   [UNIX-RECVFROM:; UNIX-RECV: is receive-only]
  seqpacket:PATH           seqpacket-listen:PATH
  abstract:NAME and abstract-listen, -dgram, -dgram-listen, -seqpacket,
  -seqpacket-listen, -connect, -client, -sendto, -recvfrom, -recv: Linux
  abstract names
  - (or stdio)             stdin/stdout
  fd:N                     a socket inherited at fd N (inetd, a spawn stdio
                           mapping): a listening one is accepted from, an
                           unconnected datagram one is a datagram listener,
                           a connected one is relayed; its family and type
                           come from the socket
  systemd:[NAME]           the socket systemd passed (LISTEN_FDS) named NAME
                           (FileDescriptorName=, systemd-socket-activate
                           --fdname); without NAME the first one:
                           systemd-socket-activate -l 8080 berkeley cat systemd: -
  IPv6 hosts go in brackets: tcp:[::1]:8080. Ports are 0 to 65535 or a
  service name.

Shortcuts, as nc's (for the first address, written without KIND:):
  -l, --listen     listen: 'berkeley cat -l 8080' is tcp-listen:8080
  -u, --udp        UDP: 'berkeley cat -u 127.0.0.1:53', 'berkeley cat -lu 5353'
  -U, --unix       the address is a Unix path ('-U -u': a datagram socket)

Options:
  --fork           serve every connection of a stream listener (needs a second address)
  --recv-only      a datagram listener takes datagrams from any sender, unnamed
                   ones too (logger -u), and never answers; the default when
                   stdin is closed, write-only or /dev/null
  --keepalive      SO_KEEPALIVE on TCP sockets
  --nodelay        TCP_NODELAY on TCP sockets
  --reuseport      SO_REUSEPORT on listeners
  -w, --timeout S  seconds allowed to connect or for the first peer of a
                   listener (exit 1 when none came), and of inactivity
                   before giving up
  -v, --verbose    addresses on stderr, bytes each way on exit (live progress on a terminal)
  -h, --help

End of stream: when stdin (or the first address) ends, a stream or seqpacket
socket's sending half is shut (as nc -N does) and cat waits for the peer's
end; between two sockets each end is passed on and cat waits for both.
Datagrams have no end, and stdout cannot pass one on: once one direction
ended in a relay with a datagram side, or the socket's data toward stdout
ended, cat stops after half a second (or --timeout) without data either way.
SIGINT and SIGTERM end a listener or relay cleanly (its socket file removed).`;

/** Whether stdin can give data: not closed, not write-only, not /dev/null. */
function stdinReadable(): boolean {
  try {
    const st = fstatSync(0);
    if (st.isCharacterDevice() && st.rdev === 0x103) return false; // /dev/null: major 1, minor 3
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync('/proc/self/fdinfo/0', 'utf8'));
    return !flags || (parseInt(flags[1], 8) & 3) !== 1; // O_WRONLY
  } catch {
    return false; // fd 0 is closed
  }
}

/** Calls `fn` on SIGINT or SIGTERM until the returned function is called. */
function onInterrupt(fn: () => void): () => void {
  process.once('SIGINT', fn);
  process.once('SIGTERM', fn);
  return () => { process.off('SIGINT', fn); process.off('SIGTERM', fn); };
}

const isClosed = (err: unknown) => (err as { code?: string }).code === 'ERR_SOCKET_CLOSED';

/**
 * A datagram listener's first datagram (bounded by --timeout), then either
 * a socket connected to its sender, or (receive-only, or an unnamed sender)
 * the listener itself taking datagrams from everyone.
 */
async function firstDatagram(s: Socket, o: SocketOptions, recvOnly: boolean): Promise<{ side: Endpoint; data: Buffer; recvOnly: boolean }> {
  const { data, address } = await s.recvFrom(65536, o.timeout === null ? undefined : { timeout: o.timeout });
  const unnamed = !address || (address.family === 'unix' && address.path === '');
  if (!recvOnly && unnamed) {
    process.stderr.write('berkeley cat: the first datagram came from an unnamed socket, which cannot be answered: receiving only\n');
  }
  if (recvOnly || unnamed) {
    log(o, `first datagram from ${show(address)}; receiving from any sender`);
    return { side: socketEndpoint(s, 'listener'), data, recvOnly: true };
  }
  await s.connect(address!);
  log(o, `first datagram from ${show(address)}`);
  return { side: socketEndpoint(s, 'listener'), data, recvOnly: false };
}

interface Plan { a: Spec; b: Spec; o: SocketOptions; fork: boolean; recvOnly: boolean }

/** Checks the combination of addresses and options; every mistake is a usage error. */
function plan(argv: string[]): Plan | null {
  const args = parse(argv, {
    fork: { type: 'boolean' }, keepalive: { type: 'boolean' }, nodelay: { type: 'boolean' }, reuseport: { type: 'boolean' },
    'recv-only': { type: 'boolean' }, timeout: { type: 'string', short: 'w' }, verbose: { type: 'boolean', short: 'v' },
    listen: { type: 'boolean', short: 'l' }, udp: { type: 'boolean', short: 'u' }, unix: { type: 'boolean', short: 'U' },
  }, usage);
  if (!args) return null;
  const v = args.values;
  const [first, second, extra] = args.positionals;
  if (first === undefined || extra !== undefined) throw new UsageError('expected ADDRESS [ADDRESS]');
  const o: SocketOptions = {
    keepalive: !!v.keepalive, nodelay: !!v.nodelay, reuseport: !!v.reuseport,
    timeout: v.timeout === undefined ? null : secondsOption(v.timeout, 'timeout'), verbose: !!v.verbose,
  };
  const a = inherit(parseSpec(first, { listen: !!v.listen, udp: !!v.udp, unix: !!v.unix }));
  const b = inherit(parseSpec(second ?? '-'));
  if (a.kind === 'stdio' && b.kind === 'stdio') throw new UsageError('at least one address must be a socket');
  if (b.listen && !a.listen && a.kind !== 'stdio') throw new UsageError('put the listening address first');
  if (a.listen && b.listen) throw new UsageError('only one address may listen');
  const fork = !!v.fork;
  if (fork && (!a.listen || a.type === 'dgram' || b.kind === 'stdio')) {
    throw new UsageError('--fork needs a stream listener as the first address and a second address to connect to');
  }
  const spec = a.kind === 'stdio' ? b : a;
  const other = a.kind === 'stdio' ? a : b;
  const datagramListener = spec.listen && spec.type === 'dgram';
  if (v['recv-only'] && !datagramListener) throw new UsageError('--recv-only is for a datagram listener (udp-listen:, unix-dgram-listen:, ...)');
  const recvOnly = datagramListener && (!!v['recv-only'] || !!spec.recvOnly || (other.kind === 'stdio' && !stdinReadable()));
  return { a: spec, b: other, o, fork, recvOnly };
}

/** Serves a listener: one peer (or, with --fork, every connection) relayed to `b`. */
async function serve(server: Socket, p: Plan, totals: Counters, interrupted: AbortSignal): Promise<void> {
  const { a, b, o } = p;
  const progress = o.verbose && !!process.stderr.isTTY;
  const add = (c: Counters) => { totals.ab += c.ab; totals.ba += c.ba; };
  if (a.type === 'dgram') {
    const first = await firstDatagram(server, o, p.recvOnly);
    const out = await open(b, o);
    add(await relay(first.side, out, { timeout: o.timeout, progress, oneWay: first.recvOnly, signal: interrupted }, first.data));
  } else if (!p.fork) {
    const conn = await server.accept(o.timeout === null ? undefined : { timeout: o.timeout });
    server.close();
    tune(conn, a, o);
    log(o, `accepted ${show(conn.remoteAddress())}`);
    const out = await open(b, o).catch((err) => { conn.close(); throw err; });
    add(await relay(socketEndpoint(conn, a.text), out, { timeout: o.timeout, progress, signal: interrupted }));
  } else {
    const relays = new Set<Promise<void>>();
    for await (const conn of server.connections()) {
      tune(conn, a, o);
      log(o, `accepted ${show(conn.remoteAddress())}`);
      const one = open(b, o)
        .then((out) => relay(socketEndpoint(conn, a.text), out, { timeout: o.timeout, progress: false, signal: interrupted }))
        .then(add, (err) => { conn.close(); process.stderr.write(`berkeley cat: ${(err as Error).message}\n`); })
        .finally(() => relays.delete(one));
      relays.add(one);
    }
    await Promise.all(relays);
  }
}

export const cat: Command = {
  name: 'cat',
  summary: 'relay between stdio and any socket, or two sockets (socat-like)',
  usage,
  async run(argv) {
    const p = plan(argv);
    if (!p) return 0;
    const { a, b, o } = p;
    const totals: Counters = { ab: 0, ba: 0 };
    const stop = new AbortController();
    let server: Socket | undefined;
    const forget = onInterrupt(() => { stop.abort(); server?.close(); });
    try {
      if (!a.listen) {
        const left = await open(a, o);
        const right = await open(b, o).catch((err) => { left.close(); throw err; });
        Object.assign(totals, await relay(left, right, { timeout: o.timeout, progress: o.verbose && !!process.stderr.isTTY, signal: stop.signal }));
      } else {
        server = bindListener(a, o);
        const path = a.kind === 'unix' && !a.path!.startsWith('\0') ? a.path! : null;
        try {
          log(o, `listening on ${show(server.localAddress())}${p.recvOnly ? ' (receive only)' : ''}`);
          await serve(server, p, totals, stop.signal);
        } catch (err) {
          if (!(stop.signal.aborted && isClosed(err))) throw err;
        } finally {
          server.close();
          if (path) try { unlinkSync(path); } catch { /* already gone */ }
        }
      }
    } finally {
      forget();
    }
    log(o, `${a.text} -> ${b.text}: ${totals.ab} bytes, ${b.text} -> ${a.text}: ${totals.ba} bytes`);
    return 0;
  },
};
