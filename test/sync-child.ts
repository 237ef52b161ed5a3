// Synchronous child processes for the tests, each with a time limit. A
// spawnSync blocks the event loop, so a child that never exits (`logger
// --version` deadlocks at start with the ASan runtime preloaded, for one)
// would hang the whole run with no test's own timeout able to fire. The
// tests import spawnSync and execFileSync from here, never from
// node:child_process (test/source-rules.test.ts checks); a call's own
// timeout still wins.
import * as childProcess from 'node:child_process';

/** What a synchronous child gets unless its call says otherwise: it is then killed, and the call returns ETIMEDOUT. */
export const SYNC_CHILD_TIMEOUT = 120_000;

type Options = { timeout?: number; killSignal?: NodeJS.Signals | number };

function limited<T extends Options | undefined>(options: T): T {
  return { timeout: SYNC_CHILD_TIMEOUT, killSignal: 'SIGKILL', ...options } as T;
}

/** node:child_process.spawnSync with SYNC_CHILD_TIMEOUT unless the options set one. */
export const spawnSync = ((command: string, args?: unknown, options?: unknown) =>
  Array.isArray(args)
    ? childProcess.spawnSync(command, args as string[], limited(options as Options))
    : childProcess.spawnSync(command, limited(args as Options))) as typeof childProcess.spawnSync;

/** node:child_process.execFileSync with SYNC_CHILD_TIMEOUT unless the options set one. */
export const execFileSync = ((file: string, args?: unknown, options?: unknown) =>
  Array.isArray(args)
    ? childProcess.execFileSync(file, args as string[], limited(options as Options))
    : childProcess.execFileSync(file, limited(args as Options))) as typeof childProcess.execFileSync;
