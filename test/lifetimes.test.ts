// Lifetimes and ownership: a socket with nothing pending never keeps the
// process alive; an fd has one owner; nothing is created or left behind by a
// call that fails on its arguments; aborted Happy Eyeballs closes every attempt.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { Socket, connect, listen, listenUnix, tcp, udp } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { fdCount, fullBacklog, noFdLeak, tmpPath } from './helpers.ts';

const T = { timeout: 20_000 };
const child = new URL('./fixtures/exit-child.ts', import.meta.url).pathname;
const tsx = import.meta.resolve('tsx');

describe('a process with open sockets exits by itself after a wait ended', () => {
  const waits = ['recv', 'recvSync', 'receive', 'accept', 'acceptSync', 'readable', 'writable-total', 'connect', 'connectSync', 'abort', 'iterator-abort'];
  for (const which of waits) {
    test(`after ${which}`, T, () => {
      const r = spawnSync(process.execPath, ['--import', tsx, child, which], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.signal, null, `${which}: still running after 10 s (killed), stdout ${JSON.stringify(r.stdout)}`);
      assert.equal(r.status, 0, r.stderr);
      const [code, idle] = r.stdout.trim().split('\n');
      assert.match(code, /^(ETIMEDOUT|ABORT_ERR|AbortError)$/);
      assert.equal(idle, 'idle');
    });
  }
});

describe('one owner per fd', () => {
  test('Socket.from refuses an fd a live Socket owns, and leaves it working', T, async () => {
    const [a, b] = Socket.pair('dgram');
    try {
      await noFdLeak(() => assert.throws(() => Socket.from(a.fd), { name: 'SocketError', code: 'EEXIST' }));
      await a.send('still mine');
      assert.equal((await b.recv()).toString(), 'still mine');
    } finally {
      a.close();
      b.close();
    }
  });

  test('a detached fd can be adopted again; a closed Socket does not close its old number', T, async () => {
    const [a, b] = Socket.pair('dgram');
    const fd = a.detach();
    const again = Socket.from(fd);
    assert.equal(again.fd, fd);
    a.close(); // already detached: touches nothing
    await again.send('x');
    assert.equal((await b.recv()).toString(), 'x');
    again.close();
    b.close();
  });

  test('Socket.from refuses the fd of a node:net socket that is reading', T, async () => {
    const server = net.createServer((c) => c.on('data', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    c.on('data', () => {});
    await new Promise((r) => setImmediate(r)); // reading has started: libuv watches the fd
    const fd = (c as unknown as { _handle: { fd: number } })._handle.fd;
    try {
      assert.throws(() => Socket.from(fd), { code: 'EEXIST' });
      const dup = Socket.fromNodeSocket(c); // the supported way: a duplicate of the fd
      assert.notEqual(dup.fd, fd);
      dup.close();
      c.write('alive');
    } finally {
      c.destroy();
      server.close();
    }
  });
});

describe('node:net hand-over', () => {
  test('toNodeSocket on an unconnected or listening socket fails at the call and keeps the socket', T, () => {
    const s = new Socket('inet', 'stream');
    assert.throws(() => s.toNodeSocket(), { code: 'ENOTCONN' });
    assert.ok(s.fd >= 0);
    s.close();
    const l = listen('127.0.0.1', 0);
    assert.throws(() => l.toNodeSocket(), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.ok(l.fd >= 0);
    l.close();
  });
});

describe('nothing made on bad arguments', () => {
  test('connect() checks every option before resolving or making a socket', T, async () => {
    const bad: [string, Record<string, unknown>, string][] = [
      ['timeout', { timeout: 'x' }, 'ERR_INVALID_ARG_TYPE'],
      ['signal', { signal: {} }, 'ERR_INVALID_ARG_TYPE'],
      ['localAddress', { localAddress: 'not an address' }, 'ERR_INVALID_ARG_VALUE'],
      ['lookup', { lookup: 5 }, 'ERR_INVALID_ARG_TYPE'],
      ['happyEyeballs', { happyEyeballs: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [name, opts, code] of bad) {
      let looked = false;
      const lookup = opts.lookup ?? (() => { looked = true; return []; });
      await noFdLeak(() => assert.rejects(connect('127.0.0.1', 9, { ...opts, lookup } as never), { code }, name));
      assert.equal(looked, false, `${name}: looked up before refusing`);
    }
  });

  test('an aborted signal stops Happy Eyeballs before any attempt', T, async () => {
    const ac = new AbortController();
    ac.abort();
    const before = fdCount();
    await assert.rejects(connect('localhost', 9, { signal: ac.signal, lookup: () => [
      { family: 'inet6', address: '::1', port: 9 }, { family: 'inet', address: '127.0.0.1', port: 9 },
    ] }), { name: 'AbortError' });
    assert.equal(fdCount(), before);
  });

  test('an abort during the race closes every attempt', T, async () => {
    // Two listeners whose backlog is full: every attempt hangs until aborted.
    const full = fullBacklog;
    let v4: Awaited<ReturnType<typeof full>>, v6: Awaited<ReturnType<typeof full>>;
    try {
      v4 = await full('inet');
      v6 = await full('inet6');
    } catch {
      return; // no IPv6 here
    }
    const before = fdCount();
    const ac = new AbortController();
    const p = connect('dual', 0, { signal: ac.signal, attemptDelay: 10, lookup: () => [v6.server.localAddress(), v4.server.localAddress()] });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(p, { name: 'AbortError' });
    assert.equal(fdCount(), before, 'every attempt closed');
    for (const x of [v4, v6]) { x.server.close(); for (const f of x.fillers) f.close(); }
  });

  test('tcp() and udp() refuse Unix addresses instead of becoming Unix sockets', T, async () => {
    const path = tmpPath('tcp-unix');
    const t = tcp();
    assert.throws(() => t.bind(path), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.equal(existsSync(path), false);
    assert.equal(t.fd, -1);
    const u = udp();
    await assert.rejects(u.sendTo('x', { family: 'unix', path }), { code: 'ERR_INVALID_ARG_VALUE' });
    t.close();
    u.close();
  });

  test('listenUnix with a bad backlog leaves no socket file and no fd', T, async () => {
    const path = tmpPath('bad-backlog');
    await noFdLeak(() => assert.throws(() => listenUnix(path, { backlog: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' }));
    assert.equal(existsSync(path), false);
  });

  test('detached buffers are a TypeError, not an empty datagram or a false end of stream', T, async () => {
    const [a, b] = Socket.pair('dgram');
    const detached = (): Uint8Array => {
      const ab = new ArrayBuffer(8);
      const view = new Uint8Array(ab);
      structuredClone(ab, { transfer: [ab] });
      return view;
    };
    try {
      await a.send('queued');
      await assert.rejects(a.send(detached()), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => a.sendSync(detached()), { code: 'ERR_INVALID_ARG_VALUE' });
      await assert.rejects(b.recvInto(detached()), { code: 'ERR_INVALID_ARG_VALUE' });
      await assert.rejects(b.recvMany({ buffer: detached(), maxMessages: 1, size: 0 }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => posix.send(a.fd, detached()), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.equal((await b.recv()).toString(), 'queued', 'nothing was consumed or sent by the refused calls');
      assert.equal(await a.send(new Uint8Array(0)), 0, 'an empty view that is not detached still sends');
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('a second copy of the readiness module on one addon', () => {
  test('its sockets are woken by the dispatch the first copy set up, and it keeps the process alive while they wait', T, async () => {
    // A second import path evaluates io/readiness again over the same addon,
    // whose set and dispatch exist once per environment (readinessSetup
    // answers EALREADY): the two copies share their registry of fds.
    const copy = await import(`../src/io/readiness.ts?second-copy=${process.pid}`) as typeof import('../src/io/readiness.ts');
    const [a, b] = Socket.pair('stream');
    try {
      const r = new copy.Readiness(b.fd);
      const waiting = r.wait(copy.READ, performance.now() + 5000);
      setTimeout(() => a.sendSync('x'), 20);
      assert.equal(await waiting, true);
      r.close(new Error('done'));
    } finally {
      a.close();
      b.close();
    }
  });
});
