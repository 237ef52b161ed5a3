// Happy Eyeballs and tcp() against a real resolver answer with both
// families: the test runs a child in a mount namespace whose /etc/hosts says
// localhost is ::1 and 127.0.0.1, with no IPv6 listener. Needs root and
// unshare(1); skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { writeFileSync } from 'node:fs';
import { hasIPv6, isRoot, tmpPath } from './helpers.ts';

const haveUnshare = spawnSync('unshare', ['--help'], { stdio: 'ignore' }).status === 0;

test('localhost = ::1 and 127.0.0.1 with only an IPv4 listener', { skip: (!isRoot || !haveUnshare || !hasIPv6) && 'needs root, unshare and IPv6' }, (t) => {
  const hosts = tmpPath('hosts');
  writeFileSync(hosts, '::1 localhost\n127.0.0.1 localhost\n');
  const child = new URL('./fixtures/dual-localhost-child.ts', import.meta.url).pathname;
  const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount --bind "$0" /etc/hosts && exec "$1" --import tsx "$2"`, hosts, process.execPath, child], {
    encoding: 'utf8', timeout: 60_000,
  });
  if (r.status !== 0 && /mount|unshare/.test(r.stderr)) return t.skip(`no mount namespace here: ${r.stderr.trim()}`);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual([...new Set(out.resolved)].sort(), ['inet', 'inet6'], 'the resolver returns both families');
  assert.equal(out.happyEyeballs.family, 'inet');
  assert.ok(out.happyEyeballs.ms < 3000);
  assert.equal(out.sequential.family, 'inet');
  assert.deepEqual(out.deferred, { family: 'inet', nodelay: true });
});
