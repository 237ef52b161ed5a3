// Options by name (the whole table of API.md), nixio-style setsockopt/
// getsockopt by level and name, and ENOPROTOOPT for what the platform lacks.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Socket, type OptionName } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { hasIPv6, isRoot } from './helpers.ts';

const tcp = () => new Socket('inet', 'stream');
const udp = () => new Socket('inet', 'dgram');
const udp6 = () => new Socket('inet6', 'dgram');

// [option, socket maker, value set, value expected back (default: the same)]
const roundTrips: [OptionName, () => Socket, unknown, unknown?][] = [
  ['keepalive', tcp, true], ['reuseaddr', tcp, true], ['reuseport', tcp, true], ['broadcast', udp, true],
  ['dontroute', tcp, true], ['oobinline', tcp, true], ['priority', tcp, 3], ['rcvlowat', tcp, 16],
  ['sndtimeo', tcp, 1500], ['rcvtimeo', tcp, 1000], ['linger', tcp, { on: true, timeout: 7 }],
  ['passcred', () => new Socket('unix', 'dgram'), true],
  ['tcp-nodelay', tcp, true], ['tcp-cork', tcp, true], ['tcp-keepidle', tcp, 42], ['tcp-keepintvl', tcp, 9],
  ['tcp-keepcnt', tcp, 4], ['tcp-fastopen', tcp, 5], ['tcp-user-timeout', tcp, 3000],
  ['ip-ttl', udp, 33], ['ip-tos', udp, 0x10], ['ip-mtu-discover', udp, 0], ['ip-pktinfo', udp, true],
  ['ip-freebind', udp, true], ['ip-multicast-ttl', udp, 5], ['ip-multicast-loop', udp, false],
  ['ipv6-v6only', udp6, true], ['ipv6-unicast-hops', udp6, 17], ['ipv6-multicast-hops', udp6, 3],
  ['ipv6-multicast-loop', udp6, false], ['ipv6-recvpktinfo', udp6, true],
  ['udp-segment', udp, 1400], ['udp-gro', udp, true],
];

describe('setOption / getOption', () => {
  for (const [name, make, value, expected] of roundTrips) {
    test(`${name} = ${JSON.stringify(value)}`, (t) => {
      if (name.startsWith('ipv6-') && !hasIPv6) return t.skip('no IPv6');
      const s = make();
      s.setOption(name as never, value as never); // the table's values are checked at run time here, by type in test/types.test.ts
      assert.deepEqual(s.getOption(name as never), expected ?? value);
      s.close();
    });
  }

  test('buffer sizes are doubled by Linux and read back as numbers', () => {
    const s = tcp();
    s.setOption('sndbuf', 32768);
    s.setOption('rcvbuf', 32768);
    assert.ok((s.getOption('sndbuf') as number) >= 32768);
    assert.ok((s.getOption('rcvbuf') as number) >= 32768);
    s.close();
  });

  test('read-only options: error, type, acceptconn, peercred, tcp-info, ip-mtu', async () => {
    const server = tcp();
    server.bind('127.0.0.1:0');
    server.listen();
    assert.equal(server.getOption('acceptconn'), true);
    assert.equal(server.getOption('type'), 'stream');
    assert.equal(server.getOption('error'), null);
    const c = tcp();
    const [conn] = await Promise.all([server.accept(), c.connect(server.localAddress())]);
    const info = conn.getOption('tcp-info') as Record<string, number>;
    assert.equal(info.state, 1, 'TCP_ESTABLISHED');
    assert.ok(info.rcvMss > 0 && typeof info.rtt === 'number');
    assert.ok((c.getOption('ip-mtu') as number) >= 1280);
    assert.throws(() => c.setOption('error' as never, 1 as never), { code: 'ERR_INVALID_ARG_VALUE' });
    const [a, b] = Socket.pair();
    assert.deepEqual(a.getOption('peercred'), { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    assert.equal(udp().getOption('type'), 'dgram');
    [server, c, conn, a, b].forEach((s) => s.close());
  });

  test("'error' reads the pending error as a code string", async () => {
    const probe = tcp();
    probe.bind('127.0.0.1:0');
    const port = (probe.localAddress() as { port: number }).port;
    probe.close();
    const s = udp();
    s.bind('127.0.0.1:0');
    await s.connect(`127.0.0.1:${port}`);
    await s.send('nobody listens'); // the ICMP port unreachable sets SO_ERROR
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.getOption('error'), 'ECONNREFUSED');
    assert.equal(s.getOption('error'), null, 'reading clears it');
    s.close();
  });

  test('strings: bindtodevice (as root) and tcp-congestion', (t) => {
    const s = tcp();
    const cc = s.getOption('tcp-congestion') as string;
    assert.ok(cc.length > 0);
    s.setOption('tcp-congestion', cc);
    if (isRoot) {
      s.setOption('bindtodevice', 'lo');
      assert.equal(s.getOption('bindtodevice'), 'lo');
    } else t.diagnostic('bindtodevice skipped: needs root');
    s.close();
  });

  test('multicast membership and interface options take names, indices or addresses', () => {
    const s = udp();
    s.bind('0.0.0.0:0');
    s.setOption('ip-multicast-if', 'lo');
    s.setOption('ip-multicast-if', '127.0.0.1');
    assert.equal(s.getOption('ip-multicast-if'), '127.0.0.1');
    s.setOption('ip-add-membership', { multiaddr: '239.1.2.3', interface: 'lo' });
    s.setOption('ip-drop-membership', { multiaddr: '239.1.2.3', interface: 'lo' });
    s.setOption('ip-add-membership', { multiaddr: '239.1.2.4', interface: '127.0.0.1' });
    assert.throws(() => s.setOption('ip-add-membership', { multiaddr: '239.1.2.4', interface: 'nosuchif0' }), { code: 'ENODEV' });
    assert.throws(() => s.getOption('ip-add-membership' as never), { code: 'ERR_INVALID_ARG_VALUE' });
    s.close();
    if (!hasIPv6) return;
    const s6 = udp6();
    s6.setOption('ipv6-multicast-if', 'lo');
    assert.equal(s6.getOption('ipv6-multicast-if'), posix.if_nametoindex('lo'));
    s6.close();
  });

  test('bad names and values are TypeErrors before any system call', () => {
    const s = tcp();
    assert.throws(() => s.setOption('nosuch' as never, 1 as never), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => s.setOption('keepalive', 'yes' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => s.setOption('linger', 5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => s.setOption('sndtimeo', -1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => s.setOption('bindtodevice', 'a\0b'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => s.setOption('ip-add-membership', { multiaddr: 'not-an-ip', interface: 0 }), { code: 'ERR_INVALID_ARG_VALUE' });
    s.close();
  });
});

describe('setsockopt / getsockopt (nixio style)', () => {
  test('level and option names as nixio spells them', () => {
    const s = tcp();
    s.setsockopt('socket', 'keepalive', true);
    assert.equal(s.getsockopt('socket', 'keepalive'), true);
    s.setsockopt('tcp', 'nodelay', true);
    assert.equal(s.getsockopt('tcp', 'nodelay'), true);
    s.setsockopt('tcp', 'cork', 1);
    assert.equal(s.getsockopt('tcp', 'cork'), true);
    s.setsockopt('socket', 'linger', { on: true, timeout: 3 });
    assert.deepEqual(s.getsockopt('socket', 'linger'), { on: true, timeout: 3 });
    s.setsockopt('ip', 'ttl', 40);
    assert.equal(s.getsockopt('ip', 'ttl'), 40);
    s.close();
    const u = udp();
    u.setsockopt('ip', 'multicast_ttl', 4);
    assert.equal(u.getsockopt('ip', 'multicast_ttl'), 4);
    u.setsockopt('ip', 'add_membership', { multiaddr: '239.9.9.9', interface: 'lo' });
    u.setsockopt('ip', 'drop_membership', { multiaddr: '239.9.9.9', interface: 'lo' });
    u.close();
    if (hasIPv6) {
      const v = udp6();
      v.setsockopt('ipv6', 'v6only', true);
      assert.equal(v.getsockopt('ipv6', 'v6only'), true);
      v.close();
    }
  });

  test('numbers and constant names work raw, with a kind for reading', () => {
    const s = tcp();
    s.setsockopt(posix.SOL_SOCKET, posix.SO_KEEPALIVE, 1);
    assert.equal(s.getsockopt(posix.SOL_SOCKET, posix.SO_KEEPALIVE), 1);
    s.setsockopt('tcp', 'TCP_KEEPCNT', 6);
    assert.equal(s.getsockopt('tcp', 'TCP_KEEPCNT', 'int'), 6);
    const linger = s.getsockopt('socket', 'SO_LINGER', 'bytes') as Buffer;
    assert.equal(linger.length, 8);
    assert.throws(() => s.setsockopt('bogus' as never, 'x', 1), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => s.setsockopt('tcp', 'NOSUCHOPTION', 1), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => s.setsockopt(posix.SOL_SOCKET, 0x7ffff, 1), { code: 'ENOPROTOOPT' });
    s.close();
  });
});
