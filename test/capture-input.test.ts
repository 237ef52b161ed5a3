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
    if (open !== null && call.test(line) && !/^\d+\s+mmap\([^)]*MAP_ANONYMOUS/.test(line)) reached.push(`${report.rows[open]}: ${line.replace(/^\d+\s+/, '').slice(0, 120)}`);
  }
  assert.equal(seen, report.rows.length, 'every row was traced between its markers');
  assert.deepEqual(reached, []);
});
