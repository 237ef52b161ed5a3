// sendmsg/recvmsg: gathered data, SCM_RIGHTS (with truncation at every control
// buffer size), SCM_CREDENTIALS in-process and across processes, and raw
// control messages.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as p from '../src/posix.ts';
import { fdCount, isCloexec, timeval, tmpPath } from './helpers.ts';

const INT = 4;
const align = (n: number) => (n + 7) & ~7;
const cmsgSpace = (n: number) => align(16) + align(n); // 64-bit Linux: 16-byte cmsghdr

describe('sendmsg/recvmsg', () => {
  test('gathered data arrives as one datagram; the sender address is reported', () => {
    const a = p.socket(p.AF_INET, p.SOCK_DGRAM);
    const b = p.socket(p.AF_INET, p.SOCK_DGRAM);
    p.bind(a, { family: 'inet', address: '127.0.0.1', port: 0 });
    p.bind(b, { family: 'inet', address: '127.0.0.1', port: 0 });
    const n = p.sendmsg(a, { data: ['gat', Buffer.from('her'), new Uint8Array([0x65, 0x64])], address: p.getsockname(b) });
    assert.equal(n, 8);
    const m = p.recvmsg(b, 100);
    assert.equal(m.data.toString(), 'gathered');
    assert.deepEqual(m.address, p.getsockname(a));
    assert.equal(m.truncated, false);
    assert.deepEqual(m.fds, []);
    p.close(a);
    p.close(b);
  });

  test('a datagram longer than the buffer is reported truncated', () => {
    const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_DGRAM);
    p.sendmsg(a, { data: 'x'.repeat(100) });
    const m = p.recvmsg(b, 10);
    assert.equal(m.data.length, 10);
    assert.equal(m.truncated, true);
    assert.ok(m.flags & p.MSG_TRUNC);
    p.close(a);
    p.close(b);
  });

  for (const count of [1, 4, 253]) {
    test(`passes ${count} fd(s); received fds are close-on-exec and usable`, () => {
      const before = fdCount();
      const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_STREAM);
      const pairs = Array.from({ length: count }, () => p.socketpair(p.AF_UNIX, p.SOCK_DGRAM));
      p.sendmsg(a, { data: 'f', fds: pairs.map(([x]) => x) });
      const m = p.recvmsg(b, 10);
      assert.equal(m.data.toString(), 'f');
      assert.equal(m.fds.length, count);
      assert.equal(m.controlTruncated, false);
      for (let i = 0; i < count; i++) {
        assert.ok(isCloexec(m.fds[i]));
        p.send(m.fds[i], `msg${i}`);
        assert.equal(p.recv(pairs[i][1], 10).toString(), `msg${i}`);
      }
      for (const fd of [...m.fds, ...pairs.flat(), a, b]) p.close(fd);
      assert.equal(fdCount(), before);
    });
  }

  test('254 fds fail with a clear error (SCM_MAX_FD is 253)', () => {
    const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_STREAM);
    assert.throws(() => p.sendmsg(a, { data: 'x', fds: new Array(254).fill(a) }), { code: 'ERR_INVALID_ARG_VALUE', message: /at most 253 fds/ });
    p.close(a);
    p.close(b);
  });

  test('truncation at every control buffer size up to what 4 fds need leaks no fd', () => {
    const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_DGRAM);
    const sent = Array.from({ length: 4 }, () => p.socket(p.AF_INET, p.SOCK_DGRAM));
    const before = fdCount();
    const full = cmsgSpace(4 * INT);
    for (let size = 0; size <= full; size++) {
      p.sendmsg(a, { data: 'x', fds: sent });
      const m = p.recvmsg(b, 10, { controlLength: size });
      const fit = size < 16 ? 0 : Math.min(4, Math.floor((size - 16) / INT));
      assert.equal(m.fds.length, fit, `control buffer of ${size} bytes holds ${fit} fds`);
      assert.equal(m.controlTruncated, fit < 4, `controlTruncated at ${size}`);
      for (const fd of m.fds) {
        assert.ok(isCloexec(fd));
        p.close(fd);
      }
      assert.equal(fdCount(), before, `no fd leaked at control size ${size}`);
    }
    for (const fd of [...sent, a, b]) p.close(fd);
  });

  test('maxFds keeps at most that many fds and closes the rest', () => {
    const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_DGRAM);
    const sent = Array.from({ length: 4 }, () => p.socket(p.AF_INET, p.SOCK_DGRAM));
    const before = fdCount();
    p.sendmsg(a, { data: 'x', fds: sent });
    const m = p.recvmsg(b, 10, { maxFds: 2 });
    assert.equal(m.fds.length, 2);
    assert.equal(m.controlTruncated, true);
    assert.equal(fdCount(), before + 2);
    m.fds.forEach((fd) => p.close(fd));
    for (const fd of [...sent, a, b]) p.close(fd);
  });

  test('SCM_CREDENTIALS: sent explicitly and received with SO_PASSCRED', () => {
    const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_DGRAM);
    p.setsockopt(b, p.SOL_SOCKET, p.SO_PASSCRED!, true);
    const creds = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
    p.sendmsg(a, { data: 'c', credentials: creds });
    assert.deepEqual(p.recvmsg(b, 10).credentials, creds);
    // Without explicit credentials the kernel attaches the sender's own.
    p.sendmsg(a, { data: 'd' });
    assert.deepEqual(p.recvmsg(b, 10).credentials, creds);
    p.close(a);
    p.close(b);
  });

  test('SCM_CREDENTIALS identify another process', async () => {
    const path = tmpPath('creds');
    const server = p.socket(p.AF_UNIX, p.SOCK_STREAM);
    p.setsockopt(server, p.SOL_SOCKET, p.SO_RCVTIMEO, timeval(10_000)); // never hang the suite
    p.bind(server, { family: 'unix', path });
    p.listen(server);
    // The child writes only when told to: the kernel attaches credentials to
    // data sent while the receiver has SO_PASSCRED set, not before.
    const script = `
      const net = require('node:net');
      const c = net.connect(${JSON.stringify(path)});
      c.once('data', () => c.end('hi from child'));
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
    const exited = new Promise((r) => child.on('exit', r));
    const [conn] = p.accept(server);
    try {
      p.setsockopt(conn, p.SOL_SOCKET, p.SO_PASSCRED!, true);
      p.setsockopt(conn, p.SOL_SOCKET, p.SO_RCVTIMEO, timeval(10_000));
      p.send(conn, 'go');
      const m = p.recvmsg(conn, 100, { flags: p.MSG_WAITALL });
      assert.equal(m.data.toString(), 'hi from child');
      assert.equal(m.credentials?.pid, child.pid);
      assert.equal(m.credentials?.uid, process.getuid!());
    } finally {
      p.close(conn);
      p.close(server);
      await exited;
    }
  });

  test('raw control messages: IP_TOS sent per message, received with IP_RECVTOS (decoded as tos)', () => {
    const a = p.socket(p.AF_INET, p.SOCK_DGRAM);
    const b = p.socket(p.AF_INET, p.SOCK_DGRAM);
    p.bind(a, { family: 'inet', address: '127.0.0.1', port: 0 });
    p.bind(b, { family: 'inet', address: '127.0.0.1', port: 0 });
    p.setsockopt(b, p.IPPROTO_IP, p.IP_RECVTOS!, 1);
    const tos = Buffer.alloc(4);
    tos.writeInt32LE(0x28);
    p.sendmsg(a, { data: 'tos', address: p.getsockname(b), control: [{ level: p.IPPROTO_IP, type: p.IP_TOS, data: tos }] });
    const m = p.recvmsg(b, 10);
    assert.equal(m.data.toString(), 'tos');
    assert.equal(m.tos, 0x28, 'the IP_TOS control message, decoded');
    assert.deepEqual(m.control, [], 'and not repeated raw');
    p.close(a);
    p.close(b);
  });

  test('MSG_* flags pass through: MSG_PEEK then a normal read', () => {
    const [a, b] = p.socketpair(p.AF_UNIX, p.SOCK_DGRAM);
    p.sendmsg(a, { data: 'peek' });
    assert.equal(p.recvmsg(b, 10, { flags: p.MSG_PEEK }).data.toString(), 'peek');
    assert.equal(p.recvmsg(b, 10).data.toString(), 'peek');
    assert.throws(() => p.recvmsg(b, 10, { flags: p.MSG_DONTWAIT }), { code: 'EAGAIN', syscall: 'recvmsg' });
    p.close(a);
    p.close(b);
  });
});
