// The public types guide: tsc over test/fixtures/types-check.mts (lines that
// must compile, and `@ts-expect-error` lines that must not: wrong option
// values, wrong option names, read-only and write-only options, wrong family
// narrowing) against the declarations a user of the package gets; and the
// option value maps checked against the option table itself.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { OPTIONS } from '../src/codec/options.ts';
import { consumerProject, ROOT, typecheck } from './typecheck.ts';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'types-check.mts');

/** The property names of an interface declared in a TypeScript file, with those of the interfaces it extends there. */
function interfaceKeys(file: string, name: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const own = (n: string): string[] => {
    const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === n);
    assert.ok(decl, `interface ${n} in ${file}`);
    const inherited = (decl.heritageClauses ?? []).flatMap((h) => h.types.map((t) => own(t.expression.getText(source))));
    return inherited.flat().concat(decl.members.map((m) => {
      assert.ok(m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)), `a plain member name in ${n}`);
      return (m.name as ts.Identifier | ts.StringLiteral).text;
    }));
  };
  const keys = own(name);
  assert.equal(new Set(keys).size, keys.length, `no member of ${name} declared twice`);
  return keys.sort();
}

describe('types', () => {
  let project: { dir: string; cleanup: () => void } | undefined;
  before(async () => { project = await consumerProject('types'); }, { timeout: 180_000 });
  after(() => project?.cleanup());

  test('the fixture compiles where it should and fails on every @ts-expect-error line', { timeout: 180_000 }, async () => {
    const { dir } = project!;
    copyFileSync(FIXTURE, join(dir, 'types-check.mts'));
    const r = await typecheck(dir, ['types-check.mts']);
    assert.equal(r.code, 0, `tsc over the fixture failed:\n${r.output}`);
    // Not vacuous: many expected errors, of each kind.
    const text = readFileSync(FIXTURE, 'utf8');
    const expected = text.split('\n').filter((l) => l.includes('@ts-expect-error')).length;
    assert.ok(expected >= 30, `${expected} @ts-expect-error lines`);
    for (const kind of ['read-only', 'write-only', 'no such option', 'a flag takes a boolean', 'narrowed', 'no port']) {
      assert.ok(text.includes(kind), kind);
    }
  });

  test('without its @ts-expect-error comments the fixture fails at each of those lines', { timeout: 180_000 }, async () => {
    const { dir } = project!;
    const lines = readFileSync(FIXTURE, 'utf8').split('\n');
    const marked = new Set<number>();
    const stripped = lines.map((l, i) => {
      if (!l.trimStart().startsWith('// @ts-expect-error')) return l;
      marked.add(i + 2); // the next line, 1-based
      return '';
    });
    writeFileSync(join(dir, 'types-unmarked.mts'), stripped.join('\n'));
    const r = await typecheck(dir, ['types-unmarked.mts']);
    assert.notEqual(r.code, 0);
    const failing = new Set([...r.output.matchAll(/types-unmarked\.mts\((\d+),\d+\): error/g)].map((m) => Number(m[1])));
    for (const line of marked) assert.ok(failing.has(line), `line ${line} (${lines[line - 1].trim()}) is an error without its comment`);
    for (const line of failing) assert.ok(marked.has(line), `line ${line} (${lines[line - 1].trim()}) fails but is not marked:\n${r.output}`);
  });

  test('OptionValues and OptionInputs cover the option table: readable and writable names exactly', { timeout: 30_000 }, () => {
    const file = join(ROOT, 'src', 'codec', 'options.ts');
    const table = OPTIONS as Record<string, { readOnly?: boolean; writeOnly?: boolean }>;
    const readable = Object.keys(table).filter((n) => !table[n].writeOnly).sort();
    const writable = Object.keys(table).filter((n) => !table[n].readOnly).sort();
    assert.deepEqual(interfaceKeys(file, 'OptionValues'), readable);
    assert.deepEqual(interfaceKeys(file, 'OptionInputs'), writable);
  });
});
