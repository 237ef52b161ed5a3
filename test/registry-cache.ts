// Runtimes taken from the npm registry for the tests that run berkeley under
// other Node majors (node-matrix.test.ts) and on other machines and libcs
// (emulated-prebuilds.test.ts): each package is fetched once with `npm pack`
// into node_modules/.cache/berkeley-runtimes/ and reused by later runs, so
// only the first run downloads. Nothing here throws for a missing registry or
// tool: every helper answers with the reason, and the tests skip with it.
import { execFile } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CACHE = join(ROOT, 'node_modules', '.cache', 'berkeley-runtimes');

/** What a helper found: the thing, or why it is not there. */
export type Found<T> = { ok: true; value: T } | { ok: false; why: string };

interface Run { code: number | null; stdout: string; stderr: string }

function run(cmd: string, args: string[], opts: { cwd?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: opts.timeout ?? 300_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

/** npm's own CLI script, run with this Node (npm test sets npm_execpath). */
export function npmCli(): string | undefined {
  const exec = process.env.npm_execpath;
  if (exec && /npm-cli\.js$/.test(exec) && existsSync(exec)) return exec;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'npm');
    if (dir && existsSync(p)) return realpathSync(p);
  }
  return undefined;
}

/** The versions of `name` published on the registry (`npm view NAME versions`). */
export async function registryVersions(name: string): Promise<Found<string[]>> {
  const npm = npmCli();
  if (!npm) return { ok: false, why: 'npm not found' };
  const r = await run(process.execPath, [npm, 'view', name, 'versions', '--json'], { timeout: 60_000 });
  if (r.code !== 0) return { ok: false, why: `npm view ${name} failed: ${(r.stderr.split('\n').find((l) => /error/i.test(l)) ?? r.stderr).trim().slice(0, 200)}` };
  try {
    const list = JSON.parse(r.stdout) as string[] | string;
    return { ok: true, value: (Array.isArray(list) ? list : [list]).map((v) => v.replace(/^v/, '')) };
  } catch {
    return { ok: false, why: `npm view ${name}: unreadable answer` };
  }
}

/** Versions of `name` already in the cache (what a run without the registry can still use). */
export function cachedVersions(name: string): string[] {
  const prefix = `${name.replace('/', '+')}@`;
  if (!existsSync(CACHE)) return [];
  return readdirSync(CACHE).filter((d) => d.startsWith(prefix) && existsSync(join(CACHE, d, 'package', 'package.json')))
    .map((d) => d.slice(prefix.length));
}

const parts = (v: string): number[] => v.split(/[.+-]/).slice(0, 3).map(Number);

/** The newest release (no pre-release tag) of `major` among `versions`. */
export function newestOfMajor(versions: string[], major: number): string | undefined {
  return versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v) && parts(v)[0] === major)
    .sort((a, b) => { const [x, y] = [parts(a), parts(b)]; return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!; })
    .pop();
}

/**
 * The unpacked npm package name@version (its package/ directory), fetched
 * with `npm pack` into the cache on first use. Two test runs at once may
 * both fetch it; the first rename wins and the other uses it.
 */
export async function cachedPackage(name: string, version: string): Promise<Found<string>> {
  const dest = join(CACHE, `${name.replace('/', '+')}@${version}`);
  const pkg = join(dest, 'package');
  if (existsSync(join(pkg, 'package.json'))) return { ok: true, value: pkg };
  const npm = npmCli();
  if (!npm) return { ok: false, why: 'npm not found' };
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(join(CACHE, '.fetch-'));
  try {
    const packed = await run(process.execPath, [npm, 'pack', `${name}@${version}`, '--pack-destination', tmp, '--json', '--ignore-scripts'], { cwd: tmp });
    if (packed.code !== 0) return { ok: false, why: `npm pack ${name}@${version} failed: ${packed.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 300)}` };
    const file = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[])[0]!.filename;
    const unpacked = join(tmp, 'unpacked');
    mkdirSync(unpacked);
    const untar = await run('tar', ['-xzf', join(tmp, file), '-C', unpacked]);
    if (untar.code !== 0) return { ok: false, why: `tar could not unpack ${file}: ${untar.stderr.trim()}` };
    try { renameSync(unpacked, dest); } catch (e) { if (!existsSync(join(pkg, 'package.json'))) throw e; }
    return { ok: true, value: pkg };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The Node binary of node-linux-ARCH@version from the registry (bin/node inside the package). */
export async function registryNode(arch: string, version: string): Promise<Found<string>> {
  const pkg = await cachedPackage(`node-linux-${arch}`, version);
  if (!pkg.ok) return pkg;
  const bin = join(pkg.value, 'bin', 'node');
  return existsSync(bin) ? { ok: true, value: bin } : { ok: false, why: `node-linux-${arch}@${version} has no bin/node` };
}

/** Compiles src/ into dist/ (as `prepare` does), as the runtime suites need it. */
export function buildDist(): string | undefined {
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return existsSync(join(ROOT, 'dist', 'index.js')) ? undefined : `tsc did not build dist/: ${tsc.stdout}${tsc.stderr}`;
}

/**
 * A copy of the package as it installs (package.json, dist/, prebuilds/,
 * node-gyp-build) plus test/runtimes/, in a fresh temp directory: no build/
 * directory, so node-gyp-build loads a prebuild, the one for the runtime's
 * platform, arch and libc. The caller removes it.
 */
export function stagePackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berkeley-stage-'));
  for (const p of ['package.json', 'dist', 'prebuilds', join('node_modules', 'node-gyp-build'), join('test', 'runtimes')]) {
    cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  }
  return dir;
}

/** The command's path, or undefined when it is not on PATH. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

let aptUpdated = false;

/**
 * Installs the Debian packages (name or name:arch, multiarch) not yet
 * installed, with apt-get as root, enabling a foreign architecture first
 * where one is named; answers why not where it cannot.
 */
export function debianPackages(pkgs: string[]): Found<void> {
  const installed = (p: string) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed');
  let missing = pkgs.filter((p) => !installed(p));
  if (missing.length === 0) return { ok: true, value: undefined };
  if (process.getuid?.() !== 0 || !which('apt-get')) return { ok: false, why: `missing Debian packages ${missing.join(' ')} (not root, or no apt-get)` };
  const foreign = spawnSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).stdout.split('\n');
  for (const arch of new Set(missing.map((p) => p.split(':')[1]).filter((a): a is string => !!a && a !== 'amd64'))) {
    if (!foreign.includes(arch)) { spawnSync('dpkg', ['--add-architecture', arch]); aptUpdated = false; }
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) { spawnSync('apt-get', ['update', '-qq'], { env, timeout: 300_000 }); aptUpdated = true; }
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8', timeout: 600_000 });
  missing = missing.filter((p) => !installed(p));
  return missing.length === 0 ? { ok: true, value: undefined }
    : { ok: false, why: `apt-get could not install ${missing.join(' ')}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}` };
}
