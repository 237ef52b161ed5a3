// Every ```ts block of README.md and docs/guide/*.md compiles as a user would
// compile it (tsc --strict, module nodenext, against the package as it is
// installed), and every block not marked `<!-- not run: REASON -->` runs, in
// a process of its own, against this checkout's addon: it must exit 0 by
// itself (a socket left waiting would keep it alive) and print the lines its
// `// → TEXT` comments promise, in that order (`…` in TEXT: a number that
// varies, such as a port). A block whose every console.log promises is held
// to its whole output; one with a console.log that promises nothing (output
// that differs between machines) may print other lines between.
// This is the only test that runs the pages' code: a guide's expectations
// live in the guide. The conventions are in test/doc-markdown.ts and
// docs/guide/development.md.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fences, read, userPages, type Fence } from './doc-markdown.ts';
import { node, ROOT } from './typecheck.ts';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Languages a fence may have. TypeScript is written ```ts so that it is checked; the others are not code this suite can run. */
const LANGS = new Set(['ts', 'sh', 'lua', 'text', 'ini', 'json']);

/** What `…` stands for in a promised line: a number (a port, a time in milliseconds). */
const NUMBER = '-?\\d+(?:\\.\\d+)?';
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A line a block promises to print: its text as written after `// → `, and the pattern it is matched by. */
interface Expected { text: string; pattern: RegExp; line: number }

interface Snippet extends Fence { page: string; file: string; expected: Expected[]; whole: boolean; strays: number[] }

/**
 * The lines a block promises to print, in order: the text after `// → ` at
 * the end of a line of code, or on a comment line of its own right below a
 * console.log or another promise (for a long line, or one statement printing
 * several lines, as a loop does). In the text, `…` stands for a number that
 * differs between runs (a port, a time); the rest is literal. When every
 * console.log of the block makes a promise, its output is checked whole
 * (`whole`): nothing else may be printed. A console.log without one (its
 * output differs between machines) lets other lines come between.
 */
function expectedOutput(code: string): { expected: Expected[]; whole: boolean; strays: number[] } {
  const lines = code.split('\n');
  const own = (i: number) => /^\s*\/\/ → (.*)$/.exec(lines[i] ?? '');
  const promise = (i: number) => own(i) ?? /\S.*\/\/ → (.*)$/.exec(lines[i] ?? '');
  const logs = (i: number) => /console\.log\(/.test(lines[i] ?? '');
  const expected: Expected[] = [];
  const strays: number[] = [];   // a `// →` line of its own below neither a console.log nor a promise
  let whole = true;
  lines.forEach((_, i) => {
    if (own(i) && !promise(i - 1) && !logs(i - 1)) strays.push(i + 1);
    if (logs(i) && !promise(i) && !own(i + 1)) whole = false;
    const m = promise(i);
    if (!m) return;
    const text = m[1].trimEnd();
    expected.push({ text, pattern: new RegExp(`^${text.split('…').map(literal).join(NUMBER)}$`), line: i + 1 });
  });
  return { expected, whole: whole && expected.length > 0, strays };
}

/** The ```ts blocks of every user page, each with the file name it compiles to (page and line) and the output its `// →` comments promise. */
function allSnippets(): Snippet[] {
  return userPages().flatMap((page) => fences(read(page)).filter((f) => f.lang === 'ts').map((f) => ({
    ...f,
    page,
    file: `${page.replace(/^docs\/guide\//, 'guide-').replace(/\.md$/, '').replace(/[^\w-]/g, '_')}-line-${f.line}.ts`,
    ...expectedOutput(f.code),
  })));
}

/**
 * A consumer project in a temporary folder: node_modules/berkeley holds this
 * repository's package.json, the JavaScript and declarations built from src/
 * now, and links to its prebuilds/ and build/ (the addon), so that a snippet
 * imports 'berkeley' as a user's program does.
 */
async function runnableProject(): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'berkeley-snippets-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const pkg = join(dir, 'node_modules', 'berkeley');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    for (const addon of ['prebuilds', 'build']) {
      if (existsSync(join(ROOT, addon))) symlinkSync(join(ROOT, addon), join(pkg, addon), 'dir');
    }
    mkdirSync(join(dir, 'node_modules', '@types'));
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
    symlinkSync(join(ROOT, 'node_modules', 'node-gyp-build'), join(dir, 'node_modules', 'node-gyp-build'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const build = await node([TSC, '-p', join(ROOT, 'tsconfig.json'), '--sourceMap', 'false', '--outDir', join(pkg, 'dist')], ROOT, 170_000);
    if (build.code !== 0) throw new Error(`building the package failed:\n${build.output}`);
    return { dir, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Runs a compiled block with node; its exit code (null when killed at the timeout), stdout and stderr apart. */
function runBlock(file: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd, timeout: 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('code in README.md and docs/guide', () => {
  const snippets = allSnippets();
  let project: { dir: string; cleanup: () => void } | undefined;
  let compiled: { code: number | null; output: string } | undefined;

  before(async () => {
    project = await runnableProject();
    const { dir } = project;
    for (const s of snippets) {
      // The prelude's lines come first; `export {}` makes each block a module of its own (top-level await).
      writeFileSync(join(dir, s.file), `${s.prelude}\n${s.code}\nexport {};\n`);
    }
    // The settings docs/guide/getting-started.md recommends for Node 20 and 22.
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, module: 'nodenext', target: 'es2022', lib: ['es2023', 'esnext.disposable'], types: ['node'],
        skipLibCheck: true, outDir: 'out', rootDir: '.',
      },
      files: snippets.map((s) => s.file),
    }, null, 2));
    compiled = await node([TSC, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], dir, 170_000);
  }, { timeout: 360_000 });
  after(() => project?.cleanup());

  test('every fence names its language, and TypeScript is always ```ts (so nothing escapes the checks)', { timeout: 10_000 }, () => {
    for (const page of userPages()) {
      for (const f of fences(read(page))) {
        assert.ok(LANGS.has(f.lang), `${page}:${f.line}: a fence of language '${f.lang}' (allowed: ${[...LANGS].join(', ')})`);
        if (f.lang === 'ts') assert.equal(f.indent, '', `${page}:${f.line}: a ts block at the margin (not inside a list), so its line is its file's`);
      }
    }
  });

  test('every not-run mark gives its reason, and a block that assumes names (prelude) is not run', { timeout: 10_000 }, () => {
    for (const s of snippets) {
      if (s.notRun !== null) assert.ok(s.notRun.length > 3, `${s.page}:${s.line}: "not run:" needs a reason`);
      if (/\bdeclare\b/.test(s.prelude)) assert.notEqual(s.notRun, null, `${s.page}:${s.line}: declares names it does not make, so mark it <!-- not run: ... -->`);
      for (const l of s.strays) assert.fail(`${s.page}:${s.line + l}: a "// →" line of its own promises output of the line above it, which is neither a console.log nor a promise`);
      for (const c of s.comments) {
        assert.match(c, /^<!--\s*(prelude|not run):/, `${s.page}:${s.line}: an unknown comment right above a ts block: ${c}`);
      }
    }
  });

  test('every ```ts block compiles with tsc --strict against the package', { timeout: 10_000 }, () => {
    assert.equal(compiled?.code, 0, `blocks fail to type-check (each file is PAGE-line-N.ts, N the line of its fence):\n${compiled?.output}`);
    const pages = new Set(snippets.map((s) => s.page));
    assert.ok(snippets.length >= 40 && pages.size >= 10, `${snippets.length} blocks in ${pages.size} pages`);
  });

  const runnable = snippets.filter((s) => s.notRun === null);
  test(`${runnable.length} of ${snippets.length} blocks run on loopback; the others are marked not run`, { timeout: 10_000 }, (t) => {
    for (const s of snippets.filter((x) => x.notRun !== null)) t.diagnostic(`not run: ${s.page}:${s.line}: ${s.notRun}`);
    const promised = runnable.filter((s) => s.expected.length > 0);
    t.diagnostic(`${promised.length} of them promise ${promised.reduce((n, s) => n + s.expected.length, 0)} lines of output, ${promised.filter((s) => s.whole).length} their whole output`);
    assert.ok(runnable.length >= snippets.length / 2, 'at least half of the blocks run');
  });

  for (const s of runnable) {
    test(`${s.page}:${s.line} runs and exits by itself`, { timeout: 40_000 }, async () => {
      const errors = (compiled?.output ?? 'not compiled').split('\n').filter((l) => l.startsWith(s.file) || l === 'not compiled');
      assert.deepEqual(errors, [], `${s.page}:${s.line} does not compile`);
      const r = await runBlock(join('out', s.file.replace(/\.ts$/, '.js')), project!.dir);
      assert.equal(r.code, 0, `${s.page}:${s.line} exited with ${r.code} (null: still running after 30 s)\n${r.stdout}${r.stderr}`);
      const printed = r.stdout.split('\n');
      if (printed.at(-1) === '') printed.pop();
      let at = 0;
      const matched = new Set<number>();
      for (const want of s.expected) {
        while (at < printed.length && !want.pattern.test(printed[at])) at++;
        assert.ok(at < printed.length, `${s.page}:${s.line + want.line}: printed no line "${want.text}" where its // → comments say (in order); it printed:\n${r.stdout}`);
        matched.add(at);
        at++;
      }
      if (s.whole) {
        const extra = printed.filter((_, i) => !matched.has(i));
        assert.deepEqual(extra, [], `${s.page}:${s.line}: every console.log promises its output, so nothing else may be printed; it printed:\n${r.stdout}`);
      }
    });
  }
});
