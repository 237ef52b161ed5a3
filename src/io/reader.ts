// The buffered receive engine: LuaSocket's receive patterns ('line', 'all', a
// byte count, with a prefix) over a per-socket input buffer that recv() and
// recvInto() drain first. Data is kept as the chunks it arrived in and
// joined once per result, so long lines and large blocks cost linear time.
import { Buffer } from 'node:buffer';
import { invalidArgValue, invalidArgType } from '../errors.js';
import { toBytes } from '../validate.js';

/** Bytes received from the kernel but not yet handed to the user. */
export class InputBuffer {
  #chunks: Buffer[] = [];
  #off = 0; // read offset into #chunks[0]
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }

  /**
   * Removes and returns up to `max` bytes from the front, as a view of the
   * chunk they arrived in when they lie in one (chunks are never written
   * again once pushed).
   */
  take(max: number): Buffer {
    if (this.length === 0 || max <= 0) return Buffer.alloc(0);
    const first = this.#chunks[0];
    const avail = first.length - this.#off;
    if (max < avail) {
      const out = first.subarray(this.#off, this.#off + max);
      this.#off += max;
      this.length -= max;
      return out;
    }
    if (avail >= max || this.#chunks.length === 1) return this.#shift();
    const parts: Buffer[] = [];
    let want = Math.min(max, this.length);
    while (want > 0) {
      const c = this.#chunks[0];
      const n = Math.min(want, c.length - this.#off);
      if (n === c.length - this.#off) parts.push(this.#shift());
      else { parts.push(c.subarray(this.#off, this.#off + n)); this.#off += n; this.length -= n; }
      want -= n;
    }
    return Buffer.concat(parts);
  }

  /** Copies up to target.length bytes into `target`, removing them; returns the count. */
  takeInto(target: Uint8Array): number {
    let copied = 0;
    while (copied < target.length && this.length > 0) {
      const c = this.#chunks[0];
      const n = Math.min(target.length - copied, c.length - this.#off);
      target.set(c.subarray(this.#off, this.#off + n), copied);
      copied += n;
      if (n === c.length - this.#off) this.#shift();
      else { this.#off += n; this.length -= n; }
    }
    return copied;
  }

  /**
   * The fast path of receive('line'): a whole line inside the first chunk,
   * without its LF and CRs (a view of the chunk unless CRs had to go); null
   * when the line is not complete there (PatternReader then takes over).
   * A plain loop: for short lines it beats Buffer#indexOf's call overhead.
   */
  takeLine(): Buffer | null {
    if (this.length === 0) return null;
    const c = this.#chunks[0];
    const start = this.#off;
    const end = c.length;
    let cr = false;
    let lf = start;
    for (; lf < end; lf++) {
      const b = c[lf];
      if (b === LF) break;
      if (b === CR) cr = true;
    }
    if (lf === end) return null;
    const line = c.subarray(start, lf);
    this.skip(lf + 1 - start);
    return cr ? stripCR(line) : line;
  }

  /** The first chunk's unread bytes, without removing them (null when empty). */
  peekChunk(): Buffer | null {
    return this.length === 0 ? null : this.#chunks[0].subarray(this.#off);
  }

  /** Drops `n` bytes of the first chunk (n <= its unread length). */
  skip(n: number): void {
    const c = this.#chunks[0];
    if (n === c.length - this.#off) this.#shift();
    else { this.#off += n; this.length -= n; }
  }

  #shift(): Buffer {
    const c = this.#chunks.shift()!;
    const out = this.#off ? c.subarray(this.#off) : c;
    this.#off = 0;
    this.length -= out.length;
    return out;
  }
}

export type Pattern = 'line' | 'all' | number;

const LF = 0x0a;
const CR = 0x0d;

/** Normalises a receive pattern: 'line' | '*l' | 'all' | '*a' | a non-negative integer. */
export function parsePattern(pattern: unknown): Pattern {
  if (pattern === undefined || pattern === 'line' || pattern === '*l') return 'line';
  if (pattern === 'all' || pattern === '*a') return 'all';
  if (typeof pattern === 'number') {
    if (!Number.isInteger(pattern) || pattern < 0) throw invalidArgValue('pattern', pattern, 'must be a non-negative integer');
    return pattern;
  }
  if (typeof pattern === 'string') throw invalidArgValue('pattern', pattern, "must be 'line', '*l', 'all', '*a' or a byte count");
  throw invalidArgType('pattern', "one of 'line', 'all' or a number", pattern);
}

/** One receive() call in progress: what it has collected so far. */
export class PatternReader {
  readonly pattern: Pattern;
  readonly prefix: Uint8Array;
  #pieces: Buffer[] = [];
  #got = 0;     // bytes collected by this call (prefix excluded)
  #done = false;

  constructor(pattern: Pattern, prefix: unknown) {
    this.pattern = pattern;
    this.prefix = prefix === undefined || prefix === null ? Buffer.alloc(0) : toBytes(prefix, 'prefix');
  }

  /** A prefix at least as long as a numeric pattern is the whole answer: nothing is read. */
  get satisfiedWithoutReading(): boolean {
    return typeof this.pattern === 'number' && this.prefix.length >= this.pattern;
  }

  /** How many bytes a read should ask the kernel for. */
  get readSize(): number {
    if (typeof this.pattern === 'number') return Math.max(1, Math.min(this.pattern - this.prefix.length - this.#got, 1 << 20));
    return 65536;
  }

  /** Moves what the pattern can use from `input`; true once the pattern is satisfied. */
  consume(input: InputBuffer): boolean {
    if (this.#done) return true;
    const p = this.pattern;
    if (p === 'line') {
      for (let c = input.peekChunk(); c; c = input.peekChunk()) {
        const i = c.indexOf(LF);
        if (i >= 0) {
          this.#add(c.subarray(0, i));
          input.skip(i + 1);
          return (this.#done = true);
        }
        this.#add(c);
        input.skip(c.length);
      }
      return false;
    }
    if (p === 'all') {
      while (input.length > 0) this.#add(input.take(input.length));
      return false; // only end of stream completes 'all'
    }
    const want = p - this.prefix.length - this.#got;
    if (want > 0 && input.length > 0) this.#add(input.take(want));
    return (this.#done = p - this.prefix.length - this.#got <= 0);
  }

  /** The end of stream arrived: whether that completes the pattern ('all' with data read). */
  endOfStream(): boolean {
    if (this.pattern === 'all' && this.#got > 0) return (this.#done = true);
    return false;
  }

  /** The result: prefix plus what was collected ('line' without its LF and CRs). */
  result(): Buffer {
    let body = this.#pieces.length === 1 ? this.#pieces[0] : Buffer.concat(this.#pieces, this.#got);
    if (this.pattern === 'line' && body.includes(CR)) body = stripCR(body);
    if (this.prefix.length === 0) return body;
    return Buffer.concat([this.prefix, body]);
  }

  #add(b: Buffer): void {
    if (b.length === 0) return;
    this.#pieces.push(b);
    this.#got += b.length;
  }
}

function stripCR(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] !== CR) out[n++] = b[i];
  return out.subarray(0, n);
}
