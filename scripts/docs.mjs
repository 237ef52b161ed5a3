#!/usr/bin/env node
// The API reference: Markdown under docs/, generated from the TSDoc comments
// of the public entry points (src/index.ts, src/posix.ts) by TypeDoc with
// typedoc-plugin-markdown, as typedoc.json configures it. `npm run docs`
// rewrites docs/; `node scripts/docs.mjs DIR` writes DIR instead (the test
// that checks docs/ is current compares the two).
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'docs'));
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
execFileSync(process.execPath, [typedoc, '--options', join(root, 'typedoc.json'), '--out', out], { cwd: root, stdio: 'inherit' });
