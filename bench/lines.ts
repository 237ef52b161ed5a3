// receive('line') on a stream of short lines: berkeley (async and sync)
// against node:readline over node:net and against LuaSocket's receive('*l'),
// all reading the same stream from one C producer (bench/c/line-source.c),
// interleaved in one run. Prints lines per second and ratios.
// Run: npm run bench:lines   (options: --lines N --reps N)
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { Socket } from 'berkeley';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '200000' }, reps: { type: 'string', default: '5' } } });
const LINES = Number(values.lines);
const REPS = Number(values.reps);

const dir = mkdtempSync(join(tmpdir(), 'berkeley-bench-'));
const exe = join(dir, 'line-source');
execFileSync('cc', ['-O2', '-pthread', '-o', exe, new URL('./c/line-source.c', import.meta.url).pathname]);
const portFile = join(dir, 'port');
const server = spawn(exe, [portFile, String(LINES)], { stdio: 'inherit' });
process.on('exit', () => server.kill());
while (!existsSync(portFile) || readFileSync(portFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 10));
const port = Number(readFileSync(portFile, 'utf8'));
const address = { family: 'inet' as const, address: '127.0.0.1', port };

function check(n: number): void {
  if (n !== LINES) throw new Error(`read ${n} lines, expected ${LINES}`);
}

async function berkeleyAsync(): Promise<number> {
  const s = new Socket('inet', 'stream');
  await s.connect(address);
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (;;) {
    try { await s.receive('line'); n++; } catch (err) { if ((err as { code?: string }).code === 'EOF') break; throw err; }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  s.close();
  check(n);
  return LINES / (ns / 1e9);
}

function berkeleySync(): number {
  const s = new Socket('inet', 'stream');
  s.connectSync(address);
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (;;) {
    try { s.receiveSync('line'); n++; } catch (err) { if ((err as { code?: string }).code === 'EOF') break; throw err; }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  s.close();
  check(n);
  return LINES / (ns / 1e9);
}

function nodeReadline(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      const t0 = process.hrtime.bigint();
      let n = 0;
      const rl = readline.createInterface({ input: s, crlfDelay: Infinity });
      rl.on('line', () => { n++; });
      rl.on('close', () => {
        const ns = Number(process.hrtime.bigint() - t0);
        check(n);
        resolve(LINES / (ns / 1e9));
      });
    });
    s.on('error', reject);
  });
}

const luaScript = join(dir, 'lines.lua');
writeFileSync(luaScript, `
local socket = require("socket")
local c = assert(socket.connect("127.0.0.1", ${port}))
local t0 = socket.gettime()
local n = 0
while true do
  local line, err = c:receive("*l")
  if not line then break end
  n = n + 1
end
io.write(n, " ", socket.gettime() - t0, "\\n")
`);
const haveLua = spawnSync('lua5.4', ['-e', 'require("socket")'], { stdio: 'ignore' }).status === 0;

function luaSocket(): number {
  const r = spawnSync('lua5.4', [luaScript], { encoding: 'utf8' });
  const [n, secs] = r.stdout.trim().split(' ').map(Number);
  check(n);
  return LINES / secs;
}

const clients: [string, () => number | Promise<number>][] = [
  ['berkeley async', berkeleyAsync],
  ['berkeley sync', berkeleySync],
  ['node:readline', nodeReadline],
];
if (haveLua) clients.push(['LuaSocket', luaSocket]);
else console.log('note: LuaSocket skipped (apt-get install lua5.4 lua-socket)');
const results = new Map<string, number[]>(clients.map(([n]) => [n, []]));
for (const [, fn] of clients) await fn(); // warm-up
for (let rep = 0; rep < REPS; rep++) for (const [name, fn] of clients) results.get(name)!.push(await fn());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`receive('line'): ${LINES} lines of 48 bytes per run x ${REPS} repetitions`);
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}\n`);
console.log('reader            lines/s (median)         min          max');
for (const [name, xs] of results) {
  console.log(`${name.padEnd(16)} ${median(xs).toFixed(0).padStart(16)} ${Math.min(...xs).toFixed(0).padStart(12)} ${Math.max(...xs).toFixed(0).padStart(12)}`);
}
const base = median(results.get('berkeley async')!);
console.log('');
for (const [name, xs] of results) if (name !== 'berkeley async') console.log(`berkeley async / ${name}: ${(base / median(xs)).toFixed(2)}x`);
console.log(`berkeley sync / node:readline: ${(median(results.get('berkeley sync')!) / median(results.get('node:readline')!)).toFixed(2)}x`);
server.kill();
