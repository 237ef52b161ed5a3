// rr-latency: 64-byte ping-pong on one connection (TCP, Unix stream, UDP)
// against the C echo server on the other core; the client is measured.
import { COUNTERPART_CORE, freePort, SUBJECT_CORE, missing, pair, peers, socketPath, start, startServer, type Program, type Report } from '../lib/harness.ts';
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

async function sockperf(transport: 'tcp' | 'udp', seconds: number): Promise<Report> {
  const port = freePort(transport === 'udp');
  const proto = transport === 'tcp' ? ['--tcp'] : [];
  const server = await startServer(['sockperf', 'sr', ...proto, '-i', '127.0.0.1', '-p', String(port)], COUNTERPART_CORE);
  try {
    // sockperf takes whole seconds, warms up for 400 ms and cools down briefly: one more second.
    const client = start(['sockperf', 'pp', ...proto, '-i', '127.0.0.1', '-p', String(port), '-t', String(Math.max(1, Math.round(seconds)) + 1), '-m', String(SIZE)], SUBJECT_CORE, { parse: parseSockperf });
    return await client.result;
  } finally {
    server.kill();
  }
}

export function rrLatency(cfg: Settings): Group[] {
  return (['tcp', 'unix', 'udp'] as const).map((transport) => {
    const skipped: string[] = [];
    const cases: Case[] = [];
    const client = (label: string, make: (...a: (string | number)[]) => Program, variant: string, berkeley = false): Case => ({
      label,
      berkeley,
      run: async () => {
        const echo = transport === 'unix' ? peers.c('echo', 'unix', socketPath()) : peers.c('echo', transport);
        const [, r] = await pair(echo, COUNTERPART_CORE, (a) => make('rr', transport, a, cfg.duration, SIZE, variant), SUBJECT_CORE);
        return measure(r, r.ops);
      },
    });
    cases.push(client('C blocking', peers.c, ''));
    if (transport === 'unix') skipped.push('sockperf: no Unix sockets in this version');
    else {
      const why = missing.sockperf();
      if (why) skipped.push(`sockperf: ${why}`);
      else cases.push({ label: 'sockperf ping-pong', run: async () => { const r = await sockperf(transport, cfg.duration); return measure(r, r.ops); } });
    }
    cases.push(client(transport === 'udp' ? 'node:dgram' : 'node:net', peers.node, ''));
    const py = missing.python();
    if (py) skipped.push(`Python: ${py}`); else cases.push(client('Python blocking', peers.python, ''));
    const lua = missing.lua();
    if (lua) skipped.push(`LuaSocket: ${lua}`); else cases.push(client('LuaSocket', peers.lua, ''));
    cases.push(client('berkeley async', peers.berkeley, 'async', true));
    cases.push(client('berkeley sync', peers.berkeley, 'sync', true));
    const node = transport === 'udp' ? 'node:dgram' : 'node:net';
    return {
      id: `rr-latency-${transport}`,
      title: `rr-latency, ${transport === 'udp' ? 'UDP' : transport === 'tcp' ? 'TCP' : 'Unix stream'}: 64-byte ping-pong against a C echo server`,
      unit: 'round trips/s',
      op: 'round trip',
      cases,
      skipped,
      targets: [
        { subject: 'berkeley sync', peer: 'C blocking', min: 0.9 },
        { subject: 'berkeley async', peer: node, min: 1.3 },
      ],
    };
  });
}
