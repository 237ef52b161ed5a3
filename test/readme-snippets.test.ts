// Every ```ts block of the README type-checks as a user would compile it:
// tsc --strict, module nodenext, against the declarations the package ships.
// A block may assume names it does not define (a socket made earlier, data
// to send); an HTML comment right before it, `<!-- prelude: ... -->`,
// declares them, unseen on the rendered page.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { consumerProject, ROOT, typecheck } from './typecheck.ts';

interface Snippet { line: number; prelude: string; code: string }

/** The README's ```ts blocks, each with the prelude comment before it (if any) and its line number. */
export function snippets(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const re = /(?:<!--\s*prelude:((?:(?!-->)[\s\S])*)-->[ \t]*\n)?^```ts\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(re)) {
    const fence = m.index! + m[0].indexOf('```ts');
    out.push({ line: markdown.slice(0, fence).split('\n').length, prelude: (m[1] ?? '').trim(), code: m[2] });
  }
  return out;
}

describe('README snippets', () => {
  let project: { dir: string; cleanup: () => void } | undefined;
  before(async () => { project = await consumerProject('readme'); }, { timeout: 180_000 });
  after(() => project?.cleanup());

  test('every ```ts block of the README compiles with tsc --strict against the package', { timeout: 180_000 }, async () => {
    const { dir } = project!;
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const all = snippets(readme);
    assert.equal(all.length, (readme.match(/^```ts$/gm) ?? []).length, 'every ```ts fence is found');
    assert.ok(all.length >= 8, `${all.length} snippets`);
    const files = all.map((s) => {
      const name = `readme-line-${s.line}.ts`;
      // The prelude's lines come first; `export {}` makes each block a module of its own (top-level await).
      writeFileSync(join(dir, name), `${s.prelude}\n${s.code}\nexport {};\n`);
      return name;
    });
    const r = await typecheck(dir, files);
    assert.equal(r.code, 0, `README snippets fail to type-check (file names give the README line of the block):\n${r.output}`);
  });

  test('the README links the generated API reference, not API.md', { timeout: 10_000 }, () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.ok(!readme.includes('API.md'), 'no mention of API.md');
    assert.match(readme, /\]\(docs\/[^)]*\)/);
  });
});
