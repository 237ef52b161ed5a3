// getsockopt/setsockopt with int, bool and raw-bytes values, and the constants.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as p from '../src/posix.ts';
import * as berkeley from '../src/index.ts';
import { binding } from '../src/sys/binding.ts';

describe('socket options', () => {
  test('int and bool values round-trip', () => {
    const fd = p.socket(p.AF_INET, p.SOCK_STREAM);
    assert.equal(p.getsockopt(fd, p.SOL_SOCKET, p.SO_REUSEADDR), 0);
    p.setsockopt(fd, p.SOL_SOCKET, p.SO_REUSEADDR, true);
    assert.equal(p.getsockopt(fd, p.SOL_SOCKET, p.SO_REUSEADDR), 1);
    p.setsockopt(fd, p.SOL_SOCKET, p.SO_KEEPALIVE, 1);
    assert.equal(p.getsockopt(fd, p.SOL_SOCKET, p.SO_KEEPALIVE), 1);
    p.setsockopt(fd, p.IPPROTO_TCP, p.TCP_NODELAY, true);
    assert.equal(p.getsockopt(fd, p.IPPROTO_TCP, p.TCP_NODELAY), 1);
    p.setsockopt(fd, p.IPPROTO_TCP, p.TCP_KEEPIDLE!, 77);
    assert.equal(p.getsockopt(fd, p.IPPROTO_TCP, p.TCP_KEEPIDLE!), 77);
    p.setsockopt(fd, p.SOL_SOCKET, p.SO_RCVBUF, 65536);
    assert.ok((p.getsockopt(fd, p.SOL_SOCKET, p.SO_RCVBUF) as number) >= 65536, 'Linux doubles the value');
    assert.equal(p.getsockopt(fd, p.SOL_SOCKET, p.SO_TYPE), p.SOCK_STREAM);
    assert.equal(p.getsockopt(fd, p.SOL_SOCKET, p.SO_ERROR), 0);
    p.close(fd);
  });

  test('struct values as raw bytes: SO_LINGER', () => {
    const fd = p.socket(p.AF_INET, p.SOCK_STREAM);
    const linger = Buffer.alloc(8);
    linger.writeInt32LE(1, 0);
    linger.writeInt32LE(10, 4);
    p.setsockopt(fd, p.SOL_SOCKET, p.SO_LINGER, linger);
    const got = p.getsockopt(fd, p.SOL_SOCKET, p.SO_LINGER, 'bytes') as Buffer;
    assert.equal(got.length, 8);
    assert.equal(got.readInt32LE(0), 1);
    assert.equal(got.readInt32LE(4), 10);
    assert.equal((p.getsockopt(fd, p.SOL_SOCKET, p.SO_LINGER, 8) as Buffer).readInt32LE(4), 10);
    p.close(fd);
  });

  test('a byte count reads exactly what the kernel returns; strings such as TCP_CONGESTION', () => {
    const fd = p.socket(p.AF_INET, p.SOCK_STREAM);
    const cc = p.getsockopt(fd, p.IPPROTO_TCP, p.TCP_CONGESTION!, 16) as Buffer;
    assert.ok(cc.toString().replace(/\0.*$/s, '').length > 0, 'a congestion control name');
    p.close(fd);
  });

  test('SO_BINDTODEVICE takes an interface name (as root)', { skip: process.getuid!() !== 0 && 'needs root' }, () => {
    const fd = p.socket(p.AF_INET, p.SOCK_DGRAM);
    p.setsockopt(fd, p.SOL_SOCKET, p.SO_BINDTODEVICE!, Buffer.from('lo\0'));
    const dev = p.getsockopt(fd, p.SOL_SOCKET, p.SO_BINDTODEVICE!, 16) as Buffer;
    assert.equal(dev.toString().replace(/\0.*$/s, ''), 'lo');
    p.close(fd);
  });
});

describe('constants', () => {
  test('the standard set is present with Linux values', () => {
    assert.equal(p.AF_INET, 2);
    assert.equal(p.AF_INET6, 10);
    assert.equal(p.AF_UNIX, 1);
    assert.equal(p.AF_NETLINK, 16);
    assert.equal(p.AF_PACKET, 17);
    assert.equal(p.PF_INET, p.AF_INET);
    assert.equal(p.SOCK_STREAM, 1);
    assert.equal(p.SOCK_SEQPACKET, 5);
    assert.equal(p.SOL_SOCKET, 1);
    assert.equal(p.SO_REUSEPORT, 15);
    assert.equal(p.IPPROTO_TCP, 6);
    assert.equal(p.MSG_NOSIGNAL, 0x4000);
    assert.equal(p.SHUT_RDWR, 2);
    assert.equal(p.SCM_RIGHTS, 1);
    assert.equal(p.ETH_P_ALL, 3);
    assert.equal(p.NETLINK_ROUTE, 0);
    assert.equal(p.UDP_SEGMENT, 103);
    assert.ok(p.SOMAXCONN >= 128);
    assert.ok(p.EAI_NONAME! < 0, 'glibc EAI codes are negative');
  });

  test('every named export matches the constants object, which matches the addon', () => {
    const named = Object.entries(p).filter(([k, v]) => /^[A-Z][A-Z0-9_]+$/.test(k) && typeof v === 'number');
    for (const [k, v] of named) assert.equal(p.constants[k], v, k);
    assert.deepEqual(p.constants, binding.constants);
    assert.equal(berkeley.constants, p.constants);
    assert.ok(Object.isFrozen(p.constants));
    // Names the platform lacks are exported as undefined, not left out.
    assert.ok('SO_PEERPIDFD' in p);
  });

  test('features describe this platform', () => {
    assert.equal(berkeley.features.abstract, true);
    assert.equal(berkeley.features.netlink, true);
    assert.equal(berkeley.features.msgNosignal, true);
    assert.equal(berkeley.features.cmsgCloexec, true);
  });
});
