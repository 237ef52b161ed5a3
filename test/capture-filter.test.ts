// compileFilter against its oracle, tcpdump: for a corpus of expressions
// and a corpus of packets built here (fixtures/packets.ts), every verdict of
// berkeley's program equals the verdict of the program tcpdump compiles
// (`tcpdump -ddd -y LINKTYPE EXPR`), both run by a classic BPF interpreter
// written for the tests (fixtures/bpf-interpreter.ts), for Ethernet, raw IP
// and Linux cooked packets; as root also the live form (`tcpdump -i lo
// -ddd`, where the outermost VLAN tag may be kernel metadata). The
// interpreter itself is checked against `tcpdump -r` on a file of the corpus.
// Expressions tcpdump refuses are refused too, and expressions outside the
// subset are argument errors naming the token.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { compileFilter } from '../src/capture/index.ts';
import { PcapWriter } from '../src/capture/index.ts';
import { parseDecimal, run, type Insn, type PacketMeta } from './fixtures/bpf-interpreter.ts';
import { corpus, stripVlan, toRaw, toSll, type Packet } from './fixtures/packets.ts';
import { needTools } from './cli-harness.ts';
import { isRoot, tmpPath } from './helpers.ts';

const T = { timeout: 600_000 };
const missing = needTools({ tcpdump: 'tcpdump' });

/** The expressions compared: the whole subset, its spellings and its corners. */
export const EXPRESSIONS = [
  '', 'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'vlan', 'ip or ip6', 'not ip', '!arp',
  // hosts and networks
  'host 10.0.0.1', 'host 127.0.0.1', 'src host 10.0.0.1', 'dst host 10.0.0.2', 'src or dst host 10.0.0.1', 'src and dst host 127.0.0.1',
  'dst or src host 10.1.2.3', 'dst and src 127.0.0.1', 'ip host 1.2.3.4', 'arp host 10.0.0.1', 'rarp host 1.2.3.4', 'ip src 192.0.2.7',
  'host 10.0.0.1 or 10.0.0.2', 'host 10.0.0.1 and not 10.0.0.2', 'host 10.0.0.1 and (10.0.0.2 or 10.1.2.3)', 'src 10.0.0.1',
  'net 10.0.0.0/8', 'src net 10.0.0.0/8', 'dst net 10.1.0.0/16', 'net 192.0.2.0/24', 'net 0.0.0.0/0', 'net 10.0.0.0 mask 255.0.0.0',
  'dst net 10.0.0.0 mask 255.255.0.0', 'net 10', 'net 192.0.2', 'net 10.1', 'host 10.1', 'host 10', 'ip net 127.0.0.0/8', 'arp net 10.0.0.0/24',
  'host 2001:db8::1', 'host ::1', 'src host fe80::1', 'dst host ff02::1', 'ip6 host 2001:db8::2', 'net 2001:db8::/32',
  'ip6 net 2001:db8::/48', 'src net fe80::/10', 'net ::/0', 'net ::1/128', 'host 2001:db8:1:2::9 or 2001:db8::1', 'dst net 2001:db8:ffff::/48',
  'host ::ffff:10.0.0.1', 'net 2001:db8::/64 and udp',
  // ports
  'port 80', 'port 0', 'port 65535', 'port 0x50', 'port 0120', 'tcp port 80', 'udp port 53', 'sctp port 80', 'src port 443', 'dst port 80',
  'tcp src port 443', 'udp dst port 5353', 'src or dst port 22', 'src and dst port 22', 'port 80 or 443', 'tcp port 80 or 443',
  'port 80 and not 443', 'port 80 or not 443', 'tcp and (port 80 or 443)', 'port 80 and (host 10.0.0.1) or 22', 'udp src port 53 or dst port 5353',
  'not port 80', 'port 3868', 'sctp port 3868', 'port 53 and udp', 'port (53)', 'port ((22))',
  'portrange 1024-2047', 'portrange 2047-1024', 'portrange 0-65535', 'tcp portrange 20-25', 'udp portrange 50-60', 'tcp dst portrange 1024-2047',
  'src portrange 40000-50000', 'portrange 80-80', 'portrange 5353', 'portrange 1-2x', 'udp portrange 80', 'net 10.0.0.0 mask 255.0.0.1',
  // combinations, precedence, spellings
  'tcp and udp', 'tcp or udp', 'tcp && port 80 || udp', 'tcp or udp and port 53', 'not tcp and not udp', 'not (tcp or udp)', 'not not tcp',
  '(tcp)', '((tcp) and (port 80))', 'ip and not tcp', 'ip6 and udp', 'icmp or icmp6', 'arp or rarp', 'ip and tcp and port 80 and host 10.0.0.1',
  '! tcp and ! udp and ! icmp', 'ip6 and (tcp or udp) and not port 22',
  // vlan: every later offset moves by 4
  'vlan 5', 'vlan 100', 'vlan 4095', 'vlan and tcp', 'vlan and ip6 and tcp port 443', 'vlan and arp', 'vlan and vlan', 'vlan 300 and vlan 5',
  'vlan or tcp', 'not vlan and tcp', 'vlan and udp port 53', 'vlan 5 and host 10.0.0.1', 'tcp or vlan', 'vlan (7)', 'vlan and ip[9] = 17',
  // byte tests
  'tcp[13] = 2', 'tcp[13] = 2 or tcp[13] = 18', 'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn|tcp-ack',
  'tcp[tcpflags] == tcp-fin', 'tcp[tcpflags] & tcp-rst != 0', 'tcp[tcpflags] & tcp-push != 0', 'tcp[tcpflags] & tcp-urg != 0',
  'tcp[tcpflags] & tcp-ece != 0', 'tcp[tcpflags] & tcp-cwr != 0', 'tcp[tcpflags] & tcp-ack = 0', 'tcp[tcpflags] = 0xff',
  'tcp[12] >> 4 > 5', 'tcp[tcp[12] >> 4] = 0', 'tcp[0:2] = 80', 'tcp[2:2] = 80 or tcp[0:2] = 80', 'tcp[0:4] != 0', 'udp[0:2] = 53',
  'udp[4:2] > 13', 'icmp[icmptype] = icmp-echo', 'icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply',
  'icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 3', 'icmp6 and ip6[40] = icmp6-echo', 'icmp6[icmp6type] = icmp6-neighborsolicit',
  'icmp6[0] = 128', 'ip[0] & 0xf != 5', 'ip[6:2] & 0x1fff != 0', 'ip[6] & 0x20 != 0', 'ip[9] = 6', 'ip[2:2] > 100', 'ip[8] < 64',
  'ip6[6] = 17', 'ip6[40] = 6', 'ip6[7] >= 64', 'arp[7] = 2', 'arp[6:2] = 1', 'ether[0] & 1 = 0', 'ether[12:2] = 0x800', 'ether[12:2] = 0x8100',
  'link[0] = 2', 'ether[6:4] = 0x02000000', 'sctp[0:2] = 80', 'tcp[13] & 3 != 0 and not src net 10.0.0.0/8',
  // arithmetic and length
  'len > 100', 'len >= 100', 'len < 60', 'len <= 60', 'len = 60', 'len != 60', 'length > 200', 'less 60', 'greater 100', 'less 54 or greater 300',
  'len % 3 + 1 = 2', 'len ^ 3 + 1 = 2', 'len - 1 - 1 = 58', 'len * 2 / 3 = 40', '- len % 7 = 0', 'len & 0xf | 3 = 7', 'len >> 1 << 1 = len',
  'len / 2 * 2 = len', '(len) = 60', '(len + 4) % 8 = 0', '2 * len > 200', 'len + -1 = 59', 'len - (len & 3) = len', '1 = 1', '1 = 2',
  'len % (tcp[13] + 1) = 0', 'tcp[0] + udp[0] > 0', '-(len) < 0', 'ip[2:2] - (ip[0] & 0xf) * 4 > 20',
  'len < 100 and (tcp or udp) and not arp', '(len > 60) and (ip[9] = 6)',
];

/** Expressions tcpdump refuses: refused here too. */
const REFUSED = [
  'tcp or 80', '80', 'host', 'port', 'port 65536', 'port 1.2.3.4', 'portrange 1.2.3.4', 'tcp[0:3] = 1', 'len / 0 = 1', 'len % 0 = 1',
  'len / (0 + 5) = 1', 'len / tcp[0] = 1', 'len << 40 = 1', 'len << ip[40] = 1', 'net 10.1.2.3/8', 'net 10.0.0.0/33', 'host ::1/64',
  'net 2001:db8::1/32', 'ip6 host 1.2.3.4', 'tcp host 10.0.0.1', 'ip host ::1', 'vlan 4096', 'vlan 5 or 6', 'port 080', 'port 0x',
  '(tcp', 'tcp)', 'tcp and', 'and tcp', 'not', 'host 1.2.3.4 mask 255.0.0.0', 'src', 'src and', 'src or port 80',
  'port 99999999999', 'tcp[13] &', '= 1', 'len >', 'icmp[0] = ', 'host 1.2.3.456', 'host 1.2.3.4.5', 'ip proto',
  'host 1:2:3:4:5:6:7:8:9', 'host ::1::2', 'icmp port 80', 'ip6 port 80', 'arp port 80', 'net 10.0.0.0/8 and port 1-2',
];

/** Valid for tcpdump, outside the subset here: refused with the token named. */
const OUTSIDE: [string, string][] = [
  ['ether host 00:11:22:33:44:55', '00:11:22:33:44:55'], ['host example.com', 'example.com'], ['port http', 'http'], ['igmp', 'igmp'],
  ['ip proto 17', 'proto'], ['broadcast', 'broadcast'], ['mpls', 'mpls'], ['tcp and inbound', 'inbound'], ['net localnet', 'localnet'],
  ['udp portrange http-https', 'http-https'], ['ether multicast', 'multicast'], ['pim', 'pim'], ['udp and ifindex 1', 'ifindex'],
];

const DLT = { ethernet: 'EN10MB', raw: 'RAW', 'linux-sll': 'LINUX_SLL' } as const;

interface Theirs { program: Insn[] | null; error: string }

/**
 * tcpdump's program for `expr` (null when tcpdump refuses it). An expression
 * tcpdump's optimizer finds always false ("expression rejects all packets")
 * is a program that rejects every packet.
 */
function tcpdump(expr: string, args: string[]): Promise<Theirs> {
  return new Promise((resolve) => {
    const child = spawn('tcpdump', [...args, '-ddd', '--', expr], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    child.on('close', (code) => {
      if (code === 0) resolve({ program: parseDecimal(out), error: '' });
      else if (/expression rejects all packets/.test(err)) resolve({ program: [{ code: 0x06, jt: 0, jf: 0, k: 0 }], error: '' });
      else resolve({ program: null, error: err.trim() });
    });
  });
}

/** tcpdump's programs for every expression, eight tcpdumps at a time (each mostly waits for exec). */
async function theirsAll(exprs: string[], args: string[]): Promise<Map<string, Theirs>> {
  const out = new Map<string, Theirs>();
  let next = 0;
  const worker = async () => {
    while (next < exprs.length) {
      const expr = exprs[next++];
      out.set(expr, await tcpdump(expr, args));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

function ours(expr: string, opts: Parameters<typeof compileFilter>[1]): Insn[] | Error {
  try {
    return compileFilter(expr, opts);
  } catch (err) {
    return err as Error;
  }
}

interface Tally { expressions: number; packets: number; verdicts: number; refused: number }

/** Compares every verdict; returns the failures (at most a few per expression) and the counts. */
async function compare(exprs: string[], packets: { p: Packet; meta?: PacketMeta }[], tcpdumpArgs: string[], opts: Parameters<typeof compileFilter>[1]): Promise<{ failures: string[]; tally: Tally }> {
  const failures: string[] = [];
  const tally: Tally = { expressions: 0, packets: packets.length, verdicts: 0, refused: 0 };
  const all = await theirsAll(exprs, tcpdumpArgs);
  for (const expr of exprs) {
    const t = all.get(expr)!;
    const mine = ours(expr, opts);
    if (!t.program) {
      if (!(mine instanceof Error)) failures.push(`'${expr}': tcpdump refuses it (${t.error}), berkeley compiled it`);
      else tally.refused++;
      continue;
    }
    if (mine instanceof Error) { failures.push(`'${expr}': tcpdump compiles it, berkeley refuses it: ${mine.message}`); continue; }
    tally.expressions++;
    let shown = 0;
    for (const { p, meta } of packets) {
      const want = run(t.program, p.data, p.wirelen, meta) !== 0;
      const got = run(mine, p.data, p.wirelen, meta) !== 0;
      tally.verdicts++;
      if (want !== got && shown++ < 3) failures.push(`'${expr}' on '${p.name}': tcpdump ${want ? 'accepts' : 'rejects'}, berkeley ${got ? 'accepts' : 'rejects'}`);
    }
  }
  return { failures, tally };
}

const report = (what: string, t: Tally) =>
  console.log(`# ${what}: ${t.expressions} expressions x ${t.packets} packets = ${t.verdicts} verdicts, all equal; ${t.refused} expressions refused by both`);

describe('compileFilter against tcpdump', { skip: missing }, () => {
  const packets = corpus();

  test('Ethernet: every verdict equals tcpdump -y EN10MB', T, async () => {
    const { failures, tally } = await compare(EXPRESSIONS, packets.map((p) => ({ p })), ['-y', DLT.ethernet], { linkType: 'ethernet' });
    assert.deepEqual(failures, []);
    assert.ok(tally.expressions >= 200 && tally.packets > 60, `${tally.expressions} expressions, ${tally.packets} packets`);
    report('ethernet', tally);
  });

  test('raw IP: every verdict equals tcpdump -y RAW', T, async () => {
    const raw = packets.map(toRaw).filter((p): p is Packet => p !== null).map((p) => ({ p }));
    const { failures, tally } = await compare(EXPRESSIONS, raw, ['-y', DLT.raw], { linkType: 'raw' });
    assert.deepEqual(failures, []);
    assert.ok(tally.expressions > 180 && tally.refused > 0, `${tally.expressions} compiled, ${tally.refused} refused`);
    report('raw', tally);
  });

  test('Linux cooked (SLL): every verdict equals tcpdump -y LINUX_SLL', T, async () => {
    const sll = packets.map((p) => toSll(p)).filter((p): p is Packet => p !== null).map((p) => ({ p }));
    const { failures, tally } = await compare(EXPRESSIONS, sll, ['-y', DLT['linux-sll']], { linkType: 'linux-sll' });
    assert.deepEqual(failures, []);
    assert.ok(tally.expressions > 180, `${tally.expressions} compiled`);
    report('linux-sll', tally);
  });

  test('live Ethernet (tcpdump -i lo -d): VLAN tags in the bytes or in kernel metadata', { ...T, skip: !isRoot && 'tcpdump -i needs root' }, async () => {
    const vlanExpressions = EXPRESSIONS.filter((e) => /vlan/.test(e)).concat(['tcp port 80', 'host 10.0.0.1', 'tcp[13] = 2', 'len > 100']);
    const seen = [...packets.map((p) => ({ p })), ...packets.map(stripVlan).filter((s) => s !== null).map((s) => ({ p: s!.packet, meta: { vlanTci: s!.vlanTci } }))];
    const { failures, tally } = await compare(vlanExpressions, seen, ['-i', 'lo'], { linkType: 'ethernet', live: true });
    assert.deepEqual(failures, []);
    assert.ok(tally.expressions >= vlanExpressions.length - 2, `${tally.expressions} compiled`);
    report('live ethernet', tally);
  });

  test('expressions tcpdump refuses are refused, naming a token of the expression', T, async () => {
    const failures: string[] = [];
    const all = await theirsAll(REFUSED, ['-y', DLT.ethernet]);
    for (const expr of REFUSED) {
      const t = all.get(expr)!;
      if (t.program) { failures.push(`'${expr}': tcpdump accepts it (fix the table)`); continue; }
      const mine = ours(expr, { linkType: 'ethernet' });
      if (!(mine instanceof Error)) { failures.push(`'${expr}': compiled`); continue; }
      const e = mine as TypeError & { code?: string; token?: string; offset?: number };
      if (e.name !== 'TypeError' || e.code !== 'ERR_INVALID_ARG_VALUE') failures.push(`'${expr}': ${e.name} ${e.code}`);
      if (typeof e.token !== 'string' || typeof e.offset !== 'number' || expr.slice(e.offset, e.offset + e.token.length) !== e.token) {
        failures.push(`'${expr}': token ${JSON.stringify(e.token)} at ${e.offset} is not in the expression`);
      }
      if (!e.message.includes(e.token === '' ? 'at the end' : `'${e.token}'`)) failures.push(`'${expr}': the message does not name the token: ${e.message}`);
    }
    assert.deepEqual(failures, []);
  });

  test('expressions outside the subset are argument errors naming the token', T, async () => {
    const all = await theirsAll(OUTSIDE.map(([e]) => e), ['-y', DLT.ethernet]);
    for (const [expr, token] of OUTSIDE) {
      const t = all.get(expr)!;
      assert.ok(t.program || /unknown|resolve/i.test(t.error), `tcpdump takes '${expr}' (or fails only to look a name up): ${t.error}`);
      assert.throws(() => compileFilter(expr), (err: TypeError & { code?: string; token?: string }) => {
        assert.equal(err.code, 'ERR_INVALID_ARG_VALUE', expr);
        assert.equal(err.token, token, expr);
        assert.match(err.message, new RegExp(`'${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`), expr);
        return true;
      });
    }
  });

  test('the interpreter agrees with tcpdump -r on a file of the corpus', T, async () => {
    const file = tmpPath('corpus.pcap');
    const w = new PcapWriter(file, { linkType: 'ethernet' });
    const base = 1_700_000_000n * 1_000_000_000n;
    packets.forEach((p, i) => w.write({ data: p.data, length: p.wirelen, timestamp: base + BigInt(i) * 1000n, ifindex: 1, protocol: 0, direction: 'host' }));
    w.close();
    const exprs = ['tcp', 'udp port 53', 'vlan and tcp', 'tcp[tcpflags] & tcp-syn != 0', 'host 10.0.0.1', 'len % 3 + 1 = 2', 'net 2001:db8::/32', 'not ip', 'portrange 1024-2047'];
    const all = await theirsAll(exprs, ['-y', DLT.ethernet]);
    for (const expr of exprs) {
      const r = spawnSync('tcpdump', ['-r', file, '--count', '--', expr], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const read = Number(/^(\d+) packets?/m.exec(r.stdout)?.[1]);
      const prog = all.get(expr)!.program!;
      assert.equal(read, packets.filter((p) => run(prog, p.data, p.wirelen) !== 0).length, expr);
      assert.equal(read, packets.filter((p) => run(compileFilter(expr), p.data, p.wirelen) !== 0).length, expr);
    }
  });
});
