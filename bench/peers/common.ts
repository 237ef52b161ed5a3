// What every JavaScript peer program shares: the result line, CPU time and
// round-trip percentiles, in the protocol of bench/c/peer.c.

/** Seconds on a monotonic clock. */
export const now = (): number => performance.now() / 1e3;

/** CPU seconds (user + system) this process has used. */
export function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function ready(address: string | number): void {
  process.stdout.write(`ready ${address}\n`);
}

export function report(ops: number, bytes: number, seconds: number, cpuSeconds: number, extra: Record<string, number> = {}): void {
  process.stdout.write(JSON.stringify({ ops, bytes, seconds, cpu: cpuSeconds, ...extra }) + '\n');
}

/** Round-trip times in microseconds, kept without allocating per sample. */
export class Rtts {
  #xs = new Float64Array(1 << 20);
  #n = 0;
  add(us: number): void {
    if (this.#n === this.#xs.length) {
      const bigger = new Float64Array(this.#xs.length * 2);
      bigger.set(this.#xs);
      this.#xs = bigger;
    }
    this.#xs[this.#n++] = us;
  }
  percentiles(): { p50: number; p99: number } {
    const s = this.#xs.subarray(0, this.#n).sort();
    return { p50: s[this.#n >> 1] ?? 0, p99: s[Math.floor(this.#n * 0.99)] ?? 0 };
  }
}

/** The positional arguments after the mode, as bench/c/peer.c takes them. */
export function args(): { mode: string; rest: string[] } {
  const [mode = '', ...rest] = process.argv.slice(2);
  return { mode, rest };
}

/** Lines on stdin, one at a time (the runner's "queue filled" signals). */
export async function* stdinLines(): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of process.stdin) {
    const parts = (rest + String(chunk)).split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
}

export function usage(mode: string): never {
  process.stderr.write(`peer: unknown mode or bad arguments: ${mode} (see bench/c/peer.c)\n`);
  process.exit(2);
}

/** Errors that mean the other end went away, which ends a sender normally. */
export const isPeerGone = (err: unknown): boolean => ['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNREFUSED'].includes((err as { code?: string }).code ?? '');
