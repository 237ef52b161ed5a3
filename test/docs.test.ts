// docs/ is the API reference generated from the TSDoc comments (npm run
// docs): regenerated into a temporary directory, it must equal what is
// committed, so a change to a public signature or comment without
// `npm run docs` fails here. docs/guide/ is written by hand, not generated.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from './typecheck.ts';

/** Every file under `dir`, as paths relative to it; docs/guide/ is written by hand, not generated. */
function files(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? (dir === root && e.name === 'guide' ? [] : files(join(dir, e.name), root)) : e.isFile() ? [relative(root, join(dir, e.name))] : []))
    .sort();
}

describe('API reference', () => {
  test('docs/ is what npm run docs generates from the current sources', { timeout: 240_000 }, async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'berkeley-docs-'));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [join(ROOT, 'scripts', 'docs.mjs'), out], { cwd: ROOT, timeout: 220_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`scripts/docs.mjs failed: ${err.message}\n${stdout}${stderr}`));
        else resolve(`${stdout}${stderr}`);
      });
    });
    const committed = join(ROOT, 'docs');
    const fresh = files(out);
    assert.ok(fresh.length > 0, `TypeDoc wrote nothing:\n${output}`);
    assert.deepEqual(files(committed).filter((f) => !f.startsWith('guide/')), fresh, 'the files under docs/ (run npm run docs)');
    for (const f of fresh) {
      assert.equal(readFileSync(join(committed, f), 'utf8'), readFileSync(join(out, f), 'utf8'), `docs/${f} is stale: run npm run docs`);
    }
  });

  test('the reference documents the typed options, the iterators and the errors', { timeout: 10_000 }, () => {
    const all = files(join(ROOT, 'docs')).map((f) => readFileSync(join(ROOT, 'docs', f), 'utf8')).join('\n');
    for (const name of ['OptionValues', 'OptionInputs', 'connections', 'messages', 'SocketErrorCode', 'getaddrinfo', 'setOption', 'Example', 'Throws']) {
      assert.ok(all.includes(name), name);
    }
  });
});
