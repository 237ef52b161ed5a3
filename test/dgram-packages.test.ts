// The real packages built on unix-dgram, with berkeley/dgram in its place:
// hot-shots (protocol 'uds') and winston-syslog (protocol 'unix') run in a
// child process whose require('unix-dgram') resolves to
// test/fixtures/unix-dgram-shim (module.exports = require('berkeley/dgram')),
// and what they send is read by an independent receiver, Python's socket
// module on a Unix datagram socket. Each child must also exit on its own
// once the package is closed: a socket with nothing pending keeps nothing
// alive. The same runs against the genuine unix-dgram are the reference;
// they skip where that package cannot build (no compiler or Node headers),
// which is why berkeley stands in for it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { tmpPath } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHIM = fileURLToPath(new URL('./fixtures/unix-dgram-shim/register.cjs', import.meta.url));
const T = { timeout: 60_000 };

const python = spawnSync('python3', ['-c', 'import socket'], { timeout: 10_000 }).status === 0;
const genuine = spawnSync(process.execPath, ['-e', "require('unix-dgram')"], { cwd: ROOT, timeout: 10_000 });
const genuineSkip = genuine.status === 0 ? false : `the genuine unix-dgram does not load here: ${genuine.stderr.toString().split('\n').find((l) => /Error|error/.test(l)) ?? 'no build'}`;

// Binds a Unix datagram socket at argv[1], says 'ready', then prints each
// datagram (latin-1) as a JSON line until argv[2] have come (or 20 s pass).
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
print('ready', flush=True)
for _ in range(int(sys.argv[2])):
    data = s.recv(65536)
    print(json.dumps(data.decode('latin-1')), flush=True)
`;

/** A Python receiver at a fresh path: the path, and the datagrams once `count` have arrived. */
async function receiver(count: number): Promise<{ path: string; datagrams: Promise<string[]> }> {
  const path = tmpPath('pkg.sock');
  const p = spawn('python3', ['-c', RECEIVER, path, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  p.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  await new Promise<void>((resolve, reject) => {
    const check = (): void => { if (out.startsWith('ready\n')) resolve(); };
    p.stdout.on('data', check);
    p.once('exit', () => reject(new Error(`receiver exited before it was ready: ${err}`)));
  });
  const datagrams = once(p, 'exit').then(([code]) => {
    assert.equal(code, 0, `receiver failed: ${err}`);
    return out.split('\n').slice(1).filter(Boolean).map((l) => JSON.parse(l) as string);
  });
  return { path, datagrams };
}

/** Runs `script` (CommonJS) with the path as argv[2]; with `shim`, unix-dgram is berkeley. Resolves with its output once it exits. */
async function child(script: string, path: string, shim: boolean): Promise<{ code: number | null; out: string }> {
  const args = ['--import', 'tsx', ...(shim ? ['--require', SHIM] : []), '-e', script, path];
  const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  p.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const [code] = await once(p, 'exit');
  return { code: code as number | null, out };
}

const HOT_SHOTS = `
const StatsD = require('hot-shots');
const client = new StatsD({ protocol: 'uds', path: process.argv[1], errorHandler: (e) => console.log('error:', e.message) });
client.increment('berkeley.requests', 3, ['route:home']);
client.gauge('berkeley.queue', 7);
client.timing('berkeley.latency', 42);
client.close((err) => console.log('closed', err ? err.message : 'cleanly'));
`;

const WINSTON_SYSLOG = `
const winston = require('winston');
require('winston-syslog');
const transport = new winston.transports.Syslog({ protocol: 'unix', path: process.argv[1], app_name: 'berkeley-test', localhost: 'testhost' });
transport.on('error', (e) => console.log('error:', e.message));
const logger = winston.createLogger({ levels: winston.config.syslog.levels, transports: [transport] });
logger.info('hello over a unix datagram socket');
logger.error('an error line');
logger.on('finish', () => console.log('finished'));
setTimeout(() => logger.end(), 50);
transport.on('closed', () => console.log('closed'));
`;

async function hotShots(shim: boolean): Promise<void> {
  const r = await receiver(1);
  const c = await child(HOT_SHOTS, r.path, shim);
  assert.equal(c.code, 0, c.out);
  assert.match(c.out, /closed cleanly/);
  // Over 'uds' hot-shots buffers the metrics of one turn into one datagram, a line each.
  assert.deepEqual(await r.datagrams, ['berkeley.requests:3|c|#route:home\nberkeley.queue:7|g\nberkeley.latency:42|ms']);
}

async function winstonSyslog(shim: boolean): Promise<void> {
  const r = await receiver(2);
  const c = await child(WINSTON_SYSLOG, r.path, shim);
  assert.equal(c.code, 0, c.out);
  assert.doesNotMatch(c.out, /error:/);
  const [info, error] = await r.datagrams;
  // RFC 3164 through glossy: <facility * 8 + severity> (local0 = 16, winston-syslog's default; info = 6, error = 3), host, app[pid]: message.
  assert.match(info, /^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d testhost berkeley-test\[\d+\]: .*hello over a unix datagram socket/);
  assert.match(error, /^<131>.* testhost berkeley-test\[\d+\]: .*an error line/);
}

describe('packages built on unix-dgram, with berkeley/dgram in its place', { skip: python ? false : 'python3 is not installed' }, () => {
  test('hot-shots delivers metrics over a Unix datagram socket to a Python receiver, and the process exits', T, () => hotShots(true));
  test('winston-syslog delivers syslog lines over a Unix datagram socket to a Python receiver, and the process exits', T, () => winstonSyslog(true));
});

describe('the same with the genuine unix-dgram (the reference)', { skip: !python ? 'python3 is not installed' : genuineSkip }, () => {
  test('hot-shots', T, () => hotShots(false));
  test('winston-syslog', T, () => winstonSyslog(false));
});
