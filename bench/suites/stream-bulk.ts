// stream-bulk: one-way bulk over TCP and Unix stream sockets, 64 KiB writes,
// the receiver reading into its own buffer. Both ends use the library under
// test (iperf3 is its own pair); the receiver is measured.
import { COUNTERPART_CORE, freePort, SUBJECT_CORE, missing, pair, peers, socketPath, start, startServer, type Program, type Report } from '../lib/harness.ts';
import { measure, type Case, type Group, type Settings } from '../lib/suite.ts';

const CHUNK = 65536;
const MB = 1e-6;


/** iperf3: the server receives (measured on core 0), the client sends for the run's duration. */
async function iperf3(seconds: number): Promise<Report> {
  const port = freePort();
  const server = await startServer(['iperf3', '-s', '-1', '-p', String(port)], SUBJECT_CORE);
  try {
    // iperf3 takes whole seconds: with -t 0.5 it never stops.
    const client = start(['iperf3', '-c', '127.0.0.1', '-p', String(port), '-t', String(Math.max(1, Math.round(seconds))), '-l', '64K', '--json'], COUNTERPART_CORE, {
      parse: (out) => {
        const j = JSON.parse(out) as { end: { sum_received: { bytes: number; seconds: number }; cpu_utilization_percent: { remote_total: number } } };
        const { bytes, seconds: s } = j.end.sum_received;
        return { ops: bytes / CHUNK, bytes, seconds: s, cpu: (j.end.cpu_utilization_percent.remote_total / 100) * s };
      },
    });
    return await client.result;
  } finally {
    server.kill();
  }
}

export function streamBulk(cfg: Settings): Group[] {
  return (['tcp', 'unix'] as const).map((transport) => {
    const skipped: string[] = [];
    const cases: Case[] = [];
    const sameLib = (label: string, make: (...a: (string | number)[]) => Program, srcVariant: string, sinkVariant: string, berkeley = false): Case => ({
      label,
      berkeley,
      run: async () => {
        const path = transport === 'unix' ? socketPath() : '-';
        const [, r] = await pair(make('source', transport, path, CHUNK, srcVariant), COUNTERPART_CORE, (a) => make('sink', transport, a, cfg.duration, sinkVariant), SUBJECT_CORE);
        return measure(r, r.bytes / CHUNK, CHUNK * MB);
      },
    });
    cases.push(sameLib('C read/write', peers.c, '', ''));
    if (transport === 'tcp') {
      const why = missing.iperf3();
      if (why) skipped.push(`iperf3: ${why}`);
      else cases.push({ label: 'iperf3', run: async () => { const r = await iperf3(cfg.duration); return measure(r, r.ops, CHUNK * MB); } });
    } else skipped.push('iperf3: no Unix stream sockets');
    cases.push(sameLib("node:net 'data'", peers.node, '', 'data'));
    cases.push(sameLib('node:net onread', peers.node, '', 'onread'));
    const py = missing.python();
    if (py) skipped.push(`Python: ${py}`); else cases.push(sameLib('Python recv_into', peers.python, '', ''));
    const lua = missing.lua();
    if (lua) skipped.push(`LuaSocket: ${lua}`); else cases.push(sameLib('LuaSocket', peers.lua, '', ''));
    cases.push(sameLib('berkeley recvInto (async)', peers.berkeley, 'async', 'async', true));
    cases.push(sameLib('berkeley recvIntoSync', peers.berkeley, 'sync', 'sync', true));
    return {
      id: `stream-bulk-${transport}`,
      title: `stream-bulk, ${transport === 'tcp' ? 'TCP' : 'Unix stream'}: 64 KiB writes, receiver reads into its own buffer`,
      unit: 'MB/s',
      op: '64 KiB received',
      cases,
      skipped,
      targets: [
        { subject: 'berkeley recvInto (async)', peer: 'C read/write', min: transport === 'tcp' ? 0.95 : 0.9 },
        { subject: 'berkeley recvInto (async)', peer: "node:net 'data'", min: 1.3 },
      ],
    };
  });
}
