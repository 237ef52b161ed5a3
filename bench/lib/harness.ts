// Starting the peer programs of a benchmark, pinned to a core, and reading
// what they report (the protocol of bench/c/peer.c: an optional
// "ready ADDRESS" line, then one JSON result line).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Socket } from 'berkeley';
import ts from 'typescript';

export const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const scratch = mkdtempSync(join(tmpdir(), 'berkeley-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** What a peer reports. */
export interface Report {
  ops: number;
  bytes: number;
  seconds: number;
  cpu: number | null;
  p50?: number;
  p99?: number;
  [key: string]: number | null | undefined;
}

/** A program to run: argv[0] and its arguments. */
export type Program = string[];

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
/** Subject on core 0, its counterpart on core 1, where there are two. */
export const pinning = hasTaskset && availableParallelism() >= 2;
export const SUBJECT_CORE = 0;
export const COUNTERPART_CORE = 1;

export function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const built = new Map<string, string>();
/** bench/c/NAME.c, built once per run with the system compiler. */
export function cBinary(name: string): string {
  const done = built.get(name);
  if (done) return done;
  const out = join(scratch, name);
  const r = spawnSync('cc', ['-O2', '-pthread', '-o', out, join(benchDir, 'c', `${name}.c`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building bench/c/${name}.c failed:\n${r.stderr}`);
  built.set(name, out);
  return out;
}

/** bench/c/peer.c, the C reference and counterpart. */
export function cProgram(): string {
  return cBinary('peer');
}

/**
 * bench/peers/FILE.ts as plain JavaScript, transpiled once per run into the
 * scratch directory (where node_modules/berkeley links to this package), for
 * Node programs whose memory is measured: a TypeScript loader (tsx) runs its
 * hooks on a thread of its own, about 34 MB more RSS in every process.
 */
export function jsProgram(file: string): string {
  const dir = join(scratch, 'js');
  const out = join(dir, file.replace(/\.ts$/, '.mjs'));
  if (built.has(out)) return out;
  if (!existsSync(join(dir, 'node_modules', 'berkeley'))) {
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(dirname(benchDir), join(dir, 'node_modules', 'berkeley'));
  }
  const source = readFileSync(join(benchDir, 'peers', file), 'utf8');
  const js = ts.transpileModule(source, { fileName: file, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(out, js.outputText);
  built.set(out, out);
  return out;
}

/** The Bun of the devDependencies. */
export const bunPath = join(dirname(benchDir), 'node_modules', '.bin', 'bun');

/**
 * `program` started with RLIMIT_NOFILE raised to `n` (soft and hard), through
 * prlimit(1), which execs it: the process keeps the program's pid.
 */
export function withNofile(program: Program, n: number): Program {
  return ['prlimit', `--nofile=${n}:${n}`, ...program];
}

/** Why RLIMIT_NOFILE cannot be raised to `n` here (null when it can). */
export function nofileProblem(n: number): string | null {
  if (!which('prlimit')) return 'prlimit (util-linux) not installed';
  const r = spawnSync('prlimit', [`--nofile=${n}:${n}`, 'true'], { encoding: 'utf8' });
  return r.status === 0 ? null : `RLIMIT_NOFILE cannot be raised to ${n}: ${r.stderr.trim() || `prlimit exited with ${r.status}`}`;
}

const tsPeer = (file: string) => (...a: (string | number)[]): Program => [process.execPath, '--import', 'tsx', join(benchDir, 'peers', file), ...a.map(String)];
export const peers = {
  c: (...a: (string | number)[]): Program => [cProgram(), ...a.map(String)],
  berkeley: tsPeer('berkeley.ts'),
  node: tsPeer('node.ts'),
  unixDgram: tsPeer('unix-dgram.ts'),
  python: (...a: (string | number)[]): Program => ['python3', join(benchDir, 'peers', 'peer.py'), ...a.map(String)],
  lua: (...a: (string | number)[]): Program => ['lua5.4', join(benchDir, 'peers', 'peer.lua'), ...a.map(String)],
};

/** Why a peer cannot run here (null when it can): shown in the results, never skipped silently. */
export const missing = {
  python: (): string | null => (which('python3') ? null : 'python3 not installed (bench/setup.sh)'),
  lua: (): string | null => (spawnSync('lua5.4', ['-e', 'require("socket"); require("socket.unix")']).status === 0 ? null : 'lua5.4 with LuaSocket not installed (bench/setup.sh)'),
  iperf3: (): string | null => (which('iperf3') ? null : 'iperf3 not installed (bench/setup.sh)'),
  sockperf: (): string | null => (which('sockperf') ? null : 'sockperf not installed (bench/setup.sh)'),
  bun: (): string | null => (spawnSync(bunPath, ['--version']).status === 0 ? null : 'Bun not installed (the devDependency: npm install)'),
  unixDgram: (): string | null => (existsSync(join(benchDir, '.peers', 'node_modules', 'unix-dgram', 'build', 'Release', 'unix_dgram.node')) ? null : 'npm unix-dgram not installed (bench/setup.sh)'),
};

/**
 * The receive queue of the UDP socket bound to 127.0.0.1:port, from
 * /proc/net/udp: bytes queued (sk_rmem_alloc: the datagrams' truesize) and
 * datagrams the socket dropped because its queue was full. Null when no such
 * socket exists.
 */
export function udpQueue(port: number): { queued: number; drops: number } | null {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) return { queued: parseInt(f[4].split(':')[1], 16), drops: Number(f[f.length - 1]) };
  }
  return null;
}

/** A unique Unix socket path in the run's scratch directory. */
let paths = 0;
export function socketPath(): string {
  return join(scratch, `s${paths++}.sock`);
}

export interface Running {
  /** The address from the "ready" line. */
  ready: Promise<string>;
  /** The JSON result line (or `parse` of the whole output); rejects when the program fails. */
  result: Promise<Report>;
  child: ChildProcess;
  /** The next line the program writes (for programs that report more than once). */
  next(): Promise<string>;
  kill(): void;
}

/**
 * Starts `program` pinned to `core` (when pinning is possible). It is killed
 * after `limitSeconds` so that a stuck peer cannot hang the run.
 */
export function start(program: Program, core: number | null, opts: { parse?: (stdout: string) => Report; limitSeconds?: number; input?: boolean } = {}): Running {
  const argv = pinning && core !== null ? ['taskset', '-c', String(core), ...program] : program;
  const child = spawn(argv[0], argv.slice(1), { stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], cwd: dirname(benchDir) });
  let stdout = '';
  let stderr = '';
  let onReady!: (a: string) => void;
  const ready = new Promise<string>((resolve) => { onReady = resolve; });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    const m = /^ready (\S+)$/m.exec(stdout);
    if (m) onReady(m[1]);
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    for (const line of parts) (waiting.shift() ?? ((l: string) => lines.push(l)))(line);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const limit = setTimeout(() => child.kill('SIGKILL'), (opts.limitSeconds ?? 60) * 1e3);
  const result = new Promise<Report>((resolve, reject) => {
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      const failed = () => new Error(`${program.map((a) => a.split('/').pop()).join(' ')} exited with ${signal ?? code}: ${(stderr || stdout).trim().split('\n').slice(-4).join(' | ')}`);
      if (opts.parse) {
        try { resolve(opts.parse(stdout)); } catch { reject(failed()); }
        return;
      }
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 && signal !== 'SIGTERM') { reject(failed()); return; }
      try { resolve(JSON.parse(last) as Report); } catch { reject(failed()); }
    });
  });
  // A program that fails before it is ready must not leave the caller waiting.
  const readyOrFail = Promise.race([ready, result.then(() => { throw new Error(`${program.map((a) => a.split('/').pop()).join(' ')} finished without a ready line: ${(stderr || stdout).trim().split('\n').slice(-4).join(' | ')}`); })]);
  result.catch(() => {});
  readyOrFail.catch(() => {});
  const next = (): Promise<string> => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), result.then(() => { throw new Error(`${program[0]} ended early`); })]);
  };
  return { ready: readyOrFail, result, child, next, kill: () => { if (child.exitCode === null) child.kill('SIGTERM'); } };
}

/** Runs a counterpart that listens first, then the program that connects to its address; returns both reports. */
export async function pair(first: Program, firstCore: number, second: (address: string) => Program, secondCore: number, opts: { waitFirst?: boolean } = {}): Promise<[Report | null, Report]> {
  const a = start(first, firstCore);
  try {
    const address = await a.ready;
    const b = start(second(address), secondCore);
    const rb = await b.result;
    if (!opts.waitFirst) return [null, rb];
    return [await a.result, rb];
  } finally {
    a.kill();
  }
}

/** A loopback port nobody listens on, for peers that take a port rather than print one. */
export function freePort(udp = false): number {
  const s = new Socket('inet', udp ? 'dgram' : 'stream');
  s.bind('127.0.0.1:0');
  const port = (s.localAddress() as { port: number }).port;
  s.close();
  return port;
}

/**
 * Starts a server that prints no ready line (iperf3, sockperf) and gives it
 * time to listen; its output is not read. The caller kills it.
 */
export async function startServer(program: Program, core: number): Promise<Running> {
  const server = start(program, core, { parse: () => ({ ops: 0, bytes: 0, seconds: 0, cpu: null }) });
  await sleep(300);
  return server;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
