// What the documentation tests read in the Markdown: the user-facing pages
// (README.md and the guides in docs/guide/), their fenced code blocks with the
// HTML comments that annotate them, their headings as GitHub anchors them, and
// their links and inline code.
//
// Conventions a page may use right before a ```ts block (documented in
// docs/guide/development.md), each an HTML comment on the lines just above the
// fence, unseen on the rendered page:
//   <!-- prelude: declare const sock: Socket; -->   names the block assumes; type-checked only
//   <!-- not run: needs root (a raw socket) -->      type-checked, never run; the reason is required
// A block without `not run` is compiled and run in a process of its own; the
// output it promises is written in its code, `// → TEXT` (see
// test/readme-snippets.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './typecheck.ts';

/** The pages whose code is checked and whose links are followed, relative to the repository root. */
export function userPages(): string[] {
  const guides = readdirSync(join(ROOT, 'docs', 'guide')).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...guides.map((f) => `docs/guide/${f}`)];
}

export const read = (page: string): string => readFileSync(join(ROOT, page), 'utf8');

export interface Fence {
  /** 1-based lines of the opening and the closing fence. */
  line: number;
  end: number;
  /** The info string's first word ('' when none). */
  lang: string;
  code: string;
  /** The fence's indentation (a fence inside a list item is indented). */
  indent: string;
  /** From `<!-- prelude: ... -->`, '' when none. */
  prelude: string;
  /** From `<!-- not run: REASON -->`, null when the block runs. */
  notRun: string | null;
  /** Every HTML comment directly above the fence, as written. */
  comments: string[];
}

/** Every fenced code block of a page, with the HTML comments directly above it. */
export function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,})(\S*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, ticks, lang] = open;
    let end = i + 1;
    while (end < lines.length && !new RegExp(`^ *${ticks}\\s*$`).test(lines[end])) end++;
    const code = lines.slice(i + 1, end).map((l) => l.slice(Math.min(indent.length, /^ */.exec(l)![0].length))).join('\n');
    // The HTML comments ending on the line just above, each possibly spanning lines.
    const comments: string[] = [];
    let j = i - 1;
    while (j >= 0 && /-->\s*$/.test(lines[j])) {
      let k = j;
      while (k >= 0 && !lines[k].includes('<!--')) k--;
      if (k < 0) break;
      comments.unshift(lines.slice(k, j + 1).join('\n').trim());
      j = k - 1;
    }
    const directive = (name: string) => {
      for (const c of comments) {
        const m = new RegExp(`^<!--\\s*${name}:((?:(?!-->)[\\s\\S])*)-->$`).exec(c);
        if (m) return m[1].trim();
      }
      return null;
    };
    out.push({ line: i + 1, end: end + 1, lang, code: `${code}\n`, indent, prelude: directive('prelude') ?? '', notRun: directive('not run'), comments });
    i = end;
  }
  return out;
}

/** The page with its fenced code blocks and HTML comments blanked (every offset kept), so prose can be scanned alone. */
export function prose(markdown: string): string {
  const lines = markdown.split('\n');
  for (const f of fences(markdown)) {
    for (let l = f.line - 1; l < f.end && l < lines.length; l++) lines[l] = ' '.repeat(lines[l].length);
  }
  // HTML comments are not shown either.
  return lines.join('\n').replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
}

/** GitHub's anchor for a heading's text (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/\\(.)/g, '$1')                       // Markdown escapes
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')       // links: their text
    .replace(/[`*]/g, '')                          // code and emphasis marks
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

export interface Heading { level: number; text: string; anchor: string; line: number }

/** The headings of a page (outside code blocks) with their anchors, duplicates numbered as GitHub numbers them. */
export function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  const out: Heading[] = [];
  prose(markdown).split('\n').forEach((l, i) => {
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(l);
    if (!m) return;
    const base = slug(m[2]);
    const n = seen.get(base);
    seen.set(base, (n ?? -1) + 1);
    out.push({ level: m[1].length, text: m[2], anchor: n === undefined ? base : `${base}-${n + 1}`, line: i + 1 });
  });
  return out;
}

export interface Anchor { id: string; line: number; heading: Heading | undefined }

/**
 * The HTML anchors `<a id="..."></a>` of a page's prose, each with the heading
 * it stands before (the generated reference puts one above every heading of a
 * name, so that its links do not depend on how a renderer numbers repeated
 * headings).
 */
export function htmlAnchors(markdown: string): Anchor[] {
  const hs = headings(markdown);
  const text = prose(markdown);
  return [...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => {
    const line = text.slice(0, m.index).split('\n').length;
    return { id: m[1], line, heading: hs.find((h) => h.line > line) };
  });
}

export interface Link { text: string; target: string; line: number; start: number; end: number }

/** The inline links `[text](target)` of a page's prose (images included, as `![alt](src)`). */
export function links(markdown: string): Link[] {
  const text = prose(markdown);
  const out: Link[] = [];
  for (const m of text.matchAll(/!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    out.push({ text: m[1], target: m[2], line: text.slice(0, m.index).split('\n').length, start: m.index!, end: m.index! + m[0].length });
  }
  return out;
}

export interface CodeSpan { code: string; line: number; start: number }

/** The inline code spans of a page's prose. */
export function codeSpans(markdown: string): CodeSpan[] {
  const text = prose(markdown);
  const out: CodeSpan[] = [];
  for (const m of text.matchAll(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g)) {
    out.push({ code: m[2].trim(), line: text.slice(0, m.index).split('\n').length, start: m.index! });
  }
  return out;
}
