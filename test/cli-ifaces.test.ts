// berkeley ifaces against ip itself: --brief byte for byte what `ip -br
// addr` prints and --json the same facts as `ip -j addr`, on this host and
// inside a network namespace the test makes (veth pairs, one with its peer
// in another namespace, a point-to-point address, a label, a metric, IPv6,
// a 15-character name) and removes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { isRoot } from './helpers.ts';
import { berkeley, have } from './cli-harness.ts';

const T = { timeout: 60_000 };
const NS = `berkeley-ifaces-${process.pid}`;
const OUTSIDE = `bk${process.pid % 100000}o`; // the root-namespace end of a cross-namespace veth

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Every key ours has, ip has with the same value (addr_info entry by entry). */
function sameFacts(ours: Record<string, unknown>[], theirs: Record<string, unknown>[]): void {
  assert.deepEqual(ours.map((l) => l.ifindex), theirs.map((l) => l.ifindex), 'the same links in the same order');
  for (const [i, link] of ours.entries()) {
    const other = theirs[i];
    for (const [key, value] of Object.entries(link)) {
      if (key !== 'addr_info') { assert.deepEqual(value, other[key], `${link.ifname}: ${key}`); continue; }
      const mine = value as Record<string, unknown>[];
      const theirsInfo = other.addr_info as Record<string, unknown>[];
      assert.equal(mine.length, theirsInfo.length, `${link.ifname}: address count`);
      for (const [j, a] of mine.entries()) {
        for (const [k, v] of Object.entries(a)) assert.deepEqual(v, theirsInfo[j][k], `${link.ifname} address ${j}: ${k}`);
        // And nothing ip shows among our fields is missing from ours.
        for (const k of ['family', 'local', 'address', 'prefixlen', 'broadcast', 'scope', 'label', 'metric']) {
          assert.equal(k in a, k in theirsInfo[j], `${link.ifname} address ${j}: ${k} present in both or neither`);
        }
      }
    }
  }
}

describe('berkeley ifaces on this host', { skip: !have('ip', ['-V']) && 'ip (iproute2) is missing' }, () => {
  test('--brief is byte for byte ip -br addr; --json the same facts as ip -j addr', T, async () => {
    const brief = await berkeley(['ifaces', '--brief']).done;
    assert.equal(brief.status, 0, brief.stderr);
    assert.equal(brief.stdout.toString(), ip('-br', 'addr'));
    const json = await berkeley(['ifaces', '--json']).done;
    sameFacts(JSON.parse(json.stdout.toString()), JSON.parse(ip('-j', 'addr')));
    const table = await berkeley(['ifaces']).done;
    assert.match(table.stdout.toString(), /^INDEX +NAME +STATE +MTU +FLAGS +ADDRESSES\n1 +lo +UNKNOWN +65536 +LOOPBACK,UP,LOWER_UP +127\.0\.0\.1\/8/);
  });
});

describe('berkeley ifaces in a test network namespace', { skip: (!isRoot && 'needs root for ip netns') || (!have('ip', ['-V']) && 'ip (iproute2) is missing') }, () => {
  before(() => {
    // Every address below is assigned inside NS, the namespace this test makes
    // and deletes, on veths that lead nowhere outside it (the host end of
    // OUTSIDE has no address): they are only listed, never sent to.
    ip('netns', 'add', NS);
    const n = (...args: string[]) => ip('-n', NS, ...args);
    n('link', 'set', 'lo', 'up');
    n('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'vethlongname015');
    n('link', 'set', 'v0', 'up'); // its peer stays down: LOWERLAYERDOWN, NO-CARRIER and M-DOWN
    n('addr', 'add', '10.1.1.1', 'peer', '10.1.1.2/32', 'dev', 'v0');
    n('addr', 'add', '10.9.0.1/24', 'brd', '+', 'dev', 'v0', 'label', 'v0:lab');
    n('addr', 'add', 'fd00:9::1/64', 'dev', 'v0', 'nodad');
    n('addr', 'add', '10.2.2.2/24', 'dev', 'vethlongname015', 'metric', '50');
    n('addr', 'add', 'fd00:7::1', 'peer', 'fd00:7::2/128', 'dev', 'vethlongname015', 'nodad');
    ip('link', 'add', OUTSIDE, 'type', 'veth', 'peer', 'name', 'vout', 'netns', NS); // vout@ifN: its peer is elsewhere
  });
  after(() => {
    spawnSync('ip', ['link', 'del', OUTSIDE], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  });

  test('--brief is byte for byte ip -br addr: NAME@PEER, peer addresses, states, long names, metric', T, async () => {
    const theirs = ip('netns', 'exec', NS, 'ip', '-br', 'addr');
    const ours = await berkeley(['ifaces', '--brief'], { prefix: ['ip', 'netns', 'exec', NS] }).done;
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(ours.stdout.toString(), theirs);
    // What the comparison covers, so a change in ip's output cannot make it vacuous.
    assert.match(theirs, /^v0@vethlongname015 LOWERLAYERDOWN 10\.1\.1\.1 peer 10\.1\.1\.2\/32 10\.9\.0\.1\/24 fd00:9::1\/64 $/m);
    assert.match(theirs, /^vethlongname015@v0 DOWN {11}10\.2\.2\.2\/24 metric 50 fd00:7::1 peer fd00:7::2\/128 $/m);
    assert.match(theirs, /^vout@if\d+ {8,}DOWN {11}$/m);
  });

  test('--json carries the same facts as ip -j addr (link, flags with M-DOWN, peer address, label, broadcast, scope)', T, async () => {
    const ours = await berkeley(['ifaces', '--json'], { prefix: ['ip', 'netns', 'exec', NS] }).done;
    assert.equal(ours.status, 0, ours.stderr);
    const mine = JSON.parse(ours.stdout.toString());
    sameFacts(mine, JSON.parse(ip('netns', 'exec', NS, 'ip', '-j', 'addr')));
    const v0 = mine.find((l: { ifname: string }) => l.ifname === 'v0');
    assert.equal(v0.link, 'vethlongname015');
    assert.ok(v0.flags.includes('M-DOWN'));
    assert.deepEqual(v0.addr_info[0], { family: 'inet', local: '10.1.1.1', address: '10.1.1.2', prefixlen: 32, scope: 'global', label: 'v0' });
    assert.ok(typeof mine.find((l: { ifname: string }) => l.ifname === 'vout').link_index === 'number');
  });
});
