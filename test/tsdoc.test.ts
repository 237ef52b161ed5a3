// Every public export of the four entry points (berkeley, berkeley/posix,
// berkeley/systemd, berkeley/dgram), and every public member of an exported
// class, is documented for the reference: read with the TypeScript compiler,
// each has a TSDoc summary; each function and method says what it throws
// (`@throws`; an async one, what its promise rejects with), or says in its
// text that it never throws, and shows an `@example`; each entry point has a
// module comment. The C constants of berkeley/posix (AF_INET, ...) are
// documented in bulk by that module's comment and their C names, and are only
// counted. (Interfaces' fields are not required to have comments here.)
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './typecheck.ts';

const ENTRIES = ['src/index.ts', 'src/posix.ts', 'src/systemd.ts', 'src/dgram/index.ts'];

/** The generated table of C constants: one `export const NAME: number` each, named as in C. */
const CONSTANTS = 'src/sys/constants.ts';

/** A comment that says the call cannot fail, in place of a `@throws`. */
const NEVER_THROWS = /\bnever\s+(throws|rejects)\b/i;

interface Doc { summary: string; tags: Map<string, string[]> }

/**
 * A doc comment's summary and block tags, read from its text: TypeScript's own
 * tag parser takes `@throws {@link SocketError} ...` for a type expression
 * and loses the rest, so each line that starts with `@name` starts a tag.
 */
function parseDoc(raw: string): Doc {
  const lines = raw.replace(/^\/\*\*/, '').replace(/\*\/$/, '').split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  const blocks: { name: string; text: string[] }[] = [{ name: '', text: [] }];
  for (const line of lines) {
    const tag = /^\s*@(\w+)\s?(.*)$/.exec(line);
    if (tag) blocks.push({ name: tag[1], text: [tag[2]] });
    else blocks[blocks.length - 1].text.push(line);
  }
  const tags = new Map<string, string[]>();
  for (const b of blocks.slice(1)) tags.set(b.name, [...(tags.get(b.name) ?? []), b.text.join('\n').trim()]);
  return { summary: blocks[0].text.join('\n').trim(), tags };
}

/** The TSDoc of a declaration set as the reference shows it: that of the first declaration with a comment (TypeDoc gives overloads without one the first overload's). */
function docOf(decls: readonly ts.Node[]): Doc {
  for (const d of decls) {
    // A variable's comment sits on its statement; getJSDocCommentsAndTags finds it from the declaration.
    const jsdocs = ts.getJSDocCommentsAndTags(d).filter(ts.isJSDoc);
    if (jsdocs.length > 0) return parseDoc(jsdocs[jsdocs.length - 1].getText());
  }
  return { summary: '', tags: new Map() };
}

const fromProject = (d: ts.Node): boolean => {
  const file = d.getSourceFile().fileName;
  return file.startsWith(join(ROOT, 'src')) && !file.endsWith('.d.ts');
};

const isPublic = (d: ts.Declaration): boolean => {
  const flags = ts.getCombinedModifierFlags(d);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  if ('name' in d && d.name && (ts.isPrivateIdentifier(d.name as ts.Node))) return false;
  return !docOf([d]).tags.has('internal');
};

const callable = (d: ts.Node): boolean => ts.isFunctionDeclaration(d) || ts.isMethodDeclaration(d) || ts.isMethodSignature(d)
  || (ts.isVariableDeclaration(d) && !!d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer)));

interface Checked { name: string; kind: 'export' | 'member'; callable: boolean; problems: string[] }

/** The problems of one documented thing: no summary; for a function or method, no @throws (nor "never throws") or no @example. */
function check(name: string, kind: Checked['kind'], decls: readonly ts.Node[], needsExample: boolean): Checked {
  const doc = docOf(decls);
  const isCallable = decls.some(callable);
  const problems: string[] = [];
  if (!/\w/.test(doc.summary)) problems.push('no summary');
  if (isCallable) {
    if (!doc.tags.has('throws') && !NEVER_THROWS.test(doc.summary)) problems.push('no @throws (nor "never throws")');
    if (needsExample && !doc.tags.has('example')) problems.push('no @example');
    for (const t of doc.tags.get('throws') ?? []) if (!/\w/.test(t)) problems.push('an empty @throws');
  }
  for (const e of doc.tags.get('example') ?? []) if (!/\w/.test(e)) problems.push('an empty @example');
  const where = decls[0] ? `${relative(ROOT, decls[0].getSourceFile().fileName)}:${decls[0].getSourceFile().getLineAndCharacterOfPosition(decls[0].getStart()).line + 1}` : '?';
  return { name: `${name} (${where})`, kind, callable: isCallable, problems };
}

function survey(): { checked: Checked[]; constants: number } {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  assert.ok(parsed, 'tsconfig.json reads');
  const program = ts.createProgram(ENTRIES.map((e) => join(ROOT, e)), parsed.options);
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Symbol>();
  const seenMembers = new Set<ts.Node>();   // a member inherited by several exported classes is checked once, under the first
  const checked: Checked[] = [];
  let constants = 0;
  for (const entry of ENTRIES) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, entry))!)!;
    const spec = entry === 'src/index.ts' ? 'berkeley' : `berkeley/${entry.replace(/^src\/|(\/index)?\.ts$/g, '')}`;
    for (const exported of checker.getExportsOfModule(module)) {
      const sym = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (seen.has(sym)) continue;
      seen.add(sym);
      const decls = sym.declarations ?? [];
      if (decls.length > 0 && decls.every((d) => relative(ROOT, d.getSourceFile().fileName) === CONSTANTS) && /^[A-Z][A-Za-z0-9_]*$/.test(sym.name)) {
        constants++;
        continue;
      }
      const name = `${spec}: ${exported.name}`;
      checked.push(check(name, 'export', decls, true));
      // A class's public members: its own and those it inherits from the project's classes.
      for (const d of decls) {
        if (!ts.isClassDeclaration(d)) continue;
        const type = checker.getDeclaredTypeOfSymbol(sym);
        const members = [...checker.getPropertiesOfType(type)];
        const statics = checker.getTypeOfSymbolAtLocation(sym, d);
        members.push(...checker.getPropertiesOfType(statics).filter((m) => m.name !== 'prototype'));
        const ctor = d.members.filter(ts.isConstructorDeclaration).filter((c) => isPublic(c));
        if (ctor.length > 0) {
          // The class's own @example shows the constructor; its comment says what it throws.
          const c = check(`${name}: constructor`, 'member', ctor, false);
          if (!docOf(ctor).tags.has('throws') && !NEVER_THROWS.test(docOf(ctor).summary)) c.problems.push('no @throws (nor "never throws")');
          checked.push(c);
        }
        for (const m of members) {
          const mdecls = (m.declarations ?? []).filter(fromProject);
          if (mdecls.length === 0 || !mdecls.every((x) => isPublic(x as ts.Declaration)) || seenMembers.has(mdecls[0])) continue;
          seenMembers.add(mdecls[0]);
          checked.push(check(`${name}.${m.name.replace(/^__@(\w+)@\d+$/, '[Symbol.$1]')}`, 'member', mdecls, true));
        }
        break;
      }
    }
  }
  return { checked, constants };
}

describe('TSDoc of the public API', () => {
  const { checked, constants } = survey();

  test('each entry point opens with a module comment (@packageDocumentation) that has a summary', { timeout: 10_000 }, () => {
    for (const entry of ENTRIES) {
      const text = ts.sys.readFile(join(ROOT, entry)) ?? '';
      const comment = [...text.matchAll(/\/\*\*[\s\S]*?\*\//g)].map((m) => parseDoc(m[0])).find((d) => d.tags.has('packageDocumentation'));
      assert.ok(comment, `${entry} has a @packageDocumentation comment`);
      assert.match(comment.summary, /\w/, `${entry}: its module comment has a summary`);
    }
  });

  test('every export and every public member has a summary, its errors and (functions, methods) an example', { timeout: 60_000 }, (t) => {
    const exports = checked.filter((c) => c.kind === 'export');
    const members = checked.filter((c) => c.kind === 'member');
    t.diagnostic(`${exports.length} exports (${exports.filter((c) => c.callable).length} functions) and ${members.length} members (${members.filter((c) => c.callable).length} methods) checked; ${constants} C constants named in bulk`);
    const bad = checked.filter((c) => c.problems.length > 0).map((c) => `${c.name}: ${c.problems.join(', ')}`);
    assert.deepEqual(bad, [], `undocumented:\n${bad.join('\n')}`);
    assert.ok(exports.length > 100 && members.length > 100 && constants > 500, 'the survey found the API');
  });
});
