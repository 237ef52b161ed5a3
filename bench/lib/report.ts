// Turning the samples of a run into bench/results/latest.md (tables, ratios,
// targets) and latest.svg (one bar chart per group).
import type { Group, Sample } from './suite.ts';

export interface CaseResult {
  label: string;
  berkeley: boolean;
  samples: Sample[];
  errors: string[];
}

export interface GroupResult {
  group: Group;
  cases: CaseResult[];
}

export interface Machine {
  date: string;
  kernel: string;
  cpu: string;
  cores: number;
  node: string;
  /** Versions of the peer programs (Python, the C compiler, Lua, sockperf, iperf3). */
  peers: string;
  /** The commit measured (git describe), with "-dirty" for uncommitted changes. */
  commit: string;
  pinning: string;
  reps: number;
  duration: number;
  count: number;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const defined = (xs: (number | null | undefined)[]): number[] => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));

export interface Summary {
  rate: number | null;
  min: number | null;
  max: number | null;
  cpuPerOp: number | null;
  p50: number | null;
  p99: number | null;
  loss: number | null;
  sent: number | null;
  delivered: number | null;
}

export function summarize(c: CaseResult): Summary {
  const rates = c.samples.map((s) => s.rate);
  return {
    rate: median(rates),
    min: rates.length ? Math.min(...rates) : null,
    max: rates.length ? Math.max(...rates) : null,
    cpuPerOp: median(defined(c.samples.map((s) => s.cpuPerOp))),
    p50: median(defined(c.samples.map((s) => s.p50))),
    p99: median(defined(c.samples.map((s) => s.p99))),
    loss: median(defined(c.samples.map((s) => s.loss))),
    sent: median(defined(c.samples.map((s) => s.sent))),
    delivered: median(defined(c.samples.map((s) => s.delivered))),
  };
}

/** How many times better `a` is than `b` (rates: a/b; costs: b/a). */
export function ratio(g: Group, a: number | null, b: number | null): number | null {
  if (a === null || b === null || a <= 0 || b <= 0) return null;
  return g.lowerIsBetter ? b / a : a / b;
}

function fmt(x: number | null, digits?: number): string {
  if (x === null) return '–';
  if (digits !== undefined) return x.toFixed(digits);
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)} k`;
  if (x >= 100) return x.toFixed(0);
  return x.toFixed(2);
}

export interface TargetResult {
  group: string;
  subject: string;
  peer: string;
  min: number;
  ratio: number | null;
  /** The ratio within each timed run where both cases have a sample (the cases of a group run in turn, so one run's pair met the same machine). */
  rounds: number[];
}

/** a / b for each timed run both have a sample of (by `round`; by position in files written before samples had one). */
function roundRatios(g: Group, a: CaseResult, b: CaseResult): number[] {
  const at = (c: CaseResult) => new Map(c.samples.map((s, i) => [s.round ?? i, s.rate]));
  const bs = at(b);
  const out: number[] = [];
  for (const [round, rate] of at(a)) {
    const r = ratio(g, rate, bs.get(round) ?? null);
    if (r !== null) out.push(r);
  }
  return out;
}

export function targets(results: GroupResult[]): TargetResult[] {
  const out: TargetResult[] = [];
  for (const { group, cases } of results) {
    for (const t of group.targets ?? []) {
      const a = cases.find((c) => c.label === t.subject);
      const b = cases.find((c) => c.label === t.peer);
      if (!a || !b) continue;
      out.push({ group: group.id, subject: t.subject, peer: t.peer, min: t.min, ratio: ratio(group, summarize(a).rate, summarize(b).rate), rounds: roundRatios(group, a, b) });
    }
  }
  return out;
}

export function markdown(results: GroupResult[], m: Machine): string {
  const lines: string[] = [];
  lines.push('# berkeley benchmarks', '');
  lines.push(`Run ${m.date} of berkeley ${m.commit}: Linux ${m.kernel}, ${m.cpu} x${m.cores}, Node ${m.node}. ${m.pinning}`);
  lines.push(`Peers: ${m.peers}.`);
  lines.push(`Each case: one warm-up run, then ${m.reps} timed runs of ${m.duration} s (drains and Unix floods: ${m.count} datagrams), all cases of a group interleaved. Figures are medians, with min and max of the rate; CPU time is the measured process's own (getrusage / process.cpuUsage). Reproduce with \`npm run bench\` (see bench/README.md).`, '');
  const ts = targets(results);
  if (ts.length) {
    lines.push('## Targets', '');
    lines.push("\"measured\" is the ratio of the two cases' medians, and decides \"met\". \"each run\" is the ratio within each timed run (the cases of a group take turns, so the two sides of one run met the same machine): its range, and in how many runs it reached the target. A target that some runs meet and others miss is within this machine's noise.", '');
    lines.push('| benchmark | ratio | target | measured | each run | met |', '| --- | --- | --- | --- | --- | --- |');
    for (const t of ts) {
      const each = t.rounds.length === 0 ? '–' : `${Math.min(...t.rounds).toFixed(2)}-${Math.max(...t.rounds).toFixed(2)}x, ${t.rounds.filter((r) => r >= t.min).length} of ${t.rounds.length}`;
      lines.push(`| ${t.group} | ${t.subject} / ${t.peer} | >= ${t.min}x | ${t.ratio === null ? '–' : `${t.ratio.toFixed(2)}x`} | ${each} | ${t.ratio === null ? '–' : t.ratio >= t.min ? 'yes' : '**no**'} |`);
    }
    lines.push('');
  }
  for (const { group: g, cases } of results) {
    lines.push(`## ${g.title}`, '');
    const sums = cases.map(summarize);
    const bk = cases.map((c, i) => [c, sums[i]] as const).filter(([c]) => c.berkeley);
    const hasLat = sums.some((s) => s.p50 !== null);
    const hasLoss = sums.some((s) => s.loss !== null);
    // Flows: the rate column is the measured end's; beside it, the other end's rate.
    const other = g.measures === 'sender' ? 'delivered/s (receiver)' : g.measures === 'receiver' ? 'sent/s (sender)' : null;
    const head = ['case', `${g.unit} (median)`, 'min', 'max', `CPU µs per ${g.op}`, ...(hasLat ? ['p50 RTT µs', 'p99 RTT µs'] : []), ...(other ? [other] : []), ...(hasLoss ? ['loss'] : []), ...bk.map(([c]) => `${c.label} ÷ this`)];
    lines.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
    cases.forEach((c, i) => {
      const s = sums[i];
      const row = [c.berkeley ? `**${c.label}**` : c.label, fmt(s.rate), fmt(s.min), fmt(s.max), fmt(s.cpuPerOp, 2)];
      if (hasLat) row.push(fmt(s.p50, 1), fmt(s.p99, 1));
      if (other) row.push(fmt(g.measures === 'sender' ? s.delivered : s.sent));
      if (hasLoss) row.push(s.loss === null ? '–' : `${(s.loss * 100).toFixed(1)}%`);
      for (const [b, bs] of bk) row.push(b === c ? '' : ((r) => (r === null ? '–' : `${r.toFixed(2)}x`))(ratio(g, bs.rate, s.rate)));
      if (c.errors.length) row[0] += ` (${c.errors.length} failed: ${c.errors[0].replace(/\|/g, '/').slice(0, 120)})`;
      lines.push(`| ${row.join(' | ')} |`);
    });
    for (const s of g.skipped) lines.push('', `Not run: ${s}.`);
    lines.push('');
  }
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One block per group: a horizontal bar per case, scaled to the group's best; berkeley in blue. */
export function svg(results: GroupResult[], m: Machine): string {
  const W = 960, LABEL = 300, BAR = W - LABEL - 130, ROW = 20;
  const out: string[] = [];
  let y = 40;
  out.push(`<text x="10" y="24" font-size="16" font-weight="bold">berkeley benchmarks: ${esc(m.date)}, Linux ${esc(m.kernel)}, ${esc(m.cpu)} x${m.cores}, Node ${esc(m.node)}</text>`);
  for (const { group: g, cases } of results) {
    const sums = cases.map(summarize);
    const best = Math.max(...sums.map((s) => (g.lowerIsBetter ? (s.rate ? 1 / s.rate : 0) : s.rate ?? 0)));
    y += 14;
    out.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(g.title)} (${esc(g.unit)}${g.lowerIsBetter ? ', shorter is better' : ''})</text>`);
    y += 8;
    cases.forEach((c, i) => {
      const s = sums[i];
      const v = s.rate === null ? 0 : g.lowerIsBetter ? 1 / s.rate : s.rate;
      const w = best > 0 ? Math.max(1, (v / best) * BAR) : 0;
      out.push(`<text x="${LABEL - 6}" y="${y + 14}" font-size="12" text-anchor="end">${esc(c.label)}</text>`);
      out.push(`<rect x="${LABEL}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${c.berkeley ? '#1f77b4' : '#aaaaaa'}"/>`);
      out.push(`<text x="${(LABEL + w + 6).toFixed(1)}" y="${y + 14}" font-size="12">${esc(fmt(s.rate))}</text>`);
      y += ROW;
    });
    y += 10;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${out.join('\n')}\n</svg>\n`;
}
