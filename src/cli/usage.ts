// Shared plumbing of the berkeley command: usage errors (exit 2), failures
// (exit 1) as one line on stderr, and argument parsing with --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class UsageError extends Error {}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** parseArgs with --help/-h added; prints the usage and returns null when help was asked for. */
export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, usage: string, allowPositionals = true): Parsed | null {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true }) as Parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    return null;
  }
  return parsed;
}

/** A number option: finite and not negative. */
export function numberOption(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number >= 0, not '${value}'`);
  return n;
}

/** One line on stderr for a failure: the message, without a stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
