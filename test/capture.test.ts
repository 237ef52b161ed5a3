// Capture over real sockets. Without privilege: socket filters on UDP
// sockets (attachFilter with an expression and with a program, detach,
// lock, SO_ATTACH_REUSEPORT_CBPF). As root, inside network namespaces this
// file makes and removes (lo, and a veth pair to a second namespace,
// link-local addresses only): both read paths, the ring's
// release semantics, fanout, VLAN tags put back, all-interface (cooked)
// captures, the ends of an iteration, and files read back by tcpdump -r and
// tshark with the same packets. Scenarios run in fixtures/capture-child.ts
// inside the namespace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from '../src/index.ts';
import { capture } from '../src/capture/index.ts';
import { needTools } from './cli-harness.ts';
import { isRoot, noFdLeak } from './helpers.ts';

const T = { timeout: 120_000 };
const haveIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;
const ns = `bk-cap-${process.pid}`;
const peer = `bk-cap2-${process.pid}`;
const child = new URL('./fixtures/capture-child.ts', import.meta.url).pathname;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** lo up in `ns`; bkc0 (ns) to bkc1 (peer), 169.254.77.1 and .2. Null when namespaces cannot be made here, else why not. */
export function makeNamespaces(ns: string, peer: string): string | null {
  try {
    ip('netns', 'add', ns);
  } catch (err) {
    return (err as Error).message;
  }
  ip('netns', 'add', peer);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', peer, 'link', 'set', 'lo', 'up');
  ip('link', 'add', 'bkc0', 'netns', ns, 'type', 'veth', 'peer', 'name', 'bkc1', 'netns', peer);
  for (const [where, dev, a] of [[ns, 'bkc0', '1'], [peer, 'bkc1', '2']]) {
    spawnSync('ip', ['netns', 'exec', where, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    ip('-n', where, 'addr', 'add', `169.254.77.${a}/24`, 'dev', dev);
    ip('-n', where, 'link', 'set', dev, 'up');
  }
  return null;
}

export function removeNamespaces(...names: string[]): void {
  for (const n of names) spawnSync('ip', ['netns', 'del', n]);
}

/** Runs a scenario of fixtures/capture-child.ts inside the namespace; its JSON result. */
function scenario(name: string, dir: string): Record<string, any> {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', child, name, dir, peer], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const range = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} ${i}`);

describe('socket filters on UDP sockets', () => {
  test('an expression drops the datagrams of one source port; detach lets them through; lock freezes the filter', T, async () => {
    await noFdLeak(async () => {
      const r = new Socket('inet', 'dgram');
      const a = new Socket('inet', 'dgram');
      const b = new Socket('inet', 'dgram');
      for (const s of [r, a, b]) s.bind('127.0.0.1:0');
      const aport = (a.localAddress() as { port: number }).port;
      r.attachFilter(`not src port ${aport}`);
      await a.sendTo('from a', r.localAddress());
      await b.sendTo('from b', r.localAddress());
      await a.sendTo('from a again', r.localAddress());
      assert.equal((await r.recv(100, { timeout: 2000 })).toString(), 'from b');
      await assert.rejects(r.recv(100, { timeout: 200 }), { code: 'ETIMEDOUT' });
      r.detachFilter();
      await a.sendTo('after detach', r.localAddress());
      assert.equal((await r.recv(100, { timeout: 2000 })).toString(), 'after detach');
      assert.throws(() => r.detachFilter(), { code: 'ENOENT' });
      r.attachFilter('udp');
      r.lockFilter();
      assert.throws(() => r.attachFilter('tcp'), { name: 'SocketError', code: 'EPERM' });
      assert.throws(() => r.detachFilter(), { name: 'SocketError', code: 'EPERM' });
      for (const s of [r, a, b]) s.close();
    });
  });

  test('a program, and IPv6: the network header is reached where the kernel keeps it', T, async () => {
    // ldh [0] is the UDP source port on a UDP socket; drop port `aport`, keep the rest whole.
    const r = new Socket('inet', 'dgram');
    const a = new Socket('inet', 'dgram');
    for (const s of [r, a]) s.bind('127.0.0.1:0');
    const aport = (a.localAddress() as { port: number }).port;
    r.attachFilter([{ code: 0x28, jt: 0, jf: 0, k: 0 }, { code: 0x15, jt: 0, jf: 1, k: aport }, { code: 0x06, jt: 0, jf: 0, k: 0 }, { code: 0x06, jt: 0, jf: 0, k: 0xffff }]);
    await a.sendTo('dropped', r.localAddress());
    await assert.rejects(r.recv(100, { timeout: 200 }), { code: 'ETIMEDOUT' });
    r.attachFilter([{ code: 0x06, jt: 0, jf: 0, k: 0xffff }]);
    await a.sendTo('kept', r.localAddress());
    assert.equal((await r.recv(100, { timeout: 2000 })).toString(), 'kept');
    r.close();
    a.close();
    const r6 = new Socket('inet6', 'dgram');
    const a6 = new Socket('inet6', 'dgram');
    try {
      r6.bind('[::1]:0');
      a6.bind('[::1]:0');
    } catch {
      r6.close(); a6.close();
      return; // no IPv6 loopback here
    }
    const port6 = (a6.localAddress() as { port: number }).port;
    r6.attachFilter(`ip6 and udp and src port ${port6 + 1}`);
    await a6.sendTo('v6 dropped', r6.localAddress());
    await assert.rejects(r6.recv(100, { timeout: 200 }), { code: 'ETIMEDOUT' });
    r6.attachFilter(`ip6 and udp and src port ${port6} and src host ::1`);
    await a6.sendTo('v6 kept', r6.localAddress());
    assert.equal((await r6.recv(100, { timeout: 2000 })).toString(), 'v6 kept');
    r6.close();
    a6.close();
  });

  test('SO_ATTACH_REUSEPORT_CBPF picks the socket of a SO_REUSEPORT group', T, async () => {
    const group = [new Socket('inet', 'dgram'), new Socket('inet', 'dgram')];
    group[0].setOption('reuseport', true);
    group[0].bind('127.0.0.1:0');
    const addr = group[0].localAddress();
    group[1].setOption('reuseport', true);
    group[1].bind(addr);
    const s = new Socket('inet', 'dgram');
    for (const index of [1, 0]) {
      group[0].attachFilter([{ code: 0x06, jt: 0, jf: 0, k: index }], { reuseport: true });
      for (let i = 0; i < 5; i++) await s.sendTo(`to ${index} #${i}`, addr);
      for (let i = 0; i < 5; i++) assert.equal((await group[index].recv(100, { timeout: 2000 })).toString(), `to ${index} #${i}`);
      await assert.rejects(group[1 - index].recv(100, { timeout: 100 }), { code: 'ETIMEDOUT' });
    }
    for (const x of [...group, s]) x.close();
  });

  test('an expression on a Unix socket is refused before any system call; a program works there', T, () => {
    const [a, b] = Socket.pair('dgram');
    assert.throws(() => a.attachFilter('udp'), { code: 'ERR_INVALID_ARG_VALUE' });
    a.attachFilter([{ code: 0x06, jt: 0, jf: 0, k: 0xffff }]);
    a.close();
    b.close();
  });
});

describe('capture without the privilege', { skip: isRoot && 'runs as root' }, () => {
  test('capture() is refused by the kernel (EPERM) and leaves no fd', T, async () => {
    await noFdLeak(() => assert.throws(() => capture({ interface: 'lo' }), { name: 'SocketError', code: 'EPERM' }));
  });
});

describe('capture inside a test namespace', { skip: (!isRoot || !haveIp) && 'needs root and iproute2' }, () => {
  let dir = '';
  let skip: string | null = null;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berkeley-capture-'));
    skip = makeNamespaces(ns, peer);
  });
  after(() => {
    removeNamespaces(ns, peer);
    rmSync(dir, { recursive: true, force: true });
  });

  test('on lo, through the ring and through recvmsg: the filtered datagrams, each leaving and arriving, stamped and counted', T, (t) => {
    if (skip) return t.skip(skip);
    const r = scenario('lo', dir);
    for (const path of ['ring', 'recvmsg']) {
      const x = r[path];
      assert.deepEqual(x.payloads, range(20, 'lo').sort(), `${path}: every datagram once (the copy leaving lo skipped), none of the other port`);
      assert.deepEqual(x.directions, ['host'], path);
      for (const k of ['ifindex', 'protocol', 'lengths', 'timestamps', 'ordered', 'closed']) assert.equal(x[k], true, `${path}: ${k}`);
      assert.equal(x.usesRing, path === 'ring');
      assert.ok(x.stats.received >= 20 && x.stats.dropped === 0, `${path}: ${JSON.stringify(x.stats)}`);
    }
  });

  test('files read back by tcpdump -r (and tshark) hold the same packets, timestamps to the nanosecond', T, (t) => {
    if (skip) return t.skip(skip);
    const r = scenario('files', dir);
    const packets = r.packets as { ts: string; caplen: number; len: number; hex: string }[];
    assert.equal(packets.length, 6);
    for (const file of ['lo.pcap', 'lo.pcapng']) {
      const out = spawnSync('tcpdump', ['-r', join(dir, file), '-nn', '-tt', '--nano', '-xx'], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stderr, /link-type EN10MB/);
      assert.match(out.stderr, /snapshot length 60/);
      const read = out.stdout.split(/\n(?=\d)/).filter(Boolean).map((rec) => {
        const [head, ...lines] = rec.trim().split('\n');
        const [sec, nsec] = head.split(' ')[0].split('.');
        const hex = lines.map((l) => l.replace(/^\s*0x[0-9a-f]+:\s*/, '').replace(/\s+/g, '')).join('');
        return { ts: String(BigInt(sec) * 1_000_000_000n + BigInt(nsec)), hex, len: Number(/length (\d+)/.exec(head)?.[1]) };
      });
      assert.deepEqual(read.map((p) => p.ts), packets.map((p) => p.ts), `${file}: timestamps`);
      assert.deepEqual(read.map((p) => p.hex), packets.map((p) => p.hex), `${file}: bytes`);
    }
    if (!needTools({ tshark: 'tshark' })) {
      for (const file of ['lo.pcap', 'lo.pcapng']) {
        const out = spawnSync('tshark', ['-r', join(dir, file), '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len'], { encoding: 'utf8' });
        assert.equal(out.status, 0, out.stderr);
        const rows = out.stdout.trim().split('\n').map((l) => l.split('\t'));
        assert.equal(rows.length, packets.length, file);
        rows.forEach(([epoch, len, caplen], i) => {
          assert.equal(epoch.replace('.', '').replace(/^0+/, ''), packets[i].ts, `${file} #${i} time`);
          assert.equal(Number(len), packets[i].len, `${file} #${i} length`);
          assert.equal(Number(caplen), packets[i].caplen, `${file} #${i} caplen`);
        });
      }
    } else t.diagnostic('tshark not available: checked with tcpdump only');
  });

  test('two readers in one fanout group share the packets: each datagram seen once', T, (t) => {
    if (skip) return t.skip(skip);
    const r = scenario('fanout', dir);
    const all = [...r.a, ...r.b].sort();
    assert.deepEqual(all, range(r.n, 'fan').sort(), 'together: every datagram exactly once');
    assert.ok(r.a.length > 0 && r.b.length > 0, `both readers got some (${r.a.length} and ${r.b.length})`);
  });

  test('VLAN tags the kernel took out are put back, and a live vlan filter sees them', T, (t) => {
    if (skip) return t.skip(skip);
    if (needTools({ python3: 'python3' })) return t.skip('python3 (the frame injector in the peer namespace) is missing');
    const r = scenario('vlan', dir);
    assert.equal(r.tagged.length, 5);
    for (const [i, p] of r.tagged.entries()) {
      assert.deepEqual({ tpid: p.tpid, tci: p.tci & 0xfff, payload: p.payload }, { tpid: 0x8100, tci: 5, payload: `tagged ${i}` });
      assert.equal(p.length, p.caplen);
      assert.equal(p.direction, 'broadcast');
    }
    assert.equal(r.otherVlan, 0, "'vlan 6' passes none");
    assert.deepEqual(r.plain, [...range(5, 'tagged').map((payload) => ({ tagged: true, payload })), ...range(3, 'untagged').map((payload) => ({ tagged: false, payload }))]);
  });

  test('all interfaces: cooked packets with a Linux SLL header, read back by tcpdump as LINUX_SLL', T, (t) => {
    if (skip) return t.skip(skip);
    const r = scenario('all', dir);
    for (const ring of ['true', 'false']) {
      const x = r[ring];
      assert.equal(x.linkType, 'linux-sll');
      assert.equal(x.packets.length, 3, ring);
      for (const p of x.packets) {
        assert.equal(p.hatype, 772, 'ARPHRD_LOOPBACK');
        assert.equal(p.protocol, 0x0800);
        assert.equal(p.pkttype, 0, 'PACKET_HOST (the outgoing copy on lo is skipped)');
        assert.equal(p.direction, 'host');
        assert.equal(p.length, p.caplen);
      }
      assert.deepEqual(x.packets.map((p: { payload: string }) => p.payload).sort(), range(3, `all-${ring}`));
      const out = spawnSync('tcpdump', ['-r', join(dir, `all-${ring}.pcap`), '-nn'], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stderr, /link-type LINUX_SLL/);
      assert.equal(out.stdout.trim().split('\n').length, 3);
      assert.match(out.stdout, /127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.\d+: UDP/);
    }
  });

  test('count, the signal and close() end an iteration; an idle capture uses no CPU; released views read as empty', T, (t) => {
    if (skip) return t.skip(skip);
    const r = scenario('end', dir);
    assert.equal(r.count, 3);
    assert.equal(r.countClosed, true);
    assert.equal(r.signalEnded.packets, 0);
    assert.equal(r.signalEnded.closed, true);
    assert.ok(r.signalEnded.waitedMs >= 1400, `ended after ${r.signalEnded.waitedMs} ms`);
    // A spin would use the whole 1.5 s; waiting uses a few wake-ups' worth.
    assert.ok(r.signalEnded.cpuMs < 500, `${r.signalEnded.cpuMs} ms of CPU in 1.5 s of waiting`);
    assert.deepEqual(r.closeEnded, { packets: 0, stats: { received: 0, dropped: 0 } });
    assert.deepEqual(r.released.copies, ['first'], 'the first block');
    assert.ok(r.released.before.every((n: number) => n > 40));
    assert.deepEqual(r.released.whenSecond, [0], 'its packet reads as empty once the iterator reached the next block');
  });
});

