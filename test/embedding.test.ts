// The addon embedded the ways a host may embed it: in several worker_threads
// at once and one after another (each worker is an environment of its own,
// and its state must be its own), and twice in one process, from two copies
// of the package (two addon files) and from two directories that are hard
// links of one store (pnpm's layout: one file, so one library, loaded as two
// environments on one thread). Also: the C keeps no process-wide state
// beyond the few globals listed here, each with its reason.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, buildDist, stagePackage, which } from './registry-cache.js';

const fixtures = join(ROOT, 'test', 'runtimes');
const BACKENDS = [['epoll on the loop', 'epoll'], ['epoll thread', 'epoll-thread']] as const;

function runScript(script: string, args: string[], readiness: string) {
  const r = spawnSync(process.execPath, [script, ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL',
    env: { ...process.env, NODE_OPTIONS: '', BERKELEY_READINESS: readiness },
  });
  assert.equal(r.signal, null, `killed by ${r.signal}\n${r.stdout}${r.stderr}`);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const stages: string[] = [];
before(() => {
  const failed = buildDist();
  assert.equal(failed, undefined, failed);
});
after(() => { for (const s of stages) rmSync(s, { recursive: true, force: true }); });

describe('worker_threads', () => {
  for (const [name, readiness] of BACKENDS) {
    test(`four workers at once and six in a row (some terminated while waiting), with the main thread, ${name}`, { timeout: 120_000 }, () => {
      const got = runScript(join(fixtures, 'workers.mjs'), [], readiness) as {
        main: string; concurrent: Record<string, unknown>[]; sequential: Record<string, unknown>[];
      };
      assert.equal(got.main, 'main thread');
      const expect = (ids: number[]) => ids.map((id) => ({ id, pair: `from worker ${id}`, udp: `udp ${id}`, resolved: true }));
      assert.deepEqual(got.concurrent, expect([1, 2, 3, 4]));
      assert.deepEqual(got.sequential, expect([5, 6, 7, 8, 9, 10]));
    });
  }
});

describe('loaded twice in one process', () => {
  for (const [name, readiness] of BACKENDS) {
    test(`two copies of the package: two addon files, sockets of both used at once, ${name}`, { timeout: 120_000 }, () => {
      const a = stagePackage(), b = stagePackage();
      stages.push(a, b);
      const got = runScript(join(fixtures, 'twice.mjs'), [a, b], readiness) as { pairs: string[]; across: string; addons: string[]; sameClass: boolean };
      assert.deepEqual(got.pairs, ['to copy A', 'to copy B']);
      assert.equal(got.across, 'from copy A to copy B');
      assert.equal(got.sameClass, false, 'two module graphs');
      const prebuild = (dir: string) => realpathSync(join(dir, 'prebuilds', `linux-${process.arch}`, 'berkeley.glibc.node'));
      assert.deepEqual(new Set(got.addons), new Set([prebuild(a), prebuild(b)]), 'each copy loaded its own addon file');
    });

    test(`two directories hard-linked to one store (pnpm): one library, two environments on one thread, ${name}`, { timeout: 120_000 }, (t) => {
      if (!which('cp')) { t.skip('no cp'); return; }
      const a = stagePackage();
      const b = mkdtempSync(join(tmpdir(), 'berkeley-hardlinked-'));
      stages.push(a, b);
      const cp = spawnSync('cp', ['-al', `${a}/.`, b], { encoding: 'utf8' });
      assert.equal(cp.status, 0, cp.stderr);
      const file = join('prebuilds', `linux-${process.arch}`, 'berkeley.glibc.node');
      assert.equal(statSync(join(a, file)).ino, statSync(join(b, file)).ino, 'one file under two paths');
      const got = runScript(join(fixtures, 'twice.mjs'), [a, b], readiness) as { pairs: string[]; across: string; addons: string[] };
      assert.deepEqual(got.pairs, ['to copy A', 'to copy B']);
      assert.equal(got.across, 'from copy A to copy B');
      assert.equal(got.addons.length, 1, `one library mapped: ${got.addons.join(', ')}`);
    });
  }
});

// Process-wide (or thread-wide) writable data in the addon, file by file: anything
// else is state shared by every environment, which per-environment state must
// replace. The export tables are read-only after relocation (.data.rel.ro).
const ALLOWED_GLOBALS: Record<string, Record<string, string>> = {
  'args.c': { empty: 'a one-byte target for the data pointer of an empty array; never written' },
  'netdb.c': { sk__netdb_lock: "guards libc's own static state where a lookup has no reentrant form (musl, macOS)" },
  'scratch.c': { sk__scratches: "thread-local: the thread's environments' scratches, each found by its napi_env" },
};

// The compiler runs without an ASan run's LD_PRELOAD: it is not the code under test.
const toolEnv = { ...process.env, LD_PRELOAD: '' };

test('the C keeps no state shared by environments beyond the listed globals', { timeout: 120_000 }, (t) => {
  const cc = which('cc') ?? which('gcc');
  const objdump = which('objdump');
  const headers = join(dirname(dirname(realpathSync(process.execPath))), 'include', 'node');
  if (!cc || !objdump || !existsSync(join(headers, 'node_api.h'))) { t.skip('needs cc, objdump and Node headers'); return; }
  const out = mkdtempSync(join(tmpdir(), 'berkeley-globals-'));
  try {
    const found: string[] = [];
    for (const file of readdirSync(join(ROOT, 'native')).filter((f) => f.endsWith('.c'))) {
      const obj = join(out, `${file}.o`);
      const built: { status: number | null; stderr: string } = spawnSync(cc!, ['-std=gnu11', '-c', '-fPIC', '-O2', '-DNAPI_VERSION=8', '-D_GNU_SOURCE', `-I${headers}`, '-o', obj, join(ROOT, 'native', file)], { encoding: 'utf8', env: toolEnv });
      assert.equal(built.status, 0, built.stderr);
      // objdump -t: value, 7 flag characters, section, size, name:
      // "0000000000000000 l     O .bss\t0000000000000001 empty.0" (thread-locals have a blank type flag).
      const table: string = spawnSync(objdump!, ['-t', obj], { encoding: 'utf8', env: toolEnv }).stdout;
      for (const line of table.split('\n')) {
        const m = /^[0-9a-f]+ ([^\t]{7}) (\S+)\s+[0-9a-f]+\s+(\S+)$/.exec(line);
        if (!m || /[dFf]/.test(m[1]!)) continue;  // section and file symbols, functions
        m.splice(1, 1);
        // Writable: .bss, .data (and .data.rel, .data.rel.local), thread-local .tbss/.tdata, COMMON; not .rodata or .data.rel.ro*.
        if (!m || !/^(\.bss|\.data|\.tbss|\.tdata|\*COM\*|COMMON)(\.|$)/.test(m[1]!) || /^\.data\.rel\.ro/.test(m[1]!)) continue;
        const name = m[2]!.replace(/\.\d+$/, '');
        if (!(name in (ALLOWED_GLOBALS[file] ?? {}))) found.push(`${file}: ${name} (${m[1]})`);
        else t.diagnostic(`${file}: ${name} (${m[1]}): ${ALLOWED_GLOBALS[file]![name]}`);
      }
    }
    assert.deepEqual(found, [], 'writable globals not listed');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
