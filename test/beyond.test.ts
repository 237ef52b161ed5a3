// Beyond the seeds: fd passing at scale through Socket, credentials across
// processes, pktinfo and timestamps, sendMany/recvMany, GSO/GRO, Happy
// Eyeballs, node:net/node:http interop, async iteration.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { Socket, connect, features, SocketError, type SocketAddress } from '../src/index.ts';
import { fdCount, fullBacklog, hasIPv6, sleep } from './helpers.ts';

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
    for (const m of ms) assert.equal(m.data.buffer, buffer.buffer, 'a view of the caller\'s buffer');
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
    const got: string[] = [];
    for await (const m of b) {
      got.push((m as { data: Buffer }).data.toString());
      if (got.length === 3) b.close();
    }
    assert.deepEqual(got, ['x', 'y', 'z']);
    a.close();
  });
});
