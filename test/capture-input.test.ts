// The rejected-input table of berkeley/capture (fixtures/capture-input.ts):
// every row refused with its error class and code, leaving no fd, and, run
// under strace in a child (fixtures/capture-input-child.ts), making no
// socket system call between its markers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { readFileSync } from 'node:fs';
import { buildCaptureRows, makeCaptureFixtures } from './fixtures/capture-input.ts';
import { runRow } from './fixtures/input-rules.ts';
import { fdCount, tmpPath } from './helpers.ts';

const T = { timeout: 180_000 };
const haveStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
const SOCKET_CALLS = ['socket', 'socketpair', 'bind', 'connect', 'setsockopt', 'getsockopt', 'getsockname', 'recvmsg', 'sendto', 'mmap', 'ioctl'];

test('every row is refused with its error class and code, leaving no fd', T, async () => {
  const before = fdCount();
  const f = makeCaptureFixtures();
  const rows = buildCaptureRows(f);
  const failures: string[] = [];
  for (const row of rows) {
    const problem = await runRow(row);
    if (problem) failures.push(problem);
  }
  f.close();
  assert.deepEqual(failures, []);
  assert.ok(rows.length > 250, `${rows.length} rows`);
  assert.equal(new Set(rows.map((r) => r.entry)).size, 7);
  assert.equal(fdCount(), before);
});

test('no row reaches the kernel: no socket system call, mmap or ioctl between its markers (strace)', { ...T, skip: !haveStrace && 'strace is not installed' }, (t) => {
  const out = tmpPath('strace-capture-rules');
  const child = new URL('./fixtures/capture-input-child.ts', import.meta.url).pathname;
  const r = spawnSync('strace', ['-f', '-qq', '--seccomp-bpf', '-s', '32', '-o', out, '-e', `trace=${SOCKET_CALLS.join(',')},write`,
    process.execPath, '--import', 'tsx', child], { encoding: 'utf8', timeout: 150_000, maxBuffer: 64 << 20 });
  if (r.status !== 0 && /ptrace|Operation not permitted|seccomp/.test(r.stderr)) return t.skip(`strace cannot trace here: ${r.stderr.trim().slice(0, 200)}`);
  assert.equal(r.status, 0, r.stderr.slice(-4000));
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: string[]; failures: string[] };
  assert.deepEqual(report.failures, []);
  const { seen, reached } = socketCallsBetweenMarkers(out, report.rows);
  assert.equal(seen, report.rows.length, 'every row was traced between its markers');
  assert.deepEqual(reached, []);
});

/** The socket system calls strace's log `out` shows between each row's markers, and how many rows it saw end. */
function socketCallsBetweenMarkers(out: string, rows: string[]): { seen: number; reached: string[] } {
  const reached: string[] = [];
  const call = new RegExp(`^\\d+\\s+(${SOCKET_CALLS.join('|')})\\(`);
  let open: number | null = null;
  let seen = 0;
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^\d+\s+write\(\d+, "<(\/?)c(\d+)>"/.exec(line);
    if (m) {
      open = m[1] === '/' ? null : Number(m[2]);
      if (m[1] === '/') seen++;
      continue;
    }
    // V8's own mappings (heap growth) are anonymous; only a mapping of an fd would be a ring.
    if (open !== null && call.test(line) && !/^\d+\s+mmap\([^)]*MAP_ANONYMOUS/.test(line)) reached.push(`${rows[open]}: ${line.replace(/^\d+\s+/, '').slice(0, 120)}`);
  }
  return { seen, reached };
}

// ---- a filter the interface's link type cannot carry -------------------------------------------
// The interfaces are made here, as root, in network namespaces of this test's own (removed on every
// path): a tun device has no link-layer header (ARPHRD_NONE, captured as raw IP), so `vlan` does not
// fit it, and capture() must know that before it makes the socket.

const haveIp = spawnSync('ip', ['-V'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
const isRoot = process.getuid?.() === 0;
const netnsSkip = !isRoot ? 'needs root (network namespaces, tun devices)' : !haveIp ? 'ip (iproute2) is not installed' : false;
const CHILD = new URL('./fixtures/capture-link-child.ts', import.meta.url).pathname;

function ip(...args: string[]): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 20_000 });
  return { ok: r.status === 0, err: `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

/** A network namespace per entry of `devices`, each holding a tun or tap device named `dev`, or why they cannot be made here (skip); cleanup() removes every one made. */
function netnsWith(devices: [name: string, mode: 'tun' | 'tap'][], dev: string): { skip: string | null; cleanup: () => void } {
  const made: string[] = [];
  const cleanup = (): void => { for (const ns of made) ip('netns', 'del', ns); };
  try {
    for (const [ns, mode] of devices) {
      ip('netns', 'del', ns);   // left over by a killed run
      const add = ip('netns', 'add', ns);
      if (!add.ok) return { skip: `cannot make a network namespace: ${add.err.slice(0, 200)}`, cleanup };
      made.push(ns);
      const tun = ip('-n', ns, 'tuntap', 'add', 'dev', dev, 'mode', mode);
      if (!tun.ok) return { skip: `cannot make a ${mode} device: ${tun.err.slice(0, 200)}`, cleanup };
    }
    return { skip: null, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

test("a filter the interface's link type cannot carry (vlan on a tun device) is refused before any system call (strace, in a netns)",
  { ...T, skip: netnsSkip || (!haveStrace && 'strace is not installed') }, (t) => {
    const ns = `berkeley-cap-${process.pid}`;
    const { skip, cleanup } = netnsWith([[ns, 'tun']], 'bktun0');
    try {
      if (skip) return t.skip(skip);
      const out = tmpPath('strace-capture-link');
      const r = spawnSync('ip', ['netns', 'exec', ns, 'strace', '-f', '-qq', '--seccomp-bpf', '-s', '32', '-o', out, '-e', `trace=${SOCKET_CALLS.join(',')},write`,
        process.execPath, '--import', 'tsx', CHILD, 'rows', 'bktun0'], { encoding: 'utf8', timeout: 150_000, maxBuffer: 64 << 20 });
      if (r.status !== 0 && /ptrace|Operation not permitted|seccomp/.test(r.stderr)) return t.skip(`strace cannot trace here: ${r.stderr.trim().slice(0, 200)}`);
      assert.equal(r.status, 0, r.stderr.slice(-4000));
      const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: string[]; failures: string[]; linkType: string };
      assert.deepEqual(report.failures, []);
      assert.equal(report.linkType, 'raw', 'the tun device is captured as raw IP');
      assert.ok(report.rows.length >= 20, `${report.rows.length} rows`);
      const { seen, reached } = socketCallsBetweenMarkers(out, report.rows);
      assert.equal(seen, report.rows.length, 'every row was traced between its markers');
      assert.deepEqual(reached, []);
    } finally {
      cleanup();
    }
  });

test('when sysfs shows another namespace (a tap there, a tun here), the bound socket\'s link type decides: the filter is refused, the socket closed', { ...T, skip: netnsSkip }, (t) => {
  const shown = `berkeley-cap-shown-${process.pid}`;
  const real = `berkeley-cap-real-${process.pid}`;
  const { skip, cleanup } = netnsWith([[shown, 'tap'], [real, 'tun']], 'bktun0');
  try {
    if (skip) return t.skip(skip);
    // sysfs mounted for `shown` (ip netns exec), the sockets made in `real` (nsenter --net keeps the mounts).
    const inside = (...cmd: string[]) => spawnSync('ip', ['netns', 'exec', shown, 'nsenter', `--net=/var/run/netns/${real}`, ...cmd], { encoding: 'utf8', timeout: 150_000, maxBuffer: 64 << 20 });
    const type = inside('cat', '/sys/class/net/bktun0/type');
    if (type.status !== 0 || type.stdout.trim() !== '1') return t.skip(`sysfs does not show the other namespace here (${type.stdout.trim() || type.stderr.trim().slice(0, 200)})`);
    const r = inside(process.execPath, '--import', 'tsx', CHILD, 'guard', 'bktun0');
    assert.equal(r.status, 0, r.stderr.slice(-4000));
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: string[]; failures: string[]; linkType: string };
    assert.deepEqual(report.failures, []);
    assert.equal(report.linkType, 'raw', 'the capture has the bound socket\'s link type, not the one sysfs showed');
  } finally {
    cleanup();
  }
});
