// for await over sockets and the datagrams/fds it reads ahead, as seen by later receive calls.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { openSync } from 'node:fs';
import { Socket, constants, select, type ReceivedMessage } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { noFdLeak, sleep } from './helpers.ts';

describe('iteration', () => {
  test('for await over a listening socket yields connections and ends on close', { timeout: 10_000 }, async () => {
    const l = new Socket('inet', 'stream');
    l.bind('127.0.0.1:0');
    l.listen();
    const clients = [new Socket('inet', 'stream'), new Socket('inet', 'stream')];
    await Promise.all(clients.map((c) => c.connect(l.localAddress())));
    let n = 0;
    setTimeout(() => l.close(), 50);
    for await (const conn of l) {
      assert.ok(conn instanceof Socket);
      (conn as Socket).close();
      n++;
    }
    assert.equal(n, 2);
    clients.forEach((c) => c.close());
  });

  test('for await over a datagram socket yields messages', { timeout: 10_000 }, async () => {
    const [a, b] = Socket.pair('dgram');
    a.sendManySync(['x', 'y', 'z']);
    b.setTimeout(2000);
    const got: string[] = [];
    for await (const m of b) {
      got.push((m as { data: Buffer }).data.toString());
      if (got.length === 3) b.close();
    }
    assert.deepEqual(got, ['x', 'y', 'z']);
    a.close();
  });

  /** A UDP receiver with `count` datagrams 'd00', 'd01', ... queued, and their sender. */
  function udpQueue(count: number): { r: Socket; s: Socket } {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    s.bind('127.0.0.1:0');
    s.sendManySync(Array.from({ length: count }, (_, i) => ({ data: `d${String(i).padStart(2, '0')}`, address: r.localAddress() })));
    return { r, s };
  }

  async function first(s: Socket): Promise<ReceivedMessage> {
    for await (const m of s) return m as ReceivedMessage;
    throw new Error('the iterator ended');
  }

  test('the datagram iterator reads a batch per system call; datagrams read ahead go to every later receive call, in order', { timeout: 10_000 }, async () => {
    const { r, s } = udpQueue(40);
    r.setTimeout(2000); // a lost datagram fails the test instead of hanging it
    assert.equal((await first(r)).data.toString(), 'd00');
    // The kernel's queue moved on by a whole batch: the next 15 wait in the socket.
    assert.equal(posix.recv(r.fd, 16, constants.MSG_PEEK | constants.MSG_DONTWAIT).toString(), 'd16');
    assert.equal(r.dirty(), true);
    const got: string[] = [];
    got.push((await r.recv()).toString());
    const into = Buffer.alloc(16);
    got.push(into.toString('latin1', 0, await r.recvInto(into)));
    const from = await r.recvFrom();
    assert.deepEqual(from.address, s.localAddress());
    got.push(from.data.toString());
    got.push((await r.recvMsg()).data.toString());
    got.push(...(await r.recvMany({ maxMessages: 3 })).map((m) => m.data.toString()));
    got.push(r.recvSync().toString());
    got.push(into.toString('latin1', 0, r.recvIntoSync(into)));
    got.push(r.recvFromSync().data.toString());
    got.push(r.recvMsgSync().data.toString());
    const batch = Buffer.alloc(2 * 8);
    const many = r.recvManySync({ maxMessages: 2, size: 8, buffer: batch });
    assert.equal(many[1].data.buffer, batch.buffer, 'with a buffer, read-ahead data is placed in it too');
    got.push(...many.map((m) => m.data.toString()));
    got.push((await r.receive(3)).toString());
    assert.deepEqual(got, Array.from({ length: 14 }, (_, i) => `d${String(i + 1).padStart(2, '0')}`));
    // A new loop takes up where the first left off: d15 from the socket, then the kernel's.
    const rest: string[] = [];
    for await (const m of r) {
      rest.push((m as ReceivedMessage).data.toString());
      if (rest.length === 25) break;
    }
    assert.deepEqual(rest, Array.from({ length: 25 }, (_, i) => `d${i + 15}`));
    assert.equal(r.dirty(), false);
    assert.equal(r.stats().received, 40 * 3, 'each datagram counted once, when handed out');
    r.close();
    s.close();
  });

  test('read-ahead datagrams: cut to the size asked, MSG_TRUNC and MSG_PEEK as the kernel does them', { timeout: 10_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    s.sendManySync(['first', 'second', 'third', 'fourth', 'fifth'].map((data) => ({ data, address: r.localAddress() })));
    r.setTimeout(2000);
    await first(r);
    const peeked = await r.recv(3, { flags: constants.MSG_PEEK });
    assert.equal(peeked.toString(), 'sec');
    peeked.fill(0);
    const small = Buffer.alloc(2);
    assert.equal(await r.recvInto(small, { flags: constants.MSG_TRUNC }), 6, 'MSG_TRUNC reports the full length');
    assert.equal(small.toString(), 'se', 'a peek handed out a copy');
    const cut = r.recvFromSync(2);
    assert.equal(cut.data.toString(), 'th');
    assert.equal(cut.truncated, true);
    const msg = await r.recvMsg({ size: 4 });
    assert.deepEqual([msg.data.toString(), msg.truncated, (msg.flags & constants.MSG_TRUNC) !== 0], ['four', true, true]);
    const [m] = await r.recvMany({ size: 64, flags: constants.MSG_PEEK, maxMessages: 8 });
    assert.equal(m.data.toString(), 'fifth');
    assert.equal((await r.recvMany({ maxMessages: 8 })).length, 1, 'the peeked datagram is still there, and only it');
    r.close();
    s.close();
  });

  test('read-ahead fds: cut to maxFds, duplicated for a peek, closed with the socket', { timeout: 10_000 }, async () => {
    await noFdLeak(async () => {
      const [a, b] = Socket.pair('dgram');
      const send = (n: number) => {
        const fd = openSync('/dev/null', 'r');
        a.sendMsgSync({ data: `m${n}`, fds: [fd] });
        posix.close(fd);
      };
      for (let i = 0; i < 5; i++) send(i);
      b.setTimeout(2000);
      const m0 = await first(b);
      assert.equal(m0.fds.length, 1);
      posix.close(m0.fds[0]);
      const peek = await b.recvMsg({ flags: constants.MSG_PEEK });
      const real = await b.recvMsg();
      assert.equal(peek.data.toString(), 'm1');
      assert.equal(real.data.toString(), 'm1');
      assert.equal(peek.fds.length, 1);
      assert.notEqual(peek.fds[0], real.fds[0], 'a peek gets fds of its own');
      [...peek.fds, ...real.fds].forEach((fd) => posix.close(fd));
      const none = b.recvMsgSync({ maxFds: 0 });
      assert.deepEqual([none.data.toString(), none.fds, none.controlTruncated, (none.flags & constants.MSG_CTRUNC) !== 0], ['m2', [], true, true]);
      // m3 and m4 are still read ahead, with their fds: close() closes those.
      b.close();
      a.close();
    });
  });

  test('a receiver already waiting is woken for datagrams the iterator read ahead', { timeout: 10_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    const waiting = r.recvFrom(64, { timeout: 2000 });
    await sleep(10);
    s.sendManySync(['a', 'b', 'c'].map((data) => ({ data, address: r.localAddress() })));
    // The iterator reads all three before the event loop reports them readable.
    const it = r[Symbol.asyncIterator]();
    const next = it.next();
    assert.equal(((await waiting).data).toString(), 'b');
    assert.equal(((await next).value as ReceivedMessage).data.toString(), 'a');
    assert.equal((await r.recv(64, { timeout: 0 })).toString(), 'c');
    r.close();
    s.close();
  });

  test('read-ahead datagrams count as readable for readable(), select() and a request/response recvSync', { timeout: 10_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    s.bind('127.0.0.1:0');
    r.connectSync(s.localAddress());
    r.sendSync('request');
    // The reply did not come at once: recvSync learns to wait in poll(2) first after a send.
    assert.throws(() => r.recvSync(64, { timeout: 5 }), { code: 'ETIMEDOUT' });
    s.sendManySync(['one', 'two', 'three'].map((data) => ({ data, address: r.localAddress() })));
    r.setTimeout(2000);
    assert.equal((await first(r)).data.toString(), 'one');
    await r.readable({ timeout: 0 });
    assert.deepEqual((await select([r], [], 0)).readable, [r]);
    r.sendSync('request');
    assert.equal(r.recvSync(64, { timeout: 1000 }).toString(), 'two', 'not a poll(2) on an empty kernel queue');
    assert.equal(r.recvSync(64, { timeout: 0 }).toString(), 'three');
    r.close();
    s.close();
  });

  test('for await over a stream socket ends at end of stream', { timeout: 10_000 }, async () => {
    const [a, b] = Socket.pair('stream');
    a.sendSync('hi');
    a.close();
    const got: string[] = [];
    for await (const m of b) {
      got.push((m as ReceivedMessage).data.toString());
      if (got.length > 3) break;
    }
    assert.deepEqual(got, ['hi']);
    b.close();
  });

  test('for await over a seqpacket socket yields empty messages and ends when the peer closes', { timeout: 10_000 }, async () => {
    const [a, b] = Socket.pair('seqpacket');
    a.sendManySync(['x', '', 'y']);
    const got: string[] = [];
    setTimeout(() => a.close(), 20);
    for await (const m of b) {
      got.push((m as ReceivedMessage).data.toString());
      if (got.length > 5) break;
    }
    assert.deepEqual(got, ['x', '', 'y']);
    b.close();
  });
});
