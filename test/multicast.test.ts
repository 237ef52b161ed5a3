// Multicast inside a network namespace this test creates (and removes): lo
// with multicast on for IPv4, and a veth pair inside the same namespace for
// IPv6. The scenario runs in a child process inside the namespace
// (fixtures/multicast-child.ts). Needs root and iproute2; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { isRoot } from './helpers.ts';

const haveIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;
const ns = `berkeley-mc-${process.pid}`;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

test('multicast join, leave, source filter and IPv6 groups inside a test namespace', { skip: (!isRoot || !haveIp) && 'needs root and iproute2' }, (t) => {
  try {
    ip('netns', 'add', ns);
  } catch (err) {
    return t.skip(`cannot create a network namespace here: ${(err as Error).message}`);
  }
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'multicast', 'on');
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
    ip('link', 'add', 'bk-mc-a', 'netns', ns, 'type', 'veth', 'peer', 'name', 'bk-mc-b', 'netns', ns);
    spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0']);
    ip('-n', ns, 'link', 'set', 'bk-mc-a', 'up');
    ip('-n', ns, 'link', 'set', 'bk-mc-b', 'up');
    // IPv6 sends need the link-local address the kernel assigns to the veth.
    for (let i = 0; i < 50; i++) {
      const show = spawnSync('ip', ['-n', ns, '-6', 'addr', 'show', 'dev', 'bk-mc-a'], { encoding: 'utf8' }).stdout;
      if (/inet6 fe80/.test(show) && !/tentative/.test(show)) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    const child = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', new URL('./fixtures/multicast-child.ts', import.meta.url).pathname], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, BERKELEY_MC6: 'bk-mc-a,bk-mc-b' },
    });
    assert.equal(child.status, 0, child.stderr);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!);
    assert.equal(r.joined, 'to the group');
    assert.equal(r.destination, '239.1.2.3', 'pktinfo shows the group address');
    assert.equal(r.ifindex, true, 'pktinfo shows lo');
    assert.equal(r.afterLeave, null, 'nothing arrives after dropMembership');
    assert.equal(r.byIndex, 'by index');
    assert.equal(r.ssm, 'from the source', 'source-specific membership lets the source through');
    assert.equal(r.ssmNext, null, 'and filters the other sender');
    assert.equal(r.v6, 'v6 group');
    assert.equal(r.v6AfterLeave, null);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
