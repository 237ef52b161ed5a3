// The berkeley command, run as a user would (spawned processes): cat against
// real socat and nc peers over TCP, UDP and Unix stream and datagram sockets
// in both directions with binary data, half-close; ping, ifaces, resolve,
// demo, help and exit codes. socat and netcat-openbsd are installed when
// missing and allowed (root with apt), otherwise their tests skip.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Socket } from '../src/index.ts';
import { isRoot, tmpPath } from './helpers.ts';

const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;

interface Run { status: number | null; stdout: Buffer; stderr: string }

/** Runs `berkeley ARGS` with `input` on stdin; resolves when it exits. */
function berkeley(args: string[], input?: Buffer, onStderr?: (line: string) => void): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d) => out.push(d));
  child.stderr!.on('data', (d) => { err += d; onStderr?.(String(d)); });
  if (input) child.stdin!.end(input); else child.stdin!.end();
  const done = new Promise<Run>((resolve) => child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: err })));
  const kill = setTimeout(() => child.kill(), 30_000);
  done.finally(() => clearTimeout(kill));
  return { child, done };
}

/** Runs a peer tool (socat, nc) with `input`; resolves when it exits. */
function tool(cmd: string, args: string[], input?: Buffer): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d) => out.push(d));
  child.stderr!.on('data', (d) => { err += d; });
  if (input) child.stdin!.end(input);
  const done = new Promise<Run>((resolve) => child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: err })));
  const kill = setTimeout(() => child.kill(), 30_000);
  done.finally(() => clearTimeout(kill));
  return { child, done };
}

/** A free TCP/UDP port on 127.0.0.1 (bound and released). */
function freePort(type: 'stream' | 'dgram' = 'stream'): number {
  const s = new Socket('inet', type);
  s.bind('127.0.0.1:0');
  const port = (s.localAddress() as { port: number }).port;
  s.close();
  return port;
}

/** Waits until something listens on 127.0.0.1:port (TCP) or a Unix path. */
async function listening(target: number | string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = new Socket(typeof target === 'number' ? 'inet' : 'unix', 'stream');
    try {
      await s.connect(typeof target === 'number' ? `127.0.0.1:${target}` : target, { timeout: 1000 });
      s.close();
      return;
    } catch {
      s.close();
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`nothing listens on ${target}`);
}

/** Resolves once berkeley's --verbose stderr says it is listening. */
function whenListening(): { onStderr: (l: string) => void; ready: Promise<void> } {
  let resolve!: () => void;
  const ready = new Promise<void>((r) => { resolve = r; });
  let seen = '';
  return { onStderr: (l) => { seen += l; if (seen.includes('listening on')) resolve(); }, ready };
}

function havePeers(): string | false {
  const have = () => spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 && spawnSync('nc', ['-h'], { stdio: 'ignore' }).error === undefined;
  if (have()) return false;
  if (!isRoot || spawnSync('which', ['apt-get']).status !== 0) return 'socat and nc are not installed (apt-get install socat netcat-openbsd)';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 300_000 });
  spawnSync('apt-get', ['install', '-y', '-qq', 'socat', 'netcat-openbsd'], { stdio: 'ignore', env, timeout: 300_000 });
  return have() ? false : 'installing socat and netcat-openbsd failed';
}

describe('berkeley cat against socat and nc', { skip: havePeers() }, () => {
  const data = randomBytes(1 << 20); // binary, with every byte value
  const small = randomBytes(1000);

  test('tcp: berkeley connects to a socat echo server; stdin EOF half-closes, the echo comes back intact', async () => {
    const port = freePort();
    const server = tool('socat', [`TCP-LISTEN:${port},reuseaddr,fork`, 'EXEC:cat']);
    await listening(port);
    const r = await berkeley(['cat', `tcp:127.0.0.1:${port}`], data).done;
    server.child.kill();
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(data), `echoed ${r.stdout.length} of ${data.length} bytes`);
  });

  test('tcp: socat connects to berkeley tcp-listen; both directions intact', async () => {
    const port = freePort();
    const w = whenListening();
    const b = berkeley(['cat', `tcp-listen:127.0.0.1:${port}`, '--verbose'], small, w.onStderr);
    await w.ready;
    const client = await tool('socat', ['-', `TCP:127.0.0.1:${port}`], data).done;
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(data), 'socat -> berkeley');
    assert.ok(client.stdout.equals(small), 'berkeley -> socat');
    assert.match(r.stderr, /bytes/, '--verbose reports the byte counts');
  });

  test('tcp: nc -N against berkeley tcp-listen (half-close)', async () => {
    const port = freePort();
    const w = whenListening();
    const b = berkeley(['cat', `tcp-listen:127.0.0.1:${port}`, '--verbose'], small, w.onStderr);
    await w.ready;
    const nc = await tool('nc', ['-N', '127.0.0.1', String(port)], data).done;
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(data));
    assert.ok(nc.stdout.equals(small));
  });

  test('tcp: berkeley connects to nc -l', async () => {
    const port = freePort();
    const l = tool('nc', ['-N', '-l', '127.0.0.1', String(port)], small);
    // nc -l serves one connection: poll for it by trying berkeley itself.
    let r: Run | undefined;
    for (let i = 0; i < 100; i++) {
      r = await berkeley(['cat', `tcp:127.0.0.1:${port}`], data).done;
      if (r.status === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(r!.status, 0, r!.stderr);
    assert.ok(r!.stdout.equals(small), 'nc -> berkeley');
    const nc = await l.done;
    assert.ok(nc.stdout.equals(data), 'berkeley -> nc');
  });

  test('udp: berkeley to a socat echo, and socat to berkeley udp-listen', async () => {
    const port = freePort('dgram');
    const echo = tool('socat', [`UDP-LISTEN:${port},reuseaddr`, 'EXEC:cat']);
    await new Promise((r) => setTimeout(r, 300));
    const r = await berkeley(['cat', `udp:127.0.0.1:${port}`, '--timeout', '2'], small).done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(small), `echoed ${r.stdout.length} bytes`);
    echo.child.kill();

    const port2 = freePort('dgram');
    const w = whenListening();
    const b = berkeley(['cat', `udp-listen:127.0.0.1:${port2}`, '--verbose', '--timeout', '2'], small, w.onStderr);
    await w.ready;
    const client = await tool('socat', ['-t', '2', '-', `UDP:127.0.0.1:${port2}`], small.subarray(0, 500)).done;
    const rb = await b.done;
    assert.equal(rb.status, 0, rb.stderr);
    assert.ok(rb.stdout.equals(small.subarray(0, 500)), 'socat -> berkeley');
    assert.ok(client.stdout.equals(small), 'berkeley -> socat');
  });

  test('unix stream: both directions against socat', async () => {
    const path = tmpPath('cli-unix');
    const server = tool('socat', [`UNIX-LISTEN:${path},fork`, 'EXEC:cat']);
    await listening(path);
    const r = await berkeley(['cat', `unix:${path}`], data).done;
    server.child.kill();
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(data));

    const path2 = tmpPath('cli-unix-listen');
    const w = whenListening();
    const b = berkeley(['cat', `unix-listen:${path2}`, '--verbose'], small, w.onStderr);
    await w.ready;
    const client = await tool('socat', ['-', `UNIX-CONNECT:${path2}`], data).done;
    const rb = await b.done;
    assert.equal(rb.status, 0, rb.stderr);
    assert.ok(rb.stdout.equals(data));
    assert.ok(client.stdout.equals(small));
  });

  test('unix datagrams: both directions against socat', async () => {
    const path = tmpPath('cli-dgram');
    const echo = tool('socat', [`UNIX-RECVFROM:${path}`, 'EXEC:cat']);
    await new Promise((r) => setTimeout(r, 300));
    const r = await berkeley(['cat', `unix-dgram:${path}`, '--timeout', '2'], small).done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(small), `echoed ${r.stdout.length} bytes`);
    echo.child.kill();

    const path2 = tmpPath('cli-dgram-listen');
    const client = tmpPath('cli-dgram-client');
    const w = whenListening();
    const b = berkeley(['cat', `unix-dgram-listen:${path2}`, '--verbose', '--timeout', '2'], small, w.onStderr);
    await w.ready;
    const c = await tool('socat', ['-t', '2', '-', `UNIX-SENDTO:${path2},bind=${client}`], small.subarray(0, 300)).done;
    const rb = await b.done;
    assert.equal(rb.status, 0, rb.stderr);
    assert.ok(rb.stdout.equals(small.subarray(0, 300)));
    assert.ok(c.stdout.equals(small));
  });

  test('two addresses: --fork relays every connection to a second address', async () => {
    const target = freePort();
    const echo = tool('socat', [`TCP-LISTEN:${target},reuseaddr,fork`, 'EXEC:cat']);
    await listening(target);
    const front = freePort();
    const w = whenListening();
    const relay = berkeley(['cat', `tcp-listen:127.0.0.1:${front}`, `tcp:127.0.0.1:${target}`, '--fork', '--verbose'], undefined, w.onStderr);
    await w.ready;
    const results = await Promise.all([1, 2, 3].map(() => tool('socat', ['-', `TCP:127.0.0.1:${front}`], small).done));
    for (const r of results) assert.ok(r.stdout.equals(small));
    relay.child.kill('SIGTERM');
    echo.child.kill();
    await relay.done;
  });
});

describe('berkeley ping, ifaces, resolve, demo', () => {
  test('ping 127.0.0.1 -c 3', async (t) => {
    const r = await berkeley(['ping', '127.0.0.1', '-c', '3', '-i', '0.2']).done;
    if (r.status === 1 && /EPERM|EACCES/.test(r.stderr)) return t.skip('no ICMP socket allowed here');
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.toString();
    assert.equal(out.match(/bytes from 127\.0\.0\.1: icmp_seq=\d+ ttl=\d+ time=[\d.]+ ms/g)?.length, 3);
    assert.match(out, /3 packets transmitted, 3 received, 0% packet loss/);
    assert.match(out, /rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/);
  });

  test('ifaces lists lo with 127.0.0.1, as ip -br addr does', async () => {
    const r = await berkeley(['ifaces']).done;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.toString(), /\blo\b.*127\.0\.0\.1\/8/);
    const brief = (await berkeley(['ifaces', '--brief']).done).stdout.toString();
    const ip = spawnSync('ip', ['-br', 'addr'], { encoding: 'utf8' });
    if (ip.status === 0) {
      const norm = (s: string) => s.trim().split('\n').map((l) => l.trim().split(/\s+/).filter((w) => !w.includes('@')).join(' ')).sort();
      const ours = norm(brief).map((l) => l.replace(/^(\S+)/, (n) => n));
      const theirs = norm(ip.stdout).map((l) => l.replace(/^(\S+)@\S+/, '$1'));
      assert.deepEqual(ours, theirs);
    }
    const json = JSON.parse((await berkeley(['ifaces', '--json']).done).stdout.toString());
    const lo = json.find((l: { name: string }) => l.name === 'lo');
    assert.ok(lo.flagNames.includes('LOOPBACK'));
    assert.ok(lo.mtu > 0);
  });

  test('resolve localhost, and --reverse', async () => {
    const r = await berkeley(['resolve', 'localhost', 'http']).done;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.toString(), /inet 127\.0\.0\.1 \w+ \w+ port 80/);
    const rev = await berkeley(['resolve', '--reverse', '127.0.0.1', '22', '--numeric-host']).done;
    assert.equal(rev.stdout.toString().trim(), '127.0.0.1 ssh');
    const bad = await berkeley(['resolve', 'no-such-host.invalid']).done;
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), 'berkeley resolve: getaddrinfo ENOTFOUND no-such-host.invalid');
  });

  test('demo exits 0 and prints its table', async () => {
    const r = await berkeley(['demo']).done;
    assert.equal(r.status, 0, r.stdout.toString() + r.stderr);
    const out = r.stdout.toString();
    for (const step of ['TCP over 127.0.0.1', 'Unix seqpacket', 'fd passing', 'netlink', 'ICMP echo']) assert.ok(out.includes(step), step);
  });

  test('--help on every command; exit codes 0, 1, 2; one-line errors', async () => {
    for (const cmd of ['cat', 'ping', 'ifaces', 'resolve', 'demo']) {
      const r = await berkeley([cmd, '--help']).done;
      assert.equal(r.status, 0, cmd);
      assert.match(r.stdout.toString(), new RegExp(`Usage: berkeley ${cmd}`));
    }
    assert.equal((await berkeley(['--help']).done).status, 0);
    assert.equal((await berkeley([]).done).status, 2);
    assert.equal((await berkeley(['frobnicate']).done).status, 2);
    const bad = await berkeley(['cat', 'carrier-pigeon:x']).done;
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown address kind 'carrier-pigeon'/);
    assert.equal((await berkeley(['ping']).done).status, 2);
    assert.equal((await berkeley(['cat', 'tcp:127.0.0.1:1', '--bogus']).done).status, 2);
    const refused = await berkeley(['cat', `tcp:127.0.0.1:${freePort()}`]).done;
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^berkeley cat: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/);
  });
});
