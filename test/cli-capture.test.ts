// berkeley capture as a user runs it: usage errors, --dump against tcpdump
// -ddd, the refusal without privilege, and as root, inside a network
// namespace this file makes, berkeley capture and tcpdump side by side on
// the same traffic: the same packets in the files, the same packets in the
// lines, the kernel's counts at the end, and the ways a capture stops (-c,
// --timeout, SIGINT).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUsageError, berkeley, needTools, tool, type Spawned } from './cli-harness.ts';
import { parseDecimal, run } from './fixtures/bpf-interpreter.ts';
import { corpus } from './fixtures/packets.ts';
import { isRoot } from './helpers.ts';

const T = { timeout: 240_000 };
const haveIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;
const noTcpdump = needTools({ tcpdump: 'tcpdump' });
const ns = `bk-clicap-${process.pid}`;
/** Several processes start at once on a loaded machine (or under ASan): give each time. */
const SLOW = { killAfter: 110_000 };

describe('berkeley capture: arguments', () => {
  test('usage errors: exit 2 with one line naming the mistake', T, async () => {
    const cases: [string[], RegExp][] = [
      [['--format', 'pcapx', '-w', '/dev/null'], /--format must be pcap or pcapng, not 'pcapx'/],
      [['--format', 'pcapng'], /--format goes with --write/],
      [['-c', '0'], /--count must be a whole number from 1/],
      [['-s', '300000'], /--snaplen must be a whole number from 1 to 262144/],
      [['--timeout', 'soon'], /--timeout must be a number/],
      [['-d', 'tcp', 'port'], /refused at the end: syntax error/],
      [['-d', 'host', 'example.com'], /refused at 'example.com'/],
      [['-d', 'igmp'], /refused at 'igmp'.*outside the supported subset/],
      [['--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, says] of cases) assertUsageError(await berkeley(['capture', ...args]).done, 'capture', says, args.join(' '));
  });

  test('--help prints the usage and exits 0', T, async () => {
    const r = await berkeley(['capture', '--help']).done;
    assert.equal(r.status, 0);
    assert.match(r.stdout.toString(), /^Usage: berkeley capture \[options\] \[EXPRESSION\]/);
  });

  test('--dump prints a program whose verdicts are tcpdump -ddd\'s', { ...T, skip: noTcpdump }, async () => {
    const packets = corpus();
    for (const expr of ['tcp port 80', 'udp and not host 10.0.0.1', 'vlan and icmp', 'tcp[tcpflags] & tcp-syn != 0']) {
      const ours = await berkeley(['capture', '-d', ...expr.split(' ')]).done;
      assert.equal(ours.status, 0, ours.stderr);
      const theirs = spawnSync('tcpdump', ['-ddd', '-y', 'EN10MB', expr], { encoding: 'utf8' });
      const [a, b] = [parseDecimal(ours.stdout.toString()), parseDecimal(theirs.stdout)];
      for (const p of packets) assert.equal(run(a, p.data, p.wirelen) !== 0, run(b, p.data, p.wirelen) !== 0, `${expr} on ${p.name}`);
    }
  });

  test('without the privilege: exit 1, the kernel\'s EPERM said plainly', { ...T, skip: isRoot && 'runs as root' }, async () => {
    const r = await berkeley(['capture', '-i', 'lo', '-c', '1']).done;
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^berkeley capture: socket EPERM/);
  });
});

/** Resolves once a process has said on stderr that it is listening (tcpdump and berkeley alike). */
function listening(s: Spawned): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    s.child.stderr!.on('data', (d) => { seen += d; if (/listening on/.test(seen)) resolve(); });
    s.done.then((r) => reject(new Error(`exited before listening: ${r.stderr}`)));
  });
}

/** Sends UDP datagrams (IPv4 and IPv6) and a ping inside the namespace. */
async function traffic(port: number, n: number): Promise<void> {
  const r = await tool('ip', ['netns', 'exec', ns, 'python3', '-c', `
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(n):
    a.sendto(b'v4 %d' % i, ('127.0.0.1', port))
    b.sendto(b'v6 %d ' % i + b'x' * i, ('::1', port))
    a.sendto(b'elsewhere', ('127.0.0.1', port + 1))
    time.sleep(0.002)
`, String(port), String(n)], { input: '' }).done;
  assert.equal(r.status, 0, r.stderr);
}

/** Each packet of a file as tcpdump -r prints it: its bytes, in hex. */
function packetsOf(file: string): string[] {
  const r = spawnSync('tcpdump', ['-r', file, '-nn', '-xx'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split(/\n(?=\d)/).filter(Boolean).map((rec) => rec.split('\n').slice(1).map((l) => l.replace(/^\s*0x[0-9a-f]+:\s*/, '').replace(/\s+/g, '')).join(''));
}

/** The 'SRC > DST' of each packet line (tcpdump -nn and berkeley capture both write them so). */
const flows = (text: string): string[] => [...text.matchAll(/ (\S+) > (\S+): UDP/g)].map((m) => `${m[1]} > ${m[2]}`);

describe('berkeley capture against tcpdump, inside a test namespace', { skip: (!isRoot || !haveIp || noTcpdump) && 'needs root, iproute2 and tcpdump' }, () => {
  let dir = '';
  let skip: string | null = null;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berkeley-cli-capture-'));
    const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (r.status !== 0) { skip = `cannot create a network namespace here: ${r.stderr.trim()}`; return; }
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    skip = needTools({ python3: 'python3' }) || null;
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the same traffic: the same packets in both files, the same flows in the lines, the counts at the end', T, async (t) => {
    if (skip) return t.skip(skip);
    const port = 30000 + (process.pid % 20000);
    const filter = ['udp', 'port', String(port)];
    const ref = join(dir, 'tcpdump.pcap');
    // Each stops by itself after the 24 packets (a stop by signal could come before the last block is handed over).
    const tcpdump = tool('ip', ['netns', 'exec', ns, 'tcpdump', '-i', 'lo', '-nn', '-c', '24', '-w', ref, ...filter], SLOW);
    const file = berkeley(['capture', '-i', 'lo', '-c', '24', '-w', join(dir, 'berkeley.pcap'), ...filter], { ...SLOW, prefix: ['ip', 'netns', 'exec', ns] });
    const ng = berkeley(['capture', '-i', 'lo', '-c', '24', '-w', join(dir, 'berkeley.pcapng'), '--format', 'pcapng', ...filter], { ...SLOW, prefix: ['ip', 'netns', 'exec', ns] });
    const lines = berkeley(['capture', '-i', 'lo', '-c', '24', '--no-ring', ...filter], { ...SLOW, prefix: ['ip', 'netns', 'exec', ns] });
    await Promise.all([tcpdump, file, ng, lines].map(listening));
    await traffic(port, 12);
    const [rt, rf, rn, rl] = await Promise.all([tcpdump, file, ng, lines].map((p) => p.done));
    for (const [name, r] of [['tcpdump', rt], ['pcap', rf], ['pcapng', rn], ['lines', rl]] as const) assert.equal(r.status, 0, `${name}: ${r.stderr}`);

    const want = packetsOf(ref);
    assert.equal(want.length, 24, 'tcpdump saw 12 datagrams of each family (once each on lo)');
    assert.deepEqual(packetsOf(join(dir, 'berkeley.pcap')), want, 'the pcap file: the same packets, in the same order');
    assert.deepEqual(packetsOf(join(dir, 'berkeley.pcapng')), want, 'the pcapng file: the same packets');

    const theirLines = spawnSync('tcpdump', ['-r', ref, '-nn'], { encoding: 'utf8' }).stdout;
    const ours = rl.stdout.toString();
    assert.equal(ours.trim().split('\n').length, 24);
    assert.deepEqual(flows(ours), flows(theirLines), 'one line per packet, the same addresses and ports');
    assert.match(ours, /^\d\d:\d\d:\d\d\.\d{9} lo (In|Out) IP6? \S+ > \S+: UDP, length \d+$/m);
    for (const r of [rf, rn, rl]) {
      assert.match(r.stderr, /^24 packets captured$/m);
      assert.match(r.stderr, /^(\d+) packets received by filter$/m);
      assert.ok(Number(/^(\d+) packets received by filter$/m.exec(r.stderr)![1]) >= 24);
      assert.match(r.stderr, /^0 packets dropped by kernel$/m);
    }
  });

  test('-c N stops after N packets; --timeout and SIGINT stop an idle capture', T, async (t) => {
    if (skip) return t.skip(skip);
    const port = 31000 + (process.pid % 20000);
    const counted = berkeley(['capture', '-i', 'lo', '-c', '5', 'udp', 'port', String(port)], { ...SLOW, prefix: ['ip', 'netns', 'exec', ns] });
    await listening(counted);
    await traffic(port, 12);
    const r = await counted.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString().trim().split('\n').length, 5);
    assert.match(r.stderr, /^5 packets captured$/m);

    const idle = await berkeley(['capture', '-i', 'lo', '--timeout', '0.5', 'udp', 'port', '9'], { ...SLOW, prefix: ['ip', 'netns', 'exec', ns] }).done;
    assert.equal(idle.status, 0, idle.stderr);
    assert.equal(idle.stdout.length, 0);
    assert.match(idle.stderr, /^0 packets captured$/m);

    const interrupted = berkeley(['capture', '-i', 'lo', 'udp', 'port', '9'], { ...SLOW, prefix: ['ip', 'netns', 'exec', ns] });
    await listening(interrupted);
    interrupted.child.kill('SIGINT');
    const ri = await interrupted.done;
    assert.equal(ri.status, 0, ri.stderr);
    assert.match(ri.stderr, /^0 packets captured\n0 packets received by filter\n0 packets dropped by kernel$/m);
  });
});
