// compileFilter: a pcap-filter expression to a classic BPF program, in
// TypeScript (no libpcap): tokens (lexer.ts), grammar (parser.ts),
// primitives as predicates (primitives.ts), layout (emit.ts).
import { invalidArgType, invalidArgValue, outOfRange } from '../errors.js';
import { validateObject, validateString } from '../validate.js';
import { MAX_INSTRUCTIONS, type BpfInstruction } from './bpf.js';
import { constant, emit, type Pred } from './emit.js';
import { FilterRefusal, tokenize } from './lexer.js';
import { Parser } from './parser.js';
import { Generator, type LinkType, type Target } from './primitives.js';

export type { LinkType };

/** What compileFilter compiles for. */
export interface CompileOptions {
  /** The link-layer header packets start with: 'ethernet' (the default), 'raw' (IP) or 'linux-sll' (Linux cooked v1). */
  linkType?: LinkType;
  /** What an accepted packet returns: how many bytes of it to keep (default 262144, tcpdump's). */
  snaplen?: number;
  /**
   * Compile for a live capture: the program is attached to a berkeley
   * capture socket in the Linux kernel rather than run on packets from a
   * file. With 'ethernet', `vlan` then also matches a tag the kernel holds
   * as metadata (as tcpdump compiles for a live interface); with
   * 'linux-sll', the program reads the network header where a capture of
   * all interfaces (a SOCK_DGRAM packet socket) has it. Default false.
   */
  live?: boolean;
}

/** tcpdump's default and largest snapshot length. */
export const MAX_SNAPLEN = 262144;
const LINK_TYPES: readonly LinkType[] = ['ethernet', 'raw', 'linux-sll'];

/** The options, checked: link type, snapshot length and live flag. */
export function compileOptions(opts: unknown): { linkType: LinkType; snaplen: number; live: boolean } {
  if (opts === undefined) return { linkType: 'ethernet', snaplen: MAX_SNAPLEN, live: false };
  const o = validateObject<Record<string, unknown>>(opts, 'options');
  const linkType = o.linkType === undefined ? 'ethernet' : o.linkType;
  if (!LINK_TYPES.includes(linkType as LinkType)) throw invalidArgValue('options.linkType', linkType, "must be 'ethernet', 'raw' or 'linux-sll'");
  return { linkType: linkType as LinkType, snaplen: validateSnaplen(o.snaplen, 'options.snaplen'), live: liveFlag(o.live) };
}

function liveFlag(v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidArgType('options.live', 'of type boolean', v);
  return v;
}

/** A snapshot length: an integer from 1 to 262144 (undefined: 262144). */
export function validateSnaplen(v: unknown, name: string): number {
  if (v === undefined) return MAX_SNAPLEN;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < 1 || v > MAX_SNAPLEN) throw outOfRange(name, `an integer >= 1 && <= ${MAX_SNAPLEN}`, v);
  return v;
}

/** The tests of a predicate, counted without recursion (a long and/or chain is a deep tree). */
function countTests(pred: Pred): number {
  let n = 0;
  const todo: Pred[] = [pred];
  while (todo.length) {
    const p = todo.pop()!;
    if (p.t === 'test') n++;
    else if (p.t === 'and' || p.t === 'or') todo.push(p.a, p.b);
    else if (p.t === 'not') todo.push(p.p);
  }
  return n;
}

/** The longest expression compiled: far past any real filter, short of a slow compile. */
export const MAX_EXPRESSION = 65536;

/** The program for `expression` on `target`; the expression is already a string. */
export function compileFor(expression: string, target: Target, snaplen: number): BpfInstruction[] {
  if (expression.length > MAX_EXPRESSION) throw invalidArgValue('expression', expression, `is longer than ${MAX_EXPRESSION} characters`);
  try {
    const gen = new Generator(target);
    const pred = new Parser(tokenize(expression), gen).parse() ?? constant(true);
    // Each test lays out as two instructions at least: a program that cannot fit is refused before layout.
    const tests = countTests(pred);
    if (tests * 2 > MAX_INSTRUCTIONS) {
      throw invalidArgValue('expression', expression, `has ${tests} tests, more than a program of the kernel's ${MAX_INSTRUCTIONS} instructions holds`);
    }
    const program = emit(pred, snaplen, gen.prologue());
    if (program.length > MAX_INSTRUCTIONS) {
      throw invalidArgValue('expression', expression, `compiles to ${program.length} instructions, more than the kernel's ${MAX_INSTRUCTIONS}`);
    }
    return program;
  } catch (err) {
    if (!(err instanceof FilterRefusal)) throw err;
    const where = err.token === '' ? 'at the end' : `at '${err.token}' (offset ${err.offset})`;
    const refusal = invalidArgValue('expression', expression, `is refused ${where}: ${err.message}`);
    throw Object.assign(refusal, { token: err.token, offset: err.offset });
  }
}

/**
 * Compiles a pcap-filter expression (tcpdump's language) to a classic BPF
 * program, in TypeScript: no libpcap. The subset: `host`, `net` (CIDR or
 * `mask`), `port`, `portrange`, with `src`/`dst` (and `src or dst`,
 * `src and dst`); `ip`, `ip6`, `arp`, `rarp`, `tcp`, `udp`, `sctp`, `icmp`,
 * `icmp6`, `vlan [ID]`; `and`/`or`/`not`/`&&`/`||`/`!` and parentheses;
 * byte tests such as `tcp[tcpflags] & tcp-syn != 0` over `ether`, `ip`,
 * `ip6`, `arp`, `tcp`, `udp`, `icmp`, `icmp6` with `len`, `+ - * / % & | ^
 * << >>` and the named constants; `less N`, `greater N`. On the same
 * packets the program accepts exactly what tcpdump's own does (the test
 * suite checks this against tcpdump); an accepted packet returns
 * `snaplen`, others 0. An empty expression accepts everything.
 *
 * @param expression - The filter, e.g. 'tcp port 80 and host 10.0.0.1'.
 * @param opts - `linkType` ('ethernet', 'raw', 'linux-sll'), `snaplen`, `live`.
 * @returns The instructions, for `Socket.attachFilter`, capture() or
 * any classic BPF consumer.
 * @throws TypeError (`ERR_INVALID_ARG_VALUE`) for an expression outside the
 * subset or not valid pcap-filter syntax: the message names the token, and
 * the error carries it as `token` (with `offset` into the expression).
 * Host, port and network names are refused (use addresses and numbers).
 * @throws TypeError / RangeError for bad options.
 * @example
 * const program = compileFilter('tcp dst port 443 and not net 10.0.0.0/8');
 * const syns = compileFilter('tcp[tcpflags] & tcp-syn != 0', { snaplen: 96 });
 */
export function compileFilter(expression: string, opts?: { linkType?: LinkType; snaplen?: number; live?: boolean }): BpfInstruction[] {
  validateString(expression, 'expression');
  const o = compileOptions(opts);
  const target: Target = !o.live ? o.linkType : o.linkType === 'ethernet' ? 'ethernet-live' : o.linkType === 'linux-sll' ? 'cooked-live' : 'raw';
  return compileFor(expression, target, o.snaplen);
}
