// The API-sequence fuzzer (test/fixtures/fuzz-child.ts) over a few seeds:
// every run must end normally (no signal, no finding) with no fd left open,
// every refusal a coded error, and every port given in any spelling either
// refused or used exactly (bound, connected, sent to; never wrapped).
// npm run test:stress runs many more seeds and longer sequences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSeed } from './helpers.ts';

test('API-sequence fuzzer: 6 seeds x 400 random calls, no crash, no uncoded error, no wrapped port, no fd leak', { timeout: 600_000 }, async () => {
  const totals: Record<string, number> = {};
  const spelled = { ok: 0, refused: 0 };
  for (let seed = 1; seed <= 6; seed++) {
    const out = await checkSeed(seed, 400);
    for (const [k, v] of Object.entries(out.outcomes as Record<string, number>)) totals[k] = (totals[k] ?? 0) + v;
    const sp = out.spelled as { ok: number; refused: number };
    spelled.ok += sp.ok;
    spelled.refused += sp.refused;
  }
  // Ports in random spellings: both outcomes happened, each checked by the child.
  assert.ok(spelled.ok > 10 && spelled.refused > 10, JSON.stringify(spelled));
  // The mix must exercise both paths: calls that work and calls refused.
  assert.ok(totals.ok > 100 && totals.TypeError + totals.RangeError > 50 && totals.SocketError > 50, JSON.stringify(totals));
});
