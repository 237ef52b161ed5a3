// Option values, table-driven: structs by number (posix and Socket, round
// trips and forced kinds), luaposix's two-value form, and the input rules of
// ../shared/API.md "Additions": booleans are booleans, constant names only
// at their own level, levels and option numbers int32, interface indices
// 0..2^32-1, interface names shorter than IFNAMSIZ. Every refusal is a
// TypeError/RangeError with Node's code, before any system call: the
// option's value in the kernel is unchanged and no fd is left behind.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Socket, type OptionName } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { fdCount, hasIPv6, isRoot } from './helpers.ts';

const T = { timeout: 30_000 };
const { SOL_SOCKET, SO_LINGER, SO_RCVTIMEO, SO_SNDTIMEO, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP } = posix;
const SO_BINDTODEVICE = posix.SO_BINDTODEVICE!;
const TCP_CONGESTION = posix.TCP_CONGESTION!;
const IFNAMSIZ = posix.IFNAMSIZ;

/** Runs `fn`, which must throw `code`; no fd may be left behind. */
function refused(fn: () => unknown, code: string, what: string): void {
  const before = fdCount();
  assert.throws(fn, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, `${what}: ${err.message}`);
    assert.ok(err instanceof (code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError), `${what}: ${err.constructor.name}`);
    return true;
  }, what);
  assert.equal(fdCount(), before, `${what}: fds`);
}

describe('struct-valued options by number', () => {
  // [what, level, name, value set, value read back (default: the same), socket maker]
  const tcp = () => posix.socket(posix.AF_INET, posix.SOCK_STREAM, 0);
  const udp = () => posix.socket(posix.AF_INET, posix.SOCK_DGRAM, 0);
  const rows: [string, number, number, unknown, unknown, () => number][] = [
    ['SO_LINGER on', SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 10 }, undefined, tcp],
    ['SO_LINGER 0 seconds', SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 }, undefined, tcp],
    ['SO_LINGER with a boolean l_onoff', SOL_SOCKET, SO_LINGER, { l_onoff: true, l_linger: 5 }, { l_onoff: 1, l_linger: 5 }, tcp],
    ['SO_RCVTIMEO', SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 2, tv_usec: 500000 }, undefined, tcp],
    ['SO_SNDTIMEO', SOL_SOCKET, SO_SNDTIMEO, { tv_sec: 0, tv_usec: 0 }, undefined, udp],
    ['SO_SNDTIMEO seconds only', SOL_SOCKET, SO_SNDTIMEO, { tv_sec: 7, tv_usec: 0 }, undefined, udp],
    ['TCP_CONGESTION', IPPROTO_TCP, TCP_CONGESTION, 'reno', undefined, tcp],
  ];
  for (const [what, level, name, value, back, make] of rows) {
    test(`posix: ${what}`, T, () => {
      const fd = make();
      posix.setsockopt(fd, level, name, value as never);
      assert.deepEqual(posix.getsockopt(fd, level, name), back ?? value);
      posix.close(fd);
    });
    test(`Socket: ${what}`, T, () => {
      const s = Socket.from(make());
      s.setsockopt(level, name, value as object);
      assert.deepEqual(s.getsockopt(level, name), back ?? value);
      s.close();
    });
  }

  test('the named option and the struct by number are one value', T, () => {
    const s = new Socket('inet', 'stream');
    s.setOption('linger', { on: true, timeout: 12 });
    assert.deepEqual(s.getsockopt(SOL_SOCKET, SO_LINGER), { l_onoff: 1, l_linger: 12 });
    s.setsockopt('socket', 'SO_LINGER', { l_onoff: 0, l_linger: 12 });
    assert.deepEqual(s.getOption('linger'), { on: false, timeout: 12 });
    s.setOption('rcvtimeo', 1500); // a whole number of jiffies at any HZ: the kernel keeps timeouts in jiffies
    assert.deepEqual(s.getsockopt('socket', 'SO_RCVTIMEO'), { tv_sec: 1, tv_usec: 500000 });
    s.setsockopt(SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 3, tv_usec: 0 });
    assert.equal(s.getOption('rcvtimeo'), 3000);
    assert.equal(s.getOption('tcp-congestion'), s.getsockopt('tcp', 'TCP_CONGESTION'));
    s.close();
  });

  test('kind still forces a representation: int, bytes, a byte length', T, () => {
    const fd = posix.socket(posix.AF_INET, posix.SOCK_STREAM, 0);
    posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 10 });
    assert.equal(posix.getsockopt(fd, SOL_SOCKET, SO_LINGER, 'int'), 1, 'the first int of the struct');
    const bytes = posix.getsockopt(fd, SOL_SOCKET, SO_LINGER, 'bytes') as Buffer;
    assert.equal(bytes.length, 8);
    assert.equal(bytes.readInt32LE(4), 10);
    assert.equal((posix.getsockopt(fd, SOL_SOCKET, SO_LINGER, 8) as Buffer).readInt32LE(0), 1);
    const cc = posix.getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, 16) as Buffer;
    assert.ok(Buffer.isBuffer(cc) && cc.toString().startsWith(posix.getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION) as string));
    // Raw bytes still set any option, structs included.
    const raw = Buffer.alloc(8);
    raw.writeInt32LE(1, 0);
    raw.writeInt32LE(3, 4);
    posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, raw);
    assert.deepEqual(posix.getsockopt(fd, SOL_SOCKET, SO_LINGER), { l_onoff: 1, l_linger: 3 });
    posix.close(fd);
    const s = new Socket('inet', 'stream');
    s.setsockopt(SOL_SOCKET, SO_LINGER, 1, 4);
    assert.equal(s.getsockopt(SOL_SOCKET, SO_LINGER, 'int'), 1);
    assert.equal((s.getsockopt('socket', 'SO_LINGER', 'bytes') as Buffer).length, 8);
    s.close();
  });

  test("luaposix's two values: SO_LINGER (l_onoff, l_linger), SO_RCVTIMEO/SO_SNDTIMEO (tv_sec, tv_usec)", T, () => {
    const fd = posix.socket(posix.AF_INET, posix.SOCK_STREAM, 0);
    posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, 1, 7);
    assert.deepEqual(posix.getsockopt(fd, SOL_SOCKET, SO_LINGER), { l_onoff: 1, l_linger: 7 });
    posix.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, 1, 0);
    assert.deepEqual(posix.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO), { tv_sec: 1, tv_usec: 0 });
    posix.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, 0, 500000);
    assert.deepEqual(posix.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO), { tv_sec: 0, tv_usec: 500000 });
    posix.close(fd);
  });

  test('membership structs, set only: the join and the drop reach the kernel', T, () => {
    const s = new Socket('inet', 'dgram');
    s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, { imr_multiaddr: '239.3.3.3', imr_interface: '127.0.0.1' });
    s.setsockopt('ip', 'IP_DROP_MEMBERSHIP', { imr_multiaddr: '239.3.3.3', imr_interface: '127.0.0.1' });
    s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, { imr_multiaddr: '239.3.3.4' }); // interface: INADDR_ANY
    s.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, { imr_multiaddr: '239.3.3.4' });
    assert.throws(() => s.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, { imr_multiaddr: '239.3.3.4' }), { code: 'EADDRNOTAVAIL' });
    s.close();
    if (!hasIPv6) return;
    const s6 = new Socket('inet6', 'dgram');
    const lo = posix.if_nametoindex('lo');
    s6.setsockopt(IPPROTO_IPV6, posix.IPV6_JOIN_GROUP!, { ipv6mr_multiaddr: 'ff12::3333', ipv6mr_interface: lo });
    s6.setsockopt(IPPROTO_IPV6, posix.IPV6_LEAVE_GROUP!, { ipv6mr_multiaddr: 'ff12::3333', ipv6mr_interface: lo });
    assert.throws(() => s6.setsockopt(IPPROTO_IPV6, posix.IPV6_LEAVE_GROUP!, { ipv6mr_multiaddr: 'ff12::3333', ipv6mr_interface: lo }), { code: 'EADDRNOTAVAIL' });
    s6.close();
  });

  test('SO_BINDTODEVICE: a name in, a name out (as root)', { ...T, skip: !isRoot && 'needs CAP_NET_RAW' }, () => {
    const s = new Socket('inet', 'dgram');
    assert.equal(s.getsockopt(SOL_SOCKET, SO_BINDTODEVICE), '');
    s.setsockopt(SOL_SOCKET, SO_BINDTODEVICE, 'lo');
    assert.equal(s.getsockopt('socket', 'SO_BINDTODEVICE'), 'lo');
    assert.equal(s.getOption('bindtodevice'), 'lo');
    s.setsockopt(SOL_SOCKET, SO_BINDTODEVICE, '');
    assert.equal(s.getOption('bindtodevice'), '');
    s.close();
  });

  test('wrong struct values are refused before any system call', T, () => {
    const fd = posix.socket(posix.AF_INET, posix.SOCK_STREAM, 0);
    posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 9 });
    posix.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 4, tv_usec: 0 });
    const rows: [string, () => unknown, string][] = [
      ['linger: one number', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, 1), 'ERR_INVALID_ARG_TYPE'],
      ['linger: a string', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, '1 7'), 'ERR_INVALID_ARG_TYPE'],
      ["linger: LuaSocket's table at the number", () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { on: true, timeout: 1 } as never), 'ERR_INVALID_ARG_TYPE'],
      ['linger: l_onoff a string', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: '1', l_linger: 1 } as never), 'ERR_INVALID_ARG_TYPE'],
      ['linger: l_onoff NaN', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: NaN, l_linger: 1 }), 'ERR_OUT_OF_RANGE'],
      ['linger: l_linger missing', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1 } as never), 'ERR_INVALID_ARG_TYPE'],
      ['linger: l_linger negative', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: -1 }), 'ERR_OUT_OF_RANGE'],
      ['linger: l_linger 2^31', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 2 ** 31 }), 'ERR_OUT_OF_RANGE'],
      ['linger: two values, the second a fraction', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, 1, 1.5), 'ERR_OUT_OF_RANGE'],
      ['timeval: tv_usec 1000000', () => posix.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 0, tv_usec: 1_000_000 }), 'ERR_OUT_OF_RANGE'],
      ['timeval: tv_usec negative', () => posix.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, 0, -1), 'ERR_OUT_OF_RANGE'],
      ['timeval: tv_sec negative', () => posix.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, -1, 0), 'ERR_OUT_OF_RANGE'],
      ['timeval: tv_sec a fraction', () => posix.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 0.5, tv_usec: 0 }), 'ERR_OUT_OF_RANGE'],
      ['timeval: an array', () => posix.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, [1, 0] as never), 'ERR_INVALID_ARG_TYPE'],
      ['timeval: null', () => posix.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, null as never), 'ERR_INVALID_ARG_TYPE'],
      ['value2 for an int option', () => posix.setsockopt(fd, SOL_SOCKET, posix.SO_KEEPALIVE, 1, 1), 'ERR_INVALID_ARG_VALUE'],
      ['value2 with a struct', () => posix.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 1 }, 1), 'ERR_INVALID_ARG_TYPE'],
      ['mreq: not an address', () => posix.setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, { imr_multiaddr: 'nope' }), 'ERR_INVALID_ARG_VALUE'],
      ['mreq: interface a number', () => posix.setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, { imr_multiaddr: '239.1.1.1', imr_interface: 1 as never }), 'ERR_INVALID_ARG_TYPE'],
      ['ipv6_mreq: interface 2^32', () => posix.setsockopt(fd, IPPROTO_IPV6, posix.IPV6_JOIN_GROUP!, { ipv6mr_multiaddr: 'ff12::1', ipv6mr_interface: 2 ** 32 }), 'ERR_OUT_OF_RANGE'],
      ['ipv6_mreq: interface -1', () => posix.setsockopt(fd, IPPROTO_IPV6, posix.IPV6_JOIN_GROUP!, { ipv6mr_multiaddr: 'ff12::1', ipv6mr_interface: -1 }), 'ERR_OUT_OF_RANGE'],
      ['ipv6_mreq: interface a name', () => posix.setsockopt(fd, IPPROTO_IPV6, posix.IPV6_JOIN_GROUP!, { ipv6mr_multiaddr: 'ff12::1', ipv6mr_interface: 'lo' as never }), 'ERR_INVALID_ARG_TYPE'],
      ['TCP_CONGESTION: a number', () => posix.setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, 1), 'ERR_INVALID_ARG_TYPE'],
      ['TCP_CONGESTION: a NUL', () => posix.setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, 'cu\0bic'), 'ERR_INVALID_ARG_VALUE'],
    ];
    for (const [what, fn, code] of rows) refused(fn, code, what);
    assert.deepEqual(posix.getsockopt(fd, SOL_SOCKET, SO_LINGER), { l_onoff: 1, l_linger: 9 }, 'unchanged');
    assert.deepEqual(posix.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO), { tv_sec: 4, tv_usec: 0 }, 'unchanged');
    posix.close(fd);
  });
});

describe('booleans are booleans', () => {
  const flags: [OptionName, () => Socket][] = [
    ['keepalive', () => new Socket('inet', 'stream')], ['reuseaddr', () => new Socket('inet', 'stream')],
    ['reuseport', () => new Socket('inet', 'stream')], ['broadcast', () => new Socket('inet', 'dgram')],
    ['dontroute', () => new Socket('inet', 'stream')], ['oobinline', () => new Socket('inet', 'stream')],
    ['passcred', () => new Socket('unix', 'dgram')], ['tcp-nodelay', () => new Socket('inet', 'stream')],
    ['tcp-cork', () => new Socket('inet', 'stream')], ['tcp-quickack', () => new Socket('inet', 'stream')],
    ['ip-pktinfo', () => new Socket('inet', 'dgram')], ['ip-freebind', () => new Socket('inet', 'dgram')],
    ['ip-multicast-loop', () => new Socket('inet', 'dgram')], ['udp-gro', () => new Socket('inet', 'dgram')],
  ];
  const notBooleans: [string, unknown][] = [
    ['1', 1], ['0', 0], ['NaN', NaN], ["'true'", 'true'], ["'false'", 'false'], ['null', null], ['undefined', undefined],
    ['{}', {}], ['[]', []], ['1n', 1n], ['new Boolean(false)', new Boolean(false)],
  ];

  test('every flag option takes true and false, and refuses anything else with ERR_INVALID_ARG_TYPE', T, () => {
    for (const [name, make] of flags) {
      const s = make();
      const flag = name as 'keepalive'; // each a boolean option; the types refuse anything but booleans, the runtime too
      s.setOption(flag, true);
      assert.equal(s.getOption(flag), true, name);
      s.setOption(flag, false);
      assert.equal(s.getOption(flag), false, name);
      for (const [label, v] of notBooleans) refused(() => s.setOption(flag, v as never), 'ERR_INVALID_ARG_TYPE', `${name} = ${label}`);
      assert.equal(s.getOption(flag), false, `${name}: unchanged`);
      s.close();
    }
  });

  test("linger's on is a boolean: { on: 'false' } does not turn linger on", T, () => {
    const s = new Socket('inet', 'stream');
    for (const [label, on] of notBooleans.filter(([l]) => l !== 'undefined')) {
      refused(() => s.setOption('linger', { on, timeout: 5 } as never), 'ERR_INVALID_ARG_TYPE', `on = ${label}`);
    }
    refused(() => s.setOption('linger', { timeout: 5 } as never), 'ERR_INVALID_ARG_TYPE', 'on missing');
    refused(() => s.setOption('linger', { on: true, timeout: -1 }), 'ERR_OUT_OF_RANGE', 'timeout -1');
    refused(() => s.setOption('linger', { on: true, timeout: 1.5 }), 'ERR_OUT_OF_RANGE', 'timeout 1.5');
    refused(() => s.setOption('linger', { on: true, timeout: '5' } as never), 'ERR_INVALID_ARG_TYPE', "timeout '5'");
    assert.deepEqual(s.getOption('linger'), { on: false, timeout: 0 }, 'linger is still off');
    s.setOption('linger', { on: true });
    assert.deepEqual(s.getOption('linger'), { on: true, timeout: 0 }, 'timeout defaults to 0');
    s.close();
  });

  test("nixio-style flags take nixio's 0 and 1 as well, nothing else", T, () => {
    const s = new Socket('inet', 'stream');
    s.setsockopt('tcp', 'nodelay', 1);
    assert.equal(s.getsockopt('tcp', 'nodelay'), true);
    s.setsockopt('tcp', 'nodelay', 0);
    assert.equal(s.getsockopt('tcp', 'nodelay'), false);
    for (const [label, v] of [['2', 2], ['-1', -1], ['NaN', NaN], ['0.5', 0.5], ["'1'", '1']] as [string, unknown][]) {
      refused(() => s.setsockopt('tcp', 'nodelay', v as number), 'ERR_INVALID_ARG_TYPE', `nodelay = ${label}`);
    }
    assert.equal(s.getsockopt('tcp', 'nodelay'), false);
    s.close();
  });

  test('raw options by number still take a C int or a boolean', T, () => {
    const s = new Socket('inet', 'stream');
    s.setsockopt(SOL_SOCKET, posix.SO_KEEPALIVE, true);
    assert.equal(s.getsockopt(SOL_SOCKET, posix.SO_KEEPALIVE), 1);
    s.setsockopt('socket', 'SO_KEEPALIVE', 0);
    assert.equal(s.getsockopt('socket', 'SO_KEEPALIVE'), 0);
    refused(() => s.setsockopt(SOL_SOCKET, posix.SO_KEEPALIVE, NaN), 'ERR_OUT_OF_RANGE', 'NaN');
    refused(() => s.setsockopt(SOL_SOCKET, posix.SO_KEEPALIVE, 'yes' as never), 'ERR_INVALID_ARG_TYPE', "'yes'");
    s.close();
  });
});

describe('levels and option names', () => {
  // A constant of another level is refused, never taken for its number at this level.
  const crossLevel: [level: Parameters<Socket['setsockopt']>[0], name: string, looksLike: string][] = [
    ['socket', 'TCP_NODELAY', 'SO_DEBUG'], ['ip', 'SO_TYPE', 'IP_HDRINCL'], ['tcp', 'SO_KEEPALIVE', 'TCP_KEEPIDLE?'],
    ['ipv6', 'IP_TTL', 'IPV6_?'], ['ip', 'IPV6_V6ONLY', 'IP_?'], ['udp', 'TCP_CORK', 'UDP_?'], ['socket', 'IP_TOS', 'SO_DEBUG'],
    [SOL_SOCKET, 'TCP_NODELAY', 'SO_DEBUG'], [IPPROTO_TCP, 'SO_DEBUG', 'TCP_NODELAY'], [IPPROTO_IP, 'SO_TYPE', 'IP_HDRINCL'],
    ['socket', 'AF_INET', 'SO_?'], ['socket', 'SOL_SOCKET', 'SO_DEBUG'], ['tcp', 'MSG_PEEK', 'TCP_?'], [posix.SOL_PACKET!, 'SO_TYPE', 'PACKET_?'],
  ];

  test('a constant name of another level is refused on get and set, before any system call', T, () => {
    const s = new Socket('inet', 'stream');
    for (const [level, name, looksLike] of crossLevel) {
      refused(() => s.setsockopt(level, name, 1), 'ERR_INVALID_ARG_VALUE', `set (${level}, ${name}) would be ${looksLike}`);
      refused(() => s.getsockopt(level, name), 'ERR_INVALID_ARG_VALUE', `get (${level}, ${name})`);
      refused(() => s.getsockopt(level, name, 'int'), 'ERR_INVALID_ARG_VALUE', `get (${level}, ${name}, 'int')`);
    }
    assert.equal(s.getsockopt(SOL_SOCKET, posix.SO_DEBUG), 0, 'SO_DEBUG was not set');
    s.close();
  });

  test('own-level constants and nixio short names work, by level name and by number', T, () => {
    const s = new Socket('inet', 'stream');
    s.setsockopt('tcp', 'TCP_NODELAY', 1);
    assert.equal(s.getsockopt(IPPROTO_TCP, 'TCP_NODELAY'), 1);
    s.setsockopt(IPPROTO_TCP, 'NODELAY', 0);
    assert.equal(s.getsockopt('tcp', 'TCP_NODELAY'), 0);
    s.setsockopt('socket', 'SO_KEEPALIVE', 1);
    assert.equal(s.getsockopt(SOL_SOCKET, 'KEEPALIVE'), 1);
    s.setsockopt('ip', 'IP_TTL', 33);
    assert.equal(s.getsockopt('ip', 'ttl'), 33, 'nixio name: decoded');
    assert.equal(s.getsockopt('ip', 'IP_TTL'), 33, 'constant: raw int');
    s.setsockopt('tcp', 'tcp-keepcnt', 5);
    assert.equal(s.getsockopt('tcp', 'keepcnt'), 5, "berkeley's own name at its level");
    s.close();
  });

  test('levels and option numbers are int32; level names are own properties', T, () => {
    const s = new Socket('inet', 'stream');
    const fd = posix.socket(posix.AF_INET, posix.SOCK_STREAM, 0);
    const range: [string, unknown][] = [['2^31', 2 ** 31], ['-(2^31)-1', -(2 ** 31) - 1], ['1.5', 1.5], ['NaN', NaN], ['Infinity', Infinity], ['2^53', 2 ** 53]];
    for (const [label, v] of range) {
      refused(() => s.setsockopt(v as number, posix.SO_KEEPALIVE, 1), 'ERR_OUT_OF_RANGE', `level ${label}`);
      refused(() => s.getsockopt(SOL_SOCKET, v as number), 'ERR_OUT_OF_RANGE', `name ${label}`);
      refused(() => posix.setsockopt(fd, v as number, posix.SO_KEEPALIVE, 1), 'ERR_OUT_OF_RANGE', `posix level ${label}`);
      refused(() => posix.getsockopt(fd, SOL_SOCKET, v as number), 'ERR_OUT_OF_RANGE', `posix name ${label}`);
    }
    for (const level of ['SOCKET', 'constructor', '__proto__', 'toString', '']) {
      refused(() => s.setsockopt(level as never, 'SO_KEEPALIVE', 1), 'ERR_INVALID_ARG_VALUE', `level '${level}'`);
    }
    for (const name of ['constructor', '__proto__', 'hasOwnProperty', '']) {
      refused(() => s.setsockopt('socket', name, 1), 'ERR_INVALID_ARG_VALUE', `name '${name}'`);
    }
    refused(() => posix.setsockopt(fd, '1' as never, posix.SO_KEEPALIVE, 1), 'ERR_INVALID_ARG_TYPE', "posix level '1'");
    refused(() => s.setsockopt(SOL_SOCKET, { n: 1 } as never, 1), 'ERR_INVALID_ARG_TYPE', 'name an object');
    // int32 values outside the kernel's options are the kernel's to refuse.
    assert.throws(() => s.setsockopt(SOL_SOCKET, 0x7fffffff, 1), { code: 'ENOPROTOOPT' });
    assert.throws(() => posix.getsockopt(fd, -0x80000000, 1), { name: 'SocketError' });
    posix.close(fd);
    s.close();
  });
});

describe('interfaces', () => {
  test('interface names of IFNAMSIZ bytes or more are refused, never cut by the kernel', T, () => {
    assert.equal(IFNAMSIZ, 16);
    const s = new Socket('inet', 'dgram');
    const fd = posix.socket(posix.AF_INET, posix.SOCK_DGRAM, 0);
    const long: [string, string][] = [
      ['16 bytes', 'x'.repeat(16)], ['18 bytes', 'lo'.padEnd(18, 'o')], ['lo + 14 spaces', `lo${' '.repeat(14)}`],
      ['8 two-byte characters', '\u00e9'.repeat(8)], ['256 bytes', 'y'.repeat(256)],
    ];
    for (const [label, name] of long) {
      refused(() => s.setOption('bindtodevice', name), 'ERR_INVALID_ARG_VALUE', `setOption bindtodevice ${label}`);
      refused(() => s.setsockopt('socket', 'bindtodevice', name), 'ERR_INVALID_ARG_VALUE', `nixio bindtodevice ${label}`);
      refused(() => s.setsockopt(SOL_SOCKET, SO_BINDTODEVICE, name), 'ERR_INVALID_ARG_VALUE', `SO_BINDTODEVICE ${label}`);
      refused(() => posix.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name), 'ERR_INVALID_ARG_VALUE', `posix SO_BINDTODEVICE ${label}`);
      refused(() => posix.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(name)), 'ERR_INVALID_ARG_VALUE', `posix SO_BINDTODEVICE bytes ${label}`);
    }
    refused(() => s.setOption('bindtodevice', 'l\0o'), 'ERR_INVALID_ARG_VALUE', 'a NUL');
    refused(() => s.setOption('bindtodevice', 1 as never), 'ERR_INVALID_ARG_TYPE', 'a number');
    assert.equal(s.getOption('bindtodevice'), '', 'still unbound');
    // 15 bytes is a name the kernel takes whole: no such device (or, without CAP_NET_RAW, EPERM).
    assert.throws(() => s.setOption('bindtodevice', 'z'.repeat(15)), { code: isRoot ? 'ENODEV' : 'EPERM' });
    assert.throws(() => posix.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${'z'.repeat(15)}\0and more`)), { code: isRoot ? 'ENODEV' : 'EPERM' }, 'bytes: the name ends at its NUL');
    posix.close(fd);
    s.close();
  });

  test('interface indices are 0..2^32-1 in every spelling', T, () => {
    const s = new Socket('inet', 'dgram');
    for (const [label, v] of [['2^32', 2 ** 32], ['-1', -1], ['1.5', 1.5], ["'4294967297'", '4294967297'], ["'4294967296'", '4294967296']] as [string, unknown][]) {
      refused(() => s.setOption('ip-add-membership', { multiaddr: '239.2.2.2', interface: v as number }), 'ERR_OUT_OF_RANGE', `membership interface ${label}`);
      refused(() => s.addMembership('239.2.2.2', v as number), 'ERR_OUT_OF_RANGE', `addMembership ${label}`);
      refused(() => s.setMulticastInterface(v as number), 'ERR_OUT_OF_RANGE', `setMulticastInterface ${label}`);
    }
    // The largest index passes validation; the kernel has no such interface.
    assert.throws(() => s.addMembership('239.2.2.2', 2 ** 32 - 1), { code: 'ENODEV' });
    s.close();
    if (!hasIPv6) return;
    const s6 = new Socket('inet6', 'dgram');
    for (const v of [2 ** 32, -1, '4294967297']) {
      refused(() => s6.setOption('ipv6-multicast-if', v), 'ERR_OUT_OF_RANGE', `ipv6-multicast-if ${v}`);
      refused(() => s6.addMembership('ff12::2', v as number), 'ERR_OUT_OF_RANGE', `ipv6 addMembership ${v}`);
    }
    s6.setOption('ipv6-multicast-if', 'lo');
    assert.equal(s6.getOption('ipv6-multicast-if'), posix.if_nametoindex('lo'));
    s6.close();
  });

  test('setMulticastInterface(null) is refused, not taken for "any interface"', T, () => {
    const s = new Socket('inet', 'dgram');
    s.setMulticastInterface('127.0.0.1');
    refused(() => s.setMulticastInterface(null as never), 'ERR_INVALID_ARG_TYPE', 'null');
    refused(() => s.setMulticastInterface(undefined as never), 'ERR_INVALID_ARG_TYPE', 'undefined');
    refused(() => s.setOption('ip-multicast-if', null as never), 'ERR_INVALID_ARG_TYPE', 'setOption null');
    assert.equal(s.getOption('ip-multicast-if'), '127.0.0.1', 'unchanged');
    s.setMulticastInterface(0);
    assert.equal(s.getOption('ip-multicast-if'), '0.0.0.0', 'index 0, said explicitly, is any interface');
    s.close();
  });
});
