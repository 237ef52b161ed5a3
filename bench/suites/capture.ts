// capture: packets per second captured from a flood, by berkeley/capture
// through its TPACKET_V3 ring and through one recvmsg per packet, and by
// tcpdump writing to /dev/null. A C sender (bench/c/peer.c udp-send) floods
// 64-byte UDP datagrams to a port on lo inside a network namespace this
// suite makes (no other traffic there), a socket bound to that port takes
// them (no ICMP errors back), and each capture, filtered in the kernel on
// that port, runs on the subject core. The rate is what the capture got
// over the flood's seconds; the flood's own rate and the loss stand beside
// it; the CPU per packet is the capture process's (from /proc) over the
// same window. Needs root, iproute2 and (for its row) tcpdump.
//
// Run as a program (`node --import tsx bench/suites/capture.ts peer ring|recvmsg PORT`)
// this file is berkeley's capture peer: it prints "ready PORT", counts what
// it captures until SIGTERM, then prints one JSON report.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COUNTERPART_CORE, SUBJECT_CORE, benchDir, freePort, peers, pinning, sleep, start, which } from '../lib/harness.ts';
import type { Case, Group, Sample, Settings } from '../lib/suite.ts';

const SIZE = 64;
/** After the flood, time for every capture to be handed its last block (tcpdump's ring times out after 1 s). */
const SETTLE_MS = 1300;
const isRoot = process.getuid?.() === 0;
const TICK = 100; // USER_HZ: /proc/PID/stat counts CPU in 1/100 s

/** utime + stime of a live process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** Starts `argv` pinned to `core`; resolves once its output (either stream) matches `ready`. */
function launch(argv: string[], core: number, ready: RegExp): { child: ChildProcess; ready: Promise<void>; out: Promise<{ stdout: string; stderr: string }> } {
  const full = pinning ? ['taskset', '-c', String(core), ...argv] : argv;
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: benchDir });
  let stdout = '';
  let stderr = '';
  let seen!: () => void;
  const isReady = new Promise<void>((resolve) => { seen = resolve; });
  const check = () => { if (ready.test(stdout) || ready.test(stderr)) seen(); };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; check(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; check(); });
  const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const out = new Promise<{ stdout: string; stderr: string }>((resolve) => child.on('close', () => { clearTimeout(limit); resolve({ stdout, stderr }); }));
  const readyOrExit = Promise.race([isReady, out.then(() => { throw new Error(`${argv.join(' ').slice(0, 80)} exited: ${stderr.trim().split('\n').slice(-3).join(' | ')}`); })]);
  readyOrExit.catch(() => {});
  return { child, ready: readyOrExit, out };
}

export function captureBench(cfg: Settings): Group[] {
  const skipped: string[] = [];
  const ns = `bk-bench-cap-${process.pid}`;
  const inNs = (argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];
  let made = false;
  const namespace = (): void => {
    if (made) return;
    const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add: ${r.stderr.trim()}`);
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    process.on('exit', () => spawnSync('ip', ['netns', 'del', ns]));
    made = true;
  };

  /** One timed run: the capture `argv` (ready when it says `ready`), a flood, and what it counted (parsed from its output). */
  const flood = (label: string, argv: (port: number) => string[], ready: RegExp, counted: (o: { stdout: string; stderr: string }) => number, berkeley = false): Case => ({
    label,
    berkeley,
    run: async (): Promise<Sample> => {
      namespace();
      const port = freePort(true);
      // The flood's destination: a socket that takes the datagrams (and never reads them).
      const sink = launch(inNs(['python3', '-c', `import socket, time, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(('127.0.0.1', ${port}))
print('ready', flush=True)
time.sleep(3600)`]), COUNTERPART_CORE, /ready/);
      const cap = launch(inNs(argv(port)), SUBJECT_CORE, ready);
      try {
        await Promise.all([sink.ready, cap.ready]);
        const cpu0 = cpuSeconds(cap.child.pid!);
        const sent = await start(inNs(peers.c('udp-send', port, cfg.duration, SIZE, 'sendmmsg')), COUNTERPART_CORE).result;
        await sleep(SETTLE_MS);
        const cpu = cpuSeconds(cap.child.pid!) - cpu0;
        cap.child.kill('SIGINT');
        const got = counted(await cap.out);
        if (!(got > 0)) throw new Error(`${label} captured nothing`);
        return {
          rate: got / sent.seconds,
          cpuPerOp: (cpu / got) * 1e6,
          sent: sent.ops / sent.seconds,
          delivered: got / sent.seconds,
          loss: Math.max(0, 1 - got / sent.ops),
        };
      } finally {
        cap.child.kill('SIGKILL');
        sink.child.kill('SIGKILL');
      }
    },
  });

  const self = fileURLToPath(import.meta.url);
  const berkeleyCase = (variant: 'ring' | 'recvmsg', label: string) => flood(label,
    (port) => [process.execPath, '--import', 'tsx', self, 'peer', variant, String(port)], /^ready/m,
    (o) => (JSON.parse(o.stdout.trim().split('\n').pop()!) as { ops: number }).ops, true);
  const cases: Case[] = [];
  if (!isRoot) skipped.push('every case: capturing needs root (CAP_NET_RAW) and a network namespace of its own');
  else if (!which('ip')) skipped.push('every case: iproute2 (ip) not installed');
  else if (!which('python3')) skipped.push('every case: python3 (the flood\'s sink) not installed');
  else {
    cases.push(berkeleyCase('ring', 'berkeley capture (TPACKET_V3 ring)'), berkeleyCase('recvmsg', 'berkeley capture (recvmsg per packet)'));
    if (which('tcpdump')) {
      cases.push(flood('tcpdump -w /dev/null', (port) => ['tcpdump', '-i', 'lo', '-w', '/dev/null', 'udp', 'dst', 'port', String(port)], /listening on/,
        (o) => Number(/^(\d+) packets? captured/m.exec(o.stderr)?.[1] ?? NaN)));
    } else skipped.push('tcpdump: not installed (apt-get install tcpdump)');
  }
  return [{
    id: 'capture',
    title: `capture: a C flood of ${SIZE}-byte UDP datagrams on lo (a network namespace of its own), captured with a kernel filter on its port`,
    unit: 'packets/s',
    op: 'packet',
    measures: 'receiver',
    cases,
    skipped,
  }];
}

/** berkeley's capture peer (see the head of this file). */
async function peer([variant, port]: string[]): Promise<void> {
  const { capture } = await import('berkeley/capture');
  const cap = capture({ interface: 'lo', filter: `udp dst port ${port}`, ring: variant === 'ring', promiscuous: false });
  const stop = () => cap.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  let ops = 0;
  let bytes = 0;
  process.stdout.write(`ready ${port}\n`);
  for await (const p of cap) {
    ops++;
    bytes += p.length;
  }
  process.stdout.write(`${JSON.stringify({ ops, bytes, seconds: 0, cpu: null, ...cap.stats() })}\n`, () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'peer') await peer(process.argv.slice(3));

