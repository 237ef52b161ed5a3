// The Deadline (src/io/deadline.ts): one object for the call's limit, the
// socket's 'total' and 'block' timeouts, used alike by the async and the sync
// driver. Pure arithmetic is checked against performance.now() directly; the
// drivers over a real socketpair. Timing bounds are generous: they check
// behaviour, not speed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline, MAX_TIMER } from '../src/io/deadline.ts';
import { Socket, SocketError } from '../src/index.ts';
import { sleep } from './helpers.ts';

const T = { timeout: 10_000 };
const elapsed = (t0: number): number => performance.now() - t0;

describe('Deadline arithmetic', () => {
  test('NONE never expires: no end, no block, waitEnd null, waitMs -1, sleeps as asked', T, async () => {
    const d = Deadline.NONE;
    assert.equal(d.end, null);
    assert.equal(d.block, null);
    assert.equal(d.waitEnd(), null);
    assert.equal(d.waitMs(), -1);
    assert.equal(d.expired(), false);
    assert.equal(d.sleepMs(123), 123);
    await sleep(20);
    // Still nothing: time passing changes nothing for NONE.
    assert.equal(d.waitMs(), -1);
    assert.equal(d.expired(), false);
  });

  test('start() without any limit is NONE; with only a block limit it has no end', T, () => {
    assert.equal(Deadline.start(null, null, null), Deadline.NONE);
    const d = Deadline.start(null, null, 100);
    assert.notEqual(d, Deadline.NONE);
    assert.equal(d.end, null);
    assert.equal(d.block, 100);
  });

  test('start(total, call, block) ends at the earlier of total and call', T, () => {
    const cases: [number | null, number | null, number][] = [
      [1000, 200, 200],
      [200, 1000, 200],
      [300, 300, 300],
      [1000, null, 1000],
      [null, 300, 300],
      [0, 5000, 0],
      [5000, 0, 0],
    ];
    for (const [total, call, want] of cases) {
      const before = performance.now();
      const d = Deadline.start(total, call, null);
      const after = performance.now();
      assert.ok(d.end !== null, `total ${total} call ${call}: an end`);
      assert.ok(d.end >= before + want && d.end <= after + want, `total ${total} call ${call}: end ${d.end - before} ms after start, want ${want}`);
      assert.equal(d.block, null);
    }
    // The block limit is kept as given, it never shortens the call's end.
    const d = Deadline.start(1000, null, 10);
    assert.equal(d.block, 10);
    assert.ok(d.end! - performance.now() > 500);
  });

  test('block bounds each wait: waitEnd = min(end, now + block)', T, async () => {
    // block shorter than the call: each wait ends block ms from when it is asked.
    const d = Deadline.start(5000, null, 50);
    let before = performance.now();
    let w = d.waitEnd()!;
    let after = performance.now();
    assert.ok(w >= before + 50 && w <= after + 50, `wait ends ${w - before} ms from now, want 50`);
    // Asked again later, the wait is again a full block from then (block is per wait, not per call).
    await sleep(80);
    before = performance.now();
    w = d.waitEnd()!;
    after = performance.now();
    assert.ok(w >= before + 50 && w <= after + 50, `later wait ends ${w - before} ms from now, want 50`);
    assert.ok(w < d.end!);

    // block longer than what is left of the call: the call's end wins.
    const e = Deadline.start(30, null, 10_000);
    assert.equal(e.waitEnd(), e.end);

    // Only block: the call never ends, but no wait lasts longer than block.
    const b = Deadline.start(null, null, 40);
    await sleep(60);
    const ms = b.waitMs();
    assert.ok(ms > 0 && ms <= 40, `waitMs ${ms}`);
    assert.equal(b.expired(), false);
  });

  test('waitMs rounds up to whole ms (a wait never ends early) and is 0 once passed', T, () => {
    // An end 0.5 ms away is a 1 ms wait, not 0 (which would mean "expired").
    const t0 = performance.now();
    const d = new Deadline(t0 + 0.5, null);
    const ms = d.waitMs();
    if (performance.now() < d.end!) {
      assert.equal(ms, 1);
      assert.equal(Number.isInteger(ms), true);
    }
    // An end 5.5 ms away: never less than what really is left.
    const e = new Deadline(performance.now() + 5.5, null);
    const m = e.waitMs();
    const left = e.end! - performance.now();
    assert.equal(Number.isInteger(m), true);
    assert.ok(m >= left && m <= 6, `waitMs ${m}, ${left} ms left`);

    // Passed: 0, never negative (which poll(2) would take as "forever").
    const past = new Deadline(performance.now() - 5, null);
    assert.equal(past.waitMs(), 0);
    assert.equal(past.expired(), true);
    // A passed end wins over a long block.
    const pastBlock = new Deadline(performance.now() - 1, 10_000);
    assert.equal(pastBlock.waitMs(), 0);
    assert.equal(pastBlock.expired(), true);
  });

  test('timeout 0 is expired at once, whichever limit it is (LuaSocket non-blocking mode)', T, () => {
    assert.equal(Deadline.start(0, null, null).expired(), true);
    assert.equal(Deadline.start(null, 0, null).expired(), true);
    assert.equal(Deadline.start(null, null, 0).expired(), true);
    assert.equal(Deadline.start(null, null, 0).waitMs(), 0);
    assert.equal(Deadline.start(1000, null, 0).expired(), true);
    // And the opposite: a real limit is not expired yet.
    assert.equal(Deadline.start(1000, null, null).expired(), false);
    assert.equal(Deadline.start(null, 1000, 1000).expired(), false);
  });

  test('a limit beyond the largest Node timer is not taken as expired or short', T, () => {
    const d = Deadline.start(null, 2 ** 40, null);
    assert.equal(d.expired(), false);
    assert.ok(d.waitMs() > MAX_TIMER, `waitMs ${d.waitMs()}`);
  });

  test('sleepMs clamps a back-off to what is left of the wait, 0 when none is', T, async () => {
    assert.equal(Deadline.NONE.sleepMs(50), 50);
    assert.equal(Deadline.start(null, 10_000, null).sleepMs(20), 20);
    // Less left than the back-off: what is left.
    const d = Deadline.start(null, 30, null);
    const s = d.sleepMs(1000);
    assert.ok(s > 0 && s <= 30, `sleepMs ${s}`);
    // block bounds a back-off too.
    const b = Deadline.start(null, null, 10);
    const bs = b.sleepMs(1000);
    assert.ok(bs > 0 && bs <= 10, `sleepMs ${bs}`);
    // Nothing left: 0, never negative.
    await sleep(40);
    assert.equal(d.sleepMs(1000), 0);
    assert.equal(new Deadline(performance.now() - 100, null).sleepMs(5), 0);
    assert.equal(Deadline.start(null, 0, null).sleepMs(5), 0);
  });
});

describe('one deadline for both drivers', () => {
  const timesOut = (err: unknown): boolean => {
    assert.ok(err instanceof SocketError, `got ${String(err)}`);
    assert.equal(err.code, 'ETIMEDOUT');
    assert.equal(err.syscall, 'recv');
    return true;
  };

  test("'total' 50 ms: recv and recvSync time out at about the same time", T, async () => {
    const [a, b] = Socket.pair();
    a.setTimeout(50, 'total');
    let t0 = performance.now();
    await assert.rejects(a.recv(), timesOut);
    const asyncMs = elapsed(t0);
    t0 = performance.now();
    assert.throws(() => a.recvSync(), timesOut);
    const syncMs = elapsed(t0);
    assert.ok(asyncMs >= 40 && asyncMs < 1000, `async waited ${asyncMs} ms`);
    assert.ok(syncMs >= 40 && syncMs < 1000, `sync waited ${syncMs} ms`);
    a.close(); b.close();
  });

  test("'block' 50 ms and a per-call 50 ms timeout: both drivers time out in 40..1000 ms", T, async () => {
    const [a, b] = Socket.pair();
    a.setTimeout(50, 'block');
    let t0 = performance.now();
    await assert.rejects(a.recv(), timesOut);
    assert.ok(elapsed(t0) >= 40 && elapsed(t0) < 1000, `async block waited ${elapsed(t0)} ms`);
    t0 = performance.now();
    assert.throws(() => a.recvSync(), timesOut);
    assert.ok(elapsed(t0) >= 40 && elapsed(t0) < 1000, `sync block waited ${elapsed(t0)} ms`);

    a.setTimeout(null, 'block');
    t0 = performance.now();
    await assert.rejects(a.recv(16, { timeout: 50 }), timesOut);
    assert.ok(elapsed(t0) >= 40 && elapsed(t0) < 1000, `async call waited ${elapsed(t0)} ms`);
    t0 = performance.now();
    assert.throws(() => a.recvSync(16, { timeout: 50 }), timesOut);
    assert.ok(elapsed(t0) >= 40 && elapsed(t0) < 1000, `sync call waited ${elapsed(t0)} ms`);
    a.close(); b.close();
  });

  test('the earlier limit wins: a 50 ms call timeout under a 10 s total, and the other way round', T, async () => {
    const [a, b] = Socket.pair();
    a.setTimeout(10_000, 'total');
    let t0 = performance.now();
    await assert.rejects(a.recv(16, { timeout: 50 }), timesOut);
    assert.ok(elapsed(t0) >= 40 && elapsed(t0) < 1000, `waited ${elapsed(t0)} ms`);
    a.setTimeout(50, 'total');
    t0 = performance.now();
    assert.throws(() => a.recvSync(16, { timeout: 10_000 }), timesOut);
    assert.ok(elapsed(t0) >= 40 && elapsed(t0) < 1000, `waited ${elapsed(t0)} ms`);
    a.close(); b.close();
  });

  test('a call timeout beyond the largest Node timer waits for data instead of firing after 1 ms', T, async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => { warnings.push(w.name); };
    process.on('warning', onWarning);
    const [a, b] = Socket.pair();
    const p = a.recv(16, { timeout: 2 ** 32 });
    await sleep(50);
    b.sendSync('late');
    assert.equal((await p).toString(), 'late');
    await sleep(10);
    process.off('warning', onWarning);
    // Node takes a longer delay as 1 ms and warns: the wait must be armed in pieces instead.
    assert.deepEqual(warnings.filter((n) => n === 'TimeoutOverflowWarning'), []);
    a.close(); b.close();
  });
});
