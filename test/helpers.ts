// Shared test helpers: fd accounting, temporary paths, privilege checks.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Socket } from '../src/index.ts';
import { join } from 'node:path';
import { fdCount } from './fds.ts';

/** The fds this process has open right now. */
export function openFds(): number[] {
  return readdirSync('/proc/self/fd').map(Number).sort((a, b) => a - b);
}

/** The number of open fds without tsx's disk cache (test/fds.ts), for leak checks. */
export { fdCount };

/** Whether an fd has O_CLOEXEC set, read from /proc/self/fdinfo (not through berkeley). */
export function isCloexec(fd: number): boolean {
  const flags = /flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1];
  return (parseInt(flags, 8) & 0o2000000) !== 0;
}

/** Whether an fd has O_NONBLOCK set, read from /proc/self/fdinfo. */
export function isNonblocking(fd: number): boolean {
  const flags = /flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1];
  return (parseInt(flags, 8) & 0o4000) !== 0;
}

let dir: string | undefined;
/** A fresh path in a per-run temporary directory, removed after the tests. */
export function tmpPath(name: string): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'berkeley-test-'));
    const d = dir;
    // process exit, not node:test's after(): that would bind to the calling test.
    process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return join(dir, `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/** A unique abstract socket name (Linux), with the leading NUL. */
export const abstractName = (name: string): string => `\0berkeley-test-${name}-${process.pid}-${Math.random().toString(36).slice(2)}`;

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Whether ::1 can be bound here (some containers run without IPv6). */
export const hasIPv6 = (() => {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8').includes('00000000000000000000000000000001');
  } catch {
    return false;
  }
})();

/** Runs fn and asserts it leaves the number of open fds unchanged. */
export async function noFdLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = fdCount();
  const r = await fn();
  const afterCount = fdCount();
  if (afterCount !== before) throw new Error(`fd leak: ${before} fds before, ${afterCount} after`);
  return r;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A struct timeval (64-bit Linux layout) for SO_RCVTIMEO/SO_SNDTIMEO, from milliseconds. */
export function timeval(ms: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(BigInt(Math.floor(ms / 1000)), 0);
  b.writeBigInt64LE(BigInt((ms % 1000) * 1000), 8);
  return b;
}

/**
 * A TCP listener whose backlog is full, so that further connects hang (their
 * SYN is dropped) and must time out: the way to make a connect time out
 * without sending anywhere but loopback. Close `fillers` and `server` after.
 */
export async function fullBacklog(family: 'inet' | 'inet6' = 'inet'): Promise<{ server: Socket; fillers: Socket[] }> {
  const server = new Socket(family, 'stream');
  server.bind(family === 'inet' ? '127.0.0.1:0' : '[::1]:0');
  server.listen(0);
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const c = new Socket(family, 'stream');
    fillers.push(c);
    try { await c.connect(server.localAddress(), { timeout: 200 }); } catch { break; }
  }
  return { server, fillers };
}

/** The API-sequence fuzzer (fixtures/fuzz-child.ts), one seed in a child process. */
const fuzzChild = new URL('./fixtures/fuzz-child.ts', import.meta.url).pathname;
// Absolute, because the child runs in a temporary directory with no node_modules.
const tsxLoader = import.meta.resolve('tsx');

/** Runs one seed; resolves with its JSON line, exit code and signal. */
export function fuzzSeed(seed: number, ops: number): Promise<{ code: number | null; signal: string | null; out: Record<string, unknown> | null; stderr: string; leftInCwd: string[] }> {
  // The child starts in an empty directory of its own, so files it leaves behind (a Unix socket
  // bound to a relative path) show up in leftInCwd instead of littering the caller's tree.
  const cwd = mkdtempSync(join(tmpdir(), 'berkeley-fuzz-cwd-'));
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', tsxLoader, fuzzChild, String(seed), String(ops)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const limit = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code, signal) => {
      clearTimeout(limit);
      let out: Record<string, unknown> | null = null;
      try { out = JSON.parse(stdout.trim().split('\n').pop() ?? ''); } catch { /* reported below */ }
      const leftInCwd = readdirSync(cwd);
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, signal, out, stderr, leftInCwd });
    });
  });
}

export async function checkSeed(seed: number, ops: number): Promise<Record<string, unknown>> {
  const r = await fuzzSeed(seed, ops);
  assert.equal(r.signal, null, `seed ${seed} died by ${r.signal}: ${r.stderr.slice(-2000)}`);
  assert.equal(r.code, 0, `seed ${seed}: ${JSON.stringify(r.out)} ${r.stderr.slice(-2000)}`);
  // No fd added (a leak) and none gone (closed by someone who did not own it), not merely the same count.
  assert.deepEqual({ extra: r.out?.extra, missing: r.out?.missing }, { extra: [], missing: [] }, `seed ${seed} changed the fd table: ${JSON.stringify(r.out)}`);
  assert.deepEqual(r.leftInCwd, [], `seed ${seed} left files in its working directory`);
  return r.out!;
}

