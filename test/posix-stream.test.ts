// berkeley/posix over real sockets: TCP on 127.0.0.1 and ::1, UDP, Unix
// stream/dgram/seqpacket by path and abstract name, socketpair of each type.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as p from '../src/posix.ts';
import { abstractName, fdCount, hasIPv6, isCloexec, isNonblocking, tmpPath } from './helpers.ts';

function tcpPair(family: 'inet' | 'inet6') {
  const af = family === 'inet' ? p.AF_INET : p.AF_INET6;
  const address = family === 'inet' ? '127.0.0.1' : '::1';
  const server = p.socket(af, p.SOCK_STREAM);
  p.setsockopt(server, p.SOL_SOCKET, p.SO_REUSEADDR, true);
  p.bind(server, { family, address, port: 0 });
  p.listen(server, 8);
  const bound = p.getsockname(server);
  const client = p.socket(af, p.SOCK_STREAM);
  p.connect(client, bound);
  const [conn, peer] = p.accept(server);
  return { server, client, conn, peer, bound };
}

for (const family of ['inet', 'inet6'] as const) {
  describe(`TCP over ${family === 'inet' ? '127.0.0.1' : '::1'}`, { skip: family === 'inet6' && !hasIPv6 && 'no IPv6 loopback' }, () => {
    test('bind, listen, connect, accept, send, recv, shutdown, close', () => {
      const before = fdCount();
      const { server, client, conn, peer, bound } = tcpPair(family);
      assert.equal(bound.family, family);
      assert.ok((bound as { port: number }).port > 0);
      assert.deepEqual(p.getpeername(client), bound);
      assert.deepEqual(p.getsockname(client), peer);
      assert.deepEqual(p.getpeername(conn), peer);
      assert.equal(p.send(client, 'hello, '), 7);
      assert.equal(p.send(client, Buffer.from('world')), 5);
      let got = '';
      while (got.length < 12) got += p.recv(conn, 64).toString();
      assert.equal(got, 'hello, world');
      p.shutdown(client, p.SHUT_WR);
      assert.equal(p.recv(conn, 64).length, 0, 'EOF after the peer shut down writing');
      assert.equal(p.send(conn, 'bye'), 3);
      assert.equal(p.recv(client, 64).toString(), 'bye');
      for (const fd of [server, client, conn]) assert.ok(isCloexec(fd), `fd ${fd} is close-on-exec`);
      p.close(conn);
      p.close(client);
      p.close(server);
      assert.equal(fdCount(), before);
    });

    test('recvfrom on a connected stream gives a null address; MSG_PEEK leaves data queued', () => {
      const { server, client, conn } = tcpPair(family);
      p.send(client, 'peekaboo');
      let peeked = p.recv(conn, 8, p.MSG_PEEK | p.MSG_WAITALL);
      assert.equal(peeked.toString(), 'peekaboo');
      const [data, from] = p.recvfrom(conn, 8, p.MSG_WAITALL);
      assert.equal(data.toString(), 'peekaboo');
      assert.equal(from, null);
      peeked = Buffer.alloc(0);
      [server, client, conn].forEach((fd) => p.close(fd));
    });

    test('accept flags: SOCK_NONBLOCK makes the accepted fd non-blocking', () => {
      const af = family === 'inet' ? p.AF_INET : p.AF_INET6;
      const server = p.socket(af, p.SOCK_STREAM);
      p.bind(server, { family, address: family === 'inet' ? '127.0.0.1' : '::1', port: 0 });
      p.listen(server);
      const client = p.socket(af, p.SOCK_STREAM);
      p.connect(client, p.getsockname(server));
      const [conn] = p.accept(server, p.SOCK_NONBLOCK!);
      assert.ok(isNonblocking(conn));
      assert.ok(isCloexec(conn));
      assert.throws(() => p.recv(conn, 10), { code: 'EAGAIN', syscall: 'recv' });
      [server, client, conn].forEach((fd) => p.close(fd));
    });

    test('UDP sendto/recvfrom report the sender', () => {
      const af = family === 'inet' ? p.AF_INET : p.AF_INET6;
      const address = family === 'inet' ? '127.0.0.1' : '::1';
      const a = p.socket(af, p.SOCK_DGRAM);
      const b = p.socket(af, p.SOCK_DGRAM);
      p.bind(a, { family, address, port: 0 });
      p.bind(b, { family, address, port: 0 });
      assert.equal(p.sendto(a, 'datagram', p.getsockname(b)), 8);
      const [data, from] = p.recvfrom(b, 100);
      assert.equal(data.toString(), 'datagram');
      assert.deepEqual(from, p.getsockname(a));
      // A short buffer truncates the datagram (the rest is discarded).
      p.sendto(a, '0123456789', p.getsockname(b));
      assert.equal(p.recv(b, 4).toString(), '0123');
      p.close(a);
      p.close(b);
    });
  });
}

test('a non-blocking connect throws EINPROGRESS, then completes', () => {
  const server = p.socket(p.AF_INET, p.SOCK_STREAM);
  p.bind(server, { family: 'inet', address: '127.0.0.1', port: 0 });
  p.listen(server);
  const client = p.socket(p.AF_INET, p.SOCK_STREAM | p.SOCK_NONBLOCK!);
  assert.ok(isNonblocking(client));
  try {
    p.connect(client, p.getsockname(server));
  } catch (err) {
    assert.equal((err as p.SocketError).code, 'EINPROGRESS');
  }
  const [conn] = p.accept(server);
  assert.equal(p.getsockopt(client, p.SOL_SOCKET, p.SO_ERROR), 0);
  assert.deepEqual(p.getpeername(client), p.getsockname(server));
  [server, client, conn].forEach((fd) => p.close(fd));
});

test('setblocking toggles O_NONBLOCK', () => {
  const fd = p.socket(p.AF_INET, p.SOCK_DGRAM);
  assert.equal(isNonblocking(fd), false);
  p.setblocking(fd, false);
  assert.equal(isNonblocking(fd), true);
  assert.throws(() => p.recv(fd, 10), { code: 'EAGAIN' });
  p.setblocking(fd, true);
  assert.equal(isNonblocking(fd), false);
  p.close(fd);
});

describe('Unix sockets', () => {
  for (const [typeName, type] of [['stream', p.SOCK_STREAM], ['seqpacket', p.SOCK_SEQPACKET]] as const) {
    for (const kind of ['path', 'abstract'] as const) {
      test(`${typeName} by ${kind}`, () => {
        const path = kind === 'path' ? tmpPath(typeName) : abstractName(`${typeName}\0with\0nuls`);
        const server = p.socket(p.AF_UNIX, type);
        p.bind(server, { family: 'unix', path });
        p.listen(server);
        assert.deepEqual(p.getsockname(server), { family: 'unix', path });
        const client = p.socket(p.AF_UNIX, type);
        p.connect(client, { family: 'unix', path });
        const [conn, peer] = p.accept(server);
        assert.deepEqual(peer, { family: 'unix', path: '' }, 'an unbound client is unnamed');
        assert.deepEqual(p.getpeername(client), { family: 'unix', path });
        p.send(client, 'one');
        p.send(client, 'two');
        if (typeName === 'seqpacket') {
          assert.equal(p.recv(conn, 100).toString(), 'one', 'seqpacket keeps message boundaries');
          assert.equal(p.recv(conn, 100).toString(), 'two');
        } else {
          let got = '';
          while (got.length < 6) got += p.recv(conn, 100).toString();
          assert.equal(got, 'onetwo');
        }
        [server, client, conn].forEach((fd) => p.close(fd));
      });
    }
  }

  for (const kind of ['path', 'abstract'] as const) {
    test(`dgram by ${kind}, with the sender's address`, () => {
      const pa = kind === 'path' ? tmpPath('dgram-a') : abstractName('dgram-a');
      const pb = kind === 'path' ? tmpPath('dgram-b') : abstractName('dgram-b');
      const a = p.socket(p.AF_UNIX, p.SOCK_DGRAM);
      const b = p.socket(p.AF_UNIX, p.SOCK_DGRAM);
      p.bind(a, { family: 'unix', path: pa });
      p.bind(b, { family: 'unix', path: pb });
      assert.equal(p.sendto(a, Buffer.from([0, 1, 2, 255]), { family: 'unix', path: pb }), 4);
      const [data, from] = p.recvfrom(b, 100);
      assert.deepEqual([...data], [0, 1, 2, 255]);
      assert.deepEqual(from, { family: 'unix', path: pa });
      p.close(a);
      p.close(b);
    });
  }

  test('abstract names round-trip byte for byte, embedded NULs and all', () => {
    const name = `\0a\0b\0\u00e9\u2603${process.pid}`;
    const fd = p.socket(p.AF_UNIX, p.SOCK_DGRAM);
    p.bind(fd, { family: 'unix', path: name });
    const got = p.getsockname(fd) as { path: string };
    assert.equal(got.path, name);
    assert.deepEqual(Buffer.from(got.path), Buffer.from(name));
    p.close(fd);
  });

  test('binding the empty path autobinds to an abstract name', () => {
    const fd = p.socket(p.AF_UNIX, p.SOCK_DGRAM);
    p.bind(fd, { family: 'unix', path: '' });
    const got = p.getsockname(fd) as { path: string };
    assert.equal(got.path[0], '\0');
    assert.ok(got.path.length > 1);
    p.close(fd);
  });

  test('paths up to sun_path fit; longer ones throw ENAMETOOLONG without a system call', () => {
    const before = fdCount();
    const fd = p.socket(p.AF_UNIX, p.SOCK_STREAM);
    const long = `/tmp/${'x'.repeat(200)}`;
    assert.throws(() => p.bind(fd, { family: 'unix', path: long }), (err: p.SocketError) => {
      assert.equal(err.code, 'ENAMETOOLONG');
      assert.equal(err.syscall, 'bind');
      assert.equal(err.errno, -36);
      assert.equal(err.path, long);
      return true;
    });
    assert.throws(() => p.connect(fd, { family: 'unix', path: `\0${'y'.repeat(108)}` }), { code: 'ENAMETOOLONG', syscall: 'connect' });
    // Exactly 108 bytes (sun_path's size) is accepted as an abstract name.
    const exact = `\0${'z'.repeat(107 - String(process.pid).length)}${process.pid}`;
    p.bind(fd, { family: 'unix', path: exact });
    assert.equal((p.getsockname(fd) as { path: string }).path, exact);
    p.close(fd);
    assert.equal(fdCount(), before);
  });
});

describe('socketpair', () => {
  for (const [name, type] of [['stream', p.SOCK_STREAM], ['dgram', p.SOCK_DGRAM], ['seqpacket', p.SOCK_SEQPACKET]] as const) {
    test(name, () => {
      const [a, b] = p.socketpair(p.AF_UNIX, type);
      assert.ok(isCloexec(a) && isCloexec(b));
      p.send(a, 'ping');
      assert.equal(p.recv(b, 10).toString(), 'ping');
      p.send(b, 'pong');
      assert.equal(p.recv(a, 10).toString(), 'pong');
      assert.equal(p.getsockopt(a, p.SOL_SOCKET, p.SO_TYPE), type);
      p.close(a);
      if (type !== p.SOCK_DGRAM) assert.equal(p.recv(b, 10).length, 0, 'the other end sees EOF');
      p.close(b);
    });
  }

  test('SOCK_NONBLOCK applies to both ends', () => {
    const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_STREAM | p.SOCK_NONBLOCK!);
    assert.ok(isNonblocking(a) && isNonblocking(b));
    assert.throws(() => p.recv(a, 1), { code: 'EAGAIN' });
    p.close(a);
    p.close(b);
  });
});

test('close(fd, how) shuts down first, as lua-net does', () => {
  const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_STREAM);
  const dup = p.socket(p.AF_UNIX, p.SOCK_STREAM); // unrelated fd stays open
  p.close(a, p.SHUT_RDWR);
  assert.equal(p.recv(b, 1).length, 0);
  p.close(b);
  p.close(dup);
});
