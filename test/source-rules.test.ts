// Rules the library's own sources keep, checked on the text of src/.
// Node 20 defines the globals Buffer and performance as accessors: every use
// of the global calls a getter (about 20 ns for Buffer, 9 for performance,
// measured in a loop of Buffer.from and performance.now). The modules take
// them from node:buffer and node:perf_hooks instead, once, at import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SRC = new URL('../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []);
}

const IMPORTED: [name: string, from: string][] = [['Buffer', 'node:buffer'], ['performance', 'node:perf_hooks']];

test('library modules import Buffer and performance instead of reading the global accessors', { timeout: 10_000 }, () => {
  const files = sources(SRC);
  assert.ok(files.length > 30, `found ${files.length} source files`);
  const missing: string[] = [];
  for (const file of files) {
    // Comments and strings may name them freely; code uses them as `Name.` or `instanceof Name`.
    const text = readFileSync(file, 'utf8');
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').replace(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''");
    for (const [name, from] of IMPORTED) {
      const used = new RegExp(`(?<![\\w.$])${name}\\s*\\.|instanceof\\s+${name}\\b`).test(code);
      const imported = new RegExp(`import\\s*\\{[^}]*\\b${name}\\b[^}]*\\}\\s*from\\s*'${from}'`).test(text);
      if (used && !imported) missing.push(`${file.slice(SRC.length)}: ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

// A synchronous child blocks the event loop, so one without a time limit can
// hang the run past every test's timeout: the tests take spawnSync and
// execFileSync from test/sync-child.ts, which gives each a limit.
test('tests run synchronous children only through test/sync-child.ts, which limits their time', { timeout: 10_000 }, () => {
  const TEST = new URL('./', import.meta.url).pathname;
  const files = readdirSync(TEST, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.(ts|mts|mjs|cjs|js)$/.test(d.name) && d.name !== 'sync-child.ts')
    .map((d) => join(d.parentPath ?? d.path, d.name));
  assert.ok(files.length > 60, `found ${files.length} test files`);
  const offenders = files.filter((file) => {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    return /\b(spawnSync|execFileSync|execSync)\b[^;]*from\s*'(node:)?child_process'|require\(\s*'(node:)?child_process'\s*\)\s*\.\s*(spawnSync|execFileSync|execSync)|\bchildProcess\.(spawnSync|execFileSync|execSync)\b/.test(code);
  });
  assert.deepEqual(offenders.map((f) => f.slice(TEST.length)), []);
});
