// The API-sequence fuzzer at length: FUZZ_SEEDS seeds (default 100) of
// FUZZ_OPS random calls (default 2000), each in its own process. A failing
// seed replays with: node --import tsx test/fixtures/fuzz-child.ts SEED OPS
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSeed } from '../helpers.ts';

const seeds = Number(process.env.FUZZ_SEEDS ?? 100);
const ops = Number(process.env.FUZZ_OPS ?? 2000);

test(`API-sequence fuzzer: ${seeds} seeds x ${ops} calls, no crash, no finding, no fd leak`, async () => {
  const totals: Record<string, number> = {};
  for (let seed = 1000; seed < 1000 + seeds; seed++) {
    const out = await checkSeed(seed, ops);
    for (const [k, v] of Object.entries(out.outcomes as Record<string, number>)) totals[k] = (totals[k] ?? 0) + v;
  }
  const calls = Object.values(totals).reduce((a, b) => a + b, 0);
  assert.equal(calls, seeds * ops);
  console.log(`fuzzer: ${calls} calls over ${seeds} seeds: ${JSON.stringify(totals)}`);
});
