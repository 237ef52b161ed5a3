#!/usr/bin/env node
// The API reference: Markdown under docs/, generated from the TSDoc comments
// of the public entry points (src/index.ts, src/posix.ts) by TypeDoc with
// typedoc-plugin-markdown, as typedoc.json configures it. `npm run docs`
// rewrites docs/; `node scripts/docs.mjs DIR` writes DIR instead (the test
// that checks docs/ is current compares the two). docs/guide/ holds the
// hand-written guides: TypeDoc writes into a fresh folder (it empties its
// output), and only what it generated is replaced.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'docs'));
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const kept = new Set(['guide']);
const staging = mkdtempSync(join(tmpdir(), 'berkeley-typedoc-'));
try {
  execFileSync(process.execPath, [typedoc, '--options', join(root, 'typedoc.json'), '--out', staging], { cwd: root, stdio: 'inherit' });
  mkdirSync(out, { recursive: true });
  for (const entry of readdirSync(out)) if (!kept.has(entry)) rmSync(join(out, entry), { recursive: true, force: true });
  cpSync(staging, out, { recursive: true });
} finally {
  rmSync(staging, { recursive: true, force: true });
}
