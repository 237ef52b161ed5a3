// Every ```ts block of docs/guide/datagram-control.md runs on its own, as a reader
// would run it (node --import tsx), with 'berkeley' pointing at this
// checkout's sources, and prints what its comments say it prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const guide = readFileSync(new URL('../docs/guide/datagram-control.md', import.meta.url), 'utf8');
const blocks = [...guide.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
const index = new URL('../src/index.ts', import.meta.url).pathname;
const tsx = import.meta.resolve('tsx');

/** What each block prints, in order (a pattern per block). */
const expected = [
  /\{ ifindex: 1, address: '127\.0\.0\.1', localAddress: '127\.0\.0\.1' \}\n\{ family: 'inet', address: '127\.0\.0\.1', port: \d+ \}/,
  /^voice dscp 46 ecn 2 ttl 16\nbulk dscp 0 ecn 0 ttl 200\n$/,
  /^ECONNREFUSED icmp 3 3\nreported by \{ family: 'inet', address: '127\.0\.0\.1', port: 0 \} for \{ family: 'inet', address: '127\.0\.0\.1', port: \d+ \} anyone there\?\n\[\]\n$/,
  /^\{ family: 'inet', address: '127\.0\.0\.1', port: \d+ \}\n$/,
];

test('the datagram guide: every ts block runs standalone on loopback and prints what it says', { timeout: 120_000 }, () => {
  assert.equal(blocks.length, expected.length, 'one expectation per block');
  const dir = mkdtempSync(join(tmpdir(), 'berkeley-guide-'));
  try {
    blocks.forEach((code, i) => {
      const file = join(dir, `block-${i}.mts`);
      writeFileSync(file, code.replaceAll("from 'berkeley'", `from ${JSON.stringify(index)}`));
      const r = spawnSync(process.execPath, ['--import', tsx, file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `block ${i + 1}: ${r.stderr}`);
      assert.match(r.stdout, expected[i], `block ${i + 1}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
