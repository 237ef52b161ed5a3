// No wait spins (API.md, "Additions (third round)"): a condition a wait
// cannot clear (an unread error queue: POLLERR; a datagram socket's read
// side shut down: readable, yet every read meets EAGAIN) never turns a wait
// into a loop, on either readiness engine and in the sync driver's poll(2):
// a timed-out wait costs the CPU of a few wake-ups. And such a socket still
// wakes its waiter when a datagram does arrive.
// Each engine runs in a child of its own (test/fixtures/wait-spin-child.ts),
// which reports the CPU time it spent in each wait.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Report {
  waitMs: number;
  results: { name: string; mode: string; cpuMs: number; outcome: string }[];
  wakes: { mode: string; outcome: string }[];
}

for (const engine of ['epoll', 'epoll-thread']) {
  describe(`waits that cannot clear their condition, engine ${engine}`, () => {
    let report: Report;
    test('the child runs every case', { timeout: 60_000 }, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/wait-spin-child.ts'],
        { cwd: root, encoding: 'utf8', timeout: 50_000, env: { ...process.env, BERKELEY_READINESS: engine } });
      assert.equal(r.status, 0, r.stderr);
      report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Report;
      assert.equal(report.results.length, 8);
    });

    test('each timed-out wait costs a few wake-ups, not its whole time (a spin costs about as much CPU as it waits)', { timeout: 5_000 }, () => {
      for (const r of report.results) {
        assert.equal(r.outcome, 'ETIMEDOUT', `${r.name} (${r.mode}) ended with ${r.outcome}`);
        assert.ok(r.cpuMs < report.waitMs / 4, `${r.name} (${r.mode}): ${r.cpuMs.toFixed(1)} ms of CPU in a ${report.waitMs} ms wait`);
      }
    });

    test('a datagram arriving during such a wait wakes it, async and sync', { timeout: 5_000 }, () => {
      assert.deepEqual(report.wakes, [{ mode: 'async', outcome: 'wake' }, { mode: 'sync', outcome: 'wake' }]);
    });
  });
}
