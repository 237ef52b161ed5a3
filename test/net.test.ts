// Convenience constructors (LuaSocket's tcp()/udp() family and socket.connect/
// bind, lua-net's connect_*/bind_*), and the Socket layer's bad-input table.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Socket, tcp, tcp4, tcp6, udp, udp4, udp6, connect, listen, connectUnix, listenUnix, bindUdp, bindUnixDgram, SocketError,
} from '../src/index.ts';
import { abstractName, fdCount, hasIPv6, tmpPath } from './helpers.ts';

describe('tcp()/udp() and friends', () => {
  test('tcp() picks its family at the first bind or connect, applying options set before', async () => {
    const s = tcp();
    assert.equal(s.fd, -1);
    assert.equal(s.closed, false);
    s.setOption('reuseaddr', true);
    s.setOption('tcp-nodelay', true);
    assert.equal(s.getOption('reuseaddr'), true, 'remembered before the socket exists');
    s.bind('127.0.0.1:0');
    assert.equal(s.family, 'inet');
    assert.ok(s.fd >= 0);
    assert.equal(s.getOption('reuseaddr'), true);
    assert.equal(s.getOption('tcp-nodelay'), true, 'applied once the fd was made');
    s.listen();
    if (hasIPv6) {
      const c = tcp();
      await c.connect({ family: 'inet6', address: '::ffff:127.0.0.1', port: (s.localAddress() as { port: number }).port });
      assert.equal(c.family, 'inet6');
      c.close();
    }
    const d = tcp();
    await d.connect(s.localAddress());
    assert.equal(d.family, 'inet');
    d.close();
    s.close();
  });

  test('a tcp() socket without a family reports ENOTCONN for I/O, and closes cleanly', async () => {
    const s = tcp();
    await assert.rejects(s.recv(), { code: 'ENOTCONN' });
    assert.throws(() => s.localAddress(), { code: 'ENOTCONN' });
    s.close();
    assert.equal(s.closed, true);
    await assert.rejects(s.recv(), { code: 'ERR_SOCKET_CLOSED' });
  });

  test('udp() picks its family at the first sendTo', async () => {
    const r = udp4();
    r.bind('127.0.0.1:0');
    const s = udp();
    await s.sendTo('first', r.localAddress());
    assert.equal(s.family, 'inet');
    assert.equal((await r.recvFrom()).data.toString(), 'first');
    r.close();
    s.close();
  });

  test('tcp4/udp4 are inet; tcp6/udp6 are inet6 with ipv6-v6only set', { skip: !hasIPv6 && 'no IPv6' }, () => {
    for (const [make, type] of [[tcp4, 'stream'], [udp4, 'dgram']] as const) {
      const s = make();
      assert.equal(s.family, 'inet');
      assert.equal(s.type, type);
      s.close();
    }
    for (const [make, type] of [[tcp6, 'stream'], [udp6, 'dgram']] as const) {
      const s = make();
      assert.equal(s.family, 'inet6');
      assert.equal(s.type, type);
      assert.equal(s.getOption('ipv6-v6only'), true);
      s.close();
    }
  });
});

describe('connect / listen', () => {
  test('listen(host, port) with reuseaddr on by default; connect(host, port) reaches it', async () => {
    const l = listen('127.0.0.1', 0, { backlog: 16 });
    assert.equal(l.getOption('reuseaddr'), true);
    assert.equal(l.getOption('acceptconn'), true);
    const port = (l.localAddress() as { port: number }).port;
    const [c, conn] = await Promise.all([connect('localhost', port, { timeout: 5000 }), l.accept()]);
    await c.send('hi');
    assert.equal((await conn.recv()).toString(), 'hi');
    [l, c, conn].forEach((s) => s.close());
    const l2 = listen('127.0.0.1', 0, { reuseaddr: false, reuseport: true });
    assert.equal(l2.getOption('reuseaddr'), false);
    assert.equal(l2.getOption('reuseport'), true);
    l2.close();
  });

  test("listen('*', port) binds the wildcard; family and ipv6Only choose the socket", { skip: !hasIPv6 && 'no IPv6' }, () => {
    const a = listen('*', 0, { family: 'inet' });
    assert.equal((a.localAddress() as { address: string }).address, '0.0.0.0');
    a.close();
    const b = listen('::1', 0, { family: 'inet6', ipv6Only: true });
    assert.equal(b.getOption('ipv6-v6only'), true);
    b.close();
    const c = listen('::1', 0, { ipv6Only: true });
    assert.equal(c.family, 'inet6');
    assert.equal(c.getOption('ipv6-v6only'), true);
    c.close();
  });

  test('reuseport lets two listeners share a port', () => {
    const a = listen('127.0.0.1', 0, { reuseport: true });
    const port = (a.localAddress() as { port: number }).port;
    const b = listen('127.0.0.1', port, { reuseport: true });
    assert.equal((b.localAddress() as { port: number }).port, port);
    a.close();
    b.close();
    const c = listen('127.0.0.1', 0);
    const port2 = (c.localAddress() as { port: number }).port;
    assert.throws(() => listen('127.0.0.1', port2), { code: 'EADDRINUSE' });
    c.close();
  });

  test('connect reports the last failure, with every attempt listed, and leaks nothing', async () => {
    const probe = new Socket('inet', 'stream');
    probe.bind('127.0.0.1:0');
    const port = (probe.localAddress() as { port: number }).port;
    probe.close();
    const before = fdCount();
    await assert.rejects(connect('127.0.0.1', port), (err: SocketError) => err.code === 'ECONNREFUSED' && err.port === port);
    await assert.rejects(connect('no-such-host.invalid', 80), { code: 'ENOTFOUND', syscall: 'getaddrinfo' });
    assert.equal(fdCount(), before);
  });

  test('connect honours its deadline against a full backlog', async () => {
    const l = listen('127.0.0.1', 0, { backlog: 0 });
    const port = (l.localAddress() as { port: number }).port;
    const fillers: Socket[] = [];
    let err: unknown;
    for (let i = 0; i < 6 && !err; i++) {
      await connect('127.0.0.1', port, { timeout: 200 }).then((s) => fillers.push(s), (e) => { err = e; });
    }
    assert.equal((err as SocketError).code, 'ETIMEDOUT');
    [l, ...fillers].forEach((s) => s.close());
  });
});

describe('Unix helpers', () => {
  for (const type of ['stream', 'seqpacket'] as const) {
    test(`listenUnix / connectUnix (${type})`, async () => {
      for (const path of [tmpPath(type), abstractName(type)]) {
        const l = listenUnix(path, { type, backlog: 4 });
        const [c, conn] = await Promise.all([connectUnix(path, { type, timeout: 2000 }), l.accept()]);
        assert.equal(c.type, type);
        await c.send('unix');
        assert.equal((await conn.recv()).toString(), 'unix');
        [l, c, conn].forEach((s) => s.close());
      }
    });
  }

  test('connectUnix to a missing path fails with ENOENT and leaks nothing', async () => {
    const before = fdCount();
    const path = tmpPath('missing');
    await assert.rejects(connectUnix(path), { code: 'ENOENT', path });
    assert.equal(fdCount(), before);
  });

  test('bindUdp and bindUnixDgram', async () => {
    const u = bindUdp('127.0.0.1', 0, { reuseaddr: true });
    assert.equal(u.getOption('reuseaddr'), true);
    const d = bindUnixDgram(abstractName('dg'));
    const e = bindUnixDgram('');
    await e.sendTo('to d', d.localAddress());
    const r = await d.recvFrom();
    assert.equal(r.data.toString(), 'to d');
    assert.deepEqual(r.address, e.localAddress());
    [u, d, e].forEach((s) => s.close());
  });
});

describe('Socket bad input: TypeError/RangeError, nothing created or leaked', () => {
  const cases: [string, () => unknown, string][] = [
    ['unknown family name', () => new Socket('appletalk' as never, 'stream'), 'ERR_INVALID_ARG_VALUE'],
    ['family of the wrong type', () => new Socket({} as never, 'stream'), 'ERR_INVALID_ARG_TYPE'],
    ['unknown type name', () => new Socket('inet', 'reliable' as never), 'ERR_INVALID_ARG_VALUE'],
    ['unknown protocol name', () => new Socket('inet', 'stream', 'tcpish'), 'ERR_INVALID_ARG_VALUE'],
    ['protocol out of range', () => new Socket('inet', 'stream', -1), 'ERR_OUT_OF_RANGE'],
    ['Socket.from with a string', () => Socket.from('3' as never), 'ERR_INVALID_ARG_TYPE'],
    ['Socket.pair with a bad type', () => Socket.pair('nope' as never), 'ERR_INVALID_ARG_VALUE'],
    ['listen on an unknown service name', () => listen('127.0.0.1', 'no-such-service'), 'EAI_SERVICE'],
  ];
  for (const [name, fn, code] of cases) {
    test(name, () => {
      const before = fdCount();
      assert.throws(fn, { code });
      assert.equal(fdCount(), before);
    });
  }

  test('recvFrom validates its options even when a datagram is already queued', async () => {
    const [a, b] = Socket.pair('dgram');
    a.sendManySync(['1', '2', '3']);
    await assert.rejects(b.recvFrom(16, { timeout: NaN }), { code: 'ERR_OUT_OF_RANGE' }); // a negative timeout is no limit now (LuaSocket); NaN is the bad one
    await assert.rejects(b.recvFrom(16, { signal: 'no' } as never), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(b.recvFrom(16, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await assert.rejects(b.recvFrom(-1), { code: 'ERR_OUT_OF_RANGE' });
    assert.equal((await b.recvFrom(16, { timeout: 100 })).data.toString(), '1', 'nothing was consumed by the refused calls');
    a.close();
    b.close();
  });

  test('method arguments', async () => {
    const s = new Socket('inet', 'dgram');
    const before = fdCount();
    assert.throws(() => s.bind('no-port-here'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => s.bind({ host: 'localhost', port: 70000 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => s.bind({ family: 'inet', address: '127.0.0.1', port: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(s.send(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(s.recv(-1), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(s.recvInto('x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(s.recv(10, { timeout: NaN }), { code: 'ERR_OUT_OF_RANGE' }); // -5 would be no limit (LuaSocket's negative timeouts)
    await assert.rejects(s.recv(10, { timeout: 'soon' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(s.recv(10, { signal: {} as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(s.sendTo('x', 'localhost:80:90'), { code: 'ERR_INVALID_ARG_VALUE' });
    await assert.rejects(s.receive('*x' as never), { code: 'ERR_INVALID_ARG_VALUE' });
    await assert.rejects(s.receive(-3), { code: 'ERR_INVALID_ARG_VALUE' });
    await assert.rejects(s.receive(3, 42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(s.sendMsg({ fds: ['x'] } as never), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(s.recvMsg({ maxFds: 1000 }), { code: 'ERR_OUT_OF_RANGE' });
    s.setTimeout(-1); // LuaSocket: "Negative timeout values have the same effect" as nil
    assert.equal(s.getTimeout().block, null);
    assert.throws(() => s.setTimeout(10, 'sometimes' as never), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => s.setBlocking('no' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => s.shutdown('sideways' as never), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => s.listen(1.5), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => s.setStats(-1, 0, 0), { code: 'ERR_OUT_OF_RANGE' });
    assert.equal(fdCount(), before);
    s.close();
  });
});
