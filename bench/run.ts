// npm run bench: every benchmark of bench/README.md, every peer in the same
// run, interleaved; writes bench/results/latest.md, latest.svg, latest.json.
//   --only a,b     groups whose id starts with one of these (stream-bulk, rr-latency, ...; bench/README.md lists them)
//   --reps N       timed runs per case (default 5, after one warm-up)
//   --duration S   seconds per timed run (default 1)
//   --count N      datagrams per drain and per Unix flood (default 50000)
//   --out DIR      where the results go (default bench/results)
//   --from FILE    no run: write the tables of an earlier run's latest.json again (after a change to the report)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchDir, bunPath, pinning } from './lib/harness.ts';
import { markdown, met, summarize, svg, targets, targetText, type CaseResult, type GroupResult, type Machine } from './lib/report.ts';
import type { Group, Settings } from './lib/suite.ts';
import { streamBulk } from './suites/stream-bulk.ts';
import { rrLatency } from './suites/rr-latency.ts';
import { udpDrain } from './suites/udp-drain.ts';
import { udpFlood } from './suites/udp-flood.ts';
import { unixDgram } from './suites/unix-dgram.ts';
import { smallMsgs } from './suites/small-msgs.ts';
import { gsoGro } from './suites/gso-gro.ts';
import { boundary } from './suites/boundary.ts';
import { optionRead } from './suites/option-read.ts';
import { servers } from './suites/servers.ts';
import { captureBench } from './suites/capture.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '1' },
    count: { type: 'string', default: '50000' },
    out: { type: 'string', default: join(benchDir, 'results') },
    from: { type: 'string' },
  },
});
const reps = Number(values.reps);
const settings: Settings = { duration: Number(values.duration), count: Number(values.count) };
if (!(reps >= 1) || !(settings.duration > 0) || !(settings.count >= 1000)) throw new RangeError('--reps >= 1, --duration > 0 and --count >= 1000');

const only = values.only?.split(',');
const allGroups: Group[] = [streamBulk, rrLatency, udpDrain, udpFlood, unixDgram, smallMsgs, gsoGro, optionRead, boundary, servers, captureBench]
  .flatMap((make) => make(settings));
const groups = allGroups.filter((g) => !only || only.some((o) => g.id.startsWith(o)));
if (groups.length === 0) throw new Error(`no benchmark matches --only ${values.only}`);

/** Writes latest.md, latest.svg and latest.json to --out and prints the targets. */
function write(results: GroupResult[], machine: Machine): void {
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'latest.md'), markdown(results, machine));
  writeFileSync(join(values.out, 'latest.svg'), svg(results, machine));
  writeFileSync(join(values.out, 'latest.json'), JSON.stringify({ machine, results: results.map(({ group, cases }) => ({ id: group.id, title: group.title, unit: group.unit, skipped: group.skipped, notes: group.notes, cases: cases.map((c) => ({ ...c, summary: summarize(c) })) })) }, null, 1));
  console.log('\nTargets:');
  for (const t of targets(results)) {
    const what = t.metric === 'rss' ? `${t.subject} RSS / ${t.peer} RSS` : `${t.subject} / ${t.peer}`;
    console.log(`  ${t.group}: ${what} = ${t.ratio === null ? '–' : t.ratio.toFixed(2)}x (target ${targetText(t)})${t.ratio !== null && !met(t, t.ratio) ? '  MISSED' : ''}`);
  }
  console.log(`\nwrote ${join(values.out, 'latest.md')} and latest.svg`);
}

if (values.from !== undefined) {
  // The groups' definitions (targets, units) are today's; the samples are the file's.
  const saved = JSON.parse(readFileSync(values.from, 'utf8')) as { machine: Machine; results: { id: string; title: string; skipped: string[]; notes?: string[]; cases: CaseResult[] }[] };
  const results = saved.results.map((r): GroupResult => {
    const group = allGroups.find((g) => g.id === r.id);
    if (!group) throw new Error(`${values.from}: no benchmark has the id ${r.id} now`);
    return { group: { ...group, title: r.title, skipped: r.skipped, notes: r.notes ?? group.notes }, cases: r.cases.map(({ label, berkeley, samples, errors }) => ({ label, berkeley, samples, errors })) };
  });
  write(results, saved.machine);
  process.exit(0);
}

/** The versions of the peers that ran, so that a table names what it compared against. */
function peerVersions(): string {
  const first = (cmd: string, args: string[]): string | null => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : null;
  };
  return [
    first('python3', ['--version']),
    first('cc', ['--version'])?.replace(/^cc /, 'cc: '),
    first('lua5.4', ['-v'])?.replace(/\s+Copyright.*/, ''),
    first('sockperf', ['--version'])?.replace(/^sockperf: /, ''),
    first('iperf3', ['--version'])?.replace(/\s+\(.*/, ''),
    ((v) => v && `Bun ${v}`)(first(bunPath, ['--version'])),
  ].filter(Boolean).join('; ');
}

const cpuModel = cpus()[0]?.model ?? (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU');
const machine: Machine = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  kernel: release(),
  cpu: cpuModel.trim(),
  cores: availableParallelism(),
  node: process.version,
  peers: peerVersions(),
  commit: spawnSync('git', ['describe', '--always', '--dirty'], { cwd: benchDir, encoding: 'utf8' }).stdout?.trim() || 'unknown commit',
  pinning: pinning ? 'The measured process runs on core 0, its counterpart on core 1 (taskset), except in the rr-latency groups "on one CPU", where both run on core 0.' : 'Not pinned (taskset missing or a single core).',
  reps,
  duration: settings.duration,
  count: settings.count,
};
console.log(`${machine.date}: Linux ${machine.kernel}, ${machine.cpu} x${machine.cores}, Node ${machine.node}; ${machine.pinning}\npeers: ${machine.peers}`);

const results: GroupResult[] = [];
for (const group of groups) {
  console.log(`\n${group.title}`);
  for (const s of group.skipped) console.log(`  not run: ${s}`);
  const cases: CaseResult[] = group.cases.map((c) => ({ label: c.label, berkeley: !!c.berkeley, samples: [], errors: [] }));
  for (let rep = -1; rep < reps; rep++) {
    for (const [i, c] of group.cases.entries()) {
      try {
        const s = await c.run();
        if (rep >= 0) cases[i].samples.push({ ...s, round: rep });
      } catch (err) {
        cases[i].errors.push((err as Error).message);
        console.log(`  ${c.label}: ${(err as Error).message}`);
      }
    }
  }
  for (const c of cases) {
    const s = summarize(c);
    const cpu = s.cpuPerOp === null ? '' : `  ${s.cpuPerOp.toFixed(2)} µs CPU/${group.op}`;
    const flow = s.sent === null && s.delivered === null ? '' : `  sent ${s.sent?.toFixed(0) ?? '–'}/s, delivered ${s.delivered?.toFixed(0) ?? '–'}/s, loss ${s.loss === null ? '–' : `${(s.loss * 100).toFixed(1)}%`}`;
    const loss = s.loss !== null && s.sent === null ? `  loss ${(s.loss * 100).toFixed(2)}%` : '';
    const rss = s.rss === null ? '' : `  RSS ${s.rss.toFixed(1)} MB (peak ${s.peakRss?.toFixed(1) ?? '–'})`;
    console.log(`  ${c.label.padEnd(44)} ${s.rate === null ? 'failed' : `${s.rate.toFixed(0).padStart(12)} ${group.unit}`}${cpu}${flow}${loss}${rss}`);
  }
  results.push({ group, cases });
}

write(results, machine);
process.exit(0);
