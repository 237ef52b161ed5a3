// The middle of the filter compiler: each primitive of the language (host,
// net, port, portrange, a protocol name, vlan, a comparison of packet
// bytes) as a predicate over packet bytes, built the way libpcap's
// gencode.c builds it, test for test and in the same order. The order
// matters beyond style: a load past the end of a short packet ends the
// program (reject), so which test runs first decides the verdict under
// `not`. `vlan` shifts every later offset by 4, in the order the
// expression is read (libpcap's documented semantics).
import { ADD, ALU, AND, B, DIV, H, IMM, IND, JEQ, JGE, JGT, JSET, K, LD, LDX, LEN, LSH, MEM, MISC, MOD, MSH, MUL, NEG, OR, RSH, SKF_AD_OFF, SKF_AD_PROTOCOL, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SUB, TAX, W, X, XOR, ABS } from './bpf.js';
import { addK, and, constant, firstTest, loadByte, loadMem, not, or, stmt, storeMem, test, type Pred, type Stmt } from './emit.js';

/** Link-layer headers the compiler knows: what the first byte of a packet is. */
export type LinkType = 'ethernet' | 'raw' | 'linux-sll';

/**
 * Where the program runs, which decides how it reaches each header:
 * - a LinkType: on packets as a file holds them (and as tcpdump -d compiles);
 * - 'ethernet-live': in the kernel on an Ethernet packet socket, where the
 *   outermost VLAN tag may be metadata (libpcap's program for a live capture);
 * - 'cooked-live': in the kernel on a SOCK_DGRAM packet socket (a capture of
 *   all interfaces, seen by users as linux-sll): the data starts at the
 *   network header, the ethertype is SKF_AD_PROTOCOL, and `len` counts the
 *   16 bytes of the cooked header users see;
 * - 'network': in the kernel on an IP socket (UDP, TCP, raw), where the data
 *   starts at the transport header and the network header is reached
 *   through SKF_NET_OFF.
 */
export type Target = LinkType | 'ethernet-live' | 'cooked-live' | 'network';

/** SKF_NET_OFF (-0x100000): loads relative to the network header. */
const SKF_NET_OFF = 0xfff00000;

/** A mistake in the expression found while generating code (the parser names the token). */
export class Refused extends Error {}

const ETHERTYPE_IP = 0x0800, ETHERTYPE_ARP = 0x0806, ETHERTYPE_REVARP = 0x8035, ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_8021Q = 0x8100, ETHERTYPE_8021AD = 0x88a8, ETHERTYPE_8021QINQ = 0x9100;
const IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_FRAGMENT = 44, IPPROTO_ICMPV6 = 58, IPPROTO_SCTP = 132;

/** Protocol names a primitive may be qualified with (`pqual`), and 'link' for ether/link. */
export type Proto = 'default' | 'link' | 'ip' | 'ip6' | 'arp' | 'rarp' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmp6';
export type Dir = 'default' | 'src' | 'dst' | 'or' | 'and';
export type Addr = 'default' | 'host' | 'net' | 'port' | 'portrange';
/** The qualifiers in force for an address: `tcp src port` is { proto: 'tcp', dir: 'src', addr: 'port' }. */
export interface Qual { proto: Proto; dir: Dir; addr: Addr }

/**
 * An arithmetic value: an expression tree, laid out as statements only
 * when its comparison is complete (so that each operand kept for later
 * gets a scratch word no inner operand uses), and the protocol checks it
 * needs.
 */
export interface Arth {
  node: ArthNode;
  checks: Pred | null;
  /** The constant its first statement loads, if that statement is `ld #k` (libpcap's zero-divisor check looks there). */
  firstImm: number | null;
}

type ArthNode =
  | { t: 'const'; v: number }
  | { t: 'len'; adjust: number }
  | { t: 'load'; kind: 'link' | 'net' | 'transport'; base: Offset; extra: number; size: number; index: ArthNode }
  | { t: 'op'; code: number; a: ArthNode; b: ArthNode }
  | { t: 'neg'; a: ArthNode };

/** Scratch words for operands kept while another is computed; 14 and 15 hold the run-time offsets. */
const TEMPORARIES = 14;
const LINKPL_REG = 14;
const LINKTYPE_REG = 15;

/** An offset from the start of the packet: a constant, plus a scratch word added at run time (after a kernel-side `vlan`). */
interface Offset { constant: number; reg: number | null }

const ALU_OPS: Record<string, number> = { '+': ADD, '-': SUB, '*': MUL, '/': DIV, '%': MOD, '&': AND, '|': OR, '^': XOR, '<<': LSH, '>>': RSH };
const SIZES: Record<number, number> = { 1: B, 2: H, 4: W };

export class Generator {
  /** Where the link-layer type field is (null: none, as in raw IP) and where the link-layer payload starts. */
  readonly linktype: Offset | null;
  readonly linkpl: Offset;
  /** `vlan` keywords read so far. */
  #vlans = 0;
  /** Set once a kernel-side `vlan` made the offsets variable: the program must zero their words first. */
  #variable = false;

  readonly link: LinkType;
  /** Whether the outermost VLAN tag may be kernel metadata (SKF_AD_VLAN_TAG). */
  readonly #vlanMetadata: boolean;
  /** Whether the ethertype is the kernel's SKF_AD_PROTOCOL rather than packet bytes. */
  readonly #protocolAncillary: boolean;
  /** Added to the kernel's packet length so `len` means what users see. */
  readonly #lengthAdjust: number;

  constructor(readonly target: Target) {
    this.link = target === 'ethernet-live' ? 'ethernet' : target === 'cooked-live' ? 'linux-sll' : target === 'network' ? 'raw' : target;
    this.#vlanMetadata = target === 'ethernet-live';
    this.#protocolAncillary = target === 'cooked-live' || target === 'network';
    this.#lengthAdjust = target === 'cooked-live' ? 16 : 0;
    if (target === 'ethernet' || target === 'ethernet-live') { this.linktype = { constant: 12, reg: null }; this.linkpl = { constant: 14, reg: null }; }
    else if (target === 'linux-sll') { this.linktype = { constant: 14, reg: null }; this.linkpl = { constant: 16, reg: null }; }
    else { this.linktype = null; this.linkpl = { constant: target === 'network' ? SKF_NET_OFF : 0, reg: null }; }
  }

  /** The state a parse may have to go back to (offsets, vlan count, registers). */
  save(): unknown {
    return { linkpl: { ...this.linkpl }, linktype: this.linktype && { ...this.linktype }, vlans: this.#vlans, variable: this.#variable };
  }
  restore(saved: unknown): void {
    const s = saved as { linkpl: Offset; linktype: Offset | null; vlans: number; variable: boolean };
    Object.assign(this.linkpl, s.linkpl);
    if (this.linktype && s.linktype) Object.assign(this.linktype, s.linktype);
    this.#vlans = s.vlans;
    this.#variable = s.variable;
  }

  /** Statements the program must run first: zeroing the variable offsets' words. */
  prologue(): Stmt[] {
    if (!this.#variable) return [];
    return [stmt(LD | IMM, 0), storeMem(this.linkpl.reg!), storeMem(this.linktype!.reg!)];
  }

  // ---- loads and comparisons (gen_load_a, gen_ncmp) ----------------------------------

  /** Loads `size` bytes at `off` from an offset that may have a run-time part. */
  #loadAt(base: Offset, off: number, size: number): Stmt[] {
    if (base.reg === null) return [stmt(LD | size | ABS, base.constant + off)];
    return [stmt(LDX | MEM, base.reg), stmt(LD | size | IND, base.constant + off)];
  }

  #cmp(load: Stmt[], op: number, v: number, mask = 0xffffffff, reverse = false): Pred {
    // (x & 0) == v is decided without the load: libpcap's optimizer drops the load, and with it
    // the rejection of a packet too short for it (`net ::/0` matches a cut IPv6 header).
    if (mask === 0 && op === JEQ) return constant((v === 0) !== reverse);
    const stmts = mask !== 0xffffffff ? [...load, stmt(ALU | AND | K, mask)] : load;
    const t = test(stmts, op, v);
    return reverse ? not(t) : t;
  }

  /** A field of the link-layer payload (the network header). */
  #payload(off: number, size: number, v: number, mask?: number): Pred { return this.#cmp(this.#loadAt(this.linkpl, off, size), JEQ, v, mask); }
  /** A field of the transport header after an IPv4 header of any length. */
  #transport4(off: number, op: number, v: number, reverse = false): Pred {
    return this.#cmp([...loadxIpHeaderLength(this.linkpl), stmt(LD | H | IND, this.linkpl.constant + off)], op, v, undefined, reverse);
  }
  /** A field of the transport header right after a 40-byte IPv6 header. */
  #transport6(off: number, op: number, v: number, reverse = false): Pred { return this.#cmp(this.#loadAt(this.linkpl, 40 + off, H), op, v, undefined, reverse); }

  // ---- link-layer types (gen_linktype) -----------------------------------------------------

  /** The packet carries `ethertype`: the type field, or for raw IP the version nibble. */
  linkProto(ethertype: number): Pred {
    if (this.#protocolAncillary) return test([stmt(LD | H | ABS, SKF_AD_OFF + SKF_AD_PROTOCOL)], JEQ, ethertype);
    if (this.linktype) return this.#cmp(this.#loadAt(this.linktype, 0, H), JEQ, ethertype);
    if (ethertype === ETHERTYPE_IP) return this.#cmp([stmt(LD | B | ABS, 0)], JEQ, 0x40, 0xf0);
    if (ethertype === ETHERTYPE_IPV6) return this.#cmp([stmt(LD | B | ABS, 0)], JEQ, 0x60, 0xf0);
    return constant(false);
  }

  /** IPv4 and not a fragment after the first (gen_ipfrag). */
  #notLaterFragment(): Pred { return not(this.#cmp(this.#loadAt(this.linkpl, 6, H), JSET, 0x1fff)); }

  /** `ip proto v` / `ip6 proto v` (gen_proto), the IPv6 form also behind one fragment header. */
  #ipProto(v: number): Pred { return and(this.linkProto(ETHERTYPE_IP), this.#payload(9, B, v)); }
  #ip6Proto(v: number): Pred {
    const behindFragment = and(this.#payload(6, B, IPPROTO_FRAGMENT), this.#payload(40, B, v));
    return and(this.linkProto(ETHERTYPE_IPV6), or(this.#payload(6, B, v), behindFragment));
  }

  /** A protocol name on its own: `tcp`, `ip6`, `arp` (gen_proto_abbrev). */
  protoAbbrev(proto: Proto): Pred {
    switch (proto) {
      case 'ip': return this.linkProto(ETHERTYPE_IP);
      case 'ip6': return this.linkProto(ETHERTYPE_IPV6);
      case 'arp': return this.linkProto(ETHERTYPE_ARP);
      case 'rarp': return this.linkProto(ETHERTYPE_REVARP);
      case 'icmp': return this.#ipProto(IPPROTO_ICMP);
      case 'icmp6': return this.#ip6Proto(IPPROTO_ICMPV6);
      case 'tcp': return or(this.#ipProto(IPPROTO_TCP), this.#ip6Proto(IPPROTO_TCP));
      case 'udp': return or(this.#ipProto(IPPROTO_UDP), this.#ip6Proto(IPPROTO_UDP));
      case 'sctp': return or(this.#ipProto(IPPROTO_SCTP), this.#ip6Proto(IPPROTO_SCTP));
      case 'link': throw new Refused('link layer applied in wrong context');
      default: throw new Refused('a protocol name is needed here');
    }
  }

  // ---- hosts and networks (gen_host, gen_hostop, gen_host6) -----------------------------------

  #hostop(addr: number, mask: number, dir: Dir, ethertype: number, src: number, dst: number): Pred {
    if (dir === 'and') return and(this.#hostop(addr, mask, 'src', ethertype, src, dst), this.#hostop(addr, mask, 'dst', ethertype, src, dst));
    if (dir === 'or' || dir === 'default') return or(this.#hostop(addr, mask, 'src', ethertype, src, dst), this.#hostop(addr, mask, 'dst', ethertype, src, dst));
    return and(this.linkProto(ethertype), this.#payload(dir === 'src' ? src : dst, W, addr, mask));
  }

  /** An IPv4 host or network: `host`, `net`, with `ip`/`arp`/`rarp` or none (then all three). */
  host(addr: number, mask: number, q: Qual, what: 'host' | 'net'): Pred {
    switch (q.proto) {
      case 'default':
        return or(or(this.host(addr, mask, { ...q, proto: 'ip' }, what), this.host(addr, mask, { ...q, proto: 'arp' }, what)),
          this.host(addr, mask, { ...q, proto: 'rarp' }, what));
      case 'ip': return this.#hostop(addr, mask, q.dir, ETHERTYPE_IP, 12, 16);
      case 'arp': return this.#hostop(addr, mask, q.dir, ETHERTYPE_ARP, 14, 24);
      case 'rarp': return this.#hostop(addr, mask, q.dir, ETHERTYPE_REVARP, 14, 24);
      case 'link': throw new Refused(`link-layer modifier applied to ${what}`);
      case 'ip6': throw new Refused('\'ip6\' modifier applied to ip host');
      default: throw new Refused(`'${q.proto}' modifier applied to ${what}`);
    }
  }

  #hostop6(addr: number[], mask: number[], dir: Dir): Pred {
    if (dir === 'and') return and(this.#hostop6(addr, mask, 'src'), this.#hostop6(addr, mask, 'dst'));
    if (dir === 'or' || dir === 'default') return or(this.#hostop6(addr, mask, 'src'), this.#hostop6(addr, mask, 'dst'));
    const at = dir === 'src' ? 8 : 24;
    const words = and(this.#payload(at, W, addr[0], mask[0]), and(this.#payload(at + 4, W, addr[1], mask[1]),
      and(this.#payload(at + 8, W, addr[2], mask[2]), this.#payload(at + 12, W, addr[3], mask[3]))));
    return and(this.linkProto(ETHERTYPE_IPV6), words);
  }

  /** An IPv6 host or network, as four 32-bit words of address and mask. */
  host6(addr: number[], mask: number[], q: Qual, what: 'host' | 'net'): Pred {
    if (q.proto === 'default' || q.proto === 'ip6') return this.#hostop6(addr, mask, q.dir);
    if (q.proto === 'link') throw new Refused(`link-layer modifier applied to ip6 ${what}`);
    throw new Refused(`'${q.proto}' modifier applied to ip6 ${what}`);
  }

  // ---- ports (gen_port, gen_port6, gen_portrange, gen_portrange6) -------------------------------

  #ports(dir: Dir, atom: (off: number) => Pred): Pred {
    if (dir === 'src') return atom(0);
    if (dir === 'dst') return atom(2);
    if (dir === 'and') return and(atom(0), atom(2));
    return or(atom(0), atom(2));
  }

  #byProto(proto: number | null, one: (p: number) => Pred): Pred {
    return proto !== null ? one(proto) : or(or(one(IPPROTO_TCP), one(IPPROTO_UDP)), one(IPPROTO_SCTP));
  }

  /** `port` or `portrange` (lo..hi), IPv6 first then IPv4, as libpcap orders them. */
  portRange(lo: number, hi: number, proto: number | null, dir: Dir, single: boolean): Pred {
    if (lo > hi) [lo, hi] = [hi, lo];
    const atom4 = (off: number): Pred => single ? this.#transport4(off, JEQ, lo) : and(this.#transport4(off, JGE, lo), this.#transport4(off, JGT, hi, true));
    const atom6 = (off: number): Pred => single ? this.#transport6(off, JEQ, lo) : and(this.#transport6(off, JGE, lo), this.#transport6(off, JGT, hi, true));
    const v4 = and(this.linkProto(ETHERTYPE_IP), this.#byProto(proto, (p) => and(and(this.#payload(9, B, p), this.#notLaterFragment()), this.#ports(dir, atom4))));
    const v6 = and(this.linkProto(ETHERTYPE_IPV6), this.#byProto(proto, (p) => and(this.#payload(6, B, p), this.#ports(dir, atom6))));
    return or(v6, v4);
  }

  // ---- vlan (gen_vlan) -----------------------------------------------------------------------------

  /** `vlan` or `vlan ID`: a VLAN tag here, and every later offset 4 bytes further. */
  vlan(id: number | null): Pred {
    if (this.link !== 'ethernet') throw new Refused(`no VLAN support for ${this.link === 'raw' ? 'raw IP' : 'Linux cooked'} packets`);
    if (id !== null && id > 0x0fff) throw new Refused(`VLAN tag ${id} greater than maximum 4095`);
    const tpid = (): Pred => or(or(this.linkProto(ETHERTYPE_8021Q), this.linkProto(ETHERTYPE_8021AD)), this.linkProto(ETHERTYPE_8021QINQ));
    const vid = (): Pred => this.#payload(0, H, id!, 0x0fff);
    let p: Pred;
    if (this.#vlanMetadata && this.#vlans === 0) {
      // The outermost tag is metadata when the kernel stripped it, bytes when it did not.
      const present = (): Pred => test([loadByte(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT)], JEQ, 1);
      const inline = tpid();
      const inlineVid = id !== null ? vid() : null;
      this.#makeVariable();
      firstTest(inline)!.stmts.unshift(...this.#shift(this.linkpl), ...this.#shift(this.linktype!));
      p = or(present(), inline);
      if (inlineVid) {
        const metadataVid = test([loadByte(SKF_AD_OFF + SKF_AD_VLAN_TAG), stmt(ALU | AND | K, 0x0fff)], JEQ, id!);
        p = and(p, or(and(present(), metadataVid), and(not(present()), inlineVid)));
      }
    } else {
      p = tpid();
      if (id !== null) p = and(p, vid());
      this.linkpl.constant += 4;
      this.linktype!.constant += 4;
    }
    this.#vlans++;
    return p;
  }

  #makeVariable(): void {
    this.#variable = true;
    this.linkpl.reg = LINKPL_REG;
    this.linktype!.reg = LINKTYPE_REG;
  }

  /** M[reg] += 4: the tag was in the packet's bytes. */
  #shift(off: Offset): Stmt[] { return [loadMem(off.reg!), addK(4), storeMem(off.reg!)]; }

  // ---- packet length ------------------------------------------------------------------------------------

  /** `less N` (len <= N) and `greater N` (len >= N). */
  length(op: 'less' | 'greater', n: number): Pred {
    const len = this.#value(this.packetLength().node, 0);
    return op === 'less' ? not(test(len, JGT, n)) : test(len, JGE, n);
  }

  // ---- arithmetic (gen_loadi, gen_loadlen, gen_load, gen_arth, gen_neg, gen_relation) ---------------

  constant(v: number): Arth { return { node: { t: 'const', v: v >>> 0 }, checks: null, firstImm: v >>> 0 }; }
  packetLength(): Arth { return { node: { t: 'len', adjust: this.#lengthAdjust }, checks: null, firstImm: null }; }

  /** `proto[index : size]`: bytes at `index` from the start of the protocol's header. */
  load(proto: Proto, index: Arth, size: number): Arth {
    const code = SIZES[size];
    if (code === undefined) throw new Refused('data size must be 1, 2, or 4');
    const base = { ...this.linkpl };
    const load = (kind: 'link' | 'net' | 'transport', from: Offset, extra = 0): ArthNode => ({ t: 'load', kind, base: from, extra, size: code, index: index.node });
    let checks: Pred;
    switch (proto) {
      case 'link':
        if (this.#protocolAncillary) throw new Refused('link-layer bytes are not visible to a filter in the kernel here (capture one interface, or filter on network-layer fields)');
        return { node: load('link', { constant: 0, reg: null }), checks: index.checks, firstImm: index.firstImm };
      case 'ip': case 'ip6': case 'arp': case 'rarp':
        checks = this.protoAbbrev(proto);
        if (index.checks) checks = and(index.checks, checks);
        return { node: load('net', base), checks, firstImm: index.firstImm };
      case 'tcp': case 'udp': case 'sctp': case 'icmp':
        checks = and(this.protoAbbrev(proto), this.#notLaterFragment());
        if (index.checks) checks = and(index.checks, checks);
        return { node: load('transport', base), checks: and(this.protoAbbrev('ip'), checks), firstImm: index.firstImm };
      case 'icmp6':
        checks = this.protoAbbrev('ip6');
        if (index.checks) checks = and(index.checks, checks);
        return { node: load('net', base, 40), checks: and(checks, this.#payload(6, B, IPPROTO_ICMPV6)), firstImm: index.firstImm };
      default:
        throw new Refused('unsupported index operation');
    }
  }

  /** `a op b`; like libpcap, the result keeps only the left operand's protocol checks. */
  arith(op: string, a: Arth, b: Arth): Arth {
    const code = ALU_OPS[op];
    if (code === DIV && b.firstImm === 0) throw new Refused('division by zero');
    if (code === MOD && b.firstImm === 0) throw new Refused('modulus by zero');
    if ((code === LSH || code === RSH) && b.firstImm !== null && b.firstImm > 31) throw new Refused('shift by more than 31 bits');
    return { node: { t: 'op', code, a: a.node, b: b.node }, checks: a.checks, firstImm: a.firstImm };
  }

  neg(a: Arth): Arth { return { node: { t: 'neg', a: a.node }, checks: a.checks, firstImm: a.firstImm }; }

  /** `a relop b`: the protocol checks of both sides, then the comparison. */
  relation(op: string, a: Arth, b: Arth): Pred {
    const [jump, reverse] = op === '>' ? [JGT, false] : op === '>=' ? [JGE, false] : op === '=' ? [JEQ, false]
      : op === '<=' ? [JGT, true] : op === '<' ? [JGE, true] : [JEQ, true];
    let p: Pred = b.node.t === 'const'
      ? test(this.#value(a.node, 0), jump, b.node.v)
      : test([...this.#value(b.node, 0), storeMem(0), ...this.#value(a.node, 1), stmt(LDX | MEM, 0)], jump | X, 0);
    if (reverse) p = not(p);
    const checks = a.checks && b.checks ? and(a.checks, b.checks) : a.checks ?? b.checks;
    return checks ? and(checks, p) : p;
  }

  /** Statements leaving `n` in A; scratch words below `depth` hold operands still needed. */
  #value(n: ArthNode, depth: number): Stmt[] {
    if (depth >= TEMPORARIES) throw new Refused('too many registers needed to evaluate expression');
    switch (n.t) {
      case 'const': return [stmt(LD | IMM, n.v)];
      case 'len': return n.adjust ? [stmt(LD | W | LEN), addK(n.adjust)] : [stmt(LD | W | LEN)];
      case 'neg': return [...this.#value(n.a, depth), stmt(ALU | NEG)];
      case 'op':
        if (n.b.t === 'const') return [...this.#value(n.a, depth), stmt(ALU | n.code | K, n.b.v)];
        return [...this.#value(n.b, depth), storeMem(depth), ...this.#value(n.a, depth + 1), stmt(LDX | MEM, depth), stmt(ALU | n.code | X)];
      case 'load': {
        const index = this.#value(n.index, depth);
        if (n.kind === 'link') return [...index, stmt(MISC | TAX), stmt(LD | n.size | IND, 0)];
        if (n.kind === 'net') {
          const variable = n.base.reg !== null ? [stmt(LDX | MEM, n.base.reg), stmt(ALU | ADD | X)] : [];
          return [...index, ...variable, stmt(MISC | TAX), stmt(LD | n.size | IND, n.base.constant + n.extra)];
        }
        // After the IPv4 header, whatever its length (gen_loadx_iphdrlen), plus the index.
        return [...index, storeMem(depth), ...loadxIpHeaderLength(n.base), loadMem(depth), stmt(ALU | ADD | X), stmt(MISC | TAX), stmt(LD | n.size | IND, n.base.constant)];
      }
    }
  }
}

/** X = the IPv4 header's length (plus the payload's run-time offset): gen_loadx_iphdrlen. */
function loadxIpHeaderLength(pl: Offset): Stmt[] {
  if (pl.reg === null) return [stmt(LDX | B | MSH, pl.constant)];
  return [stmt(LDX | MEM, pl.reg), stmt(LD | B | IND, pl.constant), stmt(ALU | AND | K, 0xf), stmt(ALU | LSH | K, 2), stmt(ALU | ADD | X), stmt(MISC | TAX)];
}
