// What the test/cli*.test.ts files share: running `berkeley` as a user would
// (a spawned process), peer tools, free ports, and waiting for a listener.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Socket } from '../src/index.ts';
import { isRoot } from './helpers.ts';

// BERKELEY_MAIN runs the tests against another copy of the command (an older one, to see a test fail).
export const MAIN = process.env.BERKELEY_MAIN ?? new URL('../src/cli/main.ts', import.meta.url).pathname;
/** The command line that runs berkeley from source. */
export const BERKELEY = [process.execPath, '--import', 'tsx', MAIN];

export interface Run { status: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }
export interface Spawned { child: ChildProcess; done: Promise<Run> }

export interface SpawnOptions {
  /** Written to stdin, which is then closed; 'open' leaves stdin open (a pipe nobody writes to). */
  input?: Buffer | string | 'open';
  /** stdin other than a pipe: 'ignore' is /dev/null. */
  stdin?: 'ignore';
  onStderr?: (text: string) => void;
  /** Killed after this many ms (default 30 s), so a hang fails the test instead of the run. */
  killAfter?: number;
  /** A command prefix, e.g. ['ip', 'netns', 'exec', NAME]. */
  prefix?: string[];
}

function collect(child: ChildProcess, o: SpawnOptions): Promise<Run> {
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (d) => out.push(d));
  child.stderr?.on('data', (d) => { err += d; o.onStderr?.(String(d)); });
  if (child.stdin) {
    child.stdin.on('error', () => { /* the child exited before reading all of it */ });
    if (o.input === undefined) child.stdin.end();
    else if (o.input !== 'open') child.stdin.end(o.input);
  }
  const kill = setTimeout(() => child.kill('SIGKILL'), o.killAfter ?? 30_000);
  return new Promise<Run>((resolve) => child.on('close', (status, signal) => {
    clearTimeout(kill);
    resolve({ status, signal, stdout: Buffer.concat(out), stderr: err });
  }));
}

const ROOT = new URL('..', import.meta.url).pathname;

/** Whether a user other than the owner can read `path`: o+r on it and o+x on every folder above it. */
export function othersCanRead(path: string): boolean {
  if (!existsSync(path) || (statSync(path).mode & 0o004) === 0) return false;
  for (let p = dirname(path); ; p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (p === dirname(p)) return true;
  }
}

let readableCopy: string | undefined;
/**
 * The command line that runs the built berkeley (dist/) from a copy every
 * user can read, for commands run as another user: the clone itself may sit
 * in a private folder (mktemp -d makes it 0700) that such a user cannot enter.
 */
export function berkeleyForOthers(): string[] {
  if (readableCopy === undefined) {
    const copy = mkdtempSync(join(tmpdir(), 'berkeley-readable-'));
    for (const part of ['package.json', 'dist', 'prebuilds', 'build/Release/berkeley.node', 'node_modules/node-gyp-build']) {
      if (existsSync(join(ROOT, part))) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    }
    const open = (p: string): void => {
      const dir = statSync(p).isDirectory();
      chmodSync(p, dir ? 0o755 : 0o644);
      if (dir) for (const name of readdirSync(p)) open(join(p, name));
    };
    open(copy);
    process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
    readableCopy = copy;
  }
  return [process.execPath, join(readableCopy, 'dist', 'cli', 'main.js')];
}

/** Runs `berkeley ARGS`; resolves when it exits. */
export function berkeley(args: string[], o: SpawnOptions = {}): Spawned {
  const [cmd, ...rest] = [...(o.prefix ?? []), ...BERKELEY, ...args];
  const stdio: StdioOptions = [o.stdin ?? 'pipe', 'pipe', 'pipe'];
  const child = spawn(cmd, rest, { stdio });
  return { child, done: collect(child, o) };
}

/** Runs a peer tool (socat, nc, python3, logger, ip); resolves when it exits. */
export function tool(cmd: string, args: string[], o: SpawnOptions = {}): Spawned {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  if (o.input === undefined) o = { ...o, input: 'open' }; // a server tool keeps its stdin
  return { child, done: collect(child, o) };
}

/** A Python 3 program as a peer, its source given inline. */
export function python(source: string, args: string[] = [], o: SpawnOptions = {}): Spawned {
  return tool('python3', ['-c', source, ...args], { input: '', ...o });
}

/** A free TCP/UDP port on 127.0.0.1 (bound and released). */
export function freePort(type: 'stream' | 'dgram' = 'stream'): number {
  const s = new Socket('inet', type);
  s.bind('127.0.0.1:0');
  const port = (s.localAddress() as { port: number }).port;
  s.close();
  return port;
}

/** Resolves once berkeley's --verbose stderr says it is listening. */
export function whenListening(): { onStderr: (l: string) => void; ready: Promise<void> } {
  let resolve!: () => void;
  const ready = new Promise<void>((r) => { resolve = r; });
  let seen = '';
  return { onStderr: (l) => { seen += l; if (seen.includes('listening on')) resolve(); }, ready };
}

/** Waits until something listens on 127.0.0.1:port (TCP) or a Unix stream path. */
export async function listening(target: number | string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = new Socket(typeof target === 'number' ? 'inet' : 'unix', 'stream');
    try {
      await s.connect(typeof target === 'number' ? `127.0.0.1:${target}` : target, { timeout: 1000 });
      s.close();
      return;
    } catch {
      s.close();
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`nothing listens on ${target}`);
}

/** CPU time (user + system) a live process has used, in clock ticks (/proc/PID/stat fields 14 and 15). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Resident set size of a live process in bytes (VmRSS). */
export function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export const have = (cmd: string, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined;

/** Installs Debian packages when missing and allowed (root with apt); a reason to skip otherwise. */
export function needTools(tools: Record<string, string>): string | false {
  const missing = Object.entries(tools).filter(([cmd]) => !have(cmd, ['-h']));
  if (missing.length === 0) return false;
  if (!isRoot || spawnSync('which', ['apt-get']).status !== 0) return `${missing.map(([c]) => c).join(', ')} not installed`;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 300_000 });
  spawnSync('apt-get', ['install', '-y', '-qq', ...new Set(missing.map(([, pkg]) => pkg))], { stdio: 'ignore', env, timeout: 300_000 });
  const still = missing.filter(([cmd]) => !have(cmd, ['-h']));
  return still.length === 0 ? false : `installing ${still.map(([, p]) => p).join(', ')} failed`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A usage error as every command reports it: exit 2, nothing on stdout, and
 * on stderr exactly one line of ours ('berkeley CMD: ...', matching `says`)
 * then the hint to run CMD --help. Returns that line.
 */
export function assertUsageError(r: Run, command: string, says: RegExp, what: string): string {
  assert.equal(r.status, 2, `${what}: ${r.stderr}`);
  assert.equal(r.stdout.length, 0, what);
  const lines = r.stderr.split('\n');
  assert.equal(lines.length, 3, `${what}: one line and the hint: ${r.stderr}`);
  assert.match(lines[0], new RegExp(`^berkeley ${command}: `), what);
  assert.match(lines[0], says, what);
  assert.equal(lines[1], `Run 'berkeley ${command} --help' for usage.`, what);
  return lines[0];
}
