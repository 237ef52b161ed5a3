// Installs everywhere, fails clearly: the packed package.json passes npm's
// own platform check (checkPlatform from npm-install-checks, what `npm
// install` runs) on every OS and CPU, the install script builds nothing
// where berkeley does not run, and there importing any entry point (import
// and require) throws one error, code ERR_BERKELEY_UNSUPPORTED_PLATFORM,
// naming the platform and the supported ones, before any addon is looked
// for. Other platforms are stood in for by a preload that redefines
// process.platform in a child process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, buildDist, npmCli } from './registry-cache.js';

type CheckPlatform = (target: Record<string, unknown>, force?: boolean, env?: { os?: string; cpu?: string; libc?: string }) => void;
const { checkPlatform } = createRequire(import.meta.url)('npm-install-checks') as { checkPlatform: CheckPlatform };

const OSES = ['darwin', 'win32', 'freebsd', 'openbsd', 'sunos', 'aix', 'android', 'linux'];
const CPUS = ['x64', 'arm64', 'arm', 'ia32', 'riscv64', 'ppc64', 's390x'];
const UNSUPPORTED = ['darwin', 'win32', 'freebsd'];

let tmp = '';
let preload = '';
before(() => {
  const failed = buildDist();
  assert.equal(failed, undefined, failed);
  tmp = mkdtempSync(join(tmpdir(), 'berkeley-platforms-'));
  preload = join(tmp, 'platform.mjs');
  writeFileSync(preload, "Object.defineProperty(process, 'platform', { value: process.env.STUB_PLATFORM, enumerable: true, configurable: true });\n");
});
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

const npm = npmCli();

describe('npm installs the package on any OS', { skip: npm ? false : 'npm not found' }, () => {
  let packed: Record<string, unknown> = {};

  before(async () => {
    // The package.json inside the tarball npm pack makes (scripts skipped: they do not change it).
    const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, [npm!, 'pack', '--ignore-scripts', '--json', '--pack-destination', tmp],
      { cwd: ROOT, maxBuffer: 64 << 20, timeout: 180_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    const file = (JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[])[0]!.filename;
    const tar = spawnSync('tar', ['-xzOf', join(tmp, file), 'package/package.json'], { encoding: 'utf8', maxBuffer: 16 << 20 });
    assert.equal(tar.status, 0, tar.stderr);
    packed = JSON.parse(tar.stdout) as Record<string, unknown>;
  });

  test('checkPlatform (npm-install-checks) accepts the packed package.json on every OS, CPU and libc', { timeout: 200_000 }, () => {
    assert.equal(packed.name, 'berkeley');
    for (const field of ['os', 'cpu', 'libc']) assert.equal(packed[field], undefined, `no "${field}" field restricts installs`);
    const refused: string[] = [];
    for (const os of OSES) {
      for (const cpu of CPUS) {
        for (const libc of os === 'linux' ? ['glibc', 'musl'] : ['']) {
          try { checkPlatform(packed, false, { os, cpu, libc }); } catch (e) { refused.push(`${os}-${cpu}${libc && `-${libc}`}: ${(e as { code?: string }).code}`); }
        }
      }
    }
    assert.deepEqual(refused, []);
  });

  test('the same check refuses darwin and win32 with the "os" field berkeley had', () => {
    for (const os of ['darwin', 'win32']) {
      assert.throws(() => checkPlatform({ ...packed, os: ['linux'] }, false, { os, cpu: 'x64' }), { code: 'EBADPLATFORM' });
    }
  });

  test('the install script builds nothing where berkeley does not run, and exits 0', { timeout: 60_000 }, () => {
    for (const platform of UNSUPPORTED) {
      // An empty PATH: were it to run node-gyp-build or node-gyp, it would fail.
      const r = spawnSync(process.execPath, ['--import', preload, join(ROOT, 'scripts', 'install.cjs')],
        { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { PATH: '', STUB_PLATFORM: platform } });
      assert.equal(r.status, 0, `${platform}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^berkeley: nothing to build on ${platform} `));
    }
  });
});

/** What importing `specifier` (or require()-ing it) did in a child whose process.platform is `platform`. */
function importOn(platform: string, specifier: string, how: 'import' | 'require') {
  const load = how === 'import' ? `await import(${JSON.stringify(specifier)})` : `createRequire(import.meta.url)(${JSON.stringify(specifier)})`;
  const script = `import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
let result;
try { ${load}; result = { loaded: true }; }
catch (err) { result = { name: err.name, isError: err instanceof Error, code: err.code, message: err.message, platform: err.platform, arch: err.arch, supported: err.supported }; }
result.addons = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.endsWith('.node')))];
console.log(JSON.stringify(result));`;
  const file = join(tmp, `probe-${platform}-${how}.mjs`);
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--no-warnings', '--import', preload, file], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '', STUB_PLATFORM: platform },
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

describe('importing on an OS berkeley does not support', () => {
  for (const platform of UNSUPPORTED) {
    test(`${platform}: every entry point throws ERR_BERKELEY_UNSUPPORTED_PLATFORM, with import and require, and loads no addon`, { timeout: 120_000 }, () => {
      for (const entry of ['index.js', 'posix.js', 'systemd.js']) {
        for (const how of ['import', 'require'] as const) {
          const got = importOn(platform, join(ROOT, 'dist', entry), how);
          const where = `${how} dist/${entry} on ${platform}`;
          assert.equal(got.loaded, undefined, `${where} loaded`);
          assert.equal(got.code, 'ERR_BERKELEY_UNSUPPORTED_PLATFORM', where);
          assert.equal(got.isError, true, where);
          assert.equal(got.platform, platform, where);
          assert.equal(got.arch, process.arch, where);
          assert.deepEqual(got.supported, ['linux'], where);
          assert.match(got.message as string, new RegExp(`^berkeley does not support ${platform} \\(${process.arch}\\): it runs on linux only`), where);
          assert.deepEqual(got.addons, [], `${where}: no addon was loaded`);
        }
      }
    });
  }

  test('the same probe on linux imports berkeley (the stub changes nothing else)', { timeout: 60_000 }, () => {
    const got = importOn('linux', join(ROOT, 'dist', 'index.js'), 'import');
    assert.equal(got.loaded, true, JSON.stringify(got));
    assert.equal((got.addons as string[]).length, 1);
  });

  test('an optional dependency: catching the code leaves the program running', { timeout: 60_000 }, () => {
    const file = join(tmp, 'optional.mjs');
    writeFileSync(file, `const berkeley = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))}).catch((err) => {
  if (err.code === 'ERR_BERKELEY_UNSUPPORTED_PLATFORM') return null;
  throw err;
});
console.log(berkeley === null ? 'fell back to node:net' : 'berkeley loaded');`);
    const r = spawnSync(process.execPath, ['--import', preload, file], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, STUB_PLATFORM: 'darwin' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'fell back to node:net\n');
  });
});

test('features are the platform\'s own flags (compile-time from native/compat.h, probed where the kernel decides)', { timeout: 60_000 }, async () => {
  const { features } = await import('../src/index.js');
  // What compat.h sets for Linux, and what every Linux kernel has.
  for (const flag of ['netlink', 'packet', 'abstract', 'accept4', 'recvmmsg', 'sendmmsg', 'credentials', 'seqpacket', 'reuseport']) {
    assert.equal(features[flag], true, flag);
  }
  assert.equal(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).os, undefined, 'the package.json in the tree has no "os" field');
});
