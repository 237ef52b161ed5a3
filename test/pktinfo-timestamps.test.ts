// IP_PKTINFO / IPV6_RECVPKTINFO and kernel receive timestamps decoded by recvMsg.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from '../src/index.ts';
import { hasIPv6 } from './helpers.ts';

describe('messages', () => {
  test('pktinfo and kernel timestamps are decoded (IPv4)', { timeout: 10_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    r.setOption('ip-pktinfo', true);
    r.setOption('timestampns', true);
    const s = new Socket('inet', 'dgram');
    const before = Date.now();
    await s.sendTo('where', r.localAddress());
    const m = await r.recvMsg();
    assert.equal(m.data.toString(), 'where');
    assert.deepEqual(m.pktinfo, { ifindex: 1, address: '127.0.0.1', localAddress: '127.0.0.1' });
    assert.ok(m.timestamp! >= before - 1000 && m.timestamp! <= Date.now() + 1000, `timestamp ${m.timestamp}`);
    assert.equal(m.control.length, 0, 'decoded control messages are not repeated raw');
    r.setOption('timestampns', false);
    r.setOption('timestamp', true);
    await s.sendTo('again', r.localAddress());
    const m2 = r.recvMsgSync();
    assert.ok(Math.abs(m2.timestamp! - Date.now()) < 5000);
    r.close();
    s.close();
  });

  test('pktinfo (IPv6)', { skip: !hasIPv6 && 'no IPv6', timeout: 10_000 }, async () => {
    const r = new Socket('inet6', 'dgram');
    r.bind('[::1]:0');
    r.setOption('ipv6-recvpktinfo', true);
    const s = new Socket('inet6', 'dgram');
    await s.sendTo('v6', r.localAddress());
    const m = await r.recvMsg();
    assert.deepEqual(m.pktinfo, { ifindex: 1, address: '::1' });
    r.close();
    s.close();
  });
});
