// The Node matrix: the real-socket scenarios of the runtime suite
// (test/runtimes/) under the newest release of each Node line berkeley
// supports, 20, 22, 24 and 26, with each readiness engine (the epoll set on
// Node's loop, and its helper thread forced by BERKELEY_READINESS=epoll-thread), plus the natural-exit
// check. The Node binaries are the registry's node-linux-ARCH packages,
// fetched into node_modules/.cache/berkeley-runtimes/ by the first run and
// reused by later ones (this Node is used where it is that release). A line
// whose binary cannot be had (no registry and nothing cached) is skipped with
// the reason; the last test prints which versions ran and which did not.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { join } from 'node:path';
import { ROOT, buildDist, cachedVersions, newestOfMajor, registryNode, registryVersions } from './registry-cache.js';

const MAJORS = [20, 22, 24, 26];
const fixtures = join(ROOT, 'test', 'runtimes');
const arch = process.arch;
const pkgName = `node-linux-${arch}`;

/** Per major: the Node binary to run and its version, or why none. */
interface Line { major: number; version?: string; node?: string; skip?: string }

async function resolveLines(): Promise<Line[]> {
  if (process.platform !== 'linux' || (arch !== 'x64' && arch !== 'arm64')) {
    return MAJORS.map((major) => ({ major, skip: `the registry's Node packages used here are for linux x64/arm64, not ${process.platform} ${arch}` }));
  }
  const published = await registryVersions(pkgName);
  // Without the registry: what the cache holds, and this Node.
  const known = published.ok ? published.value : [...cachedVersions(pkgName), process.versions.node];
  const lines: Line[] = [];
  for (const major of MAJORS) {
    const version = newestOfMajor(known, major);
    if (!version) {
      lines.push({ major, skip: published.ok ? `no ${major}.x release of ${pkgName} on the registry` : `${published.why}, and no ${major}.x in the cache` });
      continue;
    }
    if (process.versions.node === version) { lines.push({ major, version, node: process.execPath }); continue; }
    const node = await registryNode(arch, version);
    lines.push(node.ok ? { major, version, node: node.value } : { major, version, skip: node.why });
  }
  return lines;
}

const lines = await resolveLines();
const outcome = new Map<string, string>();

before(() => {
  const failed = buildDist();
  assert.equal(failed, undefined, failed);
});

function runNode(node: string, args: string[], env: Record<string, string>, timeout: number) {
  return spawnSync(node, args, {
    cwd: ROOT, encoding: 'utf8', timeout, killSignal: 'SIGKILL',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
}

for (const line of lines) {
  const name = line.version ? `node ${line.version}` : `node ${line.major}`;
  describe(`${name} (${line.node === process.execPath ? 'this Node' : line.node ? pkgName : 'not run'})`, () => {
    for (const backend of ['epoll', 'epoll-thread']) {
      test(`real-socket scenarios, ${backend}`, { skip: line.skip ?? false, timeout: 200_000 }, (t) => {
        const out = runNode(line.node!, ['--expose-gc', join(fixtures, 'scenarios.mjs')], { BERKELEY_READINESS: backend }, 180_000);
        const outLines = out.stdout.split('\n').filter(Boolean);
        const failures = outLines.filter((l) => l.startsWith('not ok'));
        const summary = outLines.find((l) => /^\d+ passed, \d+ failed/.test(l));
        t.diagnostic(`${name} ${backend}: ${summary ?? 'no summary'}`);
        for (const l of outLines.filter((x) => x.startsWith('skip'))) t.diagnostic(l);
        outcome.set(`${line.version} ${backend}`, summary ?? `no summary (status ${out.status}, signal ${out.signal})`);
        assert.deepEqual(failures, [], `${name} failed scenarios:\n${out.stderr}`);
        assert.ok(summary, `no summary line (status ${out.status}, signal ${out.signal}):\n${out.stdout}\n${out.stderr}`);
        assert.equal(out.status, 0, out.stderr);
        assert.match(summary, /^\d+ passed, 0 failed/);
        assert.ok(Number(summary.split(' ')[0]) >= 15, summary);
      });
    }

    test('exits by itself with sockets left open', { skip: line.skip ?? false, timeout: 60_000 }, () => {
      const out = runNode(line.node!, [join(fixtures, 'exit.mjs')], {}, 30_000);
      assert.equal(out.signal, null, `killed by ${out.signal}: it did not exit by itself\n${out.stdout}${out.stderr}`);
      assert.equal(out.status, 0, `${out.stdout}${out.stderr}`);
      assert.match(out.stdout, /done: sockets left open\n$/);
    });
  });
}

test('the matrix: which Node versions ran, which did not and why', (t) => {
  for (const line of lines) {
    if (line.skip) t.diagnostic(`node ${line.version ?? `${line.major}.x`}: skipped (${line.skip})`);
    else t.diagnostic(`node ${line.version}: ran (${['epoll', 'epoll-thread'].map((b) => `${b}: ${outcome.get(`${line.version} ${b}`) ?? 'did not finish'}`).join('; ')})`);
  }
  const ran = lines.filter((l) => !l.skip).map((l) => l.version);
  t.diagnostic(`ran: ${ran.join(', ') || 'none'}; skipped: ${lines.filter((l) => l.skip).map((l) => l.major).join(', ') || 'none'}`);
  // Every line that was not skipped reported a summary for both backends.
  const missing = lines.filter((l) => !l.skip).flatMap((l) => ['epoll', 'epoll-thread'].filter((b) => !outcome.has(`${l.version} ${b}`)).map((b) => `${l.version} ${b}`));
  assert.deepEqual(missing, [], 'lines that should have run reported nothing');
});
