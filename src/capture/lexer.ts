// The filter language's tokens, cut as libpcap's scanner (scanner.l) cuts
// them: at each position the longest match of any rule wins, and between
// matches of the same length the rule listed first (keywords before numbers
// before addresses before plain words). Numbers are read as stou() reads
// them: decimal, 0x hex, or octal after a leading 0, each at most 32 bits.
/**
 * Why an expression is refused, and where: the token named and its offset.
 * compileFilter turns it into the argument error users see.
 */
export class FilterRefusal extends Error {
  constructor(reason: string, readonly token: string, readonly offset: number) { super(reason); }
}

export const filterError = (reason: string, token: string, offset: number): FilterRefusal => new FilterRefusal(reason, token, offset);

export type TokenType =
  | 'keyword' | 'num' | 'hid' | 'hid6' | 'id' | 'eid' | 'op' | 'end';

export interface Token {
  type: TokenType;
  /** The text as written. */
  text: string;
  /** Where it starts in the expression (UTF-16 index). */
  offset: number;
  /** For keywords, the canonical keyword ('and' for '&&'); for 'num', its value. */
  keyword?: string;
  value?: number;
}

/**
 * libpcap's keywords (scanner.l), each mapped to the canonical name the
 * parser knows. The ones outside this compiler's subset are still
 * keywords, so that a word like 'broadcast' is refused by name rather than
 * taken for a host name.
 */
const KEYWORDS: Record<string, string> = {
  dst: 'dst', src: 'src', host: 'host', net: 'net', mask: 'mask', port: 'port', portrange: 'portrange',
  and: 'and', '&&': 'and', or: 'or', '||': 'or', not: 'not',
  ip: 'ip', ip6: 'ip6', arp: 'arp', rarp: 'rarp', tcp: 'tcp', udp: 'udp', sctp: 'sctp', icmp: 'icmp', icmp6: 'icmp6',
  link: 'link', ether: 'link', ppp: 'link', slip: 'link', fddi: 'link', tr: 'link', wlan: 'link',
  vlan: 'vlan', len: 'len', length: 'len', less: 'less', greater: 'greater',
};

/** Keywords of libpcap that this compiler does not take (refused by name). */
const UNSUPPORTED = [
  'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'radio', 'ah', 'esp', 'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl',
  'iso', 'esis', 'es-is', 'isis', 'is-is', 'l1', 'l2', 'iih', 'lsp', 'snp', 'csnp', 'psnp', 'clnp', 'stp', 'ipx', 'netbeui',
  'proto', 'protochain', 'gateway', 'type', 'subtype', 'direction', 'dir', 'address1', 'addr1', 'address2', 'addr2',
  'address3', 'addr3', 'address4', 'addr4', 'ra', 'ta', 'byte', 'broadcast', 'multicast', 'inbound', 'outbound',
  'ifindex', 'mpls', 'pppoed', 'pppoes', 'geneve', 'lane', 'llc', 'metac', 'bcc', 'oam', 'oamf4', 'oamf4ec', 'oamf4sc',
  'sc', 'ilmic', 'vpi', 'vci', 'connectmsg', 'metaconnect', 'on', 'ifname', 'rset', 'ruleset', 'rnr', 'rulenum', 'srnr',
  'subrulenum', 'reason', 'action', 'fisu', 'lssu', 'lsu', 'msu', 'hfisu', 'hlssu', 'hmsu', 'sio', 'opc', 'dpc', 'sls',
  'hsio', 'hopc', 'hdpc', 'hsls',
];
for (const word of UNSUPPORTED) KEYWORDS[word] = `unsupported:${word}`;

/** Named numbers (scanner.l lists them after the address rules, before plain words). */
const NAMED_NUMBERS: Record<string, number> = {
  icmptype: 0, icmpcode: 1, 'icmp-echoreply': 0, 'icmp-unreach': 3, 'icmp-sourcequench': 4, 'icmp-redirect': 5, 'icmp-echo': 8,
  'icmp-routeradvert': 9, 'icmp-routersolicit': 10, 'icmp-timxceed': 11, 'icmp-paramprob': 12, 'icmp-tstamp': 13,
  'icmp-tstampreply': 14, 'icmp-ireq': 15, 'icmp-ireqreply': 16, 'icmp-maskreq': 17, 'icmp-maskreply': 18,
  icmp6type: 0, icmp6code: 1, 'icmp6-destinationunreach': 1, 'icmp6-packettoobig': 2, 'icmp6-timeexceeded': 3,
  'icmp6-parameterproblem': 4, 'icmp6-echo': 128, 'icmp6-echoreply': 129, 'icmp6-multicastlistenerquery': 130,
  'icmp6-multicastlistenerreportv1': 131, 'icmp6-multicastlistenerdone': 132, 'icmp6-routersolicit': 133,
  'icmp6-routeradvert': 134, 'icmp6-neighborsolicit': 135, 'icmp6-neighboradvert': 136, 'icmp6-redirect': 137,
  'icmp6-routerrenum': 138, 'icmp6-nodeinformationquery': 139, 'icmp6-nodeinformationresponse': 140,
  'icmp6-ineighbordiscoverysolicit': 141, 'icmp6-ineighbordiscoveryadvert': 142, 'icmp6-multicastlistenerreportv2': 143,
  'icmp6-homeagentdiscoveryrequest': 144, 'icmp6-homeagentdiscoveryreply': 145, 'icmp6-mobileprefixsolicit': 146,
  'icmp6-mobileprefixadvert': 147, 'icmp6-certpathsolicit': 148, 'icmp6-certpathadvert': 149,
  'icmp6-multicastrouteradvert': 151, 'icmp6-multicastroutersolicit': 152, 'icmp6-multicastrouterterm': 153,
  tcpflags: 13, 'tcp-fin': 0x01, 'tcp-syn': 0x02, 'tcp-rst': 0x04, 'tcp-push': 0x08, 'tcp-ack': 0x10, 'tcp-urg': 0x20,
  'tcp-ece': 0x40, 'tcp-cwr': 0x80,
};

const OPERATORS = ['>=', '<=', '!=', '==', '<<', '>>', '&&', '||', '+', '-', '*', '/', '%', ':', '[', ']', '!', '<', '>', '(', ')', '&', '|', '^', '='];

// The scanner's building blocks: N (a number), B (a MAC byte), W (an IPv6 group).
const N = '(?:0[xX][0-9A-Fa-f]+|[0-9]+)';
const B = '[0-9A-Fa-f]{1,2}';
const B2 = '[0-9A-Fa-f]{4}';
const WORD = /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y;
const NUMBER = [new RegExp(`0[xX][0-9A-Fa-f]+`, 'y'), /[0-9]+/y];
const HID = [new RegExp(`${N}\\.${N}\\.${N}\\.${N}`, 'y'), new RegExp(`${N}\\.${N}\\.${N}`, 'y'), new RegExp(`${N}\\.${N}`, 'y')];
const MAC = [`${B}:${B}:${B}:${B}:${B}:${B}`, `${B}-${B}-${B}-${B}-${B}-${B}`, `${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}`,
  `${B2}\\.${B2}\\.${B2}`, `${B2}${B2}${B2}`].map((p) => new RegExp(p, 'y'));
const BOGUS_MAC = new RegExp(`${B}:+(?:${B}:+)+`, 'y');

/** scanner.l's V6 rules: 8 groups, or fewer around one '::', optionally ending in a dotted IPv4 address. */
const V6: RegExp[] = (() => {
  const w = '[0-9A-Fa-f]{1,4}';
  const groups = (k: number) => Array.from({ length: k }, () => w).join(':');
  const shapes: string[] = [groups(8), `${groups(6)}:${N}\\.${N}\\.${N}\\.${N}`];
  for (let total = 0; total <= 7; total++) {
    for (let before = 0; before <= total; before++) shapes.push(`${groups(before)}::${groups(total - before)}`);
  }
  for (let total = 0; total <= 5; total++) {
    for (let before = 0; before <= total; before++) {
      const after = total - before;
      shapes.push(`${groups(before)}::${after ? `${groups(after)}:` : ''}${N}\\.${N}\\.${N}\\.${N}`);
    }
  }
  return shapes.map((s) => new RegExp(s, 'y'));
})();

const HEX = /^[0-9A-Fa-f]$/;
/** Keyword-like text: what the longest keyword at a position can be made of. */
const KEY_RUN = /[a-z0-9&|-]*/y;

/** The length of the longest key of `table` that the text has at `at` (0: none). */
function longestKey(table: Record<string, unknown>, text: string, at: number): number {
  KEY_RUN.lastIndex = at;
  const run = KEY_RUN.exec(text)![0];
  for (let n = Math.min(run.length, 40); n > 0; n--) if (Object.hasOwn(table, run.slice(0, n))) return n;
  return 0;
}

function longest(patterns: RegExp[], text: string, at: number): number {
  let best = 0;
  for (const re of patterns) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m && m[0].length > best) best = m[0].length;
  }
  return best;
}

/** stou(): decimal, 0x hex or 0-prefixed octal, at most 32 bits. */
function number(text: string, offset: number): number {
  let radix = 10;
  let digits = text;
  if (/^0[xX]/.test(text)) { radix = 16; digits = text.slice(2); } else if (text.length > 1 && text[0] === '0') { radix = 8; digits = text.slice(1); }
  if (radix === 8 && /[89]/.test(digits)) throw filterError(`number ${text} contains non-octal digit`, text, offset);
  const value = digits === '' ? 0 : parseInt(digits, radix);
  if (BigInt(`${radix === 16 ? '0x' : radix === 8 ? '0o' : ''}${digits || '0'}`) > 0xffffffffn) throw filterError(`number ${text} overflows 32 bits`, text, offset);
  return value;
}

/** The expression's tokens, ending with one of type 'end'. */
export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < expression.length) {
    const c = expression[at];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { at++; continue; }
    // Each rule's match length at this position; the first of the longest wins. A rule that cannot
    // start with this character is not tried (the address patterns are many).
    WORD.lastIndex = at;
    const word = WORD.exec(expression)?.[0] ?? '';
    const keyword = longestKey(KEYWORDS, expression, at);
    const op = OPERATORS.find((o) => expression.startsWith(o, at))?.length ?? 0;
    const hex = HEX.test(c);
    const digit = c >= '0' && c <= '9';
    const rules: [TokenType | 'named' | 'bogus' | 'backslash', number][] = [
      ['keyword', keyword], ['op', op], ['eid', hex ? longest(MAC, expression, at) : 0], ['num', digit ? longest(NUMBER, expression, at) : 0],
      ['hid', digit ? longest(HID, expression, at) : 0], ['hid6', hex || c === ':' ? longest(V6, expression, at) : 0],
      ['bogus', hex ? (BOGUS_MAC.lastIndex = at, BOGUS_MAC.exec(expression)?.[0].length ?? 0) : 0], ['named', longestKey(NAMED_NUMBERS, expression, at)],
      ['id', word.length], ['backslash', c === '\\' ? (/\\[^ !()\n\t]+/y.exec(expression.slice(at, at + 1024))?.[0].length ?? 0) : 0],
    ];
    let [type, len] = rules[0];
    for (const [t, l] of rules) if (l > len) [type, len] = [t, l];
    if (len === 0) throw filterError(`unexpected character '${c}'`, c, at);
    const text = expression.slice(at, at + len);
    if (type === 'keyword' || type === 'op') {
      const keyword = type === 'keyword' ? KEYWORDS[text] : text === '&&' ? 'and' : text === '||' ? 'or' : text === '!' ? 'not' : text === '==' ? '=' : text;
      tokens.push({ type: keyword === 'and' || keyword === 'or' || keyword === 'not' ? 'keyword' : type, text, offset: at, keyword });
    } else if (type === 'named') tokens.push({ type: 'num', text, offset: at, value: NAMED_NUMBERS[text] });
    else if (type === 'num') tokens.push({ type, text, offset: at, value: number(text, at) });
    else if (type === 'bogus') throw filterError(`bogus ethernet address ${text}`, text, at);
    else if (type === 'backslash') tokens.push({ type: 'id', text: text.slice(1), offset: at });
    else tokens.push({ type, text, offset: at });
    at += len;
  }
  tokens.push({ type: 'end', text: '', offset: expression.length });
  return tokens;
}
