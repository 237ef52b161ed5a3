// UDP receive: a large receive queue is filled first, then drained, so only
// the receive path is measured. Peers in one run, interleaved: a C
// recvfrom/recvmmsg reference (bench/c/udp-drain.c), berkeley recvFrom
// (sync and async), berkeley recvMany (sync and async), node:dgram. The
// same with GSO-sent 1400-byte segments, received with and without GRO.
// Prints datagrams/s, ns per datagram and ratios.
// Run: npm run bench:udp   (options: --count N --reps N)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import { Socket, features } from 'berkeley';

const { values } = parseArgs({ options: { count: { type: 'string', default: '50000' }, reps: { type: 'string', default: '5' } } });
const COUNT = Number(values.count);
const REPS = Number(values.reps);

const dir = mkdtempSync(join(tmpdir(), 'berkeley-bench-'));
const exe = join(dir, 'udp-drain');
execFileSync('cc', ['-O2', '-o', exe, new URL('./c/udp-drain.c', import.meta.url).pathname]);

const sender = new Socket('inet', 'dgram');
sender.setOption('sndbuf', 4 << 20);

/** Fills the queue of 127.0.0.1:port with COUNT datagrams of `size` bytes (GSO supers of 1400-byte segments with gso). */
function fill(port: number, size: number, gso: boolean): void {
  const to = { family: 'inet' as const, address: '127.0.0.1', port };
  const payload = Buffer.alloc(size, 0x61);
  if (gso) {
    const perSuper = 40; // 40 x 1400 = 56000 bytes per super-datagram
    const supers = Math.ceil(COUNT / perSuper);
    const big = Buffer.alloc(size * perSuper, 0x62);
    for (let i = 0; i < supers; i += 32) {
      const batch = Array.from({ length: Math.min(32, supers - i) }, () => ({ data: big, address: to, segmentSize: size }));
      sender.sendManySync(batch);
    }
    return;
  }
  for (let i = 0; i < COUNT; i += 256) sender.sendManySync(Array.from({ length: Math.min(256, COUNT - i) }, () => ({ data: payload, address: to })));
}

const total = (size: number, gso: boolean) => (gso ? Math.ceil(COUNT / 40) * 40 : COUNT) * size;

interface Result { datagrams: number; bytes: number; ns: number }

function berkeleyReceiver(gro: boolean): Socket {
  const r = new Socket('inet', 'dgram');
  try { r.setsockopt('socket', 'SO_RCVBUFFORCE', 256 << 20); } catch { r.setOption('rcvbuf', 256 << 20); }
  if (gro) r.setOption('udp-gro', true);
  r.bind('127.0.0.1:0');
  return r;
}

async function runC(mode: 'recvfrom' | 'recvmmsg', size: number, gso: boolean, gro: boolean): Promise<Result> {
  const slot = gro ? 65536 : size;
  const child = spawn(exe, [mode, String(slot), ...(gro ? ['gro'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  fill(port, size, gso);
  child.stdin!.write('go\n');
  const [datagrams, bytes, ns] = String((await lines.next()).value).split(' ').map(Number);
  await new Promise((r) => child.on('exit', r));
  return { datagrams, bytes, ns };
}

function runBerkeleySync(batched: boolean, size: number, gso: boolean, gro: boolean): Result {
  const r = berkeleyReceiver(gro);
  fill((r.localAddress() as { port: number }).port, size, gso);
  r.setTimeout(0);
  const slot = gro ? 65536 : size;
  const buffer = Buffer.alloc(64 * slot); // caller-owned batch buffer, reused: no copy, as in C
  let datagrams = 0;
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  try {
    if (batched) for (;;) for (const m of r.recvManySync({ maxMessages: 64, size: slot, buffer })) { datagrams++; bytes += m.data.length; }
    else for (;;) { bytes += r.recvFromSync(slot).data.length; datagrams++; }
  } catch (err) {
    if ((err as { code?: string }).code !== 'ETIMEDOUT') throw err;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  r.close();
  return { datagrams, bytes, ns };
}

async function runBerkeleyAsync(batched: boolean, size: number, gso: boolean, gro: boolean): Promise<Result> {
  const r = berkeleyReceiver(gro);
  fill((r.localAddress() as { port: number }).port, size, gso);
  const want = total(size, gso);
  const slot = gro ? 65536 : size;
  const buffer = Buffer.alloc(64 * slot);
  let datagrams = 0;
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  try {
    while (bytes < want) {
      if (batched) for (const m of await r.recvMany({ maxMessages: 64, size: slot, timeout: 500, buffer })) { datagrams++; bytes += m.data.length; }
      else { bytes += (await r.recvFrom(slot, { timeout: 500 })).data.length; datagrams++; }
    }
  } catch (err) {
    if ((err as { code?: string }).code !== 'ETIMEDOUT') throw err;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  r.close();
  return { datagrams, bytes, ns };
}

async function runNodeDgram(size: number, gso: boolean): Promise<Result> {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 256 << 20 });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  // The same queue size as the others: node:dgram cannot go past rmem_max itself.
  const dup = Socket.fromNodeSocket(s);
  try { dup.setsockopt('socket', 'SO_RCVBUFFORCE', 256 << 20); } catch { /* not root: rmem_max applies to all */ }
  dup.close();
  const want = total(size, gso);
  let datagrams = 0;
  let bytes = 0;
  let t0 = 0n;
  let last = 0n;
  const done = new Promise<void>((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    s.on('message', (m) => {
      datagrams++;
      bytes += m.length;
      last = process.hrtime.bigint();
      clearTimeout(idle);
      if (bytes >= want) resolve(); else idle = setTimeout(resolve, 500);
    });
  });
  // Filled synchronously: node:dgram only starts reading once this tick ends.
  fill(s.address().port, size, gso);
  t0 = process.hrtime.bigint();
  await done;
  s.close();
  return { datagrams, bytes, ns: Number(last - t0) };
}

type Runner = [string, () => Result | Promise<Result>];
function runners(size: number, gso: boolean): Runner[] {
  const list: Runner[] = [
    ['C recvfrom', () => runC('recvfrom', size, gso, false)],
    ['C recvmmsg', () => runC('recvmmsg', size, gso, false)],
    ['berkeley recvFromSync', () => runBerkeleySync(false, size, gso, false)],
    ['berkeley recvFrom', () => runBerkeleyAsync(false, size, gso, false)],
    ['berkeley recvManySync', () => runBerkeleySync(true, size, gso, false)],
    ['berkeley recvMany', () => runBerkeleyAsync(true, size, gso, false)],
    ['node:dgram', () => runNodeDgram(size, gso)],
  ];
  if (gso && features.gro) {
    list.push(['C recvmmsg + GRO', () => runC('recvmmsg', size, gso, true)]);
    list.push(['berkeley recvMany + GRO', () => runBerkeleyAsync(true, size, gso, true)]);
  }
  return list;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`UDP drain: ${COUNT} datagrams queued, then drained; ${REPS} repetitions, interleaved`);
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}; GSO ${features.gso}, GRO ${features.gro}`);

for (const [size, gso] of [[64, false], [1400, false], [1400, true]] as const) {
  if (gso && !features.gso) { console.log('\n(GSO unavailable: skipped)'); continue; }
  const list = runners(size, gso);
  const rates = new Map<string, number[]>(list.map(([n]) => [n, []]));
  const counts = new Map<string, number>();
  for (const [, fn] of list) await fn(); // warm-up
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, fn] of list) {
      const r = await fn();
      // Segments per second: with GRO one datagram carries many segments.
      rates.get(name)!.push((r.bytes / size) / (r.ns / 1e9));
      counts.set(name, r.bytes / size);
    }
  }
  console.log(`\n${size}-byte ${gso ? 'segments sent with GSO' : 'datagrams'}`);
  console.log('receiver                  segments/s (median)    ns/segment   received');
  for (const [name, xs] of rates) {
    console.log(`${name.padEnd(24)} ${median(xs).toFixed(0).padStart(20)} ${(1e9 / median(xs)).toFixed(0).padStart(12)} ${String(counts.get(name)).padStart(10)}`);
  }
  const m = (n: string) => median(rates.get(n)!);
  console.log(`berkeley recvMany / C recvmmsg:    ${(m('berkeley recvMany') / m('C recvmmsg')).toFixed(2)}x`);
  console.log(`berkeley recvMany / node:dgram:    ${(m('berkeley recvMany') / m('node:dgram')).toFixed(2)}x`);
  console.log(`berkeley recvFrom / node:dgram:    ${(m('berkeley recvFrom') / m('node:dgram')).toFixed(2)}x`);
  console.log(`berkeley recvFromSync / C recvfrom: ${(m('berkeley recvFromSync') / m('C recvfrom')).toFixed(2)}x`);
  if (rates.has('berkeley recvMany + GRO')) console.log(`berkeley recvMany+GRO / C recvmmsg+GRO: ${(m('berkeley recvMany + GRO') / m('C recvmmsg + GRO')).toFixed(2)}x`);
}
sender.close();
