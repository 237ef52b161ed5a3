// Every ```ts block of docs/guide/migration.md runs as it is, each in a
// child process of its own, against the sources: `'berkeley'` and
// `'berkeley/dgram'` are pointed at src/ (a user's project resolves them to
// the package). A block must exit 0 on its own (nothing left keeping the
// process alive) and print what it says it prints.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUIDE = join(ROOT, 'docs', 'guide', 'migration.md');
const SOURCES: Record<string, string> = { 'berkeley/dgram': join(ROOT, 'src', 'dgram', 'index.ts'), berkeley: join(ROOT, 'src', 'index.ts') };

/** The ```ts blocks of a Markdown page, with their line numbers. */
function snippets(markdown: string): { line: number; code: string }[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => ({ line: markdown.slice(0, m.index).split('\n').length, code: m[1] }));
}

/**
 * A module a worker can import for 'berkeley': it registers tsx first (a
 * worker started from code does not inherit the loader) and re-exports
 * the sources.
 */
const workerShim = (dir: string): string => {
  const file = join(dir, 'berkeley-for-workers.mjs');
  writeFileSync(file, `import { register } from 'tsx/esm/api';\nregister();\nexport const { Socket } = await import(${JSON.stringify(SOURCES.berkeley)});\n`);
  return file;
};

/** What each block prints, in part (the line with a time in it varies). */
const EXPECT: RegExp[] = [
  /^echo: ping\n$/,
  /^hello \(5 bytes, from an unnamed socket\)\n$/,
  /^reply from 127\.0\.0\.1 in [\d.]+ ms\n$/,
  /^echo: hello\n$/,
  /^hello, \|w\|o\|r\|l\|d\n$/,
  /^take this: same file\? true\ngot 1 fd\(s\)\ndata: a file again\n$/,
  /^main thread: one\nworker: two\nworker: three\n$/,
];

describe('docs/guide/migration.md', () => {
  const blocks = snippets(readFileSync(GUIDE, 'utf8'));
  test('has the blocks this test knows', () => assert.equal(blocks.length, EXPECT.length));
  blocks.forEach((block, i) => {
    test(`the ts block at line ${block.line} runs on loopback and exits by itself`, { timeout: 60_000 }, async (t) => {
      const dir = mkdtempSync(join(ROOT, 'test', '.migration-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const code = block.code
        .replace(/import\.meta\.resolve\('berkeley'\)/g, () => `import.meta.resolve(${JSON.stringify(workerShim(dir))})`)
        .replace(/'(berkeley(?:\/dgram)?)'/g, (_, name: string) => JSON.stringify(SOURCES[name]));
      const file = join(dir, `block-${block.line}.mts`);
      writeFileSync(file, code);
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 50_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
      });
      assert.equal(out.code, 0, `block at line ${block.line} failed:\n${out.stdout}${out.stderr}`);
      assert.match(out.stdout, EXPECT[i]);
    });
  });
});
