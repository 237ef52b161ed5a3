// berkeley's side of every benchmark: the same modes and arguments as
// bench/c/peer.c, written the way a user of berkeley would write them. The
// last argument picks the API variant (async, sync, batched, ...).
import { Socket, constants as k } from 'berkeley';
import * as posix from 'berkeley/posix';
import { unlinkSync } from 'node:fs';
import { decodeAddress } from '../../dist/codec/sockaddr.js'; // internal: the codec behind every received address
// Internal: the addon's system calls, for the 'bare' floor cases (a loop of
// one addon call per system call, with none of the library around it).
import * as sys from '../../dist/sys/fd.js';
import { EAGAIN } from '../../dist/sys/errno.js';
import { args, cpu, isPeerGone, now, ready, report, Rtts, stdinLines, usage } from './common.ts';

const { mode, rest } = args();
const CHUNK = 65536;

function target(transport: string, t: string): string | { family: 'inet'; address: string; port: number } {
  return transport === 'unix' ? t : { family: 'inet', address: '127.0.0.1', port: Number(t) };
}

function timedOut(err: unknown): boolean {
  return (err as { code?: string }).code === 'ETIMEDOUT';
}

async function rr([transport, t, seconds, size, variant]: string[]): Promise<void> {
  const s = new Socket(transport === 'unix' ? 'unix' : 'inet', transport === 'udp' ? 'dgram' : 'stream');
  if (transport === 'tcp') s.setOption('tcp-nodelay', true);
  const n = Number(size);
  const out = Buffer.alloc(n, 0x61);
  const into = Buffer.alloc(CHUNK);
  const rtts = new Rtts();
  const bare = variant === 'bare';
  const sync = variant === 'sync' || bare;
  if (sync) s.connectSync(target(transport, t)); else await s.connect(target(transport, t));
  const fd = s.fd;
  let rounds = 0;
  const c0 = cpu(), t0 = now(), end = t0 + Number(seconds);
  let t1 = t0;
  while (t1 < end) {
    if (bare) {
      if (sys.send(fd, out, 0, n, k.MSG_NOSIGNAL!) !== n) throw new Error('short send');
      for (let got = 0; got < n;) {
        const r = sys.recv(fd, into, got, n - got, 0);
        if (r > 0) got += r;
        else if (r === EAGAIN) sys.pollWait(fd, 1, -1);
        else throw new Error(`recv: ${r}`);
      }
    } else if (sync) {
      s.sendSync(out);
      for (let got = 0; got < n;) got += s.recvIntoSync(got ? into.subarray(got, n) : into);
    } else {
      await s.send(out);
      for (let got = 0; got < n;) got += await s.recvInto(got ? into.subarray(got, n) : into);
    }
    const t2 = now();
    rtts.add((t2 - t1) * 1e6);
    t1 = t2;
    rounds++;
  }
  report(rounds, rounds * n, t1 - t0, cpu() - c0, rtts.percentiles());
  s.close();
}

async function sink([transport, t, seconds, variant]: string[]): Promise<void> {
  const c = new Socket(transport === 'unix' ? 'unix' : 'inet', 'stream');
  const sync = variant === 'sync';
  if (sync) c.connectSync(target(transport, t)); else await c.connect(target(transport, t));
  const buf = Buffer.alloc(CHUNK); // the receiver's own buffer, reused
  let bytes = 0, reads = 0;
  if ((sync ? c.recvIntoSync(buf) : await c.recvInto(buf)) === 0) throw new Error('no data');
  const c0 = cpu(), t0 = now(), end = t0 + Number(seconds);
  for (let t1 = t0; t1 < end; t1 = (reads & 15) === 0 ? now() : t1) {
    const r = sync ? c.recvIntoSync(buf) : await c.recvInto(buf);
    if (r === 0) break;
    bytes += r;
    reads++;
  }
  report(reads, bytes, now() - t0, cpu() - c0);
  c.close();
}

/** Accepts one stream and writes SIZE-byte chunks, one call each, until the reader goes. */
async function source([transport, path, size, variant]: string[]): Promise<void> {
  const l = new Socket(transport === 'unix' ? 'unix' : 'inet', 'stream');
  if (transport === 'unix') {
    l.bind(path);
    ready(path);
  } else {
    l.setOption('reuseaddr', true);
    l.bind('127.0.0.1:0');
    ready((l.localAddress() as { port: number }).port);
  }
  l.listen();
  const sync = variant === 'sync';
  const s = sync ? l.acceptSync() : await l.accept();
  l.close();
  const buf = Buffer.alloc(Number(size));
  let bytes = 0, writes = 0;
  const c0 = cpu(), t0 = now();
  try {
    for (;;) {
      bytes += sync ? s.sendSync(buf) : await s.send(buf);
      writes++;
    }
  } catch (err) {
    if (!isPeerGone(err)) throw err;
  }
  report(writes, bytes, now() - t0, cpu() - c0);
  s.close();
}

function udpSocket(gro: boolean): Socket {
  const s = new Socket('inet', 'dgram');
  s.setOption('reuseaddr', true);
  try { s.setsockopt('socket', 'SO_RCVBUFFORCE', 4 << 20); } catch { s.setOption('rcvbuf', 4 << 20); }
  if (gro) s.setOption('udp-gro', true);
  s.bind('127.0.0.1:0');
  return s;
}

/** Counts datagrams (segments with GRO) until 300 ms pass without one. */
async function udpRecv([variant]: string[]): Promise<void> {
  const gro = variant === 'gro';
  const s = udpSocket(gro);
  ready((s.localAddress() as { port: number }).port);
  const slot = gro ? CHUNK : 2048;
  const buffer = Buffer.alloc(64 * slot);
  let segs = 0, bytes = 0, c0 = 0, t0 = 0, last = 0;
  const count = (len: number, seg: number | undefined): void => {
    bytes += len;
    segs += seg ? Math.ceil(len / seg) : 1;
  };
  try {
    for (;;) {
      const timeout = segs ? 300 : null;
      if (variant === 'recvFrom') count((await s.recvFrom(slot, { timeout })).data.length, undefined);
      else if (variant === 'recvFromSync') count(s.recvFromSync(slot, { timeout }).data.length, undefined);
      else for (const m of await s.recvMany({ maxMessages: 64, size: slot, buffer, timeout })) count(m.data.length, m.segmentSize);
      if (!t0) { c0 = cpu(); t0 = now(); }
      last = now();
    }
  } catch (err) {
    if (!timedOut(err)) throw err;
  }
  report(segs, bytes, last - t0, cpu() - c0);
  s.close();
}

async function udpSend([t, seconds, size, variant]: string[]): Promise<void> {
  const s = new Socket('inet', 'dgram');
  s.connectSync({ family: 'inet', address: '127.0.0.1', port: Number(t) });
  const n = Number(size);
  const gso = variant === 'gso';
  const per = gso ? Math.floor(63000 / n) : 1;
  const buf = Buffer.alloc(per * n);
  const batch = gso ? Array.from({ length: 8 }, () => ({ data: buf, segmentSize: n })) : Array.from({ length: 64 }, () => buf);
  let segs = 0;
  const c0 = cpu(), t0 = now(), end = t0 + Number(seconds);
  let t1 = t0;
  // Refused (no receiver yet) and full buffers drop a datagram, as in C.
  const dropped = (err: unknown) => { if (!['ECONNREFUSED', 'ENOBUFS', 'EAGAIN'].includes((err as { code?: string }).code ?? '')) throw err; };
  while (t1 < end) {
    for (let k = 0; k < 16; k++) {
      try {
        if (variant === 'send') { await s.send(buf); segs++; }
        else if (variant === 'sendSync') { s.sendSync(buf); segs++; }
        else segs += (await s.sendMany(batch)) * per;
      } catch (err) { dropped(err); }
    }
    t1 = now();
  }
  report(segs, segs * n, t1 - t0, cpu() - c0);
  s.close();
}

/** Per line on stdin: a fresh socket, "ready PORT", drain the filled queue, report. */
async function drain([variant, slotArg, groArg]: string[]): Promise<void> {
  const slot = Number(slotArg);
  const buffer = Buffer.alloc(64 * slot); // caller-owned batch buffer, as C does
  const signals = stdinLines();
  for (;;) {
    const s = new Socket('inet', 'dgram');
    try { s.setsockopt('socket', 'SO_RCVBUFFORCE', 256 << 20); } catch { s.setOption('rcvbuf', 256 << 20); }
    if (groArg === '1') s.setOption('udp-gro', true);
    s.bind('127.0.0.1:0');
    ready((s.localAddress() as { port: number }).port);
    if ((await signals.next()).done) return;
    let count = 0, bytes = 0;
    const c0 = cpu(), t0 = now();
    // The queue is full: a receive that would wait means it is empty.
    const opts = { timeout: 0 };
    try {
      if (variant === 'bare') {
        // recvfrom(2) into the addon's scratch until EAGAIN: no Buffer, no address, no library.
        const fd = s.fd;
        for (let r; (r = sys.recvfromScratch(fd, slot, k.MSG_TRUNC)) >= 0; count++) bytes += Math.min(r, slot);
      } else if (variant === 'bare-await') {
        // The same with what any promise-returning call adds: a resolved promise, awaited.
        const fd = s.fd;
        for (let r; (r = await Promise.resolve(sys.recvfromScratch(fd, slot, k.MSG_TRUNC))) >= 0; count++) bytes += Math.min(r, slot);
      } else for (;;) {
        if (variant === 'recvFromSync') { bytes += s.recvFromSync(slot, opts).data.length; count++; }
        else if (variant === 'recvFrom') { bytes += (await s.recvFrom(slot, opts)).data.length; count++; }
        else {
          const ms = variant === 'recvManySync' ? s.recvManySync({ maxMessages: 64, size: slot, buffer, ...opts }) : await s.recvMany({ maxMessages: 64, size: slot, buffer, ...opts });
          for (const m of ms) bytes += m.data.length;
          count += ms.length;
        }
      }
    } catch (err) {
      if (!timedOut(err)) throw err;
    }
    report(count, bytes, now() - t0, cpu() - c0);
    s.close();
  }
}

async function udRecv([path, countArg, variant]: string[]): Promise<void> {
  const s = new Socket('unix', 'dgram');
  s.bind(path);
  ready(path);
  const count = Number(countArg);
  const sync = variant === 'sync';
  const buf = Buffer.alloc(CHUNK);
  const batchBuf = Buffer.alloc(64 * 2048);
  if (sync) s.recvIntoSync(buf); else await s.recvInto(buf); // the first starts the clock
  let got = 1, bytes = 0;
  const c0 = cpu(), t0 = now();
  if (variant === 'iterator') {
    for await (const m of s) {
      bytes += (m as { data: Buffer }).data.length;
      if (++got === count) break;
    }
  }
  if (variant === 'bare') {
    // recv(2) into the same buffer through the addon, poll(2) when the queue is empty: no library.
    const fd = s.fd;
    while (got < count) {
      const r = sys.recv(fd, buf, 0, buf.length, 0);
      if (r >= 0) { bytes += r; got++; } else if (r === EAGAIN) sys.pollWait(fd, 1, -1); else throw new Error(`recv: ${r}`);
    }
  } else if (variant === 'bare-await') {
    // The same with what any promise-returning call adds: a resolved promise, awaited.
    const fd = s.fd;
    while (got < count) {
      const r = await Promise.resolve(sys.recv(fd, buf, 0, buf.length, 0));
      if (r >= 0) { bytes += r; got++; } else if (r === EAGAIN) sys.pollWait(fd, 1, -1); else throw new Error(`recv: ${r}`);
    }
  }
  while (got < count) {
    if (variant === 'batch') {
      for (const m of await s.recvMany({ maxMessages: 64, size: 2048, buffer: batchBuf })) { bytes += m.data.length; got++; }
    } else if (variant === 'recv') {
      bytes += (await s.recv(2048)).length;
      got++;
    } else {
      bytes += sync ? s.recvIntoSync(buf) : await s.recvInto(buf);
      got++;
    }
  }
  report(got - 1, bytes, now() - t0, cpu() - c0);
  s.close();
  unlinkSync(path);
}

async function udSend([path, countArg, size, variant]: string[]): Promise<void> {
  const s = new Socket('unix', 'dgram');
  s.connectSync(path);
  const count = Number(countArg);
  const buf = Buffer.alloc(Number(size));
  const batch = Array.from({ length: 64 }, () => buf);
  const c0 = cpu(), t0 = now();
  for (let i = 0; i < count;) {
    if (variant === 'sync') { s.sendSync(buf); i++; }
    else if (variant === 'batch') i += await s.sendMany(i + 64 <= count ? batch : batch.slice(0, count - i));
    else { await s.send(buf); i++; }
  }
  report(count, count * buf.length, now() - t0, cpu() - c0);
  s.close();
}

/** Costs of the layers themselves: one native call, one readiness wake-up, one address decode. */
async function boundary([what, seconds]: string[]): Promise<void> {
  const [a, b] = Socket.pair('stream');
  const end = now() + Number(seconds);
  let ops = 0;
  const c0 = cpu(), t0 = now();
  if (what === 'call') {
    // getsockopt(SO_TYPE): the cheapest complete round trip into C and the kernel.
    const fd = a.fd;
    while (now() < end) { for (let i = 0; i < 1000; i++) posix.getsockopt(fd, k.SOL_SOCKET, k.SO_TYPE); ops += 1000; }
  } else if (what === 'option') {
    // The same system call through the socket's option table.
    while (now() < end) { for (let i = 0; i < 1000; i++) a.getOption('type'); ops += 1000; }
  } else if (what === 'wake') {
    // recv finds nothing (EAGAIN), waits on uv_poll, the peer writes on the next turn, recv completes.
    const one = Buffer.from('x');
    const into = Buffer.alloc(16);
    while (now() < end) {
      const p = a.recvInto(into);
      setImmediate(() => b.sendSync(one));
      await p;
      ops++;
    }
  } else if (what === 'decode') {
    const v6 = Buffer.alloc(28); // struct sockaddr_in6
    v6.writeUInt16LE(k.AF_INET6, 0);
    v6.writeUInt16BE(443, 2);
    v6[23] = 1;
    while (now() < end) { for (let i = 0; i < 1000; i++) decodeAddress(v6, v6.length); ops += 1000; }
  } else usage(`boundary ${what}`);
  report(ops, 0, now() - t0, cpu() - c0);
  a.close();
  b.close();
}

const modes: Record<string, (a: string[]) => Promise<void>> = { rr, sink, source, 'udp-recv': udpRecv, 'udp-send': udpSend, drain, 'ud-recv': udRecv, 'ud-send': udSend, boundary };
if (!modes[mode]) usage(mode);
await modes[mode](rest);
