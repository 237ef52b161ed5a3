// Node core's side of the benchmarks (node:net, node:dgram), written the way
// a Node user would: the same modes and arguments as bench/c/peer.c.
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { Socket } from 'berkeley';
import { args, cpu, isPeerGone, now, ready, report, Rtts, stdinLines, usage } from './common.ts';

const { mode, rest } = args();
const CHUNK = 65536;

function connectStream(transport: string, t: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = transport === 'unix' ? net.connect(t) : net.connect(Number(t), '127.0.0.1');
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

async function rr([transport, t, seconds, size]: string[]): Promise<void> {
  const n = Number(size);
  const out = Buffer.alloc(n, 0x61);
  const rtts = new Rtts();
  let rounds = 0;
  const end = now() + Number(seconds);
  let send: () => void;
  let close: () => void;
  const done = new Promise<void>((resolve) => {
    let c0 = 0, t0 = 0, t1 = 0, got = 0;
    const start = () => { c0 = cpu(); t0 = t1 = now(); send(); };
    const onData = (len: number) => {
      got += len;
      if (got < n) return;
      got -= n;
      const t2 = now();
      rtts.add((t2 - t1) * 1e6);
      t1 = t2;
      rounds++;
      if (t2 < end) { send(); return; }
      report(rounds, rounds * n, t1 - t0, cpu() - c0, rtts.percentiles());
      close();
      resolve();
    };
    if (transport === 'udp') {
      const s = dgram.createSocket('udp4');
      s.on('message', (m) => onData(m.length));
      s.connect(Number(t), '127.0.0.1', start);
      send = () => s.send(out);
      close = () => s.close();
    } else {
      connectStream(transport, t).then((s) => {
        s.setNoDelay(true);
        s.on('data', (d) => onData(d.length));
        send = () => s.write(out);
        close = () => s.destroy();
        start();
      }, (err) => { throw err; });
    }
  });
  await done;
}

/** Reads one stream: 'data' gets Node's buffers, 'onread' reads into our own. */
async function sink([transport, t, seconds, variant]: string[]): Promise<void> {
  const buf = Buffer.alloc(CHUNK);
  let bytes = 0, reads = 0, c0 = 0, t0 = 0, first = true;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const take = (len: number): void => {
    if (first) { first = false; c0 = cpu(); t0 = now(); return; }
    bytes += len;
    reads++;
    if ((reads & 15) === 0 && now() >= t0 + Number(seconds)) finish();
  };
  const where = transport === 'unix' ? { path: t } : { port: Number(t), host: '127.0.0.1' };
  const s = variant === 'onread'
    ? net.connect({ ...where, onread: { buffer: buf, callback: (n: number) => { take(n); return true; } } } as net.NetConnectOpts)
    : net.connect(where as net.NetConnectOpts);
  if (variant !== 'onread') s.on('data', (d: Buffer) => take(d.length));
  s.on('end', finish).on('error', finish);
  await done;
  report(reads, bytes, now() - t0, cpu() - c0);
  s.destroy();
}

/** Accepts one stream and writes SIZE-byte chunks, one write() each, waiting for 'drain' when write() says so. */
async function source([transport, path, size]: string[]): Promise<void> {
  const server = net.createServer();
  if (transport === 'unix') server.listen(path); else server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  ready(transport === 'unix' ? path : (server.address() as net.AddressInfo).port);
  const [s] = (await once(server, 'connection')) as [net.Socket];
  server.close();
  const buf = Buffer.alloc(Number(size));
  let writes = 0;
  s.on('error', (err) => { if (!isPeerGone(err)) throw err; });
  const c0 = cpu(), t0 = now();
  // A failed write destroys the socket at once; its events come later.
  while (!s.destroyed) {
    writes++;
    if (!s.write(buf) && !s.destroyed) {
      await new Promise<void>((resolve) => {
        const go = (): void => { s.off('drain', go).off('close', go); resolve(); };
        s.on('drain', go).on('close', go);
      });
    }
  }
  report(writes, writes * buf.length, now() - t0, cpu() - c0);
}

async function udpSocket(rcvbuf: number): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  // The same queue size as the other receivers: node:dgram stops at rmem_max
  // by itself, so the option is forced on a duplicate (setup, not measured).
  const dup = Socket.fromNodeSocket(s);
  try { dup.setsockopt('socket', 'SO_RCVBUFFORCE', rcvbuf); } catch { s.setRecvBufferSize(rcvbuf); }
  dup.close();
  return s;
}

async function udpRecv(): Promise<void> {
  const s = await udpSocket(4 << 20);
  ready(s.address().port);
  let segs = 0, bytes = 0, c0 = 0, t0 = 0, last = 0;
  await new Promise<void>((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    s.on('message', (m) => {
      if (!segs) { c0 = cpu(); t0 = now(); }
      segs++;
      bytes += m.length;
      if ((segs & 63) === 0) { last = now(); clearTimeout(idle); idle = setTimeout(resolve, 300); }
    });
  });
  report(segs, bytes, last - t0, cpu() - c0);
  s.close();
}

/** Sends as fast as node:dgram lets it: a window of sends in flight, each callback starting the next. */
async function udpSend([t, seconds, size]: string[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.connect(Number(t), '127.0.0.1', resolve));
  const buf = Buffer.alloc(Number(size));
  let segs = 0;
  const c0 = cpu(), t0 = now(), end = t0 + Number(seconds);
  let t1 = t0;
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const pump = (): void => {
      while (inFlight < 64) {
        inFlight++;
        s.send(buf, (err) => {
          inFlight--;
          if (!err) segs++;
          if ((segs & 255) === 0) t1 = now();
          if (t1 < end) pump(); else if (inFlight === 0) resolve();
        });
      }
    };
    pump();
  });
  report(segs, segs * buf.length, t1 - t0, cpu() - c0);
  s.close();
}

/**
 * Per line on stdin: "ready PORT", then drain the filled queue. node:dgram
 * reads from the moment it is bound, so the socket is bound (by berkeley,
 * setup only) and handed to node:dgram when the queue is full.
 */
/** node:dgram's 'message' drain; with `impl` 'berkeley', the same program with berkeley/dgram's createSocket (the import swapped). */
async function drain([impl]: string[]): Promise<void> {
  const createSocket = impl === 'berkeley' ? (await import('berkeley/dgram')).createSocket as typeof dgram.createSocket : dgram.createSocket;
  const signals = stdinLines();
  for (;;) {
    const bound = new Socket('inet', 'dgram');
    try { bound.setsockopt('socket', 'SO_RCVBUFFORCE', 256 << 20); } catch { bound.setOption('rcvbuf', 256 << 20); }
    bound.bind('127.0.0.1:0');
    ready((bound.localAddress() as { port: number }).port);
    const signal = await signals.next();
    if (signal.done) return;
    const want = Number(signal.value);
    const s = createSocket('udp4');
    let count = 0, bytes = 0, last = 0;
    const c0 = cpu(), t0 = now();
    await new Promise<void>((resolve) => {
      let idle: NodeJS.Timeout | undefined;
      s.on('message', (m) => {
        count++;
        bytes += m.length;
        last = now();
        if (count >= want) { clearTimeout(idle); resolve(); return; }
        if ((count & 255) === 0) { clearTimeout(idle); idle = setTimeout(resolve, 300); }
      });
      s.bind({ fd: bound.detach() });
    });
    report(count, bytes, last - t0, cpu() - c0);
    s.close();
  }
}

const modes: Record<string, (a: string[]) => Promise<void>> = { rr, sink, source, 'udp-recv': udpRecv, 'udp-send': udpSend, drain };
if (!modes[mode]) usage(mode);
await modes[mode](rest);
