// Batched datagram I/O: sendMany/recvMany (sendmmsg/recvmmsg), sync and async.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Socket, SocketError } from '../src/index.ts';
import { sleep } from './helpers.ts';

describe('sendMany / recvMany', () => {
  test('10,000 datagrams over UDP, in order, none lost (async)', { timeout: 30_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.setOption('rcvbuf', 4 << 20);
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    await s.connect(r.localAddress());
    const total = 10_000;
    const got: number[] = [];
    const receiving = (async () => {
      while (got.length < total) {
        for (const m of await r.recvMany({ maxMessages: 64, size: 64, timeout: 10_000 })) got.push(m.data.readUInt32BE(0));
      }
    })();
    for (let i = 0; i < total; i += 500) {
      const batch = Array.from({ length: 500 }, (_, j) => { const b = Buffer.alloc(8); b.writeUInt32BE(i + j); return b; });
      assert.equal(await s.sendMany(batch), 500);
      await sleep(1); // let the receiver keep up: UDP drops what a full queue cannot take
    }
    await receiving;
    assert.equal(got.length, total);
    assert.ok(got.every((v, i) => v === i), 'in order');
    assert.equal(r.stats().received, total * 8);
    r.close();
    s.close();
  });

  test('10,000 Unix datagrams with addresses, sync batches, none lost', { timeout: 30_000 }, () => {
    const r = new Socket('unix', 'dgram');
    r.bind('');
    const s = new Socket('unix', 'dgram');
    s.bind('');
    let sent = 0;
    let received = 0;
    const to = r.localAddress();
    while (received < 10_000) {
      if (sent < 10_000) {
        const batch = Array.from({ length: 100 }, (_, j) => ({ data: `${sent + j}`, address: to }));
        s.setTimeout(0);
        try { sent += s.sendManySync(batch); } catch (err) { sent += (err as SocketError).sent!; }
      }
      r.setTimeout(1000);
      for (const m of r.recvManySync({ maxMessages: 256, size: 16 })) {
        assert.equal(m.data.toString(), String(received++));
        if (received === 1) assert.deepEqual(m.address, s.localAddress());
      }
    }
    r.close();
    s.close();
  });

  test('recvMany gives each message its own sender, shared (frozen) between messages of one sender', { timeout: 10_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const senders = [new Socket('inet', 'dgram'), new Socket('inet', 'dgram')];
    senders.forEach((s) => s.bind('127.0.0.1:0'));
    // a a b a b b: runs of one sender and switches between them.
    const order = [0, 0, 1, 0, 1, 1];
    order.forEach((who, i) => senders[who].sendToSync(`m${i}`, r.localAddress()));
    const ms = r.recvManySync({ maxMessages: 16, size: 16, timeout: 1000 });
    assert.deepEqual(ms.map((m) => m.data.toString()), order.map((_, i) => `m${i}`));
    ms.forEach((m, i) => assert.deepEqual(m.address, senders[order[i]].localAddress(), `message ${i}`));
    assert.equal(ms[0].address, ms[1].address, 'one decoded address for a run of one sender');
    assert.notEqual(ms[1].address, ms[2].address);
    assert.ok(Object.isFrozen(ms[0].address), 'shared, so frozen (as recvFrom\'s)');
    r.close();
    senders.forEach((s) => s.close());
  });

  test('recvMany into a caller-owned buffer returns views of it, without copying', { timeout: 10_000 }, async () => {
    const [a, b] = Socket.pair('dgram');
    a.sendManySync(['one', 'two', 'three']);
    const buffer = Buffer.alloc(4 * 16);
    const ms = b.recvManySync({ maxMessages: 4, size: 16, buffer });
    assert.deepEqual(ms.map((m) => m.data.toString()), ['one', 'two', 'three']);
    ms.forEach((m, i) => {
      assert.equal(m.data.buffer, buffer.buffer, 'a view of the caller\'s buffer');
      assert.equal(m.data.byteOffset - buffer.byteOffset, i * 16, 'in its own slot, where the kernel put it');
    });
    // A buffer that starts inside its ArrayBuffer: the views are placed from its own start.
    a.sendManySync(['four', 'five']);
    const inner = Buffer.alloc(16 + 2 * 16).subarray(16);
    const more = b.recvManySync({ maxMessages: 2, size: 16, buffer: inner });
    assert.deepEqual(more.map((m) => m.data.toString()), ['four', 'five']);
    more.forEach((m, i) => {
      assert.ok(Buffer.isBuffer(m.data));
      assert.equal(m.data.buffer, inner.buffer);
      assert.equal(m.data.byteOffset - inner.byteOffset, i * 16);
    });
    assert.throws(() => b.recvManySync({ maxMessages: 4, size: 16, buffer: Buffer.alloc(10) }), { code: 'ERR_INVALID_ARG_VALUE' });
    const copied = await Promise.all([b.recvMany({ size: 16 }), a.send('own')]);
    assert.notEqual(copied[0][0].data.buffer, buffer.buffer);
    a.close();
    b.close();
  });

  test('recvMany reports truncation per message and waits for the first one', { timeout: 10_000 }, async () => {
    const [a, b] = Socket.pair('dgram');
    setTimeout(() => a.sendManySync(['short', 'a much longer datagram']), 20);
    const ms = await b.recvMany({ size: 8 });
    assert.deepEqual(ms.map((m) => [m.data.toString(), m.truncated]), [['short', false], ['a much l', true]]);
    a.close();
    b.close();
  });
});
