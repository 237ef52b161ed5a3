// Faults: peers that reset or vanish mid-transfer, EMFILE under a low fd
// limit, signals during blocking sync calls, close in awkward places, exit
// with operations pending. Each asserts that nothing is lost and nothing leaks.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Socket, SocketError } from '../src/index.ts';
import { fdCount, sleep } from './helpers.ts';

const child = new URL('./fixtures/fault-child.ts', import.meta.url).pathname;
const nodeArgs = ['--import', 'tsx', child];

async function connectedPair(): Promise<[Socket, Socket, Socket]> {
  const l = new Socket('inet', 'stream');
  l.bind('127.0.0.1:0');
  l.listen();
  const c = new Socket('inet', 'stream');
  await c.connect(l.localAddress());
  return [l, c, await l.accept()];
}

describe('faults', () => {
  test('a peer that resets mid-transfer: sendAll fails with ECONNRESET/EPIPE and says how much went out', async () => {
    const before = fdCount();
    const [l, c, s] = await connectedPair();
    const big = Buffer.alloc(16 << 20, 7);
    const sending = c.sendAll(big);
    let got = 0;
    while (got < 256 << 10) got += (await s.recv(65536)).length;
    s.setOption('linger', { on: true, timeout: 0 }); // close() sends RST
    s.close();
    const err = await sending.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof SocketError, String(err));
    assert.ok(['ECONNRESET', 'EPIPE'].includes(err.code), err.code);
    assert.equal(typeof err.syscall, 'string');
    assert.ok(typeof err.sent === 'number' && err.sent >= got && err.sent < big.length, `sent ${err.sent}`);
    c.close();
    l.close();
    assert.equal(fdCount(), before);
  });

  test('a peer killed mid-transfer: receive(n) ends with EOF and hands over every byte that arrived', async () => {
    const l = new Socket('inet', 'stream');
    l.bind('127.0.0.1:0');
    l.listen();
    const { port } = l.localAddress() as { port: number };
    // A writer that sends 100,000 bytes and then dies by SIGKILL, without closing anything.
    const p = spawn(process.execPath, ['-e', `const s = require('net').connect(${port}, '127.0.0.1', () => s.write(Buffer.alloc(100000, 1), () => process.kill(process.pid, 'SIGKILL')));`]);
    const s = await l.accept();
    const err = await s.receive(1_000_000).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof SocketError, String(err));
    assert.ok(['EOF', 'ECONNRESET'].includes(err.code), err.code);
    assert.equal(err.partial?.length, 100000);
    assert.ok(err.partial!.every((b) => b === 1));
    await new Promise((r) => p.once('exit', r));
    s.close();
    l.close();
  });

  test('half-close: the peer shuts down its sending side, we still send, both sides see every byte', async () => {
    const [l, c, s] = await connectedPair();
    await c.sendAll('request\n');
    c.shutdown('send');
    assert.equal((await s.receive('all')).toString(), 'request\n'); // EOF after the request
    await s.sendAll('response after half-close\n');
    s.close();
    assert.equal((await c.receive('all')).toString(), 'response after half-close\n');
    c.close();
    l.close();
  });

  test('EMFILE under a low fd limit: a clean SocketError, no half-made socketpair, accept recovers, every fd freed', { skip: spawnSync('prlimit', ['--version']).status !== 0 && 'prlimit missing' }, () => {
    const r = spawnSync('prlimit', ['--nofile=64:64', process.execPath, ...nodeArgs, 'emfile'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(out.held > 10, `held ${out.held}`);
    assert.deepEqual(out.socketErr, { name: 'SocketError', code: 'EMFILE', errno: -24, syscall: 'socket', isSocketError: true });
    assert.equal(out.pairErr.code, 'EMFILE');
    assert.equal(out.pairErr.syscall, 'socketpair');
    assert.equal(out.pairLeak, 0);
    assert.equal(out.acceptErr.code, 'EMFILE');
    assert.equal(out.acceptErr.syscall, 'accept');
    assert.equal(out.echoed, 'after EMFILE');
    assert.equal(out.after, out.before);
  });

  test('signals every 2 ms during blocking sync calls: EINTR is retried, nothing lost, timeouts still hold', async () => {
    const l = new Socket('inet', 'stream');
    l.bind('127.0.0.1:0');
    l.listen();
    const p = spawn(process.execPath, [...nodeArgs, 'signals', String((l.localAddress() as { port: number }).port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: p.stdout! })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'ready');
    let sent = 0;
    const storm = setInterval(() => { if (p.exitCode === null) { p.kill('SIGUSR2'); sent++; } }, 2);
    try {
      const s = await l.accept();
      // 4 MiB in bursts with pauses, so that the child blocks (and is interrupted) often.
      const hash = createHash('sha256');
      for (let i = 0; i < 64; i++) {
        const chunk = Buffer.alloc(65536, i);
        hash.update(chunk);
        await s.sendAll(chunk);
        if (i % 8 === 7) await sleep(20);
      }
      s.shutdown('send');
      const port = Number((await s.receive('line')).toString());
      await sleep(100); // the child is blocked in acceptSync
      const c = new Socket('inet', 'stream');
      await c.connect({ family: 'inet', address: '127.0.0.1', port });
      await sleep(100); // ... and then in receiveSync('line')
      await c.sendAll('hello\n');
      const out = JSON.parse(String((await lines.next()).value));
      assert.equal(out.bytes, 64 * 65536);
      assert.equal(out.sha256, hash.digest('hex'));
      assert.equal(out.line, 'hello');
      assert.equal(out.timedOut.code, 'ETIMEDOUT');
      assert.ok(out.waited >= 290 && out.waited < 5000, `waited ${out.waited} ms for a 300 ms timeout`);
      assert.ok(out.signals > 10 && sent > 10, `${out.signals} signals handled, ${sent} sent`);
      c.close();
      s.close();
    } finally {
      clearInterval(storm);
      l.close();
    }
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => (p.exitCode !== null ? r([p.exitCode, null]) : p.once('exit', (c, s) => r([c, s]))));
    assert.deepEqual([code, signal], [0, null]);
  });

  test('process.exit() with accept, recv, recvFrom and readable pending: a normal exit', () => {
    const r = spawnSync(process.execPath, [...nodeArgs, 'exit-pending'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, null);
    assert.equal(r.status, 7, r.stderr);
  });

  test('close twice, close inside its own callbacks, close while another call waits', async () => {
    const before = fdCount();
    const [a, b] = Socket.pair('stream');
    a.close();
    a.close(); // a no-op, as for node:net destroy()
    assert.equal(a.closed, true);
    await assert.rejects(a.recv(), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.sendSync('x'), { code: 'ERR_SOCKET_CLOSED' });

    const [c, d] = Socket.pair('stream');
    // One recv closes the socket from its continuation while a second recv waits.
    const first = c.recv(1).then((data) => { c.close(); return data; });
    const second = c.recv(1);
    d.sendSync('x');
    assert.equal((await first).toString(), 'x');
    await assert.rejects(second, { code: 'ERR_SOCKET_CLOSED' });

    // Closing from inside an async iteration ends it.
    const l = new Socket('inet', 'stream');
    l.bind('127.0.0.1:0');
    l.listen();
    const conn = new Socket('inet', 'stream');
    await conn.connect(l.localAddress());
    let n = 0;
    for await (const peer of l) {
      n++;
      (peer as Socket).close();
      l.close();
    }
    assert.equal(n, 1);
    for (const s of [b, d, conn]) s.close();
    assert.equal(fdCount(), before);
  });
});
