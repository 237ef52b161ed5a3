// rr-latency: 64-byte ping-pong on one connection (TCP, Unix stream, UDP)
// against the C echo server; the client is measured. Each transport runs
// twice, as two groups: both ends on one CPU, where a round trip is two
// context switches and the per-call costs of the client show, and across two
// CPUs, where every hop also pays a cross-CPU wake-up (tens of µs on a VM)
// that makes all clients look alike.
import { COUNTERPART_CORE, freePort, SUBJECT_CORE, missing, pair, peers, pinning, socketPath, start, startServer, type Program, type Report } from '../lib/harness.ts';
import { measure, type Case, type Group, type Settings } from '../lib/suite.ts';

const SIZE = 64;


/** sockperf ping-pong: reports one-way latency (half the round trip) over its valid interval. */
function parseSockperf(out: string): Report {
  const valid = /\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)/.exec(out);
  const pct = (p: string) => Number(new RegExp(`percentile ${p} =\\s*([\\d.]+)`).exec(out)?.[1]);
  if (!valid) throw new Error('no sockperf summary');
  const seconds = Number(valid[1]);
  const ops = Number(valid[3]);
  return { ops, bytes: ops * SIZE, seconds, cpu: null, p50: 2 * pct('50.000'), p99: 2 * pct('99.000') };
}

async function sockperf(transport: 'tcp' | 'udp', seconds: number, serverCore: number): Promise<Report> {
  const port = freePort(transport === 'udp');
  const proto = transport === 'tcp' ? ['--tcp'] : [];
  const server = await startServer(['sockperf', 'sr', ...proto, '-i', '127.0.0.1', '-p', String(port)], serverCore);
  try {
    // sockperf takes whole seconds, warms up for 400 ms and cools down briefly: one more second.
    const client = start(['sockperf', 'pp', ...proto, '-i', '127.0.0.1', '-p', String(port), '-t', String(Math.max(1, Math.round(seconds)) + 1), '-m', String(SIZE)], SUBJECT_CORE, { parse: parseSockperf });
    return await client.result;
  } finally {
    server.kill();
  }
}

/** Where the echo server runs: the client's own CPU, or the other one. */
interface Placement { id: string; title: string; serverCore: number }
const placements: Placement[] = pinning
  ? [
    { id: 'one-cpu', title: 'both ends on one CPU', serverCore: SUBJECT_CORE },
    { id: 'two-cpus', title: 'client and server on two CPUs', serverCore: COUNTERPART_CORE },
  ]
  : [{ id: 'unpinned', title: 'unpinned', serverCore: COUNTERPART_CORE }];

const TRANSPORT_NAMES = { tcp: 'TCP', unix: 'Unix stream', udp: 'UDP' };

export function rrLatency(cfg: Settings): Group[] {
  return (['tcp', 'unix', 'udp'] as const).flatMap((transport) => placements.map((where): Group => {
    const skipped: string[] = [];
    const cases: Case[] = [];
    const client = (label: string, make: (...a: (string | number)[]) => Program, variant: string, berkeley = false): Case => ({
      label,
      berkeley,
      run: async () => {
        const echo = transport === 'unix' ? peers.c('echo', 'unix', socketPath()) : peers.c('echo', transport);
        const [, r] = await pair(echo, where.serverCore, (a) => make('rr', transport, a, cfg.duration, SIZE, variant), SUBJECT_CORE);
        return measure(r, r.ops);
      },
    });
    cases.push(client('C blocking', peers.c, ''));
    if (transport === 'unix') skipped.push('sockperf: no Unix sockets in this version');
    else {
      const why = missing.sockperf();
      if (why) skipped.push(`sockperf: ${why}`);
      else cases.push({ label: 'sockperf ping-pong', run: async () => { const r = await sockperf(transport, cfg.duration, where.serverCore); return measure(r, r.ops); } });
    }
    const node = transport === 'udp' ? 'node:dgram' : 'node:net';
    cases.push(client(node, peers.node, ''));
    const py = missing.python();
    if (py) skipped.push(`Python: ${py}`); else cases.push(client('Python blocking', peers.python, ''));
    const lua = missing.lua();
    if (lua) skipped.push(`LuaSocket: ${lua}`); else cases.push(client('LuaSocket', peers.lua, ''));
    // The floor of any Node program: one addon call per system call, blocking in poll(2), nothing else.
    cases.push(client('Node + addon, bare loop', peers.berkeley, 'bare'));
    cases.push(client('berkeley async', peers.berkeley, 'async', true));
    cases.push(client('berkeley sync', peers.berkeley, 'sync', true));
    // Issue 21's targets are for TCP; the other transports keep the suite's earlier ones.
    const targets = transport === 'tcp'
      ? [
        { subject: 'berkeley async', peer: node, min: 1.1 },
        { subject: 'berkeley async', peer: 'Python blocking', min: 1.0 },
        { subject: 'berkeley sync', peer: 'C blocking', min: 1.0 },
      ]
      : [
        { subject: 'berkeley sync', peer: 'C blocking', min: 0.9 },
        { subject: 'berkeley async', peer: node, min: 1.3 },
      ];
    return {
      id: `rr-latency-${transport}-${where.id}`,
      title: `rr-latency, ${TRANSPORT_NAMES[transport]}, ${where.title}: 64-byte ping-pong against a C echo server`,
      unit: 'round trips/s',
      op: 'round trip',
      cases,
      skipped,
      targets,
    };
  }));
}
