// getaddrinfo/getnameinfo, interface names and indices, inet_pton/inet_ntop.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { getSystemErrorName } from 'node:util';
import * as p from '../src/posix.ts';

describe('getaddrinfo', () => {
  test('numeric hosts with hints: family, socktype, protocol and the decoded address', () => {
    const r = p.getaddrinfo('127.0.0.1', 8080, { family: p.AF_INET, socktype: p.SOCK_STREAM, flags: p.AI_NUMERICHOST });
    assert.deepEqual(r, [{ family: p.AF_INET, socktype: p.SOCK_STREAM, protocol: p.IPPROTO_TCP, address: { family: 'inet', address: '127.0.0.1', port: 8080 } }]);
    const r6 = p.getaddrinfo('::1', '53', { socktype: p.SOCK_DGRAM, flags: p.AI_NUMERICHOST | p.AI_NUMERICSERV });
    assert.equal(r6.length, 1);
    assert.deepEqual(r6[0].address, { family: 'inet6', address: '::1', port: 53 });
    assert.equal(r6[0].protocol, p.IPPROTO_UDP);
  });

  test('localhost resolves to loopback; service names resolve to ports', () => {
    const r = p.getaddrinfo('localhost', 'http', { socktype: p.SOCK_STREAM });
    assert.ok(r.length >= 1);
    for (const ai of r) {
      const a = ai.address as { address: string; port: number };
      assert.ok(['127.0.0.1', '::1'].includes(a.address), a.address);
      assert.equal(a.port, 80);
    }
  });

  test('AI_PASSIVE with a null host gives the wildcard address; AI_CANONNAME fills canonname', () => {
    const r = p.getaddrinfo(null, 0, { family: p.AF_INET, socktype: p.SOCK_STREAM, flags: p.AI_PASSIVE });
    assert.deepEqual(r[0].address, { family: 'inet', address: '0.0.0.0', port: 0 });
    const c = p.getaddrinfo('localhost', null, { family: p.AF_INET, flags: p.AI_CANONNAME });
    assert.equal(typeof c[0].canonname, 'string');
  });

  test('scoped IPv6 literals keep their zone as scopeId', () => {
    const r = p.getaddrinfo('fe80::1%lo', 1, { family: p.AF_INET6, socktype: p.SOCK_DGRAM, flags: p.AI_NUMERICHOST });
    assert.deepEqual(r[0].address, { family: 'inet6', address: 'fe80::1', port: 1, scopeId: p.if_nametoindex('lo') });
  });

  test('unknown names fail with ENOTFOUND, syscall getaddrinfo, hostname set', () => {
    assert.throws(() => p.getaddrinfo('no-such-host.invalid', 80), (err: p.SocketError) => {
      assert.ok(err instanceof p.SocketError);
      assert.equal(err.code, 'ENOTFOUND');
      assert.equal(err.syscall, 'getaddrinfo');
      assert.equal(err.hostname, 'no-such-host.invalid');
      assert.equal(err.message, 'getaddrinfo ENOTFOUND no-such-host.invalid');
      assert.equal(getSystemErrorName(err.errno!), 'EAI_NONAME');
      return true;
    });
  });

  test('other resolver failures keep their EAI name', () => {
    assert.throws(() => p.getaddrinfo('localhost', 'no-such-service-x', { socktype: p.SOCK_STREAM }), { code: 'EAI_SERVICE', syscall: 'getaddrinfo' });
    assert.throws(() => p.getaddrinfo('localhost', 80, { family: 9999 }), { code: 'EAI_FAMILY' });
  });
});

describe('getnameinfo', () => {
  test('numeric and named forms', () => {
    assert.deepEqual(p.getnameinfo({ family: 'inet', address: '127.0.0.1', port: 22 }, p.NI_NUMERICHOST | p.NI_NUMERICSERV), ['127.0.0.1', '22']);
    const [host, service] = p.getnameinfo({ family: 'inet', address: '127.0.0.1', port: 22 });
    assert.equal(typeof host, 'string');
    assert.equal(service, 'ssh');
    assert.deepEqual(p.getnameinfo({ family: 'inet6', address: '::1', port: 53 }, p.NI_NUMERICHOST | p.NI_NUMERICSERV | p.NI_DGRAM), ['::1', '53']);
  });

  test('NI_NAMEREQD without a name fails with the resolver error model', () => {
    assert.throws(() => p.getnameinfo({ family: 'inet', address: '127.0.0.254', port: 1 }, p.NI_NAMEREQD), (err: p.SocketError) => {
      assert.equal(err.syscall, 'getnameinfo');
      assert.equal(err.code, 'ENOTFOUND');
      assert.equal(err.address, '127.0.0.254');
      return true;
    });
  });
});

describe('interfaces', () => {
  test('if_nametoindex, if_indextoname and if_nameindex agree', () => {
    const list = p.if_nameindex();
    assert.ok(list.some((i) => i.name === 'lo'));
    for (const { index, name } of list) {
      assert.equal(p.if_nametoindex(name), index);
      assert.equal(p.if_indextoname(index), name);
    }
  });

  test('unknown names and indices are system errors', () => {
    assert.throws(() => p.if_nametoindex('nosuchif0'), { code: 'ENODEV', syscall: 'if_nametoindex' });
    assert.throws(() => p.if_nametoindex('x'.repeat(40)), { code: 'ENODEV' });
    assert.throws(() => p.if_indextoname(0x7fffff00), { code: 'ENXIO', syscall: 'if_indextoname' });
  });
});

describe('inet_pton / inet_ntop', () => {
  test('round trips', () => {
    assert.deepEqual([...p.inet_pton(p.AF_INET, '192.0.2.33')], [192, 0, 2, 33]);
    assert.equal(p.inet_ntop(p.AF_INET, Buffer.from([127, 0, 0, 1])), '127.0.0.1');
    const v6 = p.inet_pton(p.AF_INET6, '2001:db8::ff00:42:8329');
    assert.equal(v6.length, 16);
    assert.equal(p.inet_ntop(p.AF_INET6, v6), '2001:db8::ff00:42:8329');
    assert.equal(p.inet_ntop(p.AF_INET6, p.inet_pton(p.AF_INET6, '::ffff:1.2.3.4')), '::ffff:1.2.3.4');
  });

  test('invalid text, wrong lengths and families are refused', () => {
    assert.throws(() => p.inet_pton(p.AF_INET, '256.1.1.1'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => p.inet_pton(p.AF_INET, '1.2.3'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => p.inet_pton(p.AF_INET6, '1::2::3'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => p.inet_pton(p.AF_INET, '1.2.3.4\0'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => p.inet_pton(p.AF_UNIX, '1.2.3.4'), { code: 'EAFNOSUPPORT' });
    assert.throws(() => p.inet_ntop(p.AF_INET, Buffer.alloc(5)), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => p.inet_ntop(p.AF_INET6, 'abc' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
