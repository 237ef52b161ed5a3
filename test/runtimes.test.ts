// The runtime matrix: the same real-socket scenarios (test/runtimes/), run
// against the built dist/ under Node with each readiness engine (the epoll
// set on Node's loop, and the set's helper thread forced by
// BERKELEY_READINESS=epoll-thread), under Bun and
// under Deno. Bun and Deno come from this package's devDependencies (the npm
// packages `bun` and `deno`); a runtime whose binary is absent or does not
// start is skipped. Each runtime also must exit by itself with sockets left
// open (exit.mjs) and run the demo.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test', 'runtimes');

interface Runtime {
  name: string;
  command: string[];          // the runtime and its flags, before the script
  env?: Record<string, string>;
}

// Deno: every permission (the addon is FFI to Deno), no update check or
// prompt (no network, no terminal). Bun: no telemetry. gc() exposed where it
// takes a flag (Bun has Bun.gc).
const quiet = { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', DO_NOT_TRACK: '1', NO_COLOR: '1' };
const runtimes: Runtime[] = [
  { name: 'node (epoll)', command: [process.execPath, '--expose-gc'], env: { BERKELEY_READINESS: '' } },
  { name: 'node (epoll-thread)', command: [process.execPath, '--expose-gc'], env: { BERKELEY_READINESS: 'epoll-thread' } },
  { name: 'bun', command: [join(root, 'node_modules', 'bun', 'bin', 'bun.exe')] },
  { name: 'deno', command: [join(root, 'node_modules', 'deno', 'deno'), 'run', '--allow-all', '--no-lock', '--v8-flags=--expose-gc'] },
];

/** The runtime's version, or why it cannot run here. */
function probe(r: Runtime): { version?: string; missing?: string } {
  if (!existsSync(r.command[0]!)) return { missing: `${r.command[0]} is not installed (npm install)` };
  // npm run test:asan preloads the sanitizer runtime for Node's run; Bun and
  // Deno bring their own allocators and are not run under it.
  if (r.command[0] !== process.execPath && /asan/.test(process.env.LD_PRELOAD ?? '')) return { missing: 'not under AddressSanitizer' };
  const out = spawnSync(r.command[0]!, ['--version'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...quiet } });
  if (out.status !== 0) return { missing: `${r.command[0]} --version failed: ${out.error?.message ?? out.stderr}` };
  return { version: out.stdout.split('\n')[0]!.trim() };
}

function run(r: Runtime, script: string, args: string[] = [], timeout = 180_000) {
  return spawnSync(r.command[0]!, [...r.command.slice(1), script, ...args], {
    cwd: root, encoding: 'utf8', timeout, killSignal: 'SIGKILL',
    env: { ...process.env, ...quiet, ...r.env },
  });
}

before(() => {
  // The scenarios import dist/: compile the current sources (as `prepare` does).
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  assert.ok(existsSync(join(root, 'dist', 'index.js')), `tsc did not build dist/: ${tsc.stdout}${tsc.stderr}`);
});

for (const r of runtimes) {
  describe(`runtime ${r.name}`, () => {
    const { version, missing } = probe(r);
    const skip = missing ?? false;

    test('real-socket scenarios', { skip, timeout: 200_000 }, (t) => {
      const out = run(r, join(fixtures, 'scenarios.mjs'));
      const lines = out.stdout.split('\n').filter(Boolean);
      const failures = lines.filter((l) => l.startsWith('not ok'));
      const summary = lines.find((l) => /^\d+ passed, \d+ failed/.test(l));
      t.diagnostic(`${r.name} ${version}: ${summary ?? 'no summary'}`);
      for (const l of lines.filter((x) => x.startsWith('skip'))) t.diagnostic(l);
      assert.deepEqual(failures, [], `${r.name} failed scenarios`);
      assert.ok(summary, `no summary line (status ${out.status}, signal ${out.signal}):\n${out.stdout}\n${out.stderr}`);
      assert.equal(out.status, 0, out.stderr);
      assert.match(summary, /^\d+ passed, 0 failed/);
      assert.ok(Number(summary.split(' ')[0]) >= 15, summary);
    });

    test('exits by itself with sockets left open, without a crash at teardown', { skip, timeout: 60_000 }, () => {
      const out = run(r, join(fixtures, 'exit.mjs'), [], 30_000);
      assert.equal(out.signal, null, `killed by ${out.signal}: it did not exit by itself\n${out.stdout}${out.stderr}`);
      assert.equal(out.status, 0, `${out.stdout}${out.stderr}`);
      assert.match(out.stdout, /done: sockets left open\n$/);
    });

    test('the demo runs to the end', { skip, timeout: 120_000 }, () => {
      const out = run(r, join(root, 'dist', 'cli', 'main.js'), ['demo'], 90_000);
      assert.equal(out.signal, null, `killed by ${out.signal}\n${out.stdout}${out.stderr}`);
      assert.equal(out.status, 0, `${out.stdout}${out.stderr}`);
      assert.match(out.stdout, /features: /);
    });
  });
}
