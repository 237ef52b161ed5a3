// The links of README.md and docs/guide/*.md: every relative link reaches a
// file and, with an anchor, a heading (as GitHub anchors headings); a link
// into the generated API reference (docs/*.md) lands on the heading of the
// name its text shows; each guide links a name of the reference where it
// first mentions it; the guide index lists every guide; the README stays a
// front page.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { codeSpans, headings, htmlAnchors, links, read, slug, userPages, type Anchor, type Heading } from './doc-markdown.ts';
import { ROOT } from './typecheck.ts';

/** The generated reference pages (npm run docs). */
const REFERENCE = ['docs/README.md', 'docs/index.md', 'docs/posix.md', 'docs/systemd.md', 'docs/dgram.md', 'docs/capture.md'];

/** Socket members too generic to demand a link at their first mention (`fd`, `type`, ... read as words). */
const GENERIC = new Set(['F', 'Constructor', 'fd', 'type', 'family', 'protocol', 'closed']);

/** The name a heading or a link text shows: escapes, backticks, a call's parentheses, an optional property's `?` and a `Socket.`/`posix.` qualifier dropped. */
function shownName(text: string): string | null {
  const m = /^`?(?:new\s+)?(?:[A-Za-z_$][\w$]*[.#])?([A-Za-z_$][\w$]*|\[[A-Za-z]+\])(?:\(.*\))?\??`?$/s.exec(text.replace(/\\(.)/g, '$1').trim());
  return m ? m[1] : null;
}

const headingCache = new Map<string, Heading[]>();
function headingsOf(page: string): Heading[] {
  if (!headingCache.has(page)) headingCache.set(page, headings(read(page)));
  return headingCache.get(page)!;
}

const anchorCache = new Map<string, Anchor[]>();
function anchorsOf(page: string): Anchor[] {
  if (!anchorCache.has(page)) anchorCache.set(page, htmlAnchors(read(page)));
  return anchorCache.get(page)!;
}

/**
 * The heading an anchor of a page leads to: the one after an HTML anchor of
 * that id (the reference's own links use these: `#api-recvmsg`), else the
 * heading GitHub gives that id (`#recvmsg`, `#recvmsg-1`).
 */
function landing(page: string, anchor: string): Heading | undefined {
  const html = anchorsOf(page).find((a) => a.id === anchor);
  return html ? html.heading : headingsOf(page).find((h) => h.anchor === anchor);
}

/** The names each reference page documents, by the section they are in: exports, and the members of Socket. */
function referenceNames(page: string): Map<string, string> {
  const names = new Map<string, string>();   // name -> anchor of its first heading
  let section = '';
  let inSocket = false;
  for (const h of headingsOf(page)) {
    if (h.level === 2) section = h.text;
    if (h.level === 3) inSocket = h.text === 'Socket';
    const name = shownName(h.text);
    if (!name) continue;
    const exported = h.level === 3 && ['Classes', 'Interfaces', 'Type Aliases', 'Variables', 'Functions'].includes(section)
      && !(page === 'docs/posix.md' && section === 'Variables');          // the constants: named in bulk
    const member = h.level === 5 && inSocket && page === 'docs/index.md' && !GENERIC.has(name);   // berkeley/dgram's Socket: node's names
    if ((exported || member) && !names.has(name)) names.set(name, h.anchor);
  }
  return names;
}

/** A link's target as a repository path and an anchor; null for an external link. */
function resolveLink(page: string, target: string): { path: string; anchor: string } | null {
  if (/^[a-z]+:/i.test(target)) return null;
  const [file, anchor = ''] = target.split('#');
  const path = file === '' ? page : normalize(join(dirname(page), file)).replace(/\\/g, '/');
  return { path, anchor };
}

describe('documentation links', () => {
  test('anchors are made as GitHub makes them (github-slugger)', { timeout: 30_000 }, () => {
    const cases: [string, string][] = [
      ['Getting started', 'getting-started'], ['recvFrom()', 'recvfrom'], ['\\[asyncIterator\\]()', 'asynciterator'],
      ['AF\\_INET', 'af_inet'], ['family?', 'family'], ['Timeouts, cancellation and errors', 'timeouts-cancellation-and-errors'],
      ['`node:net` and `node:dgram`', 'nodenet-and-nodedgram'], ['Unix sockets, fds & credentials', 'unix-sockets-fds--credentials'],
    ];
    for (const [text, anchor] of cases) assert.equal(slug(text), anchor, text);
    // Duplicates are numbered in page order whatever their level, case folded: "family", "family-1", ...
    assert.deepEqual(headings('# A\n## a\n### A?\n```\n# not a heading\n```\n#### B').map((h) => h.anchor), ['a', 'a-1', 'a-2', 'b']);
  });

  test('every link inside the generated reference lands on the heading of the name it shows', { timeout: 30_000 }, (t) => {
    let checked = 0;
    for (const page of REFERENCE) {
      // Its HTML anchors are prefixed, so none is also the id GitHub gives a heading (the first of two would win).
      const slugs = new Set(headingsOf(page).map((h) => h.anchor));
      for (const a of anchorsOf(page)) {
        assert.ok(!slugs.has(a.id), `${page}:${a.line}: the HTML anchor ${a.id} is also a heading's id`);
        assert.ok(a.heading, `${page}:${a.line}: the HTML anchor ${a.id} stands before no heading`);
      }
      for (const l of links(read(page))) {
        const r = resolveLink(page, l.target);
        if (!r || !r.anchor) continue;
        const where = `${page}:${l.line}: [${l.text}](${l.target})`;
        assert.ok(REFERENCE.includes(r.path), `${where}: leads out of the reference`);
        const h = landing(r.path, r.anchor);
        assert.ok(h, `${where}: no such anchor in ${r.path}`);
        const shown = shownName(l.text);
        if (shown) assert.equal(shownName(h.text), shown, `${where}: lands on "${h.text}"`);
        checked++;
      }
    }
    t.diagnostic(`${checked} anchored links inside the reference checked`);
    assert.ok(checked > 500, `${checked} links`);
  });

  test('every relative link reaches a file, and its anchor a heading of the name its text shows', { timeout: 30_000 }, () => {
    for (const page of userPages()) {
      for (const l of links(read(page))) {
        const r = resolveLink(page, l.target);
        if (!r) continue;
        const where = `${page}:${l.line}: ${l.target}`;
        assert.ok(existsSync(join(ROOT, r.path)), `${where}: no such file`);
        if (!r.anchor) continue;
        assert.ok(r.path.endsWith('.md'), `${where}: an anchor into a page that is not Markdown`);
        if (REFERENCE.includes(r.path)) {
          const html = anchorsOf(r.path).some((x) => x.id === r.anchor);
          assert.ok(html, `${where}: into the reference, link its HTML anchor (#api-...), which stays put when headings are added`);
        }
        const h = landing(r.path, r.anchor);
        assert.ok(h, `${where}: no heading with that anchor in ${r.path}`);
        const shown = shownName(l.text);
        if (REFERENCE.includes(r.path) && shown) {
          const candidates = headingsOf(r.path).filter((x) => shownName(x.text) === shown).map((x) => `#${x.anchor}`);
          assert.equal(shownName(h.text), shown, `${where}: lands on "${h.text}", not ${shown} (its headings: ${candidates.join(' ')})`);
        }
      }
    }
  });

  test('each guide links a name of the reference where it first mentions it', { timeout: 30_000 }, () => {
    const known = new Map<string, string[]>();   // name -> the reference pages documenting it
    for (const page of ['docs/index.md', 'docs/systemd.md', 'docs/dgram.md', 'docs/capture.md', 'docs/posix.md']) {
      for (const name of referenceNames(page).keys()) known.set(name, [...(known.get(name) ?? []), page]);
    }
    const missing: string[] = [];
    for (const page of userPages().filter((p) => p.startsWith('docs/guide/') && p !== 'docs/guide/README.md')) {   // the index only lists
      const text = read(page);
      const headingLines = new Set(headings(text).map((h) => h.line));
      const refLinks = links(text).filter((l) => REFERENCE.includes(resolveLink(page, l.target)?.path ?? ''));
      const seen = new Set<string>();
      for (const span of codeSpans(text)) {
        if (headingLines.has(span.line)) continue;
        const m = /^(?:new\s+)?(?:(Socket|posix|systemd)[.#])?([A-Za-z_$][\w$]*)(?:\(.*\))?$/s.exec(span.code);
        if (!m) continue;
        const name = m[2];
        const pages = m[1] === 'posix' ? (known.get(name) ?? []).filter((p) => p === 'docs/posix.md') : (known.get(name) ?? []).filter((p) => p !== 'docs/posix.md');
        if (pages.length === 0) continue;
        const key = `${m[1] === 'posix' ? 'posix.' : ''}${name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const linked = refLinks.some((l) => l.start <= span.start && span.start < l.end);
        if (!linked) missing.push(`${page}:${span.line}: \`${span.code}\` (${pages.map((p) => `${relative(dirname(page), p)}#${referenceNames(p).get(name)}`).join(' or ')})`);
      }
    }
    assert.deepEqual(missing, [], `first mentions without a link to the reference:\n${missing.join('\n')}`);
  });

  test('the guide index lists every guide, and every guide links the reference', { timeout: 10_000 }, () => {
    const index = read('docs/guide/README.md');
    const listed = new Set(links(index).map((l) => resolveLink('docs/guide/README.md', l.target)?.path));
    for (const f of readdirSync(join(ROOT, 'docs', 'guide')).filter((x) => x.endsWith('.md') && x !== 'README.md')) {
      assert.ok(listed.has(`docs/guide/${f}`), `docs/guide/README.md links ${f}`);
      const refs = links(read(`docs/guide/${f}`)).filter((l) => REFERENCE.includes(resolveLink(`docs/guide/${f}`, l.target)?.path ?? ''));
      assert.ok(refs.length > 0, `docs/guide/${f} links the API reference`);
    }
  });

  test('the README is a front page: at most 200 lines, linking the guides and the generated reference', { timeout: 10_000 }, () => {
    const readme = read('README.md');
    const lines = readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0);
    assert.ok(lines <= 200, `README.md has ${lines} lines`);
    assert.ok(!readme.includes('API.md'), 'no mention of API.md');
    const targets = links(readme).map((l) => resolveLink('README.md', l.target)?.path);
    assert.ok(targets.includes('docs/guide/README.md'), 'links the guide index');
    assert.ok(targets.some((p) => p && REFERENCE.includes(p)), 'links the API reference');
  });
});
