// Beyond the seeds: fd passing at scale through Socket, credentials across
// processes, pktinfo and timestamps, sendMany/recvMany, GSO/GRO, Happy
// Eyeballs, node:net/node:http interop, async iteration.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { openSync } from 'node:fs';
import { Socket, connect, constants, features, select, SocketError, type ReceivedMessage, type SocketAddress } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { fdCount, fullBacklog, hasIPv6, noFdLeak, sleep } from './helpers.ts';

describe('messages', () => {
  test('pktinfo and kernel timestamps are decoded (IPv4)', async () => {
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

  test('pktinfo (IPv6)', { skip: !hasIPv6 && 'no IPv6' }, async () => {
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

describe('sendMany / recvMany', () => {
  test('10,000 datagrams over UDP, in order, none lost (async)', async () => {
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

  test('10,000 Unix datagrams with addresses, sync batches, none lost', () => {
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

  test('recvMany gives each message its own sender, shared (frozen) between messages of one sender', async () => {
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

  test('recvMany into a caller-owned buffer returns views of it, without copying', async () => {
    const [a, b] = Socket.pair('dgram');
    a.sendManySync(['one', 'two', 'three']);
    const buffer = Buffer.alloc(4 * 16);
    const ms = b.recvManySync({ maxMessages: 4, size: 16, buffer });
    assert.deepEqual(ms.map((m) => m.data.toString()), ['one', 'two', 'three']);
    ms.forEach((m, i) => {
      assert.equal(m.data.buffer, buffer.buffer, 'a view of the caller\'s buffer');
      assert.equal(m.data.byteOffset - buffer.byteOffset, i * 16, 'in its own slot, where the kernel put it');
    });
    assert.throws(() => b.recvManySync({ maxMessages: 4, size: 16, buffer: Buffer.alloc(10) }), { code: 'ERR_INVALID_ARG_VALUE' });
    const copied = await Promise.all([b.recvMany({ size: 16 }), a.send('own')]);
    assert.notEqual(copied[0][0].data.buffer, buffer.buffer);
    a.close();
    b.close();
  });

  test('recvMany reports truncation per message and waits for the first one', async () => {
    const [a, b] = Socket.pair('dgram');
    setTimeout(() => a.sendManySync(['short', 'a much longer datagram']), 20);
    const ms = await b.recvMany({ size: 8 });
    assert.deepEqual(ms.map((m) => [m.data.toString(), m.truncated]), [['short', false], ['a much l', true]]);
    a.close();
    b.close();
  });
});

describe('UDP GSO and GRO', { skip: !features.gso && 'no UDP GSO here' }, () => {
  test('a 64 KiB super-datagram sent with segmentSize arrives as 1400-byte segments', async () => {
    const r = new Socket('inet', 'dgram');
    r.setOption('rcvbuf', 4 << 20);
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    const data = Buffer.alloc(1400 * 46 + 700);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    assert.equal(await s.sendMsg({ data, address: r.localAddress(), segmentSize: 1400 }), data.length);
    const parts: Buffer[] = [];
    while (parts.reduce((n, p) => n + p.length, 0) < data.length) {
      for (const m of await r.recvMany({ size: 2048, timeout: 5000 })) parts.push(m.data);
    }
    assert.deepEqual(parts.map((p) => p.length), [...new Array(46).fill(1400), 700]);
    assert.ok(Buffer.concat(parts).equals(data));
    r.close();
    s.close();
  });

  test('messages repeating a segmentSize keep their own segment size and control data', { skip: constants.IP_RECVTOS === undefined && 'no IP_RECVTOS' }, () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    r.setOption('ip-recvtos', true);
    const s = new Socket('inet', 'dgram');
    const tos = Buffer.alloc(4);
    tos.writeInt32LE(0x10);
    const address = r.localAddress();
    s.sendManySync([
      { data: Buffer.alloc(2000, 1), address, segmentSize: 1000 },
      { data: Buffer.alloc(2000, 2), address, segmentSize: 1000, control: [{ level: constants.IPPROTO_IP, type: constants.IP_TOS, data: tos }] },
      { data: Buffer.alloc(2000, 3), address, segmentSize: 500 },
      { data: Buffer.alloc(2000, 4), address, segmentSize: 1000 },
    ]);
    const got: string[] = [];
    while (got.length < 10) {
      for (const m of r.recvManySync({ size: 2048, timeout: 5000 })) {
        const t = m.control.find((c) => c.level === constants.IPPROTO_IP && c.type === constants.IP_TOS);
        got.push(`${m.data[0]}:${m.data.length}:${t ? t.data[0] : 0}`);
      }
    }
    assert.deepEqual(got, ['1:1000:0', '1:1000:0', '2:1000:16', '2:1000:16', '3:500:0', '3:500:0', '3:500:0', '3:500:0', '4:1000:0', '4:1000:0']);
    r.close();
    s.close();
  });

  test('the udp-segment option segments every send', async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    s.setOption('udp-segment', 1000);
    await s.sendTo(Buffer.alloc(2500, 1), r.localAddress());
    const sizes: number[] = [];
    while (sizes.length < 3) for (const m of await r.recvMany({ size: 4096, timeout: 5000 })) sizes.push(m.data.length);
    assert.deepEqual(sizes, [1000, 1000, 500]);
    r.close();
    s.close();
  });

  test('with udp-gro the segments arrive as one datagram with its segment size', { skip: !features.gro && 'no GRO' }, async () => {
    const r = new Socket('inet', 'dgram');
    r.setOption('udp-gro', true);
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    const data = Buffer.alloc(1400 * 10 + 100, 7);
    await s.sendMsg({ data, address: r.localAddress(), segmentSize: 1400 });
    const m = await r.recvMsg({ size: 65536, timeout: 5000 });
    assert.equal(m.data.length, data.length);
    assert.equal(m.segmentSize, 1400);
    const [batch] = await Promise.all([r.recvMany({ size: 65536, timeout: 5000 }), s.sendMsg({ data, address: r.localAddress(), segmentSize: 1400 })]);
    assert.equal(batch[0].segmentSize, 1400);
    r.close();
    s.close();
  });
});

describe('Happy Eyeballs', () => {
  test('a name with ::1 and 127.0.0.1 and no IPv6 listener connects over IPv4', async () => {
    const l = new Socket('inet', 'stream');
    l.bind('127.0.0.1:0');
    l.listen();
    const port = (l.localAddress() as { port: number }).port;
    const lookup = (): SocketAddress[] => [
      { family: 'inet6', address: '::1', port },
      { family: 'inet', address: '127.0.0.1', port },
    ];
    const before = fdCount();
    const t0 = performance.now();
    const [c, conn] = await Promise.all([connect('localhost', port, { lookup }), l.accept()]);
    assert.equal(c.family, 'inet');
    assert.equal((c.remoteAddress() as { address: string }).address, '127.0.0.1');
    assert.ok(performance.now() - t0 < 5000);
    c.close();
    conn.close();
    assert.equal(fdCount(), before, 'the losing attempt was closed');
    // Sequential behaviour on request.
    const [d, conn2] = await Promise.all([connect('localhost', port, { lookup, happyEyeballs: false }), l.accept()]);
    assert.equal(d.family, 'inet');
    d.close();
    conn2.close();
    l.close();
  });

  test('a stalled IPv6 attempt is overtaken by IPv4 after attemptDelay', { skip: !hasIPv6 && 'no IPv6' }, async () => {
    // IPv6 goes first and hangs (a listener with a full backlog); IPv4 connects at once.
    const { server: full, fillers } = await fullBacklog('inet6');
    const good = new Socket('inet', 'stream');
    good.bind('127.0.0.1:0');
    good.listen();
    const lookup = (): SocketAddress[] => [good.localAddress(), full.localAddress()];
    const before = fdCount();
    const t0 = performance.now();
    const [c, conn] = await Promise.all([connect('dual', 0, { lookup, attemptDelay: 100, timeout: 5000 }), good.accept()]);
    const took = performance.now() - t0;
    assert.equal(c.family, 'inet');
    assert.ok(took >= 80 && took < 3000, `connected after ${took} ms`);
    c.close();
    conn.close();
    assert.equal(fdCount(), before, 'the stalled IPv6 attempt was closed');
    [good, full, ...fillers].forEach((s) => s.close());
  });

  test('every attempt failing reports the last error with all of them', async () => {
    const probe = new Socket('inet', 'stream');
    probe.bind('127.0.0.1:0');
    const port = (probe.localAddress() as { port: number }).port;
    probe.close();
    const lookup = (): SocketAddress[] => [{ family: 'inet6', address: '::1', port }, { family: 'inet', address: '127.0.0.1', port }];
    await assert.rejects(connect('x', port, { lookup }), (err: SocketError & { errors?: Error[] }) => {
      assert.ok(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH'].includes(err.code));
      assert.equal(err.errors?.length, 2);
      return true;
    });
  });
});

describe('node:net interop', () => {
  test('an HTTP request served by node:http over an accepted berkeley socket', async () => {
    const server = http.createServer((req, res) => res.end(`hello ${req.url}`));
    const l = new Socket('inet', 'stream');
    l.bind('127.0.0.1:0');
    l.listen();
    const port = (l.localAddress() as { port: number }).port;
    const response = fetch(`http://127.0.0.1:${port}/berkeley`).then((r) => r.text());
    const conn = await l.accept();
    server.emit('connection', conn.toNodeSocket());
    assert.equal(await response, 'hello /berkeley');
    assert.equal(conn.fd, -1, 'the berkeley socket gave its fd away');
    l.close();
    server.close();
  });

  test('toNodeSocket keeps data buffered by receive() and works for Unix streams', async () => {
    const [a, b] = Socket.pair('stream');
    await a.send('first\nsecond and more');
    assert.equal((await b.receive()).toString(), 'first');
    const ns = b.toNodeSocket();
    const chunks: Buffer[] = [];
    ns.on('data', (d) => chunks.push(d));
    const ended = new Promise((r) => ns.on('end', r));
    a.close();
    await ended;
    assert.equal(Buffer.concat(chunks).toString(), 'second and more');
    ns.destroy();
    const [d] = Socket.pair('dgram');
    assert.throws(() => d.toNodeSocket(), { code: 'ERR_INVALID_ARG_VALUE' });
    d.close();
  });

  test('fromNodeSocket duplicates node:net and node:dgram fds', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const c = net.connect(port, '127.0.0.1');
    await new Promise((r) => c.on('connect', r));
    const b = Socket.fromNodeSocket(c);
    assert.notEqual(b.fd, (c as unknown as { _handle: { fd: number } })._handle.fd);
    b.setOption('tcp-keepcnt', 3); // an option node:net has no API for
    assert.equal(b.getOption('tcp-keepcnt'), 3);
    assert.deepEqual(b.remoteAddress(), { family: 'inet', address: '127.0.0.1', port });
    b.close();
    assert.equal(c.destroyed, false, 'closing the duplicate leaves node:net alone');
    c.destroy();
    srv.close();
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', r));
    const bu = Socket.fromNodeSocket(u);
    assert.equal((bu.localAddress() as { port: number }).port, u.address().port);
    bu.setOption('ip-multicast-ttl', 7);
    bu.close();
    u.close();
    assert.throws(() => Socket.fromNodeSocket({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('iteration', () => {
  test('for await over a listening socket yields connections and ends on close', async () => {
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

  test('for await over a datagram socket yields messages', async () => {
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

  test('a receiver already waiting is woken for datagrams the iterator read ahead', async () => {
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
