// Socket I/O in both forms (Promise and ...Sync) for every family and type:
// TCP over 127.0.0.1 and ::1, UDP, Unix stream/seqpacket/dgram by path and
// by abstract name, socketpairs, netlink and ICMP datagram sockets.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Socket, type SocketAddress } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { abstractName, hasIPv6, isCloexec, isNonblocking, tmpPath } from './helpers.ts';

type StreamKind = { name: string; family: 'inet' | 'inet6' | 'unix'; type: 'stream' | 'seqpacket'; address: () => SocketAddress | string; skip?: string | false };
const streams: StreamKind[] = [
  { name: 'TCP 127.0.0.1', family: 'inet', type: 'stream', address: () => '127.0.0.1:0' },
  { name: 'TCP ::1', family: 'inet6', type: 'stream', address: () => '[::1]:0', skip: !hasIPv6 && 'no IPv6' },
  { name: 'Unix stream path', family: 'unix', type: 'stream', address: () => tmpPath('s') },
  { name: 'Unix stream abstract', family: 'unix', type: 'stream', address: () => abstractName('s') },
  { name: 'Unix seqpacket path', family: 'unix', type: 'seqpacket', address: () => tmpPath('q') },
  { name: 'Unix seqpacket abstract', family: 'unix', type: 'seqpacket', address: () => abstractName('q') },
];

function listener(kind: StreamKind): Socket {
  const s = new Socket(kind.family, kind.type);
  s.bind(kind.address());
  s.listen();
  return s;
}

for (const kind of streams) {
  describe(kind.name, { skip: kind.skip }, () => {
    test('async: connect, accept, send, sendAll, recv, recvInto, sendMsg, recvMsg, shutdown', async () => {
      const server = listener(kind);
      const client = new Socket(kind.family, kind.type);
      const [conn] = await Promise.all([server.accept(), client.connect(server.localAddress())]);
      assert.ok(isCloexec(conn.fd) && isNonblocking(conn.fd), 'accepted fds are close-on-exec and non-blocking');
      assert.equal(conn.family, kind.family);
      assert.equal(conn.type, kind.type);
      assert.deepEqual(client.remoteAddress(), server.localAddress());
      assert.deepEqual(conn.remoteAddress(), client.localAddress());

      assert.equal(await client.send('ping'), 4);
      assert.equal((await conn.recv(100)).toString(), 'ping');
      await conn.sendAll(Buffer.from('pong'));
      const into = Buffer.alloc(10);
      assert.equal(await client.recvInto(into), 4);
      assert.equal(into.subarray(0, 4).toString(), 'pong');
      assert.equal(await client.sendMsg({ data: ['ga', 'ther'] }), 6);
      const m = await conn.recvMsg({ size: 100 });
      assert.equal(m.data.toString(), 'gather');

      // A recv that has to wait: the data arrives later.
      const pending = conn.recv(100);
      setTimeout(() => void client.send('late'), 20);
      assert.equal((await pending).toString(), 'late');

      client.shutdown('send');
      assert.equal((await conn.recv(100)).length, 0, 'EOF after shutdown(send)');
      [client, conn, server].forEach((s) => s.close());
    });

    test('sync: connectSync, acceptSync, sendSync, sendAllSync, recvSync, recvIntoSync, sendMsgSync, recvMsgSync', () => {
      const server = listener(kind);
      const client = new Socket(kind.family, kind.type);
      client.connectSync(server.localAddress());
      const conn = server.acceptSync();
      assert.equal(client.sendSync('ping'), 4);
      assert.equal(conn.recvSync(100).toString(), 'ping');
      conn.sendAllSync('pong');
      const into = Buffer.alloc(10);
      assert.equal(client.recvIntoSync(into), 4);
      client.sendMsgSync({ data: 'msg' });
      assert.equal(conn.recvMsgSync({ size: 10 }).data.toString(), 'msg');
      client.close();
      assert.equal(conn.recvSync(10).length, 0);
      conn.close();
      server.close();
    });
  });
}

test('sendAll moves 8 MiB through a TCP connection intact (async and sync peers)', async () => {
  const server = listener(streams[0]);
  const client = new Socket('inet', 'stream');
  const [conn] = await Promise.all([server.accept(), client.connect(server.localAddress())]);
  const data = Buffer.alloc(8 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  const sending = client.sendAll(data).then(() => client.shutdown('send'));
  const chunks: Buffer[] = [];
  for (;;) {
    const b = await conn.recv(1 << 16);
    if (b.length === 0) break;
    chunks.push(b);
  }
  await sending;
  assert.ok(Buffer.concat(chunks).equals(data));
  assert.equal(client.stats().sent, data.length);
  assert.equal(conn.stats().received, data.length);
  [client, conn, server].forEach((s) => s.close());
});

type DgramKind = { name: string; family: 'inet' | 'inet6' | 'unix'; address: () => SocketAddress | string; skip?: string | false };
const dgrams: DgramKind[] = [
  { name: 'UDP 127.0.0.1', family: 'inet', address: () => '127.0.0.1:0' },
  { name: 'UDP ::1', family: 'inet6', address: () => '[::1]:0', skip: !hasIPv6 && 'no IPv6' },
  { name: 'Unix dgram path', family: 'unix', address: () => tmpPath('d') },
  { name: 'Unix dgram abstract', family: 'unix', address: () => abstractName('d') },
];

for (const kind of dgrams) {
  describe(kind.name, { skip: kind.skip }, () => {
    test('async and sync sendTo/recvFrom, truncation, connected send/recv', async () => {
      const a = new Socket(kind.family, 'dgram');
      const b = new Socket(kind.family, 'dgram');
      a.bind(kind.address());
      b.bind(kind.address());
      assert.equal(await a.sendTo('hello', b.localAddress()), 5);
      const r = await b.recvFrom(100);
      assert.equal(r.data.toString(), 'hello');
      assert.deepEqual(r.address, a.localAddress());
      assert.equal(r.truncated, false);

      a.sendToSync('0123456789', b.localAddress());
      const t = b.recvFromSync(4);
      assert.equal(t.data.toString(), '0123');
      assert.equal(t.truncated, true, 'a datagram longer than size is reported truncated');

      // A recvFrom that has to wait.
      const pending = b.recvFrom(100);
      setTimeout(() => a.sendToSync('later', b.localAddress()), 20);
      assert.equal((await pending).data.toString(), 'later');

      await a.connect(b.localAddress());
      await a.send('connected');
      assert.equal((await b.recv()).toString(), 'connected');
      await a.sendMsg({ data: ['m', 's', 'g'] });
      const m = b.recvMsgSync();
      assert.equal(m.data.toString(), 'msg');
      assert.deepEqual(m.address, a.localAddress());
      a.close();
      b.close();
    });
  });
}

test('Socket.pair of each type', async () => {
  for (const type of ['stream', 'dgram', 'seqpacket'] as const) {
    const [a, b] = Socket.pair(type);
    assert.equal(a.family, 'unix');
    assert.equal(a.type, type);
    await a.send('x');
    assert.equal(b.recvSync().toString(), 'x');
    a.close();
    b.close();
  }
});

test('fd passing through Socket.sendMsg/recvMsg', async () => {
  const [a, b] = Socket.pair('stream');
  const [x, y] = Socket.pair('dgram');
  await a.sendMsg({ data: 'fd', fds: [x.fd] });
  const m = await b.recvMsg();
  assert.equal(m.fds.length, 1);
  const passed = Socket.from(m.fds[0]);
  assert.equal(passed.type, 'dgram');
  await passed.send('via passed fd');
  assert.equal((await y.recv()).toString(), 'via passed fd');
  [a, b, x, y, passed].forEach((s) => s.close());
});

test('Socket.from adopts an fd and reads family, type and protocol from the kernel', () => {
  const fd = posix.socket(posix.AF_INET, posix.SOCK_DGRAM);
  const s = Socket.from(fd);
  assert.equal(s.fd, fd);
  assert.equal(s.family, 'inet');
  assert.equal(s.type, 'dgram');
  assert.equal(s.protocol, posix.IPPROTO_UDP);
  assert.ok(isNonblocking(fd));
  s.close();
  assert.throws(() => Socket.from(0 + 999999), { code: 'EBADF' });
});

test('detach gives up the fd without closing it', async () => {
  const [a, b] = Socket.pair();
  const fd = a.detach();
  assert.equal(a.fd, -1);
  assert.equal(a.closed, true);
  posix.send(fd, 'still open');
  assert.equal((await b.recv()).toString(), 'still open');
  await assert.rejects(a.recv(), { code: 'ERR_SOCKET_CLOSED' });
  posix.close(fd);
  b.close();
});

describe('netlink and ICMP', () => {
  test('a netlink route socket answers a dump through the async API', async () => {
    const s = new Socket('netlink', 'raw', 'route');
    s.bind({ family: 'netlink', pid: 0, groups: 0 });
    const req = Buffer.alloc(32);
    req.writeUInt32LE(32, 0);
    req.writeUInt16LE(posix.RTM_GETLINK!, 4);
    req.writeUInt16LE(posix.NLM_F_REQUEST! | posix.NLM_F_DUMP!, 6);
    req.writeUInt32LE(1, 8);
    await s.sendTo(req, { family: 'netlink', pid: 0, groups: 0 });
    const r = await s.recvFrom(65536, { timeout: 5000 });
    assert.deepEqual(r.address, { family: 'netlink', pid: 0, groups: 0 });
    assert.equal(r.data.readUInt16LE(4), posix.RTM_NEWLINK);
    s.close();
  });

  test('ICMP echo to 127.0.0.1 over a datagram (or raw) ICMP socket', async (t) => {
    let s: Socket;
    try {
      s = new Socket('inet', 'dgram', 'icmp');
    } catch {
      try {
        s = new Socket('inet', 'raw', 'icmp');
      } catch {
        return t.skip('no ICMP socket allowed here');
      }
    }
    const echo = Buffer.from([8, 0, 0, 0, 0x12, 0x34, 0, 1, ...Buffer.from('berkeley')]);
    let sum = 0;
    for (let i = 0; i < echo.length; i += 2) sum += (echo[i] << 8) | (echo[i + 1] ?? 0);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    echo.writeUInt16BE(~sum & 0xffff, 2);
    await s.sendTo(echo, { family: 'inet', address: '127.0.0.1', port: 0 });
    for (;;) {
      const r = await s.recvFrom(1500, { timeout: 5000 });
      const icmp = s.type === 'raw' ? r.data.subarray((r.data[0] & 0x0f) * 4) : r.data;
      if (icmp[0] !== 0) continue; // not an echo reply (a raw socket also sees our request)
      assert.ok(icmp.subarray(8).equals(Buffer.from('berkeley')));
      assert.equal((r.address as { address: string }).address, '127.0.0.1');
      break;
    }
    s.close();
  });
});

test('recv and recvInto return what receive() buffered before reading more', async () => {
  const [a, b] = Socket.pair('stream');
  await a.send('line one\nrest of the chunk');
  assert.equal((await b.receive()).toString(), 'line one');
  assert.equal(b.dirty(), true);
  assert.equal((await b.recv(4)).toString(), 'rest', 'recv takes from the buffer first');
  const into = Buffer.alloc(32);
  const n = b.recvIntoSync(into);
  assert.equal(into.subarray(0, n).toString(), ' of the chunk');
  assert.equal(b.dirty(), false);
  a.close();
  b.close();
});

test('readable and writable wait for readiness and honour timeouts', async () => {
  const [a, b] = Socket.pair('stream');
  await a.writable({ timeout: 1000 });
  await assert.rejects(b.readable({ timeout: 50 }), { code: 'ETIMEDOUT', syscall: 'poll' });
  setTimeout(() => a.sendSync('now'), 20);
  await b.readable({ timeout: 5000 });
  assert.equal(b.recvSync().toString(), 'now');
  a.close();
  b.close();
});

test('shutdown accepts every spelling of how', async () => {
  for (const [how, readEnds, writeEnds] of [['rd', true, false], ['receive', true, false], ['wr', false, true], ['send', false, true], ['rdwr', true, true], ['both', true, true], [posix.SHUT_WR, false, true]] as const) {
    const [a, b] = Socket.pair('stream');
    a.shutdown(how);
    if (writeEnds) assert.equal(b.recvSync().length, 0, `${how}: the peer sees end of stream`);
    if (readEnds) {
      a.setTimeout(0);
      assert.equal(a.recvSync().length, 0, `${how}: reads end at once`);
    }
    if (!writeEnds) assert.equal(a.sendSync('x'), 1, `${how}: writing still works`);
    a.close();
    b.close();
  }
});

test('received data stays intact while later receives reuse the shared read buffers', async () => {
  // recv, recvFrom and recvMsg read into shared scratch buffers and hand out
  // copies, or the scratch itself for large reads: every result must keep its
  // bytes whatever is received after it.
  const [a, b] = Socket.pair('dgram');
  a.setsockopt('socket', 'SO_SNDBUF', 1 << 20);
  const sizes = [64, 40_000, 5, 65_000, 1, 0, 3000];
  const payload = (i: number) => Buffer.alloc(sizes[i], 0x41 + i);
  const receivers: [string, () => Promise<Buffer> | Buffer][] = [
    ['recv', () => b.recv()],
    ['recvSync', () => b.recvSync()],
    ['recvFrom', async () => (await b.recvFrom()).data],
    ['recvFromSync', () => b.recvFromSync().data],
    ['recvMsg', async () => (await b.recvMsg()).data],
    ['recvMsgSync', () => b.recvMsgSync().data],
  ];
  for (const [name, receive] of receivers) {
    for (let i = 0; i < sizes.length; i++) a.sendSync(payload(i));
    const got: Buffer[] = [];
    for (let i = 0; i < sizes.length; i++) got.push(await receive());
    got.forEach((data, i) => assert.ok(data.equals(payload(i)), `${name}: datagram ${i} (${sizes[i]} bytes) changed after later receives`));
  }
  a.close();
  b.close();
});

test('Socket.recvMsg: controlLength bounds the control data even after larger receives', async () => {
  const [a, b] = Socket.pair('dgram');
  const [x, y] = Socket.pair('dgram');
  const oneFd = 16 + 4; // a 64-bit cmsghdr and one int: room for exactly one fd, as in posix-message.test.ts
  for (const sync of [false, true]) {
    await a.sendMsg({ data: 'big', fds: [x.fd, y.fd, x.fd] });
    const all = sync ? b.recvMsgSync() : await b.recvMsg();
    assert.equal(all.fds.length, 3);
    assert.equal(all.controlTruncated, false);
    await a.sendMsg({ data: 'small', fds: [x.fd, y.fd, x.fd] });
    const cut = sync ? b.recvMsgSync({ controlLength: oneFd }) : await b.recvMsg({ controlLength: oneFd });
    assert.equal(cut.data.toString(), 'small');
    assert.equal(cut.fds.length, 1, 'only the fd that fits in controlLength arrives');
    assert.equal(cut.controlTruncated, true);
    for (const fd of [...all.fds, ...cut.fds]) posix.close(fd);
  }
  [a, b, x, y].forEach((s) => s.close());
});

test('recv with MSG_TRUNC returns only the bytes that fit, never more of the shared buffer', async () => {
  const [a, b] = Socket.pair('dgram');
  for (const sync of [false, true]) {
    a.sendSync(Buffer.alloc(100, 0x5a));
    const data = sync ? b.recvSync(10, { flags: posix.MSG_TRUNC }) : await b.recv(10, { flags: posix.MSG_TRUNC });
    assert.equal(data.length, 10);
    assert.ok(data.equals(Buffer.alloc(10, 0x5a)));
  }
  for (const sync of [false, true]) {
    a.sendSync(Buffer.alloc(100, 0x5b));
    const m = sync ? b.recvMsgSync({ size: 10, flags: posix.MSG_TRUNC }) : await b.recvMsg({ size: 10, flags: posix.MSG_TRUNC });
    assert.ok(m.data.equals(Buffer.alloc(10, 0x5b)));
    assert.equal(m.truncated, true);
  }
  assert.equal(b.stats().received, 40, 'stats count the bytes received, not the datagrams\' full lengths');
  a.close();
  b.close();
});

describe('packet sockets', { skip: process.getuid?.() === 0 ? false : 'AF_PACKET needs root (CAP_NET_RAW)' }, () => {
  // packet_recvmsg refuses MSG_CMSG_CLOEXEC with EINVAL (Python's
  // recvmsg(2048, 0, MSG_CMSG_CLOEXEC) does too); the library passes it on
  // every recvmsg so that fds never arrive inheritable, and asks again
  // without it where a protocol refuses it: such a socket carries no fds.
  test('recvMsg, recvMany and the iterator read frames from lo', { timeout: 20_000 }, async () => {
    const ETH_P_IP = 0x0800;
    const p = new Socket('packet', 'dgram', ((ETH_P_IP & 0xff) << 8) | (ETH_P_IP >> 8));
    const u = new Socket('inet', 'dgram');
    try {
      p.bind({ family: 'packet', protocol: ETH_P_IP, ifindex: posix.if_nametoindex('lo') });
      u.bind('127.0.0.1:0');
      const marker = Buffer.from(`berkeley-packet-${process.pid}`);
      /** The next frame carrying the marker: lo also carries other tests' traffic. */
      const next = async (read: () => Promise<{ data: Buffer; address: SocketAddress | null }>) => {
        u.sendToSync(marker, u.localAddress());
        for (;;) {
          const m = await read();
          if (m.data.includes(marker)) return m;
        }
      };
      const viaMsg = await next(() => p.recvMsg({ timeout: 5000 }));
      const from = viaMsg.address as Extract<SocketAddress, { family: 'packet' }>;
      assert.deepEqual({ ...from, addr: undefined }, { family: 'packet', protocol: ETH_P_IP, ifindex: posix.if_nametoindex('lo'), hatype: 772, pkttype: from.pkttype, addr: undefined });
      await next(async () => (await p.recvMany({ timeout: 5000 }))[0]!);
      const it = p.messages({ timeout: 5000 });
      await next(async () => (await it.next()).value!);
      await it.return!();
    } finally {
      p.close();
      u.close();
    }
  });
});
