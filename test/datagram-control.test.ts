// Per-datagram control messages in both directions (API.md, "Datagram
// control messages in both directions"): pktinfo, tos and ttl set per
// datagram by sendMsg/sendMany, and tos, ttl, pktinfo and
// originalDestination decoded on receive, over loopback in IPv4, IPv6 and
// IPv4-mapped form; the options that turn them on; and Python's socket
// module as the independent peer in both directions (it sets and reads the
// same control messages with its own constants).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { createInterface } from 'node:readline';
import { Socket, type ReceivedMessage } from '../src/index.ts';
import { hasIPv6 } from './helpers.ts';

const T = { timeout: 30_000 };
const havePython = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;

/** A receiver on `host` with every receive option of its family on. */
function receiver<F extends 'inet' | 'inet6'>(family: F, host: string): Socket<F> {
  const r = new Socket(family, 'dgram');
  if (family === 'inet6') r.setOption('ipv6-v6only', false);
  r.bind({ host, port: 0 });
  if (family === 'inet6') {
    r.setOption('ipv6-recvtclass', true);
    r.setOption('ipv6-recvhoplimit', true);
    r.setOption('ipv6-recvpktinfo', true);
    r.setOption('ipv6-recvorigdstaddr', true);
  }
  // IPv4 datagrams (on an inet6 socket: from IPv4-mapped senders) report with the IPv4 options.
  r.setOption('ip-recvtos', true);
  r.setOption('ip-recvttl', true);
  r.setOption('ip-pktinfo', true);
  r.setOption('ip-recvorigdstaddr', true);
  return r;
}

describe('per-datagram tos, ttl and pktinfo, sent and received', () => {
  test('IPv4: each datagram carries its own TOS (ECN in the low two bits), TTL and source address', T, async () => {
    const r = receiver('inet', '127.0.0.1');
    const to = r.localAddress();
    const s = new Socket('inet', 'dgram');
    await s.sendMsg({ data: 'a', address: to, tos: 0xb8 | 1, ttl: 7, pktinfo: { address: '127.0.0.2' } });
    await s.sendMsg({ data: 'b', address: to, tos: 0x02, ttl: 200, pktinfo: { ifindex: 1 } });
    s.sendMsgSync({ data: 'c', address: to }); // the socket's defaults again
    const a = await r.recvMsg({ timeout: 5000 });
    assert.equal(a.data.toString(), 'a');
    assert.equal(a.tos, 0xb9);
    assert.equal(a.tos! & 3, 1, 'ECN: ECT(1)');
    assert.equal(a.ttl, 7);
    assert.deepEqual(a.address, { family: 'inet', address: '127.0.0.2', port: (a.address as { port: number }).port }, 'sent from the pktinfo address');
    assert.deepEqual(a.pktinfo, { ifindex: 1, address: '127.0.0.1', localAddress: '127.0.0.1' });
    assert.deepEqual(a.originalDestination, to);
    assert.deepEqual(a.control, [], 'decoded messages are not repeated raw');
    const b = r.recvMsgSync({ timeout: 5000 });
    assert.deepEqual([b.data.toString(), b.tos, b.ttl, (b.address as { address: string }).address], ['b', 2, 200, '127.0.0.1']);
    const c = await r.recvMsg({ timeout: 5000 });
    assert.deepEqual([c.data.toString(), c.tos, c.ttl], ['c', 0, 64], 'the defaults: TOS 0, TTL 64 (net.ipv4.ip_default_ttl)');
    r.close();
    s.close();
  });

  test('IPv6: traffic class and hop limit per datagram; pktinfo names the source', { ...T, skip: !hasIPv6 && 'no IPv6' }, async () => {
    const r = receiver('inet6', '::1');
    const to = r.localAddress();
    const s = new Socket('inet6', 'dgram');
    await s.sendMsg({ data: 'v6', address: to, tos: 0x2e << 2 | 2, ttl: 3, pktinfo: { address: '::1', ifindex: 1 } });
    const m = await r.recvMsg({ timeout: 5000 });
    assert.deepEqual([m.data.toString(), m.tos, m.ttl], ['v6', 0xba, 3]);
    assert.deepEqual(m.pktinfo, { ifindex: 1, address: '::1' });
    assert.deepEqual(m.originalDestination, to);
    r.close();
    s.close();
  });

  test('IPv4-mapped: an inet6 socket sends TOS, TTL and an IPv4 source to an IPv4 receiver', { ...T, skip: !hasIPv6 && 'no IPv6' }, async () => {
    const r = receiver('inet', '127.0.0.1');
    const { port } = r.localAddress();
    const s = new Socket('inet6', 'dgram');
    s.setOption('ipv6-v6only', false);
    const mapped = { family: 'inet6' as const, address: '::ffff:127.0.0.1', port };
    await s.sendMsg({ data: 'mapped', address: mapped, tos: 0x10, ttl: 9, pktinfo: { address: '127.0.0.3' } });
    const m = await r.recvMsg({ timeout: 5000 });
    assert.deepEqual([m.data.toString(), m.tos, m.ttl, (m.address as { address: string }).address], ['mapped', 0x10, 9, '127.0.0.3']);
    // Connected to the mapped address, no destination in the message: both spellings of TOS and TTL go, the IPv4 path takes its own.
    await s.connect(mapped);
    await s.sendMsg({ data: 'connected', tos: 0x20, ttl: 5 });
    const c = await r.recvMsg({ timeout: 5000 });
    assert.deepEqual([c.data.toString(), c.tos, c.ttl], ['connected', 0x20, 5]);
    r.close();
    s.close();
  });

  test('sendMany: per-message fields, decoded by recvMany and by the datagram iterator', T, async () => {
    const r = receiver('inet', '127.0.0.1');
    const to = r.localAddress();
    const s = new Socket('inet', 'dgram');
    const sent = await s.sendMany([
      { data: '1', address: to, tos: 4, ttl: 11 },
      'plain',
      { data: '2', address: to, ttl: 12, pktinfo: { address: '127.0.0.4' } },
      { data: '3', address: to, tos: 3 },
    ].map((m) => (typeof m === 'string' ? { data: m, address: to } : m)));
    assert.equal(sent, 4);
    const got: ReceivedMessage[] = [];
    while (got.length < 2) got.push(...await r.recvMany({ maxMessages: 2, timeout: 5000 }));
    for await (const m of r) {
      got.push(m as ReceivedMessage);
      if (got.length === 4) break;
    }
    assert.deepEqual(got.map((m) => [m.data.toString(), m.tos, m.ttl, (m.address as { address: string }).address]), [
      ['1', 4, 11, '127.0.0.1'], ['plain', 0, 64, '127.0.0.1'], ['2', 0, 12, '127.0.0.4'], ['3', 3, 64, '127.0.0.1'],
    ]);
    r.close();
    s.close();
  });

  test('a message with segmentSize split where the kernel lacks GSO keeps its fields on every segment; with GSO too', T, async () => {
    const r = receiver('inet', '127.0.0.1');
    const s = new Socket('inet', 'dgram');
    await s.sendMsg({ data: Buffer.alloc(3000, 7), address: r.localAddress(), segmentSize: 1000, tos: 0x28, ttl: 21 });
    const got: ReceivedMessage[] = [];
    while (got.length < 3) got.push(await r.recvMsg({ timeout: 5000 }));
    assert.deepEqual(got.map((m) => [m.data.length, m.tos, m.ttl]), [[1000, 0x28, 21], [1000, 0x28, 21], [1000, 0x28, 21]]);
    r.close();
    s.close();
  });

  test('the options read back as set; out-of-range values are refused before setsockopt, leaving the kernel\'s value', T, () => {
    const s4 = new Socket('inet', 'dgram');
    for (const name of ['ip-recverr', 'ip-recvtos', 'ip-recvttl', 'ip-recvorigdstaddr', 'ip-pktinfo'] as const) {
      s4.setOption(name, true);
      assert.equal(s4.getOption(name), true, name);
      s4.setOption(name, false);
      assert.equal(s4.getOption(name), false, name);
    }
    s4.setOption('ip-tos', 0xff);
    assert.equal(s4.getOption('ip-tos'), 0xff);
    s4.setOption('ip-ttl', 9);
    s4.setOption('ip-ttl', -1);
    assert.equal(s4.getOption('ip-ttl'), 64, '-1: the default TTL again');
    s4.setOption('ip-ttl', 200);
    for (const [name, v, code] of [
      ['ip-tos', 256, 'ERR_OUT_OF_RANGE'], ['ip-tos', -1, 'ERR_OUT_OF_RANGE'], ['ip-tos', 1.5, 'ERR_OUT_OF_RANGE'], ['ip-tos', '16', 'ERR_INVALID_ARG_TYPE'],
      ['ip-ttl', 0, 'ERR_OUT_OF_RANGE'], ['ip-ttl', 256, 'ERR_OUT_OF_RANGE'], ['ip-ttl', -2, 'ERR_OUT_OF_RANGE'], ['ip-ttl', NaN, 'ERR_OUT_OF_RANGE'],
      ['ip-recverr', 1, 'ERR_INVALID_ARG_TYPE'],
    ] as const) {
      assert.throws(() => s4.setOption(name, v as never), { code }, `${name} ${String(v)}`);
    }
    assert.deepEqual([s4.getOption('ip-tos'), s4.getOption('ip-ttl')], [0xff, 200], 'unchanged by the refused values');
    s4.close();
    if (!hasIPv6) return;
    const s6 = new Socket('inet6', 'dgram');
    for (const name of ['ipv6-recverr', 'ipv6-recvtclass', 'ipv6-recvhoplimit', 'ipv6-recvorigdstaddr', 'ipv6-recvpktinfo'] as const) {
      s6.setOption(name, true);
      assert.equal(s6.getOption(name), true, name);
    }
    s6.setOption('ipv6-tclass', 0x20);
    s6.setOption('ipv6-unicast-hops', 0);
    assert.deepEqual([s6.getOption('ipv6-tclass'), s6.getOption('ipv6-unicast-hops')], [0x20, 0]);
    for (const [name, v] of [['ipv6-tclass', 256], ['ipv6-tclass', -2], ['ipv6-unicast-hops', 256], ['ipv6-unicast-hops', 2 ** 31]] as const) {
      assert.throws(() => s6.setOption(name, v), { code: 'ERR_OUT_OF_RANGE' }, `${name} ${v}`);
    }
    s6.setOption('ipv6-tclass', -1);
    s6.setOption('ipv6-unicast-hops', -1);
    assert.deepEqual([s6.getOption('ipv6-tclass'), s6.getOption('ipv6-unicast-hops')], [0, 64], '-1: the defaults');
    s6.close();
  });
});

/** A Python child that prints one JSON line per line it is asked for; the first line is its port. */
function python(code: string, args: string[]): { lines: AsyncIterator<string>; done: Promise<{ code: number | null; stderr: string }> } {
  const p = spawn('python3', ['-c', code, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => p.on('close', (c) => { clearTimeout(timer); resolve({ code: c, stderr }); }));
  return { lines: createInterface({ input: p.stdout })[Symbol.asyncIterator](), done };
}

// Python's own constants where its socket module has them; the Linux ABI
// numbers (<linux/in.h>, <linux/in6.h>) where it does not.
const PY_RECEIVER = String.raw`
import json, socket, struct, sys
fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
IP_RECVTTL = getattr(socket, 'IP_RECVTTL', 12); IP_PKTINFO = getattr(socket, 'IP_PKTINFO', 8)
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET:
    s.bind(('127.0.0.1', 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
else:
    s.bind(('::1', 0))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
s.settimeout(10)
print(s.getsockname()[1], flush=True)
for _ in range(int(sys.argv[2])):
    data, anc, flags, addr = s.recvmsg(2048, 1024)
    out = {'data': data.decode(), 'from': addr[0]}
    for level, kind, payload in anc:
        if level == socket.IPPROTO_IP and kind == socket.IP_TOS: out['tos'] = payload[0]
        elif level == socket.IPPROTO_IP and kind == socket.IP_TTL: out['ttl'] = struct.unpack('i', payload[:4])[0]
        elif level == socket.IPPROTO_IP and kind == IP_PKTINFO: out['dst'] = socket.inet_ntoa(payload[8:12])
        elif level == socket.IPPROTO_IPV6 and kind == socket.IPV6_TCLASS: out['tos'] = struct.unpack('i', payload[:4])[0]
        elif level == socket.IPPROTO_IPV6 and kind == socket.IPV6_HOPLIMIT: out['ttl'] = struct.unpack('i', payload[:4])[0]
        elif level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO: out['dst'] = socket.inet_ntop(socket.AF_INET6, payload[:16])
    print(json.dumps(out), flush=True)
`;

const PY_SENDER = String.raw`
import json, socket, struct, sys
fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
port = int(sys.argv[2])
IP_PKTINFO = getattr(socket, 'IP_PKTINFO', 8)
s = socket.socket(fam, socket.SOCK_DGRAM)
for tos, ttl, src in json.loads(sys.argv[3]):
    if fam == socket.AF_INET:
        anc = [(socket.IPPROTO_IP, socket.IP_TOS, struct.pack('i', tos)), (socket.IPPROTO_IP, socket.IP_TTL, struct.pack('i', ttl)),
               (socket.IPPROTO_IP, IP_PKTINFO, struct.pack('i4s4s', 0, socket.inet_aton(src), bytes(4)))]
        s.sendmsg([('%d/%d' % (tos, ttl)).encode()], anc, 0, ('127.0.0.1', port))
    else:
        anc = [(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, struct.pack('i', tos)), (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT, struct.pack('i', ttl)),
               (socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, socket.inet_pton(socket.AF_INET6, src) + struct.pack('I', 0))]
        s.sendmsg([('%d/%d' % (tos, ttl)).encode()], anc, 0, ('::1', port))
`;

describe("Python's socket module as the peer", { skip: !havePython && 'python3 unavailable' }, () => {
  for (const v of ['4', '6'] as const) {
    test(`a Python receiver reads the TOS, TTL and source berkeley set per datagram (IPv${v})`, { ...T, skip: v === '6' && !hasIPv6 && 'no IPv6' }, async () => {
      const py = python(PY_RECEIVER, [v, '3']);
      const port = Number((await py.lines.next()).value);
      const s = new Socket(v === '6' ? 'inet6' : 'inet', 'dgram');
      const to = { family: v === '6' ? 'inet6' as const : 'inet' as const, address: v === '6' ? '::1' : '127.0.0.1', port };
      const src = v === '6' ? '::1' : '127.0.0.5';
      await s.sendMsg({ data: 'one', address: to, tos: 0xb8 | 2, ttl: 1 });
      s.sendMsgSync({ data: 'two', address: to, ttl: 255, pktinfo: { address: src } });
      await s.sendMany([{ data: 'three', address: to, tos: 0x04 | 3, ttl: 42 }]);
      const got = [];
      for (let i = 0; i < 3; i++) got.push(JSON.parse((await py.lines.next()).value as string));
      const { code, stderr } = await py.done;
      assert.equal(code, 0, stderr);
      const dst = v === '6' ? '::1' : '127.0.0.1';
      const plain = v === '6' ? '::1' : '127.0.0.1';
      assert.deepEqual(got, [
        { data: 'one', from: plain, tos: 0xba, ttl: 1, dst },
        { data: 'two', from: src, tos: 0, ttl: 255, dst },
        { data: 'three', from: plain, tos: 7, ttl: 42, dst },
      ]);
      s.close();
    });

    test(`berkeley decodes the TOS, TTL and source a Python sender set per datagram with sendmsg (IPv${v})`, { ...T, skip: v === '6' && !hasIPv6 && 'no IPv6' }, async () => {
      const r = receiver(v === '6' ? 'inet6' : 'inet', v === '6' ? '::1' : '127.0.0.1');
      const src = v === '6' ? '::1' : '127.0.0.6';
      const plan = [[0x10, 17, src], [0xb8 | 1, 2, src], [3, 250, src]];
      const py = python(PY_SENDER, [v, String(r.localAddress().port), JSON.stringify(plan)]);
      const { code, stderr } = await py.done;
      assert.equal(code, 0, stderr);
      const got = [];
      for (let i = 0; i < plan.length; i++) {
        const m = await r.recvMsg({ timeout: 5000 });
        got.push([m.data.toString(), m.tos, m.ttl, (m.address as { address: string }).address]);
      }
      assert.deepEqual(got, plan.map(([tos, ttl, from]) => [`${tos}/${ttl}`, tos, ttl, from]));
      r.close();
    });
  }
});
