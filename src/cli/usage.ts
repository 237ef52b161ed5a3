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

type Options = NonNullable<ParseArgsConfig['options']>;

/** The option as the user typed it, from parseArgs' message ("Unknown option '--x'. To specify..."). */
const quoted = (message: string) => /(--[^' ,]+)/.exec(message)?.[1] ?? /'(-[^' ,]*)/.exec(message)?.[1] ?? '';

/** parseArgs' errors in one line of our own: its texts carry an unbalanced quote and a hint that does not apply. */
function parseError(err: unknown): UsageError {
  const { code, message } = err as { code?: string; message: string };
  const option = quoted(message.split('\n')[0]);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option '${option}'`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/argument missing/.test(message)) return new UsageError(`option '${option}' needs a value`);
    // A value that starts with '-' ('-w -1') is taken for an option unless it is joined: '-w-1', '--timeout=-1'.
    if (/ambiguous/.test(message)) return new UsageError(`option '${option}' needs a value (join one that starts with '-': ${option}${option.startsWith('--') ? '=' : ''}VALUE)`);
    return new UsageError(`option '${option}' takes no value`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`unexpected argument '${/'([^']*)'/.exec(message)?.[1] ?? ''}'`);
  return new UsageError(message.split('\n')[0]);
}

/** parseArgs with --help/-h added; prints the usage and returns null when help was asked for. */
export function parse(argv: string[], options: Options, usage: string, allowPositionals = true): Parsed | null {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true }) as Parsed;
  } catch (err) {
    throw parseError(err);
  }
  if (parsed.values.help) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    return null;
  }
  return parsed;
}

const DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

/** A number option written in plain decimal, >= 0: no '', no '0x10', no '1e3', no ' 1'. */
export function numberOption(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw new UsageError(`--${name} must be a number >= 0, not '${value}'`);
  return Number(value);
}

/** A number of seconds (decimal, >= 0), in milliseconds. */
export function secondsOption(value: string | boolean, name: string): number {
  return Math.round(numberOption(value, name, 0) * 1000);
}

/** A whole-number option within [min, max]. */
export function integerOption(value: string | boolean | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not '${value}'`);
  }
  return Number(value);
}

/** One line on stderr for a failure: the message, without a stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
