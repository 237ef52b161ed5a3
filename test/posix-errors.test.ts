// The error model of API.md through berkeley/posix: SocketError fields and
// messages for system failures, Node-style TypeError/RangeError for bad
// input (raised before any system call, leaking no fd), MSG_NOSIGNAL and
// close-on-exec everywhere.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { getSystemErrorName } from 'node:util';
import { openSync, closeSync } from 'node:fs';
import * as p from '../src/posix.ts';
import { fdCount, sleep, tmpPath } from './helpers.ts';

function listener(): { fd: number; port: number } {
  const fd = p.socket(p.AF_INET, p.SOCK_STREAM);
  p.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
  p.listen(fd);
  return { fd, port: (p.getsockname(fd) as { port: number }).port };
}

describe('system errors', () => {
  test('ECONNREFUSED reads like Node: "connect ECONNREFUSED 127.0.0.1:port"', () => {
    const { fd: l, port } = listener();
    p.close(l); // nothing listens there any more
    const fd = p.socket(p.AF_INET, p.SOCK_STREAM);
    assert.throws(() => p.connect(fd, { family: 'inet', address: '127.0.0.1', port }), (err: p.SocketError) => {
      assert.ok(err instanceof p.SocketError && err instanceof Error);
      assert.equal(err.name, 'SocketError');
      assert.equal(err.code, 'ECONNREFUSED');
      assert.ok(err.errno! < 0);
      assert.equal(getSystemErrorName(err.errno!), 'ECONNREFUSED');
      assert.equal(err.syscall, 'connect');
      assert.equal(err.address, '127.0.0.1');
      assert.equal(err.port, port);
      assert.equal(err.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
      return true;
    });
    p.close(fd);
  });

  test('IPv6 addresses are bracketed in messages; unix paths shown as paths', () => {
    const fd = p.socket(p.AF_UNIX, p.SOCK_STREAM);
    const path = tmpPath('missing');
    assert.throws(() => p.connect(fd, { family: 'unix', path }), { code: 'ENOENT', path, message: `connect ENOENT ${path}` });
    p.close(fd);
    const { fd: l, port } = listener();
    p.close(l);
    const fd6 = p.socket(p.AF_INET6, p.SOCK_STREAM);
    assert.throws(() => p.connect(fd6, { family: 'inet6', address: '::1', port }), (err: p.SocketError) => {
      assert.ok(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH'].includes(err.code));
      assert.equal(err.message, `connect ${err.code} [::1]:${port}`);
      return true;
    });
    p.close(fd6);
  });

  test('EADDRINUSE, ENOTCONN, EBADF, ENOTSOCK, EAFNOSUPPORT, ENOPROTOOPT, EINVAL', () => {
    const { fd: l, port } = listener();
    const other = p.socket(p.AF_INET, p.SOCK_STREAM);
    assert.throws(() => p.bind(other, { family: 'inet', address: '127.0.0.1', port }), { code: 'EADDRINUSE', syscall: 'bind', port });
    assert.throws(() => p.getpeername(other), { code: 'ENOTCONN', syscall: 'getpeername' });
    assert.throws(() => p.send(other, 'x'), (e: p.SocketError) => ['EPIPE', 'ENOTCONN'].includes(e.code));
    assert.throws(() => p.setsockopt(other, p.SOL_SOCKET, 0x7ffff, 1), { code: 'ENOPROTOOPT', syscall: 'setsockopt' });
    assert.throws(() => p.getsockopt(other, p.IPPROTO_TCP, 0x7ffff), { code: 'ENOPROTOOPT', syscall: 'getsockopt' });
    const udp = p.socket(p.AF_INET, p.SOCK_DGRAM);
    // EOPNOTSUPP and ENOTSUP are one errno on Linux; Node names it ENOTSUP.
    assert.throws(() => p.listen(udp, 1), { code: getSystemErrorName(-95), syscall: 'listen' });
    p.close(udp);
    p.close(other);
    p.close(l);
    const closed = p.socket(p.AF_INET, p.SOCK_DGRAM);
    p.close(closed);
    assert.throws(() => p.send(closed, 'x'), { code: 'EBADF', syscall: 'send' });
    assert.throws(() => p.close(closed), { code: 'EBADF', syscall: 'close' });
    const file = openSync(import.meta.filename ?? new URL(import.meta.url).pathname, 'r');
    assert.throws(() => p.getsockname(file), { code: 'ENOTSOCK', syscall: 'getsockname' });
    assert.throws(() => p.recv(file, 10), { code: 'ENOTSOCK', syscall: 'recv' });
    closeSync(file);
    assert.throws(() => p.socket(9999, p.SOCK_STREAM), { code: 'EAFNOSUPPORT', syscall: 'socket' });
    assert.throws(() => p.socket(p.AF_INET, 9999), { code: 'EINVAL', syscall: 'socket' });
    assert.throws(() => p.socket(p.AF_INET, p.SOCK_STREAM, p.IPPROTO_UDP), { code: 'EPROTONOSUPPORT', syscall: 'socket' });
  });

  test('a send to a closed peer is EPIPE, never SIGPIPE (MSG_NOSIGNAL)', async () => {
    let signals = 0;
    const onSignal = () => { signals++; };
    process.on('SIGPIPE', onSignal); // with a handler installed, a SIGPIPE would be seen here
    try {
      const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_STREAM);
      p.close(b);
      assert.throws(() => p.send(a, 'x'), { code: 'EPIPE', syscall: 'send' });
      assert.throws(() => p.sendmsg(a, { data: 'x' }), { code: 'EPIPE', syscall: 'sendmsg' });
      const [c, d] = p.socketpair(p.AF_UNIX, p.SOCK_SEQPACKET);
      p.close(d);
      assert.throws(() => p.sendto(c, 'x', { family: 'unix', path: '' }), (e: p.SocketError) => ['EPIPE', 'EISCONN', 'ECONNRESET'].includes(e.code));
      await sleep(50);
      assert.equal(signals, 0, 'no SIGPIPE was raised');
      p.close(a);
      p.close(c);
    } finally {
      process.off('SIGPIPE', onSignal);
    }
  });
});

describe('bad input: TypeError/RangeError before any system call, no fd leaked', () => {
  const tcp = () => p.socket(p.AF_INET, p.SOCK_STREAM);
  const inet = (port: unknown) => ({ family: 'inet', address: '127.0.0.1', port }) as never;
  const cases: [string, (fd: number) => unknown, string, (new (...a: never[]) => Error)][] = [
    ['fd as a string', () => p.send('3' as never, 'x'), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['negative fd', () => p.recv(-1, 10), 'ERR_OUT_OF_RANGE', RangeError],
    ['fractional fd', () => p.close(1.5), 'ERR_OUT_OF_RANGE', RangeError],
    ['NaN backlog', (fd) => p.listen(fd, NaN), 'ERR_OUT_OF_RANGE', RangeError],
    ['port above 65535', (fd) => p.bind(fd, inet(65536)), 'ERR_OUT_OF_RANGE', RangeError],
    ['negative port', (fd) => p.connect(fd, inet(-1)), 'ERR_OUT_OF_RANGE', RangeError],
    ['port as a string', (fd) => p.bind(fd, inet('80')), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['address not an object', (fd) => p.bind(fd, '127.0.0.1:80' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['unknown family name', (fd) => p.bind(fd, { family: 'appletalk', port: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['non-numeric IPv4 address', (fd) => p.bind(fd, { family: 'inet', address: 'localhost', port: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['IPv6 text in an inet address', (fd) => p.bind(fd, { family: 'inet', address: '::1', port: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['unix path with a NUL inside', (fd) => p.bind(fd, { family: 'unix', path: '/tmp/a\0b' }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['unix path not a string', (fd) => p.bind(fd, { family: 'unix', path: 42 } as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['negative recv length', (fd) => p.recv(fd, -1), 'ERR_OUT_OF_RANGE', RangeError],
    ['recv length not a number', (fd) => p.recv(fd, '10' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['data as a number', (fd) => p.send(fd, 42 as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['data as a plain object', (fd) => p.sendto(fd, {} as never, inet(1)), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['flags as a string', (fd) => p.send(fd, 'x', 'MSG_OOB' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['domain as a string', () => p.socket('inet' as never, 1), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['socket type out of int range', () => p.socket(2, 2 ** 40), 'ERR_OUT_OF_RANGE', RangeError],
    ['option value as a string', (fd) => p.setsockopt(fd, p.SOL_SOCKET, p.SO_REUSEADDR, 'yes' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['getsockopt kind unknown', (fd) => p.getsockopt(fd, p.SOL_SOCKET, p.SO_TYPE, 'long' as never), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['getsockopt length too large', (fd) => p.getsockopt(fd, p.SOL_SOCKET, p.SO_TYPE, 1 << 20), 'ERR_OUT_OF_RANGE', RangeError],
    ['message not an object', (fd) => p.sendmsg(fd, 'x' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['fds with a negative fd', (fd) => p.sendmsg(fd, { data: 'x', fds: [-5] }), 'ERR_OUT_OF_RANGE', RangeError],
    ['fds not an array', (fd) => p.sendmsg(fd, { data: 'x', fds: 3 as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['too many gathered buffers', (fd) => p.sendmsg(fd, { data: new Array(1025).fill('x') }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['control entry without data', (fd) => p.sendmsg(fd, { data: 'x', control: [{ level: 0, type: 0 } as never] }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['maxFds above 253', (fd) => p.recvmsg(fd, 1, { maxFds: 300 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['controlLength negative', (fd) => p.recvmsg(fd, 1, { controlLength: -1 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['blocking not a boolean', (fd) => p.setblocking(fd, 1 as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['host with a NUL', () => p.getaddrinfo('local\0host', 80), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['host and service both null', () => p.getaddrinfo(null, null), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['service port out of range', () => p.getaddrinfo('localhost', 70000), 'ERR_OUT_OF_RANGE', RangeError],
    ['hints not an object', () => p.getaddrinfo('localhost', 80, 5 as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['interface index negative', () => p.if_indextoname(-1), 'ERR_OUT_OF_RANGE', RangeError],
    ['interface name not a string', () => p.if_nametoindex(1 as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['packet addr too long', (fd) => p.bind(fd, { family: 'packet', protocol: 0, ifindex: 1, addr: Buffer.alloc(9) }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['netlink pid negative', (fd) => p.bind(fd, { family: 'netlink', pid: -1, groups: 0 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['inet6 scopeId fractional', (fd) => p.bind(fd, { family: 'inet6', address: '::1', port: 0, scopeId: 0.5 }), 'ERR_OUT_OF_RANGE', RangeError],
  ];
  for (const [name, call, code, Kind] of cases) {
    test(name, () => {
      const fd = tcp();
      const before = fdCount();
      assert.throws(() => call(fd), (err: Error & { code?: string }) => {
        assert.ok(err instanceof Kind, `${err.name}: ${err.message}`);
        assert.equal(err.code, code, err.message);
        assert.ok(err.message.length > 10);
        return true;
      });
      assert.equal(fdCount(), before, 'no fd created or leaked');
      p.close(fd);
    });
  }

  test('messages name the argument and what was received', () => {
    assert.throws(() => p.recv('x' as never, 1), { message: 'The "fd" argument must be of type number. Received type string (\'x\')' });
    assert.throws(() => p.bind(3, { family: 'inet', address: '127.0.0.1', port: 70000 }), { message: 'The value of "address.port" is out of range. It must be >= 0 && <= 65535. Received 70000' });
  });
});
