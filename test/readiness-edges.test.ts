// Edges of the readiness set (native/readiness.c, native/pump.c,
// src/io/readiness.ts), each found by review and each failing before its fix:
// the sole-member shortcut reporting a direction that is not ready, or a
// readiness the thread pump saw before JavaScript read the data; generations
// past 2^31 (readyEvents is an Int32Array); a set that refuses an fd
// (ENOSPC at fs.epoll.max_user_watches) turning into a retry loop; a worker
// torn down with a harvest queued on its thread pump; an fd number nobody
// opened growing the table. Engine-dependent scenarios run in a child on
// each engine (test/fixtures/readiness-edges-child.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { constants as os } from 'node:os';
import { Socket, SocketError } from '../src/index.ts';
import { binding } from '../src/sys/binding.ts';
import { fdCount } from './helpers.ts';

const T = { timeout: 60_000 };
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/readiness-edges-child.ts', import.meta.url));
const ENGINES = ['epoll', 'epoll-thread'];

function child(scenario: string, engine: string): Promise<{ status: number | null; signal: string | null; result: Record<string, unknown> | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD, scenario], {
      cwd: ROOT, env: { ...process.env, BERKELEY_READINESS: engine }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const kill = setTimeout(() => p.kill('SIGKILL'), 50_000);
    p.on('close', (status, signal) => {
      clearTimeout(kill);
      let result = null;
      try { result = JSON.parse(out.trim().split('\n').pop() ?? ''); } catch { /* reported through status */ }
      resolve({ status, signal, result, stderr: err });
    });
  });
}

for (const engine of ENGINES) {
  describe(`on ${engine}`, () => {
    test('readable() does not resolve when the socket turns writable only (its own send was waiting)', T, async () => {
      const r = await child('readable-not-writable', engine);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.result, { readable: 'ETIMEDOUT', left: 0 }, r.stderr);
    });

    test('readable() after the data was read waits for new data (no stale readiness from an earlier harvest)', T, async () => {
      const r = await child('readable-after-drain', engine);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.result, { spurious: 0 });
    });

    test('registrations past generation 2^31 - 1 still wake (generations wrap within the int32 readyEvents carries)', T, async () => {
      const r = await child('generation-wrap', engine);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.result, { got: ['m0', 'm1', 'm2', 'm3'] });
    });

    test('a worker terminated while a harvest is queued for it tears down cleanly', T, async () => {
      const r = await child('terminate-with-harvest-queued', engine);
      assert.equal(r.status, 0, `${r.signal ?? ''} ${r.stderr}`);
      assert.deepEqual(r.result, { terminated: true, code: 1 });
    });
  });
}

describe('a set that refuses an fd', () => {
  test('a wait whose arming fails with ENOSPC rejects with that error at once, not a retry loop until its deadline', T, async () => {
    const real = binding.readinessArm;
    let failed = 0;
    const ENOSPC = -os.errno.ENOSPC;
    const [a, b] = Socket.pair('stream');
    (binding as { readinessArm: typeof real }).readinessArm = (fd, events, edge) => {
      if (fd !== a.fd || events === 0) return real.call(binding, fd, events, edge);
      failed++;
      return ENOSPC;
    };
    try {
      let timerRan = false;
      const timer = setTimeout(() => { timerRan = true; }, 1);
      const err = await a.recv(16, { timeout: 30_000 }).then(() => null, (e: unknown) => e);
      clearTimeout(timer);
      assert.ok(err instanceof SocketError, String(err));
      assert.equal(err.code, 'ENOSPC');
      assert.equal(err.syscall, 'epoll_ctl');
      assert.ok(failed <= 2, `armed ${failed} times`);
      void timerRan;
      // The socket still works once the set takes it.
      (binding as { readinessArm: typeof real }).readinessArm = real;
      setTimeout(() => b.sendSync('ok'), 5);
      assert.equal((await a.recv(16, { timeout: 10_000 })).toString(), 'ok');
    } finally {
      (binding as { readinessArm: typeof real }).readinessArm = real;
      a.close(); b.close();
    }
  });
});

test('own() of an fd number nobody opened is EBADF, without growing the table to that size', { timeout: 10_000 }, () => {
  const before = fdCount();
  assert.equal(binding.own(2_000_000_000), -os.errno.EBADF);
  assert.throws(() => Socket.from(2_000_000_000), (e: unknown) => e instanceof SocketError && e.code === 'EBADF');
  assert.equal(fdCount(), before);
});
