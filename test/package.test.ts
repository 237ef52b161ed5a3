// The package as a user gets it: the committed prebuilds match native/, and
// the tarball `npm pack` makes installs into an empty project offline, with
// no C compiler, make or Python on PATH, both with --ignore-scripts and with
// its install script and no native sources at all, then loads its prebuild
// (not a source build) and runs a socketpair round trip through import and
// through require() (Node's require(esm)).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmCli as findNpm } from './registry-cache.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT = 240_000;

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs a command to completion (never throws on a non-zero exit). */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeout ?? 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The prebuild node-gyp-build picks on this machine (its own libc rule: musl on Alpine). */
const libc = existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
const PREBUILDS = ['prebuilds/linux-x64/berkeley.glibc.node', 'prebuilds/linux-x64/berkeley.musl.node',
  'prebuilds/linux-arm64/berkeley.glibc.node', 'prebuilds/linux-arm64/berkeley.musl.node',
  'prebuilds/linux-arm/berkeley.glibc.node'];
/** ELF class (1: 32-bit, 2: 64-bit) and e_machine of each prebuild directory's arch. */
const ELF: Record<string, { bits: number; machine: number }> = {
  x64: { bits: 2, machine: 62 }, arm64: { bits: 2, machine: 183 }, arm: { bits: 1, machine: 40 },
};
const hostPrebuild = `prebuilds/${process.platform}-${process.arch}/berkeley.${libc}.node`;

describe('prebuilds', () => {
  test('the committed prebuilds were made from the native sources in the tree', { timeout: TIMEOUT }, () => {
    const sums = join(ROOT, 'prebuilds', 'SHA256SUMS');
    assert.ok(existsSync(sums), 'prebuilds/SHA256SUMS is missing: run `npm run prebuilds`');
    const listed = new Map<string, string>();
    for (const line of readFileSync(sums, 'utf8').split('\n').filter(Boolean)) {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      assert.ok(m, `bad line in prebuilds/SHA256SUMS: ${line}`);
      listed.set(m[2], m[1]);
    }
    const inputs = ['binding.gyp', 'scripts/prebuild.sh',
      ...readdirSync(join(ROOT, 'native')).filter((f) => /\.[ch]$/.test(f)).map((f) => `native/${f}`)];
    const outputs = readdirSync(join(ROOT, 'prebuilds'), { withFileTypes: true }).filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(join(ROOT, 'prebuilds', d.name)).map((f) => `prebuilds/${d.name}/${f}`));
    const stale = [
      ...inputs.filter((f) => !listed.has(f)).map((f) => `${f} is new`),
      ...[...listed.keys()].filter((f) => !inputs.includes(f) && !outputs.includes(f)).map((f) => `${f} is gone`),
      ...outputs.filter((f) => !listed.has(f)).map((f) => `${f} is not in SHA256SUMS`),
      ...[...listed].filter(([f]) => existsSync(join(ROOT, f)) && sha256(join(ROOT, f)) !== listed.get(f)).map(([f]) => `${f} changed`),
    ];
    assert.deepEqual(stale, [], `the prebuilds are stale (${stale.join('; ')}): run \`npm run prebuilds\` and commit prebuilds/`);
    for (const want of PREBUILDS) assert.ok(outputs.includes(want), `${want} is missing`);
  });

  test('each prebuild is an ELF shared object for its machine and libc', { timeout: TIMEOUT }, () => {
    for (const file of PREBUILDS) {
      const elf = readFileSync(join(ROOT, file));
      const [, arch, libc] = /linux-(\w+)\/berkeley\.(\w+)\.node$/.exec(file)!;
      assert.equal(elf.toString('latin1', 0, 4), '\x7fELF', `${file} is ELF`);
      assert.equal(elf[4], ELF[arch]!.bits, `${file} is ${ELF[arch]!.bits === 2 ? 64 : 32}-bit`);
      assert.equal(elf.readUInt16LE(16), 3, `${file} is a shared object`);
      assert.equal(elf.readUInt16LE(18), ELF[arch]!.machine, `${file} is for ${arch}`);
      // NEEDED names sit NUL-terminated in .dynstr: glibc's libc.so.6, or musl's libc.so.
      const needsGlibc = elf.includes('\0libc.so.6\0');
      assert.equal(needsGlibc, libc === 'glibc', `${file} ${libc === 'glibc' ? 'links' : 'does not link'} glibc`);
      if (libc === 'musl') assert.ok(elf.includes('\0libc.so\0') && !elf.includes('GLIBC_'), `${file} links musl only`);
    }
  });
});

const npmCli = findNpm();
const skipInstall = process.platform !== 'linux' ? 'the prebuilds are for Linux'
  : !npmCli ? 'npm not found (npm pack cannot run)'
    : !existsSync(join(ROOT, hostPrebuild)) ? `no prebuild for this machine (${hostPrebuild})`
      : false;

describe('the packed package', { skip: skipInstall }, () => {
  let tmp = '';
  let tarball = '';
  let ngbTarball = '';
  let bin = '';
  let offlineEnv: NodeJS.ProcessEnv = {};

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berkeley-package-'));
    // npm pack runs prepack and prepare (tsc): the tarball holds a fresh dist/.
    const packed = await run(process.execPath, [npmCli!, 'pack', '--pack-destination', tmp, '--json'], { cwd: ROOT });
    assert.equal(packed.code, 0, `npm pack failed\n${show(packed)}`);
    tarball = join(tmp, (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[])[0].filename);
    // node-gyp-build, berkeley's one dependency, from this tree's node_modules: no registry needed.
    const ngb = await run(process.execPath, [npmCli!, 'pack', join(ROOT, 'node_modules', 'node-gyp-build'), '--pack-destination', tmp, '--json', '--ignore-scripts'], { cwd: tmp });
    assert.equal(ngb.code, 0, `npm pack node-gyp-build failed\n${show(ngb)}`);
    ngbTarball = join(tmp, (JSON.parse(ngb.stdout.slice(ngb.stdout.indexOf('['))) as { filename: string }[])[0].filename);

    // A PATH with node, npm and sh (npm runs scripts through it) and nothing
    // else: no cc, make or python3.
    bin = join(tmp, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(npmCli!, join(bin, 'npm'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const home = join(tmp, 'home');
    mkdirSync(home);
    writeFileSync(join(tmp, 'npmrc'), '');
    // Only what is set here: no npm_config_* from an outer `npm test` (nodedir...),
    // an empty cache, and a registry that refuses connections.
    offlineEnv = {
      PATH: bin, HOME: home, TMPDIR: tmp, LANG: 'C',
      npm_config_userconfig: join(tmp, 'npmrc'), npm_config_cache: join(tmp, 'cache'),
      npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true',
      npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false',
    };
  });

  after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  /** An empty project in which `npm install` of `tarballs` ran with offlineEnv. */
  async function project(name: string, tarballs: string[], extra: string[]): Promise<{ dir: string; install: Run }> {
    const dir = join(tmp, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
    for (const t of ['cc', 'gcc', 'make', 'python3', 'python']) {
      const which = await run('/bin/sh', ['-c', `command -v ${t}`], { cwd: dir, env: offlineEnv });
      assert.notEqual(which.code, 0, `${t} is on the test PATH: ${which.stdout}`);
    }
    const install = await run(join(bin, 'npm'), ['install', '--no-package-lock', ...extra, ...tarballs], { cwd: dir, env: offlineEnv });
    assert.equal(install.code, 0, `npm install failed\n${show(install)}`);
    return { dir, install };
  }

  const ESM = `import { Socket } from 'berkeley';
import { readFileSync } from 'node:fs';
const [a, b] = Socket.pair('stream');
await a.send('ping over a socketpair');
const got = (await b.recv()).toString();
a.close(); b.close();
const loaded = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.endsWith('.node'));
console.log(JSON.stringify({ got, loaded: [...new Set(loaded)] }));
`;
  const CJS = `const { Socket } = require('berkeley');
const { readFileSync } = require('node:fs');
const [a, b] = Socket.pair('dgram');
a.sendSync('ping through require');
const got = b.recvSync().toString();
a.close(); b.close();
const loaded = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.endsWith('.node'));
console.log(JSON.stringify({ got, loaded: [...new Set(loaded)] }));
`;

  /** Runs `source` as `file` in the project and checks the round trip and which addon loaded. */
  async function roundTrip(dir: string, file: string, source: string, want: string): Promise<void> {
    writeFileSync(join(dir, file), source);
    const r = await run(join(bin, 'node'), ['--no-warnings', file], { cwd: dir, env: offlineEnv, timeout: 60_000 });
    assert.equal(r.code, 0, `${file} failed\n${show(r)}`);
    const { got, loaded } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { got: string; loaded: string[] };
    assert.equal(got, want);
    assert.deepEqual(loaded, [realpathSync(join(dir, 'node_modules', 'berkeley', hostPrebuild))], 'the prebuild is the addon that loaded');
  }

  test('installs with --ignore-scripts and no compiler, and the prebuild loads', { timeout: TIMEOUT }, async () => {
    const { dir } = await project('ignore-scripts', [tarball, ngbTarball], ['--ignore-scripts']);
    const pkg = join(dir, 'node_modules', 'berkeley');
    assert.ok(!existsSync(join(pkg, 'build')), 'no build/ directory ships or is made');
    assert.ok(!existsSync(join(pkg, 'native', 'fuzz')), 'the fuzzer does not ship');
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'binding.gyp', 'native/addon.c', 'scripts/install.cjs', 'dist/index.js', 'dist/index.d.ts', ...PREBUILDS]) {
      assert.ok(existsSync(join(pkg, f)), `${f} is in the package`);
    }
    await roundTrip(dir, 'esm.mjs', ESM, 'ping over a socketpair');
  });

  test('installs with its install script and no native sources at all; import and require() both load the prebuild', { timeout: TIMEOUT }, async (t) => {
    // The tarball again, without native/ and binding.gyp: a source build is impossible.
    const unpacked = join(tmp, 'unpacked');
    mkdirSync(unpacked);
    const untar = await run('tar', ['-xzf', tarball, '-C', unpacked], { cwd: tmp });
    if (untar.code !== 0) { t.skip(`tar cannot unpack the tarball: ${untar.stderr.trim()}`); return; }
    const pkg = join(unpacked, 'package');
    rmSync(join(pkg, 'native'), { recursive: true });
    rmSync(join(pkg, 'binding.gyp'));
    const repacked = await run(join(bin, 'npm'), ['pack', '--ignore-scripts', '--pack-destination', unpacked, '--json'], { cwd: pkg, env: offlineEnv });
    assert.equal(repacked.code, 0, `npm pack without sources failed\n${show(repacked)}`);
    const sourceless = join(unpacked, (JSON.parse(repacked.stdout.slice(repacked.stdout.indexOf('['))) as { filename: string }[])[0].filename);

    const { dir, install } = await project('with-scripts', [sourceless, ngbTarball], ['--foreground-scripts']);
    assert.match(install.stdout + install.stderr, /berkeley@[^\n]* install\n> node scripts\/install\.cjs/, `the install script ran\n${show(install)}`);
    const installed = join(dir, 'node_modules', 'berkeley');
    assert.ok(!existsSync(join(installed, 'native')) && !existsSync(join(installed, 'binding.gyp')), 'no native sources');
    assert.ok(!existsSync(join(installed, 'build')), 'nothing was built');
    await roundTrip(dir, 'esm.mjs', ESM, 'ping over a socketpair');
    await roundTrip(dir, 'cjs.cjs', CJS, 'ping through require');
  });
});
