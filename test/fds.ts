// The process's fd table, for the leak checks of tests and fixtures. Left
// out: tsx's disk cache. After transforming a file whose content it has not
// cached yet, tsx's loader writes the result with fs.promises, so an fd of
// that cache can be open at a test's first count and closed by its last (or
// the reverse): a cold cache, as on a fresh CI machine or after an edit,
// made fd counts off by one (reproduced: test/hostile.test.ts with a source
// file changed, 4 runs out of 4).
import { readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tsxCache = join(tmpdir(), 'tsx-');

/** The open fds as 'number:target', without tsx's cache and the listing's own directory fd (gone when read back). */
export function fdTargets(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    let target: string;
    try { target = readlinkSync(`/proc/self/fd/${fd}`); } catch { return []; }
    return target.startsWith(tsxCache) ? [] : [`${fd}:${target}`];
  });
}

/** The number of open fds (see fdTargets), for leak checks. */
export const fdCount = (): number => fdTargets().length;
