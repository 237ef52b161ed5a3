// The filter language's grammar, as libpcap's grammar.y reads it, by
// recursive descent: `and` and `or` have the same precedence and group to
// the left; a bare address after `and`/`or`/`not` takes the qualifiers of
// the primitive before it (`host a or b`, `tcp port 80 or 443`); arithmetic
// binds `|` loosest, then `&`, shifts, `+ -`, `* /`, and `%` and `^` (which
// grammar.y leaves without a precedence, so bison always shifts them) take
// everything to their right. Each primitive is handed to the generator as
// soon as it is read, so `vlan` shifts the offsets of what follows it.
import { filterError, FilterRefusal, type Token } from './lexer.js';
import { Refused, type Addr, type Arth, type Dir, type Generator, type Proto, type Qual } from './primitives.js';
import { and, not, or, type Pred } from './emit.js';

/** libpcap's `qerr`: no qualifiers in force (after a protocol name, a comparison, vlan, less, greater). */
const NONE: Qual | null = null;
const PNAMES = new Set(['ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'link']);
const AQUALS = new Set(['host', 'net', 'port', 'portrange']);
const RELOPS = new Set(['>', '>=', '=', '<=', '<', '!=']);
const BINDING: Record<string, number> = { '|': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4, '*': 5, '/': 5 };
/** `%` and `^`: bison shifts them whatever comes before, and they take the rest of the arithmetic to their right. */
const GREEDY = new Set(['%', '^']);
const UNARY = 6;

/** How deeply `not`, parentheses and arithmetic may nest: far past any real filter, short of the stack's end. */
const MAX_DEPTH = 200;

/** A parse that did not fit here: the caller tries another reading (not an error by itself). */
class NoParse extends Error {}

export class Parser {
  #pos = 0;
  /** The qualifiers the next bare address takes (grammar.y's `$<blk>0.q`). */
  #q: Qual | null = NONE;
  /** The furthest token a reading failed at: the one an error names. */
  #furthest = 0;
  #expected = '';
  #depth = 0;

  constructor(private readonly tokens: Token[], private readonly gen: Generator) {}

  /** The whole expression as one predicate; null for an empty expression (accept everything). */
  parse(): Pred | null {
    if (this.#peek().type === 'end') return null;
    try {
      const p = this.#expr();
      if (this.#peek().type !== 'end') this.#fail('and, or or the end of the expression');
      return p;
    } catch (err) {
      if (!(err instanceof NoParse)) throw err;
      const tok = this.tokens[this.#furthest];
      throw filterError(`syntax error${this.#expected ? ` (expected ${this.#expected})` : ''}`, tok.text, tok.offset);
    }
  }

  // ---- tokens -------------------------------------------------------------------------------

  #peek(ahead = 0): Token { return this.tokens[Math.min(this.#pos + ahead, this.tokens.length - 1)]; }
  #is(word: string, ahead = 0): boolean { const t = this.#peek(ahead); return (t.type === 'keyword' || t.type === 'op') && t.keyword === word; }
  #next(): Token { return this.tokens[this.#pos++]; }
  #fail(expected: string): never {
    if (this.#pos >= this.#furthest) { this.#furthest = this.#pos; this.#expected = expected; }
    throw new NoParse();
  }
  #expect(word: string): Token {
    if (!this.#is(word)) this.#fail(`'${word}'`);
    return this.#next();
  }

  /** A keyword of libpcap's language that this compiler does not take, refused by name. */
  #outside(t: Token): never {
    throw filterError(`'${t.text}' is outside the supported subset of the pcap filter language`, t.text, t.offset);
  }

  /** Skips the current token ('/', ':', ...) and reads the number after it. */
  #numberAfter(expected: string): number {
    this.#next();
    if (this.#peek().type !== 'num') this.#fail(expected);
    return this.#next().value!;
  }

  /** Runs a generator call, naming `tok` when the generator refuses. */
  #gen<T>(tok: Token, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof Refused) throw filterError(err.message, tok.text, tok.offset);
      throw err;
    }
  }

  /** Runs `f` one level deeper; an expression nested past MAX_DEPTH is refused at its token. */
  #deeper<T>(f: () => T): T {
    if (++this.#depth > MAX_DEPTH) {
      const t = this.#peek();
      throw filterError(`nested more than ${MAX_DEPTH} deep`, t.text, t.offset);
    }
    try { return f(); } finally { this.#depth--; }
  }

  /** Tries readings in turn, each from the same place and state; the first that fits wins. */
  #either<T>(...readings: (() => T)[]): T {
    const pos = this.#pos;
    const q = this.#q;
    const saved = this.gen.save();
    for (let i = 0; i < readings.length; i++) {
      try {
        return readings[i]();
      } catch (err) {
        if (!(err instanceof NoParse) || i === readings.length - 1) throw err;
        this.#pos = pos;
        this.#q = q;
        this.gen.restore(saved);
      }
    }
    throw new NoParse();
  }

  // ---- expressions ----------------------------------------------------------------------------

  #expr(): Pred {
    let left = this.#term();
    while (this.#is('and') || this.#is('or')) {
      const op = this.#next().keyword;
      const right = this.#either(() => this.#term(), () => this.#id());
      left = op === 'and' ? and(left, right) : or(left, right);
    }
    return left;
  }

  #term(): Pred {
    if (this.#is('not')) {
      this.#next();
      return not(this.#deeper(() => this.#term()));
    }
    return this.#deeper(() => this.#rterm());
  }

  #rterm(): Pred {
    const t = this.#peek();
    const word = t.type === 'keyword' ? t.keyword! : '';
    if (word.startsWith('unsupported:')) this.#outside(t);
    if (PNAMES.has(word)) {
      if (this.#is('[', 1)) return this.#relation();
      const after = this.#peek(1);
      if (after.type === 'keyword' && (after.keyword === 'src' || after.keyword === 'dst' || AQUALS.has(after.keyword!))) return this.#qualified();
      if (after.type === 'keyword' && after.keyword!.startsWith('unsupported:')) this.#outside(after);
      this.#next();
      this.#q = NONE;
      return this.#gen(t, () => this.gen.protoAbbrev(word as Proto));
    }
    if (word === 'src' || word === 'dst' || AQUALS.has(word)) return this.#qualified();
    if (word === 'vlan') {
      this.#next();
      const id = this.#isNumber() ? this.#pnum() : null;
      this.#q = NONE;
      return this.#gen(t, () => this.gen.vlan(id));
    }
    if (word === 'less' || word === 'greater') {
      this.#next();
      if (this.#peek().type !== 'num') this.#fail('a number');
      const n = this.#next().value!;
      this.#q = NONE;
      return this.gen.length(word, n);
    }
    if (this.#is('(')) {
      // A parenthesized comparison, `(len) > 100`, or a parenthesized expression; after it the
      // qualifiers are those in force before the parenthesis.
      const before = this.#q;
      return this.#either(() => this.#relation(), () => {
        this.#next();
        const p = this.#expr();
        this.#expect(')');
        this.#q = before;
        return p;
      });
    }
    if (t.type === 'num' || this.#is('-') || word === 'len') return this.#relation();
    return this.#fail('a primitive');
  }

  /** `[proto] [src|dst|src or dst|src and dst] [host|net|port|portrange] ID`. */
  #qualified(): Pred {
    let proto: Proto = 'default';
    let dir: Dir = 'default';
    let addr: Addr = 'default';
    if (PNAMES.has(this.#peek().keyword ?? '')) proto = this.#next().keyword as Proto;
    if (this.#is('src') || this.#is('dst')) {
      const first = this.#next().keyword!;
      dir = first as Dir;
      if (this.#is('or') || this.#is('and')) {
        const joined = this.#next().keyword!;
        // dqual: SRC OR DST | DST OR SRC | SRC AND DST | DST AND SRC (bison shifts the and/or here).
        this.#expect(first === 'src' ? 'dst' : 'src');
        dir = joined as Dir;
      }
    }
    if (AQUALS.has(this.#peek().keyword ?? '')) addr = this.#next().keyword as Addr;
    this.#q = { proto, dir, addr };
    return this.#id();
  }

  // ---- addresses (grammar.y's id, nid, pid) --------------------------------------------------------

  #id(): Pred { return this.#deeper(() => this.#idAt()); }

  #idAt(): Pred {
    const t = this.#peek();
    if (this.#is('(')) {
      return this.#either(() => this.#numberId(), () => {
        this.#next();
        let p = this.#either(() => this.#numberId(), () => this.#nid());
        while (this.#is('and') || this.#is('or')) {
          const op = this.#next().keyword;
          const right = this.#id();
          p = op === 'and' ? and(p, right) : or(p, right);
        }
        this.#expect(')');
        return p;
      });
    }
    if (t.type === 'num') return this.#numberId();
    return this.#nid();
  }

  /** A number as an address: a port, an IPv4 host or network number (gen_ncode). */
  #numberId(): Pred {
    const t = this.#peek();
    const v = this.#pnum();
    return this.#gen(t, () => this.#ncode(null, v));
  }

  #nid(): Pred {
    const t = this.#peek();
    const q = this.#q;
    if (this.#is('not')) {
      this.#next();
      return not(this.#id());
    }
    switch (t.type) {
      case 'hid': {
        this.#next();
        if (q) {
          const what = this.#is('/') ? ' and prefix length' : this.#is('mask') ? ' and netmask' : '';
          if (q.addr === 'port' || q.addr === 'portrange') throw filterError(`'${q.addr}' qualifier applied to IPv4 address${what}`, t.text, t.offset);
        }
        if (this.#is('/')) {
          const len = this.#numberAfter('a prefix length');
          return this.#gen(t, () => this.#mcode(t.text, null, len, this.#qual()));
        }
        if (this.#is('mask')) {
          this.#next();
          const m = this.#peek();
          if (m.type !== 'hid') this.#fail('a netmask');
          this.#next();
          return this.#gen(m, () => this.#mcode(t.text, m.text, 0, this.#qual()));
        }
        return this.#gen(t, () => this.#ncode(t.text, 0));
      }
      case 'hid6': {
        this.#next();
        if (q && (q.addr === 'port' || q.addr === 'portrange')) {
          throw filterError(`'${q.addr}' qualifier applied to IPv6 address${this.#is('/') ? ' and prefix length' : ''}`, t.text, t.offset);
        }
        const len = this.#is('/') ? this.#numberAfter('a prefix length') : 128;
        return this.#gen(t, () => this.#mcode6(t.text, len, this.#qual()));
      }
      case 'id':
        this.#next();
        return this.#gen(t, () => this.#scode(t.text, this.#qual()));
      case 'eid':
        throw filterError('ethernet addresses are outside the supported subset of the pcap filter language', t.text, t.offset);
      default:
        if (t.type === 'keyword' && t.keyword!.startsWith('unsupported:')) this.#outside(t);
        return this.#fail('an address or a number');
    }
  }

  /** The qualifiers in force; with none (after a protocol name or a comparison) an address is a syntax error. */
  #qual(): Qual {
    if (!this.#q) throw new Refused('syntax error: an address needs a qualifier (host, net, port...)');
    return this.#q;
  }

  #isNumber(): boolean {
    if (this.#peek().type === 'num') return true;
    let i = 0;
    while (this.#is('(', i)) i++;
    return i > 0 && this.#peek(i).type === 'num';
  }

  /** grammar.y's pnum: a number, in any number of parentheses. */
  #pnum(): number {
    if (this.#is('(')) {
      this.#next();
      const v = this.#deeper(() => this.#pnum());
      this.#expect(')');
      return v;
    }
    const t = this.#peek();
    if (t.type !== 'num') this.#fail('a number');
    this.#next();
    return t.value!;
  }

  // ---- address semantics (gen_ncode, gen_mcode, gen_mcode6, gen_scode) -------------------------------

  #ncode(text: string | null, v: number): Pred {
    const q = this.#qual();
    let vlen = 32;
    if (text !== null) {
      const parsed = atoin(text);
      if (parsed === null) throw new Refused(`invalid IPv4 address '${text}'`);
      [v, vlen] = parsed;
    }
    switch (q.addr) {
      case 'default': case 'host': case 'net': {
        if (q.proto === 'link') throw new Refused('illegal link layer address');
        let mask = 0xffffffff;
        if (text === null && q.addr === 'net') {
          // A short network number is promoted: `net 10` is 10.0.0.0/8.
          while (v && (v & 0xff000000) === 0) { v = (v << 8) >>> 0; mask = (mask << 8) >>> 0; }
        } else {
          v = vlen === 0 ? 0 : (v << (32 - vlen)) >>> 0;
          mask = vlen === 0 ? 0 : (mask << (32 - vlen)) >>> 0;
        }
        return this.gen.host(v >>> 0, mask >>> 0, q, q.addr === 'net' ? 'net' : 'host');
      }
      case 'port': case 'portrange': {
        const proto = portProto(q);
        if (v > 65535) throw new Refused(`illegal port number ${v} > 65535`);
        return this.gen.portRange(v, v, proto, q.dir, q.addr === 'port');
      }
    }
  }

  #mcode(s1: string, s2: string | null, masklen: number, q: Qual): Pred {
    const n = atoin(s1);
    if (n === null) throw new Refused(`invalid IPv4 address '${s1}'`);
    const addr = (n[0] << (32 - n[1])) >>> 0;
    let mask: number;
    if (s2 !== null) {
      const m = atoin(s2);
      if (m === null) throw new Refused(`invalid IPv4 address '${s2}'`);
      mask = (m[0] << (32 - m[1])) >>> 0;
      if ((addr & ~mask) >>> 0) throw new Refused(`non-network bits set in "${s1} mask ${s2}"`);
    } else {
      if (masklen > 32) throw new Refused('mask length must be <= 32');
      mask = masklen === 0 ? 0 : (0xffffffff << (32 - masklen)) >>> 0;
      if ((addr & ~mask) >>> 0) throw new Refused(`non-network bits set in "${s1}/${masklen}"`);
    }
    if (q.addr !== 'net') throw new Refused('Mask syntax for networks only');
    return this.gen.host(addr, mask, q, 'net');
  }

  #mcode6(text: string, masklen: number, q: Qual): Pred {
    const words = parseIPv6(text);
    if (!words) throw new Refused(`invalid ip6 address ${text}`);
    if (masklen > 128) throw new Refused('mask length must be <= 128');
    const mask = [0, 1, 2, 3].map((i) => {
      const bits = Math.max(0, Math.min(32, masklen - 32 * i));
      return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    });
    if (words.some((w, i) => (w & ~mask[i]) >>> 0)) throw new Refused(`non-network bits set in "${text}/${masklen}"`);
    if ((q.addr === 'default' || q.addr === 'host') && masklen !== 128) throw new Refused('Mask syntax for networks only');
    if (q.addr !== 'default' && q.addr !== 'host' && q.addr !== 'net') throw new Refused('invalid qualifier against IPv6 address');
    return this.gen.host6(words, mask, q, q.addr === 'net' ? 'net' : 'host');
  }

  #scode(name: string, q: Qual): Pred {
    if (q.addr === 'portrange') {
      // pcap_nametoportrange: sscanf("%d-%d"); a name range is outside the subset.
      const m = /^([+-]?\d+)-([+-]?\d+)/.exec(name);
      if (!m) throw new Refused(`port names are outside the supported subset (use numbers: portrange 1024-2047), not '${name}'`);
      const proto = portProto(q);
      const [p1, p2] = [Number(m[1]), Number(m[2])];
      for (const p of [p1, p2]) {
        if (p < 0) throw new Refused(`illegal port number ${p} < 0`);
        if (p > 65535) throw new Refused(`illegal port number ${p} > 65535`);
      }
      return this.gen.portRange(p1, p2, proto, q.dir, false);
    }
    if (q.addr === 'port') throw new Refused(`port names are outside the supported subset (use the number), not '${name}'`);
    if (q.addr === 'net') throw new Refused(`network names are outside the supported subset (use an address), not '${name}'`);
    throw new Refused(`host names are outside the supported subset (use an address), not '${name}'`);
  }

  // ---- arithmetic ----------------------------------------------------------------------------------------

  /** `arth relop arth` (grammar.y's rterm). */
  #relation(): Pred {
    const a = this.#arth(0);
    const t = this.#peek();
    if (t.type !== 'op' || !RELOPS.has(t.keyword!)) this.#fail('a comparison (=, !=, <, <=, >, >=)');
    this.#next();
    const b = this.#arth(0);
    this.#q = NONE;
    return this.#gen(t, () => this.gen.relation(t.keyword!, a, b));
  }

  #arth(min: number): Arth { return this.#deeper(() => this.#arthAt(min)); }

  #arthAt(min: number): Arth {
    let left = this.#primary();
    for (;;) {
      const t = this.#peek();
      if (t.type !== 'op') return left;
      const op = t.keyword!;
      if (GREEDY.has(op)) {
        this.#next();
        const right = this.#arth(0);
        left = this.#gen(t, () => this.gen.arith(op, left, right));
        continue;
      }
      const bp = BINDING[op];
      if (bp === undefined || bp <= min) return left;
      this.#next();
      const right = this.#arth(bp);
      left = this.#gen(t, () => this.gen.arith(op, left, right));
    }
  }

  #primary(): Arth {
    const t = this.#peek();
    if (t.type === 'num') { this.#next(); return this.gen.constant(t.value!); }
    if (this.#is('-')) { this.#next(); const a = this.#arth(UNARY); return this.gen.neg(a); }
    if (this.#is('len')) { this.#next(); return this.gen.packetLength(); }
    if (this.#is('(')) {
      this.#next();
      const a = this.#arth(0);
      this.#expect(')');
      return a;
    }
    if (t.type === 'keyword' && PNAMES.has(t.keyword!) && this.#is('[', 1)) {
      this.#next();
      this.#next();
      const index = this.#arth(0);
      const size = this.#is(':') ? this.#numberAfter('a size (1, 2 or 4)') : 1;
      this.#expect(']');
      return this.#gen(t, () => this.gen.load(t.keyword as Proto, index, size));
    }
    if (t.type === 'keyword' && t.keyword!.startsWith('unsupported:')) this.#outside(t);
    return this.#fail('a number, len or proto[offset]');
  }
}

/** The IP protocol a port qualifier names; null for any of TCP, UDP and SCTP. */
function portProto(q: Qual): number | null {
  if (q.proto === 'tcp') return 6;
  if (q.proto === 'udp') return 17;
  if (q.proto === 'sctp') return 132;
  if (q.proto === 'default') return null;
  throw new Refused(`illegal qualifier of '${q.addr}'`);
}

/** __pcap_atoin: a dotted IPv4 address of 1 to 4 parts, as [value, bits]; null when a part is over 255. */
export function atoin(text: string): [number, number] | null {
  let addr = 0;
  let bits = 0;
  for (const part of text.split('.')) {
    let n = 0;
    for (const c of part) {
      n = n * 10 + (c.charCodeAt(0) - 48);
      if (n > 255) return null;
    }
    addr = ((addr << 8) | n) >>> 0;
    bits += 8;
  }
  return [addr, bits];
}

/** An IPv6 address as four 32-bit words, or null when it is not one (getaddrinfo with AI_NUMERICHOST refuses it). */
export function parseIPv6(text: string): number[] | null {
  let head = text;
  const tail: number[] = [];
  const v4 = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const parts = v4.slice(2).map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : 256));
    if (parts.some((p) => p > 255)) return null;
    head = v4[1].endsWith('::') ? v4[1] : v4[1].slice(0, -1);
    tail.push((parts[0] << 8) | parts[1], (parts[2] << 8) | parts[3]);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return null;
  const given = left.length + right.length + tail.length;
  let all: number[];
  if (halves.length === 2) {
    if (given > 7) return null;
    all = [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tail];
  } else {
    if (given !== 8) return null;
    all = [...left, ...tail];
  }
  return [0, 1, 2, 3].map((i) => ((all[2 * i] << 16) | all[2 * i + 1]) >>> 0);
}

export { FilterRefusal };
