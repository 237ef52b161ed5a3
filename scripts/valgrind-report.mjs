// Reads the logs of scripts/valgrind.sh and prints, per test file, the test
// outcome and the memcheck errors that belong to the addon. An error belongs
// to the addon when its innermost stack frame outside libc, the dynamic loader
// and valgrind's own preload is one of the addon's functions (all named sk_*)
// or lies in berkeley.node; everything else is Node's or V8's and only counted.
// Exit status: 1 when the addon has any error or definite leak, else 0.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) { console.error('usage: valgrind-report.mjs LOGDIR'); process.exit(2); }

const status = new Map();
if (existsSync(join(dir, 'status'))) {
  for (const line of readFileSync(join(dir, 'status'), 'utf8').split('\n')) {
    const m = /^(\S+) rc=(\d+) (\d+)s$/.exec(line);
    if (m) status.set(m[1], { rc: Number(m[2]), seconds: Number(m[3]) });
  }
}

const frame = /^\s+(?:at|by) 0x[0-9A-Fa-f]+: (.*)$/;
const system = /vgpreload|libc\.so|ld-linux|libpthread|libstdc\+\+/;

/** Splits a memcheck log into error blocks (header line + frames). */
function blocks(text) {
  const out = [];
  let cur = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^==\d+== ?/, '');
    if (line.trim() === '') { if (cur) out.push(cur); cur = null; continue; }
    const m = frame.exec(line);
    if (m && cur) cur.frames.push(m[1]);
    else if (!/^\s/.test(line)) {
      // Warnings are not followed by a blank line: every unindented line starts a block.
      if (cur) out.push(cur);
      cur = { head: line, frames: [] };
    }
  }
  if (cur) out.push(cur);
  return out.filter((b) => b.frames.length > 0);
}

const ours = (b) => {
  const first = b.frames.find((f) => !system.test(f));
  return first !== undefined && (/^sk_/.test(first) || first.includes('berkeley.node'));
};

let bad = 0;
const rows = [];
for (const name of readdirSync(dir).filter((f) => f.endsWith('.valgrind')).sort()) {
  const file = name.replace(/\.valgrind$/, '');
  const text = readFileSync(join(dir, name), 'utf8');
  const all = blocks(text);
  const mine = all.filter(ours);
  const out = existsSync(join(dir, `${file}.out`)) ? readFileSync(join(dir, `${file}.out`), 'utf8') : '';
  const pass = /^# pass (\d+)/m.exec(out)?.[1] ?? '?';
  const fail = /^# fail (\d+)/m.exec(out)?.[1] ?? '?';
  const st = status.get(file);
  rows.push(`${file.padEnd(22)} pass ${pass.padStart(3)} fail ${fail.padStart(2)}  ${st ? `${st.seconds}s rc=${st.rc}` : ''}` +
    `  addon errors: ${mine.length}  node/v8 reports: ${all.length - mine.length}`);
  for (const b of mine) {
    bad++;
    console.log(`\n${file}: ${b.head}\n  ${b.frames.slice(0, 12).join('\n  ')}`);
  }
}
console.log(`\n${rows.join('\n')}`);
console.log(bad ? `\n${bad} error(s) in the addon` : '\nno error and no definite leak in the addon');
process.exit(bad ? 1 : 0);
