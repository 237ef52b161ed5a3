// The I/O engine (src/io/engine.ts): small Op subclasses written here, run by
// runAsync and runSync over real socketpairs. What is checked: errors are
// rejections for the async driver and throws for the sync one; EAGAIN waits
// (readiness on the event loop, poll(2) for sync) and retries; errno values
// become SocketErrors; bytes moved are counted; failed() sees every error;
// SLEEP back-offs; timeouts, aborts and closes; the burst yield; the lookup
// step; and that a timed-out wait does not keep the process alive.
// Timing bounds are generous: they check behaviour, not speed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants as os } from 'node:os';
import { callOptions, Job, Op, runAsync, runSync, SLEEP, type Wait } from '../src/io/engine.ts';
import type { Handle } from '../src/io/handle.ts';
import { EAGAIN } from '../src/sys/errno.ts';
import * as sys from '../src/sys/fd.ts';
import { READ, WRITE } from '../src/io/readiness.ts';
import { hostPort } from '../src/codec/address.ts';
import type { SocketAddress } from '../src/codec/sockaddr.ts';
import type { ErrorDetails } from '../src/errors.ts';
import { AF_INET, AF_UNIX, SOCK_NONBLOCK, SOCK_STREAM } from '../src/sys/constants.ts';
import { kState, SocketState } from '../src/socket/state.ts';
import { AbortError, Socket, SocketError } from '../src/index.ts';
import * as posix from '../src/posix.ts';

const T = { timeout: 10_000 };
const elapsed = (t0: number): number => performance.now() - t0;
const ECONNRESET = -os.errno.ECONNRESET;
const EPIPE = -os.errno.EPIPE;

// ---- ops written for these tests -------------------------------------------------

/** recv(2) of up to `size` bytes, through the fd layer (a value or -errno). */
class RecvOp extends Op<Buffer> {
  readonly syscall = 'recv';
  attempts = 0;
  /** The engine's record of the last call, to see what the engine did with it. */
  job: Job | null = null;
  constructor(private readonly opts?: unknown, private readonly size = 64) { super(); }
  start(_h: Handle, job: Job): void { job.call = callOptions(this.opts); job.dir = READ; this.job = job; }
  attempt(fd: number, job: Job): Buffer | number {
    this.attempts++;
    const buf = Buffer.alloc(this.size);
    const n = sys.recv(fd, buf, 0, buf.length, 0);
    if (n < 0) return n;
    job.moved = n;
    return buf.subarray(0, n);
  }
}

/** send(2) of `data`. */
class SendOp extends Op<number> {
  readonly syscall = 'send';
  constructor(private readonly data: string, private readonly opts?: unknown) { super(); }
  start(_h: Handle, job: Job): void { job.call = callOptions(this.opts); job.dir = WRITE; }
  attempt(fd: number, job: Job): number {
    const b = Buffer.from(this.data);
    const n = sys.send(fd, b, 0, b.length, 0);
    if (n > 0) job.moved = n;
    return n;
  }
}

/** Returns EAGAIN `eagains` times, then `then` (a value, or a negative errno), counting attempts. */
class Countdown extends Op<string> {
  readonly syscall: string;
  attempts = 0;
  failures: unknown[] = [];
  constructor(private readonly eagains: number, private readonly opts?: unknown,
    private readonly wait: Wait = READ, private readonly then: string | number = 'done', syscall = 'countdown',
    private readonly where: ErrorDetails | undefined = undefined) {
    super();
    this.syscall = syscall;
  }
  start(_h: Handle, job: Job): void { job.call = callOptions(this.opts); job.dir = this.wait; }
  attempt(): string | number {
    this.attempts++;
    return this.attempts <= this.eagains ? EAGAIN : this.then;
  }
  override details(): ErrorDetails | undefined { return this.where; }
  override failed(err: unknown): unknown { this.failures.push(err); return err; }
}

/** A unix stream socketpair as Sockets, with the first one's engine state. */
function pair(): { a: Socket; b: Socket; s: SocketState } {
  const [a, b] = Socket.pair();
  return { a, b, s: a[kState] };
}

const isTimeout = (syscall: string) => (err: unknown): boolean => {
  assert.ok(err instanceof SocketError, `expected a SocketError, got ${String(err)}`);
  assert.equal(err.code, 'ETIMEDOUT');
  assert.equal(err.errno, -os.errno.ETIMEDOUT);
  assert.equal(err.syscall, syscall);
  return true;
};

const isAbort = (err: unknown): boolean => {
  assert.ok(err instanceof AbortError, `expected an AbortError, got ${String(err)}`);
  assert.equal(err.name, 'AbortError');
  assert.equal(err.code, 'ABORT_ERR');
  return true;
};

describe('callOptions', () => {
  test('validates { timeout, signal, flags } and keeps the raw object', T, () => {
    assert.deepEqual({ ...callOptions(undefined) }, { timeout: null, signal: undefined, flags: 0, raw: {} });
    const ac = new AbortController();
    const o = { timeout: 30, signal: ac.signal, flags: 4, size: 9 };
    const c = callOptions(o);
    assert.equal(c.timeout, 30);
    assert.equal(c.signal, ac.signal);
    assert.equal(c.flags, 4);
    assert.equal(c.raw, o);
    assert.equal(callOptions({ timeout: Infinity }).timeout, null);
    assert.equal(callOptions({ timeout: null }).timeout, null);
    assert.equal(callOptions({ timeout: 0 }).timeout, 0);
    assert.throws(() => callOptions({ timeout: '30' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => callOptions({ signal: {} }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => callOptions({ flags: 1.5 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => callOptions(null), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => callOptions(5), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('the drivers', () => {
  test('runAsync never throws synchronously: a start() that throws is a rejection with the same error; runSync throws it', T, async () => {
    const { a, b, s } = pair();
    const boom = new TypeError('bad argument');
    const failedWith: unknown[] = [];
    let attempts = 0;
    class BadStart extends Op<void> {
      readonly syscall = 'bad';
      start(): void { throw boom; }
      attempt(): void { attempts++; }
      override failed(err: unknown): unknown { failedWith.push(err); return err; }
    }
    let p: Promise<void> | undefined;
    assert.doesNotThrow(() => { p = runAsync(s, new BadStart()); });
    assert.ok(p instanceof Promise);
    await assert.rejects(p!, (err) => err === boom);
    assert.throws(() => runSync(s, new BadStart()), (err) => err === boom);
    assert.equal(attempts, 0, 'no attempt after a failed start');
    // The async driver hands the error to failed(); the sync one throws before the op has started.
    assert.ok(failedWith.length >= 1 && failedWith.every((e) => e === boom));
    a.close(); b.close();
  });

  test('an attempt that throws: the same error object, rejected by runAsync and thrown by runSync', T, async () => {
    const { a, b, s } = pair();
    const boom = new RangeError('from attempt');
    class BadAttempt extends Op<void> {
      readonly syscall = 'bad';
      failedWith: unknown = null;
      start(): void {}
      attempt(): void { throw boom; }
      override failed(err: unknown): unknown { this.failedWith = err; return err; }
    }
    const op1 = new BadAttempt();
    let p: Promise<void> | undefined;
    assert.doesNotThrow(() => { p = runAsync(s, op1); });
    await assert.rejects(p!, (err) => err === boom);
    assert.equal(op1.failedWith, boom);
    const op2 = new BadAttempt();
    assert.throws(() => runSync(s, op2), (err) => err === boom);
    assert.equal(op2.failedWith, boom);
    a.close(); b.close();
  });

  test('on a closed socket: runAsync rejects (never throws) and runSync throws ERR_SOCKET_CLOSED', T, async () => {
    const { a, b, s } = pair();
    a.close();
    const op = new RecvOp();
    let p: Promise<Buffer> | undefined;
    assert.doesNotThrow(() => { p = runAsync(s, op); });
    await assert.rejects(p!, { name: 'SocketError', code: 'ERR_SOCKET_CLOSED', syscall: 'recv' });
    assert.throws(() => runSync(s, new RecvOp()), { code: 'ERR_SOCKET_CLOSED', syscall: 'recv' });
    assert.equal(op.attempts, 0);
    b.close();
  });

  test('an attempt that succeeds at once: tried in the caller\'s turn, resolved without waiting', T, async () => {
    const { a, b, s } = pair();
    // No data and no timeout: if the driver waited for readiness first, this would never resolve.
    const op = new Countdown(0);
    const p = runAsync(s, op);
    assert.equal(op.attempts, 1, 'the first attempt runs before runAsync returns');
    assert.equal(await p, 'done');
    assert.equal(op.attempts, 1);
    // Data already queued: one recv, no wait.
    b.sendSync('queued');
    const r = new RecvOp();
    const q = runAsync(s, r);
    assert.equal(r.attempts, 1);
    assert.equal((await q).toString(), 'queued');
    // The sync driver too.
    b.sendSync('again');
    const rs = new RecvOp();
    assert.equal(runSync(s, rs).toString(), 'again');
    assert.equal(rs.attempts, 1);
    const cs = new Countdown(0);
    assert.equal(runSync(s, cs), 'done');
    assert.equal(cs.attempts, 1);
    a.close(); b.close();
  });

  test('EAGAIN: runAsync waits for readiness on the event loop and retries once data arrives', T, async () => {
    const { a, b, s } = pair();
    const op = new RecvOp();
    const t0 = performance.now();
    const p = runAsync(s, op);
    assert.equal(op.attempts, 1);
    let timerRan = false;
    setTimeout(() => { timerRan = true; b.sendSync('hello'); }, 60);
    const got = await p;
    assert.equal(got.toString(), 'hello');
    assert.equal(timerRan, true, 'the event loop ran while the op waited');
    assert.equal(op.attempts, 2, 'one retry after readiness, no busy loop');
    assert.ok(elapsed(t0) >= 50, `resolved after ${elapsed(t0)} ms`);
    a.close(); b.close();
  });

  test('EAGAIN in the WRITE direction on a writable socket: two retries at once (the state, then its one edge-triggered report), later ones only after something new', T, async () => {
    const { a, b, s } = pair();
    const op = new Countdown(2, undefined, WRITE);
    assert.equal(await runAsync(s, op), 'done');
    assert.equal(op.attempts, 3);
    const so = new Countdown(2, undefined, WRITE);
    assert.equal(runSync(s, so), 'done');
    assert.equal(so.attempts, 3);
    // A third EAGAIN on a socket that stays writable is a condition no retry
    // clears: the call waits for something new (no wait spins), here the
    // peer reading what this end sent, which frees its send buffer.
    a.sendSync('x'.repeat(1000));
    const later = new Countdown(3, { timeout: 5000 }, WRITE);
    const pending = runAsync(s, later);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(later.attempts, 3, 'no retry while nothing happens');
    b.recvSync(1000);
    assert.equal(await pending, 'done');
    assert.equal(later.attempts, 4);
    // The sync driver the same: another process reads the peer 200 ms into the wait.
    a.sendSync('x'.repeat(1000));
    const child = spawn('sh', ['-c', 'sleep 0.2; head -c 1000 <&3 >/dev/null'], { stdio: ['ignore', 'ignore', 'inherit', b.fd] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const laterSync = new Countdown(3, { timeout: 5000 }, WRITE);
    assert.equal(runSync(s, laterSync), 'done');
    assert.equal(laterSync.attempts, 4);
    assert.equal(await exited, 0);
    a.close(); b.close();
  });

  test('EAGAIN: runSync blocks in poll(2) until another process writes to the peer', T, async () => {
    const { a, b, s } = pair();
    // The peer's fd is the child's fd 3; the child writes after 200 ms, while this thread is blocked.
    const child = spawn('sh', ['-c', 'sleep 0.2; printf hello >&3'], { stdio: ['ignore', 'ignore', 'inherit', b.fd] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const op = new RecvOp({ timeout: 5000 });
    const t0 = performance.now();
    const got = runSync(s, op);
    const ms = elapsed(t0);
    assert.equal(got.toString(), 'hello');
    assert.equal(op.attempts, 2, 'one wait in poll(2), not a busy loop');
    assert.ok(ms >= 150 && ms < 5000, `blocked ${ms} ms`);
    assert.equal(await exited, 0);
    a.close(); b.close();
  });

  test('a negative errno other than EAGAIN is a SocketError with code, errno, syscall and details from the op', T, async () => {
    const { a, b, s } = pair();
    const where = { address: '192.0.2.1', port: 9 };
    const check = (errno: number, code: string) => (err: unknown): boolean => {
      assert.ok(err instanceof SocketError);
      assert.equal(err.code, code);
      assert.equal(err.errno, errno);
      assert.equal(err.syscall, 'frobnicate');
      assert.equal(err.address, '192.0.2.1');
      assert.equal(err.port, 9);
      assert.match(err.message, /frobnicate/);
      return true;
    };
    // At once.
    const op = new Countdown(0, undefined, READ, ECONNRESET, 'frobnicate', where);
    await assert.rejects(runAsync(s, op), check(ECONNRESET, 'ECONNRESET'));
    assert.equal(op.failures.length, 1);
    assert.throws(() => runSync(s, new Countdown(0, undefined, READ, ECONNRESET, 'frobnicate', where)), check(ECONNRESET, 'ECONNRESET'));
    // After a wait (the driver's retry loop).
    const op2 = new Countdown(1, undefined, WRITE, EPIPE, 'frobnicate', where);
    await assert.rejects(runAsync(s, op2), check(EPIPE, 'EPIPE'));
    assert.equal(op2.attempts, 2);
    assert.throws(() => runSync(s, new Countdown(1, undefined, WRITE, EPIPE, 'frobnicate', where)), check(EPIPE, 'EPIPE'));
    a.close(); b.close();
  });

  test('bytes moved count as received for READ ops and sent for WRITE ops (Socket#stats)', T, async () => {
    const { a, b } = pair();
    const sa = a[kState];
    const sb = b[kState];
    assert.deepEqual([a.stats().received, a.stats().sent], [0, 0]);
    assert.equal(await runAsync(sa, new SendOp('hello')), 5);
    assert.equal(runSync(sa, new SendOp('abc')), 3);
    assert.deepEqual([a.stats().received, a.stats().sent], [0, 8]);
    // b reads them: received, not sent.
    const r = new RecvOp();
    assert.equal(runSync(sb, r).toString(), 'helloabc');
    assert.equal(r.job!.moved, 0, 'the engine takes the count off the job');
    assert.deepEqual([b.stats().received, b.stats().sent], [8, 0]);
    // Counted after a wait too (the async retry loop).
    const p = runAsync(sb, new RecvOp());
    setTimeout(() => posix.send(a.fd, 'xyz'), 30); // not through the engine: a's stats stay as they are
    assert.equal((await p).toString(), 'xyz');
    assert.deepEqual([b.stats().received, b.stats().sent], [11, 0]);
    assert.deepEqual([a.stats().received, a.stats().sent], [0, 8]);
    // A value with nothing moved counts nothing.
    await runAsync(sb, new Countdown(0));
    assert.deepEqual([b.stats().received, b.stats().sent], [11, 0]);
    a.close(); b.close();
  });

  test('failed() is called with the error and may attach progress or replace it', T, async () => {
    const { a, b, s } = pair();
    class Partial extends Op<void> {
      readonly syscall = 'partial';
      seen: unknown[] = [];
      constructor(private readonly opts: unknown) { super(); }
      start(_h: Handle, job: Job): void { job.call = callOptions(this.opts); }
      attempt(): number { return EAGAIN; }
      override failed(err: unknown): unknown {
        this.seen.push(err);
        (err as SocketError).partial = Buffer.from('so far');
        return err;
      }
    }
    const op = new Partial({ timeout: 20 });
    await assert.rejects(runAsync(s, op), (err: SocketError) => {
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(err.partial?.toString(), 'so far');
      assert.deepEqual(op.seen, [err], 'failed() saw exactly the error that was thrown');
      return true;
    });
    const sop = new Partial({ timeout: 20 });
    assert.throws(() => runSync(s, sop), (err: SocketError) => {
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(err.partial?.toString(), 'so far');
      assert.deepEqual(sop.seen, [err]);
      return true;
    });
    // What failed() returns is what the caller gets.
    const wrapped = new Error('wrapped');
    class Replace extends Countdown { override failed(err: unknown): unknown { super.failed(err); return wrapped; } }
    const rop = new Replace(0, undefined, READ, ECONNRESET);
    await assert.rejects(runAsync(s, rop), (err) => err === wrapped);
    assert.equal((rop.failures[0] as SocketError).code, 'ECONNRESET');
    assert.throws(() => runSync(s, new Replace(0, undefined, READ, ECONNRESET)), (err) => err === wrapped);
    a.close(); b.close();
  });

  test('SLEEP backs off op.sleep ms between attempts, without any readiness, in both drivers', T, async () => {
    const { a, b, s } = pair();
    class Backoff extends Countdown {
      override start(h: Handle, job: Job): void { super.start(h, job); job.sleep = 40; }
    }
    // READ readiness never comes (nothing is sent): only the back-off can retry.
    let op = new Backoff(2, undefined, SLEEP);
    let t0 = performance.now();
    assert.equal(await runAsync(s, op), 'done');
    assert.equal(op.attempts, 3);
    assert.ok(elapsed(t0) >= 70 && elapsed(t0) < 5000, `async backed off ${elapsed(t0)} ms for 2 x 40`);
    op = new Backoff(2, undefined, SLEEP);
    t0 = performance.now();
    assert.equal(runSync(s, op), 'done');
    assert.equal(op.attempts, 3);
    assert.ok(elapsed(t0) >= 70 && elapsed(t0) < 5000, `sync backed off ${elapsed(t0)} ms for 2 x 40`);
    a.close(); b.close();
  });

  test('a SLEEP back-off is cut to the deadline: a 5 s back-off under a 50 ms timeout is ETIMEDOUT soon', T, async () => {
    const { a, b, s } = pair();
    class LongBackoff extends Countdown {
      override start(h: Handle, job: Job): void { super.start(h, job); job.sleep = 5000; }
    }
    let t0 = performance.now();
    await assert.rejects(runAsync(s, new LongBackoff(100, { timeout: 50 }, SLEEP, 'done', 'connect')), isTimeout('connect'));
    assert.ok(elapsed(t0) >= 40 && elapsed(t0) < 2000, `async gave up after ${elapsed(t0)} ms`);
    t0 = performance.now();
    assert.throws(() => runSync(s, new LongBackoff(100, { timeout: 50 }, SLEEP, 'done', 'connect')), isTimeout('connect'));
    assert.ok(elapsed(t0) >= 40 && elapsed(t0) < 2000, `sync gave up after ${elapsed(t0)} ms`);
    a.close(); b.close();
  });
});

describe('timeouts, aborts and closes', () => {
  test('socket setTimeout(0): ETIMEDOUT at once when the attempt meets EAGAIN, data already there is still returned', T, async () => {
    const { a, b, s } = pair();
    a.setTimeout(0);
    const op = new RecvOp();
    const t0 = performance.now();
    await assert.rejects(runAsync(s, op), isTimeout('recv'));
    assert.equal(op.attempts, 1);
    const sop = new RecvOp();
    assert.throws(() => runSync(s, sop), isTimeout('recv'));
    assert.equal(sop.attempts, 1);
    assert.ok(elapsed(t0) < 1000, `took ${elapsed(t0)} ms`);
    // Timeout 0 is non-blocking, not "fail always": a ready attempt succeeds.
    b.sendSync('ready');
    assert.equal((await runAsync(s, new RecvOp())).toString(), 'ready');
    b.sendSync('ready2');
    assert.equal(runSync(s, new RecvOp()).toString(), 'ready2');
    a.close(); b.close();
  });

  test('a call timeout ({ timeout: 30 } through callOptions) is ETIMEDOUT carrying the op\'s details', T, async () => {
    const { a, b, s } = pair();
    const where = { path: '/nowhere' };
    let t0 = performance.now();
    await assert.rejects(runAsync(s, new Countdown(Infinity, { timeout: 30 }, READ, 'done', 'recv', where)), (err: SocketError) => {
      isTimeout('recv')(err);
      assert.equal(err.path, '/nowhere');
      return true;
    });
    assert.ok(elapsed(t0) >= 20 && elapsed(t0) < 2000, `async timed out after ${elapsed(t0)} ms`);
    t0 = performance.now();
    assert.throws(() => runSync(s, new Countdown(Infinity, { timeout: 30 }, READ, 'done', 'recv', where)), (err: SocketError) => {
      isTimeout('recv')(err);
      assert.equal(err.path, '/nowhere');
      return true;
    });
    assert.ok(elapsed(t0) >= 20 && elapsed(t0) < 2000, `sync timed out after ${elapsed(t0)} ms`);
    a.close(); b.close();
  });

  test('an already-aborted signal: callOptions throws AbortError, so runAsync rejects and runSync throws, before any attempt', T, async () => {
    const { a, b, s } = pair();
    const ac = new AbortController();
    ac.abort('stop');
    assert.throws(() => callOptions({ signal: ac.signal }), (err: AbortError) => {
      isAbort(err);
      assert.equal(err.cause, 'stop');
      return true;
    });
    const op = new RecvOp({ signal: ac.signal });
    let p: Promise<Buffer> | undefined;
    assert.doesNotThrow(() => { p = runAsync(s, op); });
    await assert.rejects(p!, isAbort);
    const sop = new RecvOp({ signal: ac.signal });
    assert.throws(() => runSync(s, sop), isAbort);
    assert.equal(op.attempts + sop.attempts, 0);
    a.close(); b.close();
  });

  test('a signal aborted while the op waits rejects it with AbortError; the socket stays usable', T, async () => {
    const { a, b, s } = pair();
    const ac = new AbortController();
    const op = new RecvOp({ signal: ac.signal });
    const t0 = performance.now();
    const p = runAsync(s, op);
    setTimeout(() => ac.abort(new Error('enough')), 30);
    await assert.rejects(p, (err: AbortError) => {
      isAbort(err);
      assert.equal((err.cause as Error).message, 'enough');
      return true;
    });
    assert.ok(elapsed(t0) >= 20 && elapsed(t0) < 2000);
    assert.equal(op.attempts, 1, 'no attempt after the abort');
    b.sendSync('after');
    assert.equal((await runAsync(s, new RecvOp())).toString(), 'after');

    // During a SLEEP back-off too.
    class Backoff extends Countdown { override start(h: Handle, job: Job): void { super.start(h, job); job.sleep = 5000; } }
    const ac2 = new AbortController();
    const t1 = performance.now();
    const q = runAsync(s, new Backoff(5, { signal: ac2.signal }, SLEEP));
    setTimeout(() => ac2.abort(), 30);
    await assert.rejects(q, isAbort);
    assert.ok(elapsed(t1) < 2000, `the back-off was not cut short: ${elapsed(t1)} ms`);
    a.close(); b.close();
  });

  test('closing the socket while an async op waits rejects it with ERR_SOCKET_CLOSED', T, async () => {
    const { a, b, s } = pair();
    const op = new RecvOp();
    const p = runAsync(s, op);
    setTimeout(() => a.close(), 20);
    await assert.rejects(p, (err: SocketError) => {
      assert.ok(err instanceof SocketError);
      assert.equal(err.code, 'ERR_SOCKET_CLOSED');
      assert.equal(err.syscall, 'recv');
      return true;
    });
    assert.equal(op.attempts, 1);
    b.close();
  });

  test('a SocketState owning an fd from posix.socketpair: wait, retry, then close rejects a waiter', T, async () => {
    const [x, y] = posix.socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK!);
    const s = new SocketState(AF_UNIX, SOCK_STREAM, 0);
    s.own(x);
    const p = runAsync(s, new RecvOp());
    setTimeout(() => posix.send(y, 'raw'), 20);
    assert.equal((await p).toString(), 'raw');
    assert.equal(s.received, 3);
    const q = runAsync(s, new RecvOp());
    setTimeout(() => s.disown(true), 20);
    await assert.rejects(q, { code: 'ERR_SOCKET_CLOSED' });
    assert.equal(s.fd, -1);
    posix.close(y);
  });
});

describe('burst, lookup and liveness', () => {
  test('more than 32 immediate async completions in a row yield to the event loop', T, async () => {
    const { a, b, s } = pair();
    let immediateRan = false;
    let ranBefore = -1;
    setImmediate(() => { immediateRan = true; });
    for (let i = 0; i < 100; i++) {
      const op = new Countdown(0);
      assert.equal(await runAsync(s, op), 'done');
      if (immediateRan && ranBefore < 0) ranBefore = i;
    }
    assert.ok(ranBefore >= 0, 'a setImmediate scheduled before 100 immediate ops never ran during them');
    // Not every op yields (that would cost a loop turn per call), and not later than the 33rd.
    assert.ok(ranBefore >= 8 && ranBefore <= 33, `yielded first at op ${ranBefore}`);
    a.close(); b.close();
  });

  class Resolving extends Op<string> {
    readonly syscall = 'resolving';
    order: string[] = [];
    addresses: SocketAddress[] | null = null;
    failures: unknown[] = [];
    constructor(private readonly host: string) { super(); }
    start(_h: Handle, job: Job): void { job.lookup = { hp: hostPort(this.host, 0), af: AF_INET, type: SOCK_STREAM, passive: false }; }
    override found(addresses: SocketAddress[]): void { this.order.push('found'); this.addresses = addresses; }
    attempt(): string { this.order.push('attempt'); return 'ok'; }
    override failed(err: unknown): unknown { this.failures.push(err); return err; }
  }

  test('a lookup step: found() gets the resolved addresses before the first attempt, in both drivers', T, async () => {
    const { a, b, s } = pair();
    const op = new Resolving('localhost');
    assert.equal(await runAsync(s, op), 'ok');
    assert.deepEqual(op.order, ['found', 'attempt']);
    assert.ok(op.addresses!.length >= 1);
    assert.ok(op.addresses!.every((x) => x.family === 'inet'), JSON.stringify(op.addresses));
    assert.ok(op.addresses!.some((x) => x.family === 'inet' && x.address === '127.0.0.1' && x.port === 0), JSON.stringify(op.addresses));
    const sop = new Resolving('localhost');
    assert.equal(runSync(s, sop), 'ok');
    assert.deepEqual(sop.order, ['found', 'attempt']);
    assert.deepEqual(sop.addresses, op.addresses);
    a.close(); b.close();
  });

  test('a failed lookup goes through failed(), and no attempt is made', T, async () => {
    const { a, b, s } = pair();
    // A numeric IPv6 address for an AF_INET lookup fails without asking any DNS server.
    const op = new Resolving('::1');
    await assert.rejects(runAsync(s, op), { name: 'SocketError', syscall: 'getaddrinfo' });
    assert.deepEqual(op.order, []);
    assert.equal(op.failures.length, 1);
    const sop = new Resolving('::1');
    assert.throws(() => runSync(s, sop), { name: 'SocketError', syscall: 'getaddrinfo' });
    assert.deepEqual(sop.order, []);
    assert.equal(sop.failures.length, 1);
    a.close(); b.close();
  });

  const tsxLoader = import.meta.resolve('tsx');
  const indexUrl = new URL('../src/index.ts', import.meta.url).href;

  /**
   * Runs `body` (ESM, with Socket in scope) in a child that leaves its sockets open, and
   * checks the child printed `want` and then exited by itself, soon.
   */
  async function exitsByItself(body: string, want: string): Promise<void> {
    const script = `const { Socket } = await import(${JSON.stringify(indexUrl)});\n${body}`;
    const child = spawn(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let printedAt = 0;
    child.stdout.on('data', (d) => { out += d; if (!printedAt && out.includes('\n')) printedAt = performance.now(); });
    child.stderr.on('data', (d) => { err += d; });
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, sig) => resolve([c, sig])));
    clearTimeout(killer);
    const lingered = performance.now() - printedAt;
    assert.equal(out.trim(), want, err);
    assert.equal(signal, null, `the child was still running 5 s after it started (its op ended ${lingered | 0} ms before)`);
    assert.equal(code, 0, err);
    assert.ok(lingered < 2000, `the child lingered ${lingered | 0} ms after its op ended`);
  }

  // Fails against the Readiness of HEAD (bdc0b0a): it disarmed a direction nobody waits on in an
  // unref'd setImmediate, which never runs while the loop blocks in epoll on that still-armed,
  // ref'd uv_poll handle, so the process lingered ~8 s until something else woke the loop.
  test('a socket whose async op timed out does not keep the process alive', T, async () => {
    await exitsByItself(`
      const [a, b] = Socket.pair();
      globalThis.keep = [a, b];
      try { await a.recv(16, { timeout: 50 }); console.log('data'); process.exitCode = 3; }
      catch (err) { console.log(err.code); if (err.code !== 'ETIMEDOUT') process.exitCode = 4; }
    `, 'ETIMEDOUT');
  });

  test('a socket whose async op was aborted does not keep the process alive', T, async () => {
    await exitsByItself(`
      const [a, b] = Socket.pair();
      globalThis.keep = [a, b];
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      try { await a.recv(16, { signal: ac.signal }); console.log('data'); process.exitCode = 3; }
      catch (err) { console.log(err.name); if (err.name !== 'AbortError') process.exitCode = 4; }
    `, 'AbortError');
  });
});
