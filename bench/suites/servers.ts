// servers: an echo server with many clients, the measured process, driven by
// the C load generator (bench/c/loadgen.c): N TCP connections (1, 100,
// 1,000, 10,000), or 1,000 UDP clients, each with one 64-byte request out at
// a time. The rate is the round trips the load generator counts; the
// server's CPU time and memory are read from /proc/PID by the load generator
// over the same interval, so every server is measured alike, whatever it is
// written in. Each server is started with RLIMIT_NOFILE raised for its size
// (prlimit); a size where it cannot be raised is skipped, with the reason.
import { readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { benchDir, bunPath, cBinary, COUNTERPART_CORE, jsProgram, missing, nofileProblem, pinning, sleep, start, SUBJECT_CORE, withNofile, type Program, type Report } from '../lib/harness.ts';
import type { Case, Group, Sample, Settings, Target } from '../lib/suite.ts';

const TCP_SIZES = [1, 100, 1000, 10000];
const UDP_CLIENTS = 1000;
/** Seconds of load before the measured interval (each server is a new process: its JIT warms up here). */
const WARMUP = 0.5;
/** The berkeley worker pool: one worker per core, on every core. */
const WORKERS = availableParallelism();

/** Descriptors a process needs for `n` clients, with room for its own (never below 4096). */
const nofileFor = (n: number): number => Math.max(n + 256, 4096);

/** What the load generator's report means for the server. */
function serverSample(r: Report): Sample {
  const s: Sample = {
    rate: r.ops / r.seconds,
    cpuPerOp: ((r.serverCpu as number) / r.ops) * 1e6,
    p50: r.p50,
    p99: r.p99,
    rss: (r.serverRss as number) / 1e6,
    peakRss: (r.serverHwm as number) / 1e6,
    loadCpu: r.cpu === null ? undefined : r.cpu / r.seconds,
  };
  // UDP: a retransmitted request whose first reply came after all was slow, not lost.
  if (typeof r.retransmits === 'number' && typeof r.sent === 'number' && r.sent > 0) s.loss = Math.max(0, r.retransmits - (r.late ?? 0)) / r.sent;
  return s;
}

/** A server program (built when first run) and the core it runs on (null: unpinned, every core). */
interface Server { label: string; berkeley: boolean; program: () => Program; core: number | null }

/**
 * Starts the server, waits for "ready PORT", runs the load generator against
 * it, and stops the server (waiting until it is gone, so that the next case
 * meets an idle machine).
 */
async function measureServer(server: Server, transport: 'tcp' | 'udp', clients: number, cfg: Settings): Promise<Sample> {
  // The setup of 10,000 connections takes seconds; a stuck server is killed all the same.
  const limitSeconds = 120 + WARMUP + cfg.duration;
  const s = start(withNofile(server.program(), nofileFor(clients)), server.core, { parse: () => ({ ops: 0, bytes: 0, seconds: 0, cpu: null }), limitSeconds });
  let serverErr = '';
  s.child.stderr!.on('data', (d: string) => { serverErr += d; });
  const exited = s.result.then(() => `exited with ${s.child.signalCode ?? s.child.exitCode}`);
  try {
    const port = await Promise.race([s.ready, exited.then((how) => { throw new Error(`${server.label} ${how} before it was ready: ${serverErr.trim().split('\n').slice(-3).join(' | ')}`); })]);
    const pid = s.child.pid!;
    // The pid must be the server's own: every wrapper (taskset, prlimit) execs.
    const exe = readlinkSync(`/proc/${pid}/exe`);
    if (/\/(taskset|prlimit|sh|dash|bash)$/.test(exe)) throw new Error(`pid ${pid} is ${exe}, not the server`);
    const load = start(withNofile([cBinary('loadgen'), transport, port, clients, cfg.duration, WARMUP, pid].map(String), nofileFor(clients)), COUNTERPART_CORE, { limitSeconds });
    try {
      return serverSample(await load.result);
    } catch (err) {
      // A server that died says why better than the load generator that lost it.
      const how = await Promise.race([exited, sleep(200).then(() => null)]);
      if (how) throw new Error(`${server.label} ${how}: ${serverErr.trim().split('\n').slice(-3).join(' | ')}`);
      throw err;
    }
  } finally {
    s.kill();
    await s.result.catch(() => {});
  }
}

const node = (file: string, ...args: (string | number)[]): Program => [process.execPath, jsProgram(file), ...args.map(String)];
const bun = (...args: string[]): Program => [bunPath, join(benchDir, 'peers', 'server-bun.ts'), ...args];
const python = (): Program => ['python3', join(benchDir, 'peers', 'server-asyncio.py')];
const poolLabel = `berkeley async, ${WORKERS} reuseport workers`;

function tcpGroup(n: number, cfg: Settings): Group {
  const skipped: string[] = [];
  const servers: Server[] = [];
  const add = (label: string, program: () => Program, core: number | null = SUBJECT_CORE, berkeley = false) =>
    servers.push({ label, berkeley, core, program });
  add('C epoll', () => [cBinary('echo-server'), 'tcp']);
  if (missing.bun()) skipped.push(`Bun.listen: ${missing.bun()}`);
  else add('Bun.listen', () => bun('tcp'));
  add('node:net', () => node('server-node.ts', 'tcp'));
  if (missing.python()) skipped.push(`Python asyncio: ${missing.python()}`);
  else add('Python asyncio', python);
  add('berkeley async', () => node('server-berkeley.ts', 'tcp'), SUBJECT_CORE, true);
  add(poolLabel, () => node('server-berkeley.ts', 'tcp-pool', WORKERS), null, true);
  skipped.push('berkeley sync, one thread per core (optional in issue 29): not written; a blocking server needs a thread per connection or select() over them');
  // Every server needs the descriptors, and so does the load generator: a size that cannot have them is not run.
  const nofile = nofileProblem(nofileFor(n));
  const cases: Case[] = nofile ? [] : servers.map((srv) => ({ label: srv.label, berkeley: srv.berkeley, run: () => measureServer(srv, 'tcp', n, cfg) }));
  if (nofile) skipped.unshift(`every server at ${n.toLocaleString('en')} connections: ${nofile}`);
  const targets: Target[] = [];
  if (n === 1000) targets.push({ subject: 'berkeley async', peer: 'node:net', min: 1.3 });
  if (n === 100 || n === 10000) targets.push({ subject: 'berkeley async', peer: 'node:net', min: 1.1 });
  if (n === 1000 || n === 10000) targets.push({ subject: 'berkeley async', peer: 'node:net', metric: 'rss', max: 1 });
  return {
    id: `servers-tcp-${n}`,
    title: `servers, TCP echo, ${n.toLocaleString('en')} connection${n === 1 ? '' : 's'}, 64-byte request/response: ${pinning ? `servers on core ${SUBJECT_CORE}, the pool on every core` : 'unpinned'}`,
    unit: 'round trips/s',
    op: 'request',
    cases,
    skipped,
    targets,
    notes: [
      ...notes(),
      `"${poolLabel}": one worker_thread per core, each with its own listen('127.0.0.1', port, { reuseport: true }), the process unpinned${pinning ? `: one of its workers shares core ${COUNTERPART_CORE} with the load generator` : ''}; its CPU time is every thread's.`,
    ],
  };
}

function udpGroup(cfg: Settings): Group {
  const skipped: string[] = [];
  const servers: Server[] = [];
  const add = (label: string, program: () => Program, berkeley = false) =>
    servers.push({ label, berkeley, core: SUBJECT_CORE, program });
  add('C recvmmsg/sendmmsg', () => [cBinary('echo-server'), 'udp', 'mmsg']);
  add('C recvfrom/sendto', () => [cBinary('echo-server'), 'udp', 'recvfrom']);
  if (missing.bun()) skipped.push(`Bun.udpSocket: ${missing.bun()}`);
  else add('Bun.udpSocket', () => bun('udp'));
  add('node:dgram', () => node('server-node.ts', 'udp'));
  add('berkeley recvFrom/sendTo', () => node('server-berkeley.ts', 'udp-recvfrom'), true);
  add('berkeley messages()+sendMany', () => node('server-berkeley.ts', 'udp-messages'), true);
  // The load generator gives the server's socket its receive buffer through pidfd_getfd (bench/c/loadgen.c).
  const root = process.getuid?.() === 0 ? null : "the load generator sets the server socket's receive buffer through pidfd_getfd, which needs root";
  const nofile = nofileProblem(nofileFor(UDP_CLIENTS));
  const why = root ?? nofile;
  if (why) skipped.unshift(`every server: ${why}`);
  return {
    id: `servers-udp-${UDP_CLIENTS}`,
    title: `servers, UDP echo, ${UDP_CLIENTS.toLocaleString('en')} clients, 64-byte request/response: ${pinning ? `servers on core ${SUBJECT_CORE}` : 'unpinned'}`,
    unit: 'round trips/s',
    op: 'request',
    cases: why ? [] : servers.map((srv) => ({ label: srv.label, berkeley: srv.berkeley, run: () => measureServer(srv, 'udp', UDP_CLIENTS, cfg) })),
    skipped,
    targets: [
      { subject: 'berkeley recvFrom/sendTo', peer: 'node:dgram', min: 1.2 },
      { subject: 'berkeley messages()+sendMany', peer: 'Bun.udpSocket', min: 1.0 },
    ],
    notes: [
      ...notes(),
      `The server's socket gets a 4 MiB receive buffer (SO_RCVBUFFORCE, set by the load generator through pidfd_getfd before the first request): the default (208 KiB) holds about 250 datagrams of 64 bytes, fewer than the clients, and not every server can set it. A request unanswered for 1 s is sent again; "loss" is the share of requests whose reply never came (retransmits less the replies that came late).`,
    ],
  };
}

function notes(): string[] {
  return [
    `The server is the measured process; ${pinning ? `the C load generator (bench/c/loadgen.c: one thread, epoll, core ${COUNTERPART_CORE})` : 'the C load generator (bench/c/loadgen.c: one thread, epoll)'}, with one request out per client at a time, connects every client first (in waves of 32, each echoed before the next: no accept queue overflows, every connection verified), loads them for ${WARMUP} s (and until every client has had a reply), then counts round trips over the interval and checks every reply byte for byte. "CPU µs per request" is the server's user + system time over the interval (/proc/PID/stat, every thread, in 10 ms ticks: up to 20 ms off over the interval) per round trip; RSS is its VmRSS at the end of the interval, peak its VmHWM (MB = 10^6 bytes). "load generator CPU" near 100% means the load, not the server, may be the limit. The Node servers run as plain JavaScript (a TypeScript loader's thread would add about 34 MB to their RSS). "berkeley X RSS ÷ this" < 1 means berkeley uses less memory.`,
  ];
}

export function servers(cfg: Settings): Group[] {
  return [...TCP_SIZES.map((n) => tcpGroup(n, cfg)), udpGroup(cfg)];
}
