// Timeouts ('block' and 'total', per call, timeout 0), cancellation, closing
// with operations pending, use after close, refused and timed-out connects,
// EPIPE/ECONNRESET. Timing bounds are generous: they check behaviour, not speed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Socket, SocketError, select } from '../src/index.ts';
import { fullBacklog, sleep, tmpPath } from './helpers.ts';

function tcpPair(): Promise<[Socket, Socket, Socket]> {
  const server = new Socket('inet', 'stream');
  server.bind('127.0.0.1:0');
  server.listen();
  const client = new Socket('inet', 'stream');
  return Promise.all([server.accept(), client.connect(server.localAddress())]).then(([conn]) => [server, client, conn]);
}

const elapsed = (t0: number) => performance.now() - t0;

describe('timeouts', () => {
  test("'block' bounds each wait: recv and recvSync time out with ETIMEDOUT", async () => {
    const [server, client, conn] = await tcpPair();
    conn.setTimeout(100);
    assert.deepEqual(conn.getTimeout(), { block: 100, total: null });
    let t0 = performance.now();
    await assert.rejects(conn.recv(), (err: SocketError) => {
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(err.syscall, 'recv');
      assert.ok(err.errno! < 0);
      return true;
    });
    assert.ok(elapsed(t0) >= 90 && elapsed(t0) < 5000, `async waited ${elapsed(t0)} ms`);
    t0 = performance.now();
    assert.throws(() => conn.recvSync(), { code: 'ETIMEDOUT' });
    assert.ok(elapsed(t0) >= 90 && elapsed(t0) < 5000, `sync waited ${elapsed(t0)} ms`);
    [server, client, conn].forEach((s) => s.close());
  });

  test("'total' bounds the whole call while 'block' alone lets a trickle through", async () => {
    const [server, client, conn] = await tcpPair();
    const trickle = async () => { for (let i = 0; i < 8; i++) { await sleep(60); await client.send('x'); } };
    // Each byte arrives within 60 ms: a 300 ms block timeout never fires.
    conn.setTimeout(300, 'block');
    let feeding = trickle();
    assert.equal((await conn.receive(8)).toString(), 'xxxxxxxx');
    await feeding;
    // A 200 ms total timeout ends the call before all 8 bytes came.
    conn.setTimeout(200, 'total');
    assert.deepEqual(conn.getTimeout(), { block: 300, total: 200 });
    feeding = trickle();
    const t0 = performance.now();
    await assert.rejects(conn.receive(8), (err: SocketError) => {
      assert.equal(err.code, 'ETIMEDOUT');
      assert.ok(err.partial!.length >= 1 && err.partial!.length < 8, `partial holds ${err.partial!.length} bytes`);
      return true;
    });
    assert.ok(elapsed(t0) >= 150 && elapsed(t0) < 5000);
    await feeding;
    [server, client, conn].forEach((s) => s.close());
  });

  test('a per-call timeout applies on top of the socket timeouts, for accept and connect too', async () => {
    const server = new Socket('inet', 'stream');
    server.bind('127.0.0.1:0');
    server.listen();
    let t0 = performance.now();
    await assert.rejects(server.accept({ timeout: 80 }), { code: 'ETIMEDOUT', syscall: 'accept' });
    assert.ok(elapsed(t0) >= 70 && elapsed(t0) < 5000);
    t0 = performance.now();
    assert.throws(() => server.acceptSync({ timeout: 80 }), { code: 'ETIMEDOUT' });
    assert.ok(elapsed(t0) >= 70);
    server.close();
  });

  test('timeout 0 (LuaSocket non-blocking): would-block calls fail at once', async () => {
    const [server, client, conn] = await tcpPair();
    conn.setTimeout(0);
    const t0 = performance.now();
    await assert.rejects(conn.recv(), { code: 'ETIMEDOUT' });
    assert.throws(() => conn.recvSync(), { code: 'ETIMEDOUT' });
    assert.ok(elapsed(t0) < 1000);
    await client.send('ready');
    await sleep(20);
    assert.equal(conn.recvSync().toString(), 'ready', 'data already there is returned');
    conn.setBlocking(true);
    assert.deepEqual(conn.getTimeout(), { block: null, total: null });
    conn.setBlocking(false);
    assert.deepEqual(conn.getTimeout(), { block: 0, total: null });
    [server, client, conn].forEach((s) => s.close());
  });

  test('sync request/response keeps timeout semantics whether the read tries or waits first', () => {
    const [a, b] = Socket.pair('stream');
    a.setTimeout(80);
    for (let round = 0; round < 2; round++) {
      // Round 0 tries first and has to wait; round 1 therefore waits first. Both time out alike.
      a.sendSync(`q${round}`);
      const t0 = performance.now();
      assert.throws(() => a.recvSync(), { code: 'ETIMEDOUT' });
      assert.ok(elapsed(t0) >= 70 && elapsed(t0) < 5000, `round ${round} waited ${elapsed(t0)} ms`);
    }
    a.setTimeout(0);
    a.sendSync('q2');
    const t1 = performance.now();
    assert.throws(() => a.recvSync(), { code: 'ETIMEDOUT' }, 'timeout 0 never waits, even after a send');
    assert.ok(elapsed(t1) < 1000);
    b.sendSync('r');
    a.sendSync('q3');
    assert.equal(a.recvSync().toString(), 'r', 'data already there is returned at timeout 0');
    assert.equal(b.recvSync(100).toString(), 'q0q1q2q3');
    a.close();
    b.close();
  });

  test('sendAll with timeout 0 against a full buffer reports how much went out', async () => {
    const [server, client, conn] = await tcpPair();
    client.setOption('sndbuf', 4096);
    client.setTimeout(0);
    const big = Buffer.alloc(8 << 20, 0x61);
    await assert.rejects(client.sendAll(big), (err: SocketError) => {
      assert.equal(err.code, 'ETIMEDOUT');
      assert.ok(err.sent! > 0 && err.sent! < big.length, `sent ${err.sent}`);
      return true;
    });
    [server, client, conn].forEach((s) => s.close());
  });

  test('connect times out against a listener with a full backlog (async and sync)', async () => {
    const { server, fillers } = await fullBacklog();
    const c = new Socket('inet', 'stream');
    let t0 = performance.now();
    await assert.rejects(c.connect(server.localAddress(), { timeout: 150 }), (err: SocketError) => {
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(err.syscall, 'connect');
      assert.equal(err.address, '127.0.0.1');
      return true;
    });
    assert.ok(elapsed(t0) >= 130 && elapsed(t0) < 5000);
    const d = new Socket('inet', 'stream');
    d.setTimeout(150);
    t0 = performance.now();
    assert.throws(() => d.connectSync(server.localAddress()), { code: 'ETIMEDOUT' });
    assert.ok(elapsed(t0) >= 130 && elapsed(t0) < 5000);
    [c, d, server, ...fillers].forEach((s) => s.close());
  });

  test('a Unix connect to a full backlog times out too', async () => {
    const path = tmpPath('full');
    const server = new Socket('unix', 'stream');
    server.bind(path);
    server.listen(0);
    const fillers: Socket[] = [];
    let err: unknown;
    for (let i = 0; i < 4 && !err; i++) {
      const c = new Socket('unix', 'stream');
      fillers.push(c);
      await c.connect(path, { timeout: 150 }).catch((e) => { err = e; });
    }
    assert.equal((err as SocketError)?.code, 'ETIMEDOUT');
    [server, ...fillers].forEach((s) => s.close());
  });
});

describe('cancellation', () => {
  test('an AbortSignal cancels a pending recv, accept and connect with AbortError', async () => {
    const [server, client, conn] = await tcpPair();
    const ac = new AbortController();
    const pending = conn.recv(10, { signal: ac.signal });
    const acc = server.accept({ signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 20);
    for (const p of [pending, acc]) {
      await assert.rejects(p, (err: Error & { code?: string; cause?: unknown }) => {
        assert.equal(err.name, 'AbortError');
        assert.equal(err.code, 'ABORT_ERR');
        assert.equal((err.cause as Error).message, 'stop');
        return true;
      });
    }
    // The socket still works after a cancelled read.
    await client.send('after');
    assert.equal((await conn.recv()).toString(), 'after');
    // An already aborted signal fails before any system call, async and sync.
    await assert.rejects(conn.recv(10, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.throws(() => conn.recvSync(10, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    const { server: full, fillers } = await fullBacklog();
    const c = new Socket('inet', 'stream');
    await assert.rejects(c.connect(full.localAddress(), { signal: AbortSignal.timeout(50) }), { name: 'AbortError' });
    [server, client, conn, full, c, ...fillers].forEach((s) => s.close());
  });
});

describe('closing', () => {
  test('a timeout longer than 2^31-1 ms does not fire early (Node timers would after 1 ms)', async () => {
    const [a, b] = Socket.pair('stream');
    const long = 2 ** 31 + 1000;
    setTimeout(() => b.sendSync('late'), 50);
    assert.equal((await a.recv(16, { timeout: long })).toString(), 'late');
    a.setTimeout(long, 'total');
    setTimeout(() => b.sendSync('later'), 50);
    assert.equal((await a.recv(16)).toString(), 'later');
    setTimeout(() => b.sendSync('!'), 50);
    assert.deepEqual((await select([a], [], long)).readable, [a]);
    a.close();
    b.close();
  });

  test('close() rejects every pending operation with ERR_SOCKET_CLOSED', async () => {
    const [server, client, conn] = await tcpPair();
    const [server2, writer, reader] = await tcpPair(); // reader never reads: writer blocks
    writer.setOption('sndbuf', 4096);
    const ops = [
      conn.recv(),
      conn.receive('line'),
      conn.readable(),
      server.accept(),
      writer.sendAll(Buffer.alloc(64 << 20)),
    ];
    await sleep(30);
    conn.close();
    server.close();
    writer.close();
    [client, server2, reader].forEach((s) => s.close());
    for (const op of ops) await assert.rejects(op, { code: 'ERR_SOCKET_CLOSED' });
    assert.equal(conn.fd, -1);
    assert.equal(conn.closed, true);
    conn.close(); // idempotent
  });

  test('a closed socket never touches its old fd number, even once it is reused', async () => {
    const [a, b] = Socket.pair('dgram');
    const old = a.fd;
    a.close();
    const [c, d] = Socket.pair('dgram');
    const reused = [c, d].find((s) => s.fd === old);
    assert.ok(reused, 'the kernel handed the same fd number to a new socket');
    await assert.rejects(a.send('x'), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.sendSync('x'), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.recvSync(), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.localAddress(), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.setOption('rcvbuf', 1024), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.shutdown(), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.bind('/tmp/x'), { code: 'ERR_SOCKET_CLOSED' });
    await assert.rejects(a.connect('/tmp/x'), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.detach(), { code: 'ERR_SOCKET_CLOSED' });
    // Nothing was sent through the reused number.
    const other = reused === c ? d : c;
    other.setTimeout(0);
    assert.throws(() => other.recvSync(), { code: 'ETIMEDOUT' });
    [b, c, d].forEach((s) => s.close());
  });

  test('closing inside a callback of a pending operation is safe', async () => {
    const [a, b] = Socket.pair('stream');
    const got = b.recv().then((buf) => { b.close(); return buf; });
    const second = b.recv(); // queued behind the first, rejected by its close
    await a.send('x');
    assert.equal((await got).toString(), 'x');
    await assert.rejects(second, { code: 'ERR_SOCKET_CLOSED' });
    a.close();
  });

  test('a sync call waiting when the peer closes returns end of stream', async () => {
    const [a, b] = Socket.pair('stream');
    const { spawn } = await import('node:child_process');
    // A child process holds a copy of a and closes it after 100 ms.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 100)'], { stdio: ['ignore', 'ignore', 'ignore', a.fd] });
    a.close();
    const t0 = performance.now();
    b.setTimeout(5000);
    assert.equal(b.recvSync().length, 0);
    assert.ok(elapsed(t0) >= 50);
    await new Promise((r) => child.on('exit', r));
    b.close();
  });
});

describe('peer failures', () => {
  test('ECONNREFUSED, async and sync, reads like Node', async () => {
    const probe = new Socket('inet', 'stream');
    probe.bind('127.0.0.1:0');
    const port = (probe.localAddress() as { port: number }).port;
    probe.close();
    const c = new Socket('inet', 'stream');
    await assert.rejects(c.connect(`127.0.0.1:${port}`), { code: 'ECONNREFUSED', message: `connect ECONNREFUSED 127.0.0.1:${port}`, port });
    const d = new Socket('inet', 'stream');
    assert.throws(() => d.connectSync({ host: '127.0.0.1', port }), { code: 'ECONNREFUSED', syscall: 'connect' });
    c.close();
    d.close();
  });

  test('a reset peer gives ECONNRESET; a send after the peer is gone gives EPIPE; the process lives', async () => {
    const [server, client, conn] = await tcpPair();
    client.setOption('linger', { on: true, timeout: 0 });
    await conn.send('unread'); // unread data + linger 0 = RST on close
    await sleep(10);
    client.close();
    await sleep(20);
    await assert.rejects(async () => { for (;;) { if ((await conn.recv()).length === 0) throw new Error('EOF, not reset'); } }, { code: 'ECONNRESET' });
    const [a, b] = Socket.pair('stream');
    b.close();
    await assert.rejects(a.send('x'), { code: 'EPIPE', syscall: 'send' });
    assert.throws(() => a.sendAllSync('x'), (err: SocketError) => err.code === 'EPIPE' && err.sent === 0);
    [server, conn, a].forEach((s) => s.close());
  });
});
