// The input rules of ../shared/API.md ("Input rules that hold for every entry
// point"), table-driven: every public entry point x every address spelling x
// hostile value classes (fixtures/input-rules.ts). Each row must be refused
// with its error class and code, an async entry point must return a rejected
// Promise (never throw synchronously), and no fd may be left behind; that no
// row reaches the kernel is checked under strace by test/audit.test.ts. Then
// the refusals that need a socket in a particular state: buffers detached
// while a call waits, fds on a non-Unix socket, and ports used exactly as
// given in every spelling.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Socket, bindUdp, connect, listen, tcp, udp } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { buildRows, makeFixtures, runRow } from './fixtures/input-rules.ts';
import { fdCount, hasIPv6, noFdLeak } from './helpers.ts';

const T = { timeout: 120_000 };

describe('the rejected-input table', () => {
  test('every row is refused with its error class and code, asynchronously where the call is async, leaving no fd', T, async () => {
    const before = fdCount();
    const f = makeFixtures(hasIPv6);
    const rows = buildRows(f);
    const failures: string[] = [];
    for (const row of rows) {
      const problem = await runRow(row);
      if (problem) failures.push(problem);
    }
    // Refused calls changed nothing: the sockets are as they were made.
    assert.equal(f.tcpDeferred.fd, -1, 'no refused call gave tcp() an fd');
    assert.equal(f.udpDeferred.fd, -1, 'no refused call gave udp() an fd');
    assert.equal((f.inetStream.localAddress() as { port: number }).port, 0, 'no refused bind bound the socket');
    assert.throws(() => f.inetStream.remoteAddress(), { code: 'ENOTCONN' }, 'no refused connect connected it');
    f.close();
    assert.deepEqual(failures.slice(0, 60), [], `${failures.length} of ${rows.length} rows: see above`);
    assert.ok(rows.length > 2500, `${rows.length} rows`);
    const entries = new Set(rows.map((r) => r.entry.replace(/ \(.*\)$/, '')));
    assert.ok(entries.size > 90, `${entries.size} entry points`);
    assert.ok(rows.filter((r) => r.async).length > 800, 'async rows');
    assert.equal(fdCount(), before);
  });

  test('an argument error about a detached DataView is a coded error', T, () => {
    const ab = new ArrayBuffer(8);
    const dv = new DataView(ab);
    structuredClone(ab, { transfer: [ab] });
    const s = new Socket('inet', 'dgram');
    try {
      assert.throws(() => s.getsockopt(dv as never, 'SO_TYPE'), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => s.setTimeout(10, dv as never), { code: 'ERR_INVALID_ARG_VALUE' });
    } finally {
      s.close();
    }
  });

  test('an fd that node:net watches, or that a live Socket owns, is refused (EEXIST) and keeps working', T, async () => {
    const server = net.createServer((c) => c.on('data', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    c.on('data', () => {});
    await new Promise((r) => setImmediate(r));
    const fd = (c as unknown as { _handle: { fd: number } })._handle.fd;
    const [a, b] = Socket.pair('dgram');
    try {
      await noFdLeak(() => {
        assert.throws(() => Socket.from(fd), { name: 'SocketError', code: 'EEXIST' });
        assert.throws(() => Socket.from(a.fd), { name: 'SocketError', code: 'EEXIST' });
      });
      assert.equal(c.write('still alive'), true);
      await a.send('still mine');
      assert.equal((await b.recv()).toString(), 'still mine');
    } finally {
      a.close();
      b.close();
      c.destroy();
      server.close();
    }
  });
});

/** A Unix stream pair whose send buffer fills after a few KiB, so that a large send waits. */
function tightPair(): [Socket, Socket] {
  const [a, b] = Socket.pair('stream');
  a.setOption('sndbuf', 4096);
  b.setOption('rcvbuf', 4096);
  return [a, b];
}

/** Reads and counts everything `b` has, until nothing arrives for 50 ms. */
async function drain(b: Socket): Promise<number> {
  let n = 0;
  for (;;) {
    try {
      n += (await b.recv(1 << 16, { timeout: 50 })).length;
    } catch (err) {
      if ((err as { code?: string }).code === 'ETIMEDOUT') return n;
      throw err;
    }
  }
}

/** An ArrayBuffer's view, and a way to detach it later (transfer it away). */
function detachable(size: number): { view: Uint8Array; detach: () => void } {
  const ab = new ArrayBuffer(size);
  return { view: new Uint8Array(ab).fill(0x61), detach: () => { structuredClone(ab, { transfer: [ab] }); } };
}

describe('buffers detached while a call waits', () => {
  test('sendAll: a TypeError that carries how much was sent (sent, and lastIndex for the i/j form)', T, async () => {
    for (const indexed of [false, true]) {
      const [a, b] = tightPair();
      const { view, detach } = detachable(1 << 20);
      const p: Promise<unknown> = indexed ? a.sendAll(view, 1, -1) : a.sendAll(view);
      detach(); // the first send(2) went out, the rest waits for room
      const got = drain(b);
      const err = await p.then(() => assert.fail('sendAll of a detached buffer succeeded'), (e: unknown) => e as TypeError & { code: string; sent: number; lastIndex?: number });
      assert.equal(err.name, 'TypeError');
      assert.equal(err.code, 'ERR_INVALID_ARG_VALUE');
      assert.match(err.message, /detached/);
      const received = await got;
      assert.ok(err.sent > 0 && err.sent < 1 << 20, `sent ${err.sent}`);
      assert.equal(err.sent, received, 'sent is exactly what the peer got');
      if (indexed) assert.equal(err.lastIndex, err.sent, 'lastIndex: the 1-based index of the last byte sent');
      else assert.equal(err.lastIndex, undefined);
      a.close();
      b.close();
    }
  });

  test('send: refused rather than sending an empty message', T, async () => {
    const [c, d] = tightPair();
    for (;;) {
      try { c.sendSync(Buffer.alloc(8192), { timeout: 0 }); } catch { break; }
    }
    const big = detachable(8192);
    const waiting = c.send(big.view);
    big.detach();
    const drained = drain(d);
    await assert.rejects(waiting, { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    await drained;
    c.close();
    d.close();
  });

  test('recvInto: refused rather than reporting end of stream with data queued', T, async () => {
    const [a, b] = Socket.pair('stream');
    const { view, detach } = detachable(64);
    const p = b.recvInto(view);
    detach();
    await a.send('queued');
    await assert.rejects(p, { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.equal((await b.recv()).toString(), 'queued', 'the data is still there');
    a.close();
    b.close();
  });

  test('recvMany into a detached buffer: refused, the datagram stays queued', T, async () => {
    const [a, b] = Socket.pair('dgram');
    const { view, detach } = detachable(4096);
    const p = b.recvMany({ buffer: view, maxMessages: 2, size: 2048 });
    detach();
    await a.send('dgram');
    await assert.rejects(p, { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.equal((await b.recv()).toString(), 'dgram');
    a.close();
    b.close();
  });
});

describe('fds and credentials only where the kernel carries them', () => {
  test('on TCP, UDP and tcp()/udp() sockets they are refused before the system call', T, async () => {
    const rx = bindUdp('127.0.0.1', 0);
    const to = rx.localAddress();
    const tx = new Socket('inet', 'dgram');
    const u = udp();
    const fd = posix.socket(posix.AF_INET, posix.SOCK_DGRAM);
    for (const m of [{ data: 'x', address: to, fds: [fd] }, { data: 'x', address: to, credentials: { pid: process.pid, uid: 0, gid: 0 } }]) {
      await assert.rejects(tx.sendMsg(m), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => tx.sendMsgSync(m), { code: 'ERR_INVALID_ARG_VALUE' });
      await assert.rejects(tx.sendMany(['before', m]), { code: 'ERR_INVALID_ARG_VALUE' });
      await assert.rejects(u.sendMsg(m), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    assert.equal(u.fd, -1, 'udp() got no fd');
    await assert.rejects(rx.recv(16, { timeout: 50 }), { code: 'ETIMEDOUT' }, 'nothing was sent, not even the first of sendMany');
    // An empty fds list is no fds: it sends.
    assert.equal(await tx.sendMsg({ data: 'ok', address: to, fds: [] }), 2);
    assert.equal((await rx.recv(16, { timeout: 2000 })).toString(), 'ok');
    posix.close(fd);
    for (const s of [rx, tx, u]) s.close();
  });

  test('on Unix sockets they still go through', T, async () => {
    const [a, b] = Socket.pair('dgram');
    b.setOption('passcred', true);
    const fd = posix.socket(posix.AF_INET, posix.SOCK_DGRAM);
    await a.sendMsg({ data: 'fd', fds: [fd], credentials: { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() } });
    const m = await b.recvMsg();
    assert.equal(m.fds.length, 1);
    assert.equal(m.credentials?.pid, process.pid);
    for (const x of [fd, ...m.fds]) posix.close(x);
    a.close();
    b.close();
  });
});

describe('ports are used exactly as given, in every spelling', () => {
  /** A port that is free on 127.0.0.1 right now. */
  function freePort(type: 'stream' | 'dgram'): number {
    const s = new Socket('inet', type);
    s.bind('127.0.0.1:0');
    const p = (s.localAddress() as { port: number }).port;
    s.close();
    return p;
  }

  test('bind, listen, bindUdp and connect land on the port they were given', T, async () => {
    const spellings: [string, (p: number) => unknown][] = [
      ["'host:port'", (p) => `127.0.0.1:${p}`],
      ['{ host, port }', (p) => ({ host: '127.0.0.1', port: p })],
      ['{ host, port: string }', (p) => ({ host: '127.0.0.1', port: String(p) })],
      ['SocketAddress', (p) => ({ family: 'inet', address: '127.0.0.1', port: p })],
    ];
    for (const [label, spell] of spellings) {
      for (const make of [() => new Socket('inet', 'stream'), tcp]) {
        const p = freePort('stream');
        const s = make();
        s.setOption('reuseaddr', true);
        s.bind(spell(p) as string);
        assert.equal((s.localAddress() as { port: number }).port, p, `bind ${label}`);
        s.listen();
        const c = new Socket('inet', 'stream');
        await c.connect(spell(p) as string, { timeout: 2000 });
        assert.equal((c.remoteAddress() as { port: number }).port, p, `connect ${label}`);
        const conn = await s.accept({ timeout: 2000 });
        for (const x of [c, conn, s]) x.close();
      }
    }
    for (const port of [(p: number) => p, (p: number) => String(p)]) {
      const p = freePort('stream');
      const l = listen('127.0.0.1', port(p) as number);
      assert.equal((l.localAddress() as { port: number }).port, p);
      const c = await connect('127.0.0.1', port(p) as number, { timeout: 2000 });
      assert.equal((c.remoteAddress() as { port: number }).port, p);
      c.close();
      l.close();
      const q = freePort('dgram');
      const u = bindUdp('127.0.0.1', port(q) as number);
      assert.equal((u.localAddress() as { port: number }).port, q);
      u.close();
    }
  });

  test('sendTo reaches the port given in every spelling, and the receiver sees the sender\'s bound port', T, async () => {
    const rx = bindUdp('127.0.0.1', 0);
    const p = (rx.localAddress() as { port: number }).port;
    const tx = bindUdp('127.0.0.1', 0);
    const from = (tx.localAddress() as { port: number }).port;
    for (const to of [`127.0.0.1:${p}`, { family: 'inet' as const, address: '127.0.0.1', port: p }]) {
      await tx.sendTo('x', to);
      const d = await rx.recvFrom(16, { timeout: 2000 });
      assert.equal((d.address as { port: number }).port, from);
    }
    await tx.sendMsg({ data: 'm', address: { family: 'inet', address: '127.0.0.1', port: p } });
    assert.equal((await rx.recvFrom(16, { timeout: 2000 })).data.toString(), 'm');
    rx.close();
    tx.close();
  });
});
