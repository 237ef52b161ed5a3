// A consumer's view of the package for type tests: a temporary project whose
// node_modules/berkeley holds this repository's package.json and the
// declarations built from src/ now (tsc -p tsconfig.json, declarations
// only), and tsc run over files in it as a user of the package would.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

export interface Run { code: number | null; output: string }

/** Runs `node args...` in `cwd`; resolves with the exit code and stdout + stderr. */
export function node(args: string[], cwd: string, timeout = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * A temporary consumer project: `berkeley` in its node_modules (package.json
 * and freshly built declarations), `@types/node` linked from this
 * repository, `"type": "module"`. Returns its directory and a cleanup.
 */
export async function consumerProject(prefix: string): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), `berkeley-${prefix}-`));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const pkg = join(dir, 'node_modules', 'berkeley');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    mkdirSync(join(dir, 'node_modules', '@types'));
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const build = await node([TSC, '-p', join(ROOT, 'tsconfig.json'), '--emitDeclarationOnly', '--sourceMap', 'false', '--outDir', join(pkg, 'dist')], ROOT);
    if (build.code !== 0) throw new Error(`building the declarations failed:\n${build.output}`);
    return { dir, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** tsc --noEmit over `files` (relative to `dir`) with --strict and module nodenext, as the README tells users to set up. */
export function typecheck(dir: string, files: string[]): Promise<Run> {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', noEmit: true, types: ['node'], skipLibCheck: true },
    files,
  }, null, 2));
  return node([TSC, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], dir);
}
