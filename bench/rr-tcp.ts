// TCP request/response over loopback: 64-byte ping-pong against one C echo
// server (bench/c/echo-server.c), from berkeley async, berkeley sync and
// node:net, interleaved in one run. Prints round trips per second (median of
// the repetitions, with min and max) and the ratios between clients.
// Run: npm run bench:rr   (options: --rounds N --reps N)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { Socket } from 'berkeley';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20000' }, reps: { type: 'string', default: '5' } } });
const ROUNDS = Number(values.rounds);
const REPS = Number(values.reps);
const SIZE = 64;

const dir = mkdtempSync(join(tmpdir(), 'berkeley-bench-'));
const exe = join(dir, 'echo-server');
execFileSync('cc', ['-O2', '-pthread', '-o', exe, new URL('./c/echo-server.c', import.meta.url).pathname]);
const portFile = join(dir, 'port');
const server = spawn(exe, [portFile], { stdio: 'inherit' });
process.on('exit', () => server.kill());
while (!existsSync(portFile) || readFileSync(portFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 10));
const port = Number(readFileSync(portFile, 'utf8'));

const payload = Buffer.alloc(SIZE, 0x61);

async function berkeleyAsync(): Promise<number> {
  const s = new Socket('inet', 'stream');
  s.setOption('tcp-nodelay', true);
  await s.connect({ family: 'inet', address: '127.0.0.1', port });
  const buf = Buffer.alloc(SIZE);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) {
    await s.send(payload);
    for (let got = 0; got < SIZE;) got += await s.recvInto(got ? buf.subarray(got) : buf);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  s.close();
  return ROUNDS / (ns / 1e9);
}

function berkeleySync(): number {
  const s = new Socket('inet', 'stream');
  s.setOption('tcp-nodelay', true);
  s.connectSync({ family: 'inet', address: '127.0.0.1', port });
  const buf = Buffer.alloc(SIZE);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) {
    s.sendSync(payload);
    for (let got = 0; got < SIZE;) got += s.recvIntoSync(got ? buf.subarray(got) : buf);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  s.close();
  return ROUNDS / (ns / 1e9);
}

function nodeNet(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => {
      let i = 0;
      let got = 0;
      const t0 = process.hrtime.bigint();
      s.on('data', (d) => {
        got += d.length;
        if (got < SIZE) return;
        got -= SIZE;
        if (++i === ROUNDS) {
          const ns = Number(process.hrtime.bigint() - t0);
          s.destroy();
          resolve(ROUNDS / (ns / 1e9));
        } else s.write(payload);
      });
      s.write(payload);
    });
    s.on('error', reject);
  });
}

const clients: [string, () => number | Promise<number>][] = [
  ['berkeley async', berkeleyAsync],
  ['berkeley sync', berkeleySync],
  ['node:net', nodeNet],
];
const results = new Map<string, number[]>(clients.map(([n]) => [n, []]));
for (const [, fn] of clients) await fn(); // warm-up
for (let rep = 0; rep < REPS; rep++) for (const [name, fn] of clients) results.get(name)!.push(await fn());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`TCP request/response, ${SIZE}-byte messages, ${ROUNDS} round trips x ${REPS} repetitions`);
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}\n`);
console.log('client            round trips/s (median)      min        max');
for (const [name, xs] of results) {
  console.log(`${name.padEnd(16)} ${median(xs).toFixed(0).padStart(22)} ${Math.min(...xs).toFixed(0).padStart(10)} ${Math.max(...xs).toFixed(0).padStart(10)}`);
}
const m = (n: string) => median(results.get(n)!);
console.log(`\nberkeley async / node:net: ${(m('berkeley async') / m('node:net')).toFixed(2)}x`);
console.log(`berkeley sync  / node:net: ${(m('berkeley sync') / m('node:net')).toFixed(2)}x`);
console.log(`berkeley sync  / async:    ${(m('berkeley sync') / m('berkeley async')).toFixed(2)}x`);
server.kill();
