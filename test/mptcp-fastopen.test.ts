// Multipath TCP and TCP Fast Open on the client. MPTCP runs on loopback
// where the kernel allows it (/proc/sys/net/mptcp/enabled), with `ss -M` as
// the independent witness that the sockets are MPTCP; the fallback to TCP
// runs in a network namespace the test makes with net.mptcp.enabled=0. Fast
// Open runs in a namespace with net.ipv4.tcp_fastopen set there (never on
// the host): the SYN carries the data once the client holds a cookie, as
// both ends' tcpi_options and the namespace's TcpExt counters (nstat) show.
// The namespace scenarios run in a child (fixtures/netns-stream-child.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { readFileSync } from 'node:fs';
import { Socket, connect, listen, constants } from '../src/index.ts';
import { hasIPv6, isRoot } from './helpers.ts';

const T = { timeout: 30_000 };
const mptcpEnabled = (() => {
  try { return readFileSync('/proc/sys/net/mptcp/enabled', 'utf8').trim() === '1'; } catch { return false; }
})();
const haveIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;
const haveSs = spawnSync('ss', ['-V'], { stdio: 'ignore' }).status === 0;
/** tcpi_options' TCPI_OPT_SYN_DATA: the SYN carried data that the SYN-ACK acknowledged. */
const TCPI_OPT_SYN_DATA = 0x20;

/** The MPTCP sockets `ss -M` lists on `port` (local or peer). */
function mptcpSockets(port: number): string[] {
  const r = spawnSync('ss', ['-aHMn'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((line) => new RegExp(`:${port}\\b`).test(line));
}

describe('Multipath TCP on loopback', { skip: !mptcpEnabled && 'MPTCP is not enabled on this kernel' }, () => {
  test('listen and connect with { mptcp: true }: both ends are multipath (ss -M lists them) and carry data', T, async () => {
    for (const family of ['inet', undefined] as const) {
      const l = listen('127.0.0.1', 0, { mptcp: true, family });
      const { port } = l.localAddress() as { port: number };
      assert.equal(l.isMultipath(), true);
      assert.equal(l.getsockopt('socket', 'SO_PROTOCOL'), constants.IPPROTO_MPTCP);
      const c = await connect('127.0.0.1', port, { mptcp: true, timeout: 5000 });
      const a = await l.accept({ timeout: 5000 });
      assert.deepEqual([c.isMultipath(), a.isMultipath()], [true, true]);
      await c.sendAll('over mptcp');
      assert.equal((await a.receive(10, undefined, { timeout: 5000 })).toString(), 'over mptcp');
      if (haveSs) assert.deepEqual(mptcpSockets(port).map((line) => line.split(/\s+/)[0]).sort(), ['ESTAB', 'ESTAB', 'LISTEN'], 'ss -aM lists the listener and both ends');
      for (const s of [c, a, l]) s.close();
    }
  });

  test("new Socket(family, 'stream', 'mptcp') and IPPROTO_MPTCP; a TCP peer on either side falls back to TCP on the wire", T, async () => {
    const families = hasIPv6 ? ['inet', 'inet6'] as const : ['inet'] as const;
    for (const family of families) {
      for (const protocol of ['mptcp', constants.IPPROTO_MPTCP!]) {
        const s = new Socket(family, 'stream', protocol);
        assert.deepEqual([s.protocol, s.isMultipath()], [constants.IPPROTO_MPTCP, true], `${family} ${protocol}`);
        s.close();
      }
    }
    const mptcpListener = listen('127.0.0.1', 0, { mptcp: true, family: 'inet' });
    const tcpClient = await connect('127.0.0.1', mptcpListener.localAddress().port, { timeout: 5000 });
    const accepted = await mptcpListener.accept({ timeout: 5000 });
    assert.deepEqual([tcpClient.isMultipath(), accepted.isMultipath()], [false, false], 'a TCP client of an MPTCP listener');
    const tcpListener = listen('127.0.0.1', 0, { family: 'inet' });
    const mptcpClient = await connect('127.0.0.1', tcpListener.localAddress().port, { mptcp: true, timeout: 5000 });
    const plain = await tcpListener.accept({ timeout: 5000 });
    assert.equal(mptcpClient.getsockopt('socket', 'SO_PROTOCOL'), constants.IPPROTO_MPTCP, 'still an MPTCP socket');
    assert.equal(mptcpClient.isMultipath(), false, 'fallen back to TCP: the listener does not speak MPTCP');
    await mptcpClient.sendAll('fallback');
    assert.equal((await plain.receive(8, undefined, { timeout: 5000 })).toString(), 'fallback');
    for (const s of [tcpClient, accepted, mptcpListener, mptcpClient, plain, tcpListener]) s.close();
    assert.equal(new Socket('inet', 'stream').isMultipath(), false);
  });
});

/** Runs `ip` with `args`; throws with its stderr when it fails. */
function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** A namespace with lo up for the test, removed after `fn`; undefined (the test skips) when none can be made. */
function inNamespace(name: string, fn: (ns: string, run: (scenario: string) => Record<string, unknown>) => void): string | undefined {
  const ns = `berkeley-${name}-${process.pid}`;
  try {
    ip('netns', 'add', ns);
  } catch (err) {
    return `cannot create a network namespace here: ${(err as Error).message}`;
  }
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    fn(ns, (scenario) => {
      const child = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', new URL('./fixtures/netns-stream-child.ts', import.meta.url).pathname, scenario], { encoding: 'utf8', timeout: 40_000 });
      assert.equal(child.status, 0, child.stderr);
      return JSON.parse(child.stdout.trim().split('\n').pop()!);
    });
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
  return undefined;
}

const sysctl = (ns: string, setting: string): boolean => spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', setting], { stdio: 'ignore' }).status === 0;

test('MPTCP refused by the kernel (net.mptcp.enabled=0 in a test namespace): every spelling makes a TCP socket that works', { timeout: 60_000, skip: (!isRoot || !haveIp) && 'needs root and iproute2' }, (t) => {
  const skipped = inNamespace('mptcp-off', (ns, run) => {
    if (!sysctl(ns, 'net.mptcp.enabled=0')) return t.skip('no net.mptcp.enabled in this kernel');
    const r = run('mptcp-off');
    assert.equal(r.raw, 'ENOPROTOOPT', 'socket(2) with IPPROTO_MPTCP is refused here');
    assert.deepEqual(r.sockets, [[constants.IPPROTO_TCP, constants.IPPROTO_TCP, false], [constants.IPPROTO_TCP, constants.IPPROTO_TCP, false]]);
    for (const family of ['inet', undefined]) {
      assert.deepEqual(r[`listen family ${family}`], { listener: false, client: false, accepted: false, data: 'over tcp', protocol: constants.IPPROTO_TCP }, `listen family ${family}`);
    }
  });
  if (skipped) t.skip(skipped);
});

test('TCP Fast Open: the first connect gets a cookie, the next carry their data in the SYN; the rest follows the handshake', { timeout: 60_000, skip: (!isRoot || !haveIp) && 'needs root and iproute2' }, (t) => {
  const skipped = inNamespace('tfo', (ns, run) => {
    if (!sysctl(ns, 'net.ipv4.tcp_fastopen=3')) return t.skip('no per-namespace net.ipv4.tcp_fastopen');
    ip('-n', ns, 'link', 'set', 'lo', 'mtu', '1500');
    const r = run('fastopen') as { rounds: { data: boolean; client: number; server: number }[] };
    assert.deepEqual(r.rounds.map((x) => x.data), [true, true, true], 'every byte arrived');
    assert.deepEqual(r.rounds.map((x) => [(x.client & TCPI_OPT_SYN_DATA) !== 0, (x.server & TCPI_OPT_SYN_DATA) !== 0]),
      [[false, false], [true, true], [true, true]], 'SYN data from the second connect on (tcpi_options)');
    const nstat = spawnSync('ip', ['netns', 'exec', ns, 'nstat', '-asz', 'TcpExtTCPFastOpenActive', 'TcpExtTCPFastOpenPassive', 'TcpExtTCPFastOpenCookieReqd'], { encoding: 'utf8' });
    if (nstat.status === 0) {
      const counter = (name: string): number => Number(new RegExp(`${name}\\s+(\\d+)`).exec(nstat.stdout)?.[1]);
      assert.deepEqual([counter('TcpExtTCPFastOpenCookieReqd'), counter('TcpExtTCPFastOpenActive'), counter('TcpExtTCPFastOpenPassive')], [1, 2, 2], nstat.stdout);
    }
    // The client bit off: sendto(MSG_FASTOPEN) answers EOPNOTSUPP and connect() falls back to connect(2) and a send.
    assert.ok(sysctl(ns, 'net.ipv4.tcp_fastopen=2'));
    const off = run('fastopen') as { rounds: { data: boolean; client: number }[] };
    assert.deepEqual(off.rounds.map((x) => [x.data, (x.client & TCPI_OPT_SYN_DATA) !== 0]), [[true, false], [true, false], [true, false]]);
  });
  if (skipped) t.skip(skipped);
});
