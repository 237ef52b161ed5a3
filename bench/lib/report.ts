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
  /** Versions of the peer programs (Python, the C compiler, Lua, sockperf, iperf3, Bun). */
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
  rss: number | null;
  peakRss: number | null;
  loadCpu: number | null;
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
    rss: median(defined(c.samples.map((s) => s.rss))),
    peakRss: median(defined(c.samples.map((s) => s.peakRss))),
    loadCpu: median(defined(c.samples.map((s) => s.loadCpu))),
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

/** RSS ratio: a's memory / b's (lower is better). */
function rssRatio(a: number | null | undefined, b: number | null | undefined): number | null {
  return typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0 ? a / b : null;
}

export interface TargetResult {
  group: string;
  subject: string;
  peer: string;
  /** 'rate': the ratio must reach `bound` (>=); 'rss': the subject's RSS / the peer's must stay within it (<=). */
  metric: 'rate' | 'rss';
  bound: number;
  ratio: number | null;
  /** The ratio within each timed run where both cases have a sample (the cases of a group run in turn, so one run's pair met the same machine). */
  rounds: number[];
}

/** Whether a ratio meets its target. */
export function met(t: TargetResult, r: number): boolean {
  return t.metric === 'rss' ? r <= t.bound : r >= t.bound;
}

/** The target as text: ">= 1.3x", or "RSS <= 1x". */
export function targetText(t: TargetResult): string {
  return t.metric === 'rss' ? `<= ${t.bound}x` : `>= ${t.bound}x`;
}

/** a / b for each timed run both have a sample of (by `round`; by position in files written before samples had one). */
function roundRatios(g: Group, a: CaseResult, b: CaseResult, metric: 'rate' | 'rss'): number[] {
  const at = (c: CaseResult) => new Map(c.samples.map((s, i) => [s.round ?? i, s]));
  const bs = at(b);
  const out: number[] = [];
  for (const [round, sa] of at(a)) {
    const sb = bs.get(round);
    const r = metric === 'rss' ? rssRatio(sa.rss, sb?.rss) : ratio(g, sa.rate, sb?.rate ?? null);
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
      const metric = t.metric ?? 'rate';
      const [sa, sb] = [summarize(a), summarize(b)];
      out.push({
        group: group.id, subject: t.subject, peer: t.peer, metric, bound: t.metric === 'rss' ? t.max : t.min,
        ratio: metric === 'rss' ? rssRatio(sa.rss, sb.rss) : ratio(group, sa.rate, sb.rate), rounds: roundRatios(group, a, b, metric),
      });
    }
  }
  return out;
}

export function markdown(results: GroupResult[], m: Machine): string {
  const lines: string[] = [];
  lines.push('# berkeley benchmarks', '');
  const servers = results.some(({ cases }) => cases.some((c) => c.samples.some((x) => x.rss !== undefined)));
  lines.push(`Run ${m.date} of berkeley ${m.commit}: Linux ${m.kernel}, ${m.cpu} x${m.cores}, Node ${m.node}. ${m.pinning}`);
  lines.push(`Peers: ${m.peers}.`);
  lines.push(`Each case: one warm-up run, then ${m.reps} timed runs of ${m.duration} s (drains and Unix floods: ${m.count} datagrams), all cases of a group interleaved. Figures are medians, with min and max of the rate; CPU time is the measured process's own (getrusage / process.cpuUsage${servers ? "; in the servers groups, the server's, read from /proc by the load generator" : ''}). Reproduce with \`npm run bench\` (see bench/README.md).`, '');
  const ts = targets(results);
  if (ts.length) {
    lines.push('## Targets', '');
    lines.push("\"measured\" is the ratio of the two cases' medians, and decides \"met\". \"each run\" is the ratio within each timed run (the cases of a group take turns, so the two sides of one run met the same machine): its range, and in how many runs it reached the target. A target that some runs meet and others miss is within this machine's noise.", '');
    if (ts.some((t) => t.metric === 'rss')) lines.push("Targets on server RSS (the subject's RSS / the peer's, lower is better) must stay at or below theirs.", '');
    lines.push('| benchmark | ratio | target | measured | each run | met |', '| --- | --- | --- | --- | --- | --- |');
    for (const t of ts) {
      const each = t.rounds.length === 0 ? '–' : `${Math.min(...t.rounds).toFixed(2)}-${Math.max(...t.rounds).toFixed(2)}x, ${t.rounds.filter((r) => met(t, r)).length} of ${t.rounds.length}`;
      const what = t.metric === 'rss' ? `${t.subject} RSS / ${t.peer} RSS` : `${t.subject} / ${t.peer}`;
      lines.push(`| ${t.group} | ${what} | ${targetText(t)} | ${t.ratio === null ? '–' : `${t.ratio.toFixed(2)}x`} | ${each} | ${t.ratio === null ? '–' : met(t, t.ratio) ? 'yes' : '**no**'} |`);
    }
    lines.push('');
  }
  for (const { group: g, cases } of results) {
    lines.push(`## ${g.title}`, '');
    const sums = cases.map(summarize);
    const bk = cases.map((c, i) => [c, sums[i]] as const).filter(([c]) => c.berkeley);
    const hasLat = sums.some((s) => s.p50 !== null);
    const hasLoss = sums.some((s) => s.loss !== null);
    const hasRss = sums.some((s) => s.rss !== null);
    const hasLoadCpu = sums.some((s) => s.loadCpu !== null);
    // Flows: the rate column is the measured end's; beside it, the other end's rate.
    const other = g.measures === 'sender' ? 'delivered/s (receiver)' : g.measures === 'receiver' ? 'sent/s (sender)' : null;
    const head = ['case', `${g.unit} (median)`, 'min', 'max', `CPU µs per ${g.op}`, ...(hasLat ? ['p50 RTT µs', 'p99 RTT µs'] : []), ...(other ? [other] : []), ...(hasLoss ? ['loss'] : []),
      ...(hasRss ? ['server RSS MB', 'peak RSS MB'] : []), ...(hasLoadCpu ? ['load generator CPU'] : []),
      ...bk.map(([c]) => `${c.label} ÷ this`), ...(hasRss ? bk.map(([c]) => `${c.label} RSS ÷ this`) : [])];
    lines.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
    cases.forEach((c, i) => {
      const s = sums[i];
      const row = [c.berkeley ? `**${c.label}**` : c.label, fmt(s.rate), fmt(s.min), fmt(s.max), fmt(s.cpuPerOp, 2)];
      if (hasLat) row.push(fmt(s.p50, 1), fmt(s.p99, 1));
      if (other) row.push(fmt(g.measures === 'sender' ? s.delivered : s.sent));
      if (hasLoss) row.push(s.loss === null ? '–' : `${(s.loss * 100).toFixed(1)}%`);
      if (hasRss) row.push(fmt(s.rss, 1), fmt(s.peakRss, 1));
      if (hasLoadCpu) row.push(s.loadCpu === null ? '–' : `${(s.loadCpu * 100).toFixed(0)}%`);
      const x = (r: number | null) => (r === null ? '–' : `${r.toFixed(2)}x`);
      for (const [b, bs] of bk) row.push(b === c ? '' : x(ratio(g, bs.rate, s.rate)));
      if (hasRss) for (const [b, bs] of bk) row.push(b === c ? '' : x(rssRatio(bs.rss, s.rss)));
      if (c.errors.length) row[0] += ` (${c.errors.length} failed: ${c.errors[0].replace(/\|/g, '/').slice(0, 120)})`;
      lines.push(`| ${row.join(' | ')} |`);
    });
    for (const n of g.notes ?? []) lines.push('', n);
    for (const s of g.skipped) lines.push('', `Not run: ${s}.`);
    lines.push('');
  }
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One block per group: a horizontal bar per case, scaled to the group's best; berkeley in blue. */
export function svg(results: GroupResult[], m: Machine): string {
  const W = 960, LABEL = 300, ROW = 20;
  const out: string[] = [];
  let y = 40;
  out.push(`<text x="10" y="24" font-size="16" font-weight="bold">berkeley benchmarks: ${esc(m.date)}, Linux ${esc(m.kernel)}, ${esc(m.cpu)} x${m.cores}, Node ${esc(m.node)}</text>`);
  for (const { group: g, cases } of results) {
    const sums = cases.map(summarize);
    const best = Math.max(...sums.map((s) => (g.lowerIsBetter ? (s.rate ? 1 / s.rate : 0) : s.rate ?? 0)));
    // Room after the longest bar for its figure (and the server's RSS, where there is one).
    const bar = W - LABEL - (sums.some((s) => s.rss !== null) ? 200 : 130);
    y += 14;
    out.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(g.title)} (${esc(g.unit)}${g.lowerIsBetter ? ', shorter is better' : ''})</text>`);
    y += 8;
    cases.forEach((c, i) => {
      const s = sums[i];
      const v = s.rate === null ? 0 : g.lowerIsBetter ? 1 / s.rate : s.rate;
      const w = best > 0 ? Math.max(1, (v / best) * bar) : 0;
      out.push(`<text x="${LABEL - 6}" y="${y + 14}" font-size="12" text-anchor="end">${esc(c.label)}</text>`);
      out.push(`<rect x="${LABEL}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${c.berkeley ? '#1f77b4' : '#aaaaaa'}"/>`);
      const rss = s.rss === null ? '' : `, RSS ${fmt(s.rss, 1)} MB`;
      out.push(`<text x="${(LABEL + w + 6).toFixed(1)}" y="${y + 14}" font-size="12">${esc(fmt(s.rate) + rss)}</text>`);
      y += ROW;
    });
    y += 10;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${out.join('\n')}\n</svg>\n`;
}
