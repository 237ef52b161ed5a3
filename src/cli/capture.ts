// berkeley capture: tcpdump's everyday job on berkeley/capture, without
// libpcap: packets of one interface (or all), filtered in the kernel by a
// pcap-filter expression, written to a pcap/pcapng file or summed up one
// line each; the kernel's counts at the end, as tcpdump prints them.
import type { Buffer } from 'node:buffer';
import { capture, compileFilter, formatDecimal, PcapWriter, type CapturedPacket, type LinkType } from '../capture/index.js';
import { ifIndexToName } from '../index.js';
import { integerOption, parse, secondsOption, UsageError, type Command } from './usage.js';

const usage = `Usage: berkeley capture [options] [EXPRESSION]

Captures packets with an AF_PACKET socket (root, or CAP_NET_RAW) through a
TPACKET_V3 ring, filtered in the kernel by EXPRESSION, a pcap-filter
expression (tcpdump's language; several words are joined with spaces), and
writes them to a file or prints one line per packet: time, interface,
direction, protocol, addresses, length.

  -i, --interface IFACE  capture on IFACE (default: every interface, as
                         Linux cooked packets)
  -c, --count N          stop after N packets
  -w, --write FILE       write the packets to FILE ('-': standard output)
      --format F         pcap (the default) or pcapng, with --write
  -s, --snaplen N        bytes kept of each packet (default 262144)
      --timeout S        stop after S seconds
  -p, --no-promiscuous   leave the interface's promiscuous mode alone
      --no-ring          one recvmsg per packet instead of the ring
  -d, --dump             print the compiled program (as tcpdump -ddd does
                         for an Ethernet capture) and exit
  -h, --help

SIGINT and SIGTERM stop the capture. At the end the counts go to standard
error as tcpdump prints them: packets captured, received by filter, dropped
by kernel.

Exit status: 0 on success, 1 on failure, 2 on a usage error.`;

const DLT: Record<LinkType, string> = { ethernet: 'EN10MB (Ethernet)', raw: 'RAW (Raw IPv4/IPv6)', 'linux-sll': 'LINUX_SLL (Linux cooked v1)' };
const DIRECTION: Record<CapturedPacket['direction'], string> = { host: 'In', broadcast: 'B', multicast: 'M', otherhost: 'P', outgoing: 'Out' };
/** tcpdump's TCP flag letters, by bit: FIN SYN RST PSH ACK URG ECE CWR. */
const TCP_FLAGS = 'FSRP.UEW';
const ICMP: Record<number, string> = { 0: 'echo reply', 3: 'unreachable', 5: 'redirect', 8: 'echo request', 11: 'time exceeded' };
const ICMP6: Record<number, string> = { 1: 'unreachable', 2: 'packet too big', 3: 'time exceeded', 128: 'echo request', 129: 'echo reply', 133: 'router solicitation', 134: 'router advertisement', 135: 'neighbor solicitation', 136: 'neighbor advertisement' };

const ipv4 = (b: Buffer, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
function ipv6(b: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(at + i).toString(16));
  // The longest run of zero groups becomes '::'.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** The transport part of a summary: ports and protocol; `at` is where the transport header starts. */
function transport(b: Buffer, proto: number, at: number, src: string, dst: string): string {
  const ports = (sep: string) => b.length >= at + 4 ? [`${src}${sep}${b.readUInt16BE(at)}`, `${dst}${sep}${b.readUInt16BE(at + 2)}`] : [src, dst];
  if (proto === 6) {
    const [s, d] = ports('.');
    const flags = b.length > at + 13 ? [...TCP_FLAGS].filter((_, i) => b[at + 13] & (1 << i)).join('') : '';
    return `${s} > ${d}: TCP [${flags}]`;
  }
  if (proto === 17) { const [s, d] = ports('.'); return `${s} > ${d}: UDP`; }
  if (proto === 132) { const [s, d] = ports('.'); return `${s} > ${d}: SCTP`; }
  if (proto === 1) return `${src} > ${dst}: ICMP ${ICMP[b[at]] ?? `type ${b[at]}`}`;
  if (proto === 58) return `${src} > ${dst}: ICMP6 ${ICMP6[b[at]] ?? `type ${b[at]}`}`;
  return `${src} > ${dst}: ip-proto-${proto}`;
}

/** One packet summed up: protocol and addresses, from the network header at `at` (ethertype `type`). */
function network(b: Buffer, type: number, at: number): string {
  if (type === 0x0800 && b.length >= at + 20) {
    const ihl = (b[at] & 0x0f) * 4;
    const later = (b.readUInt16BE(at + 6) & 0x1fff) !== 0;
    const src = ipv4(b, at + 12), dst = ipv4(b, at + 16);
    return `IP ${later ? `${src} > ${dst}: fragment` : transport(b, b[at + 9], at + ihl, src, dst)}`;
  }
  if (type === 0x86dd && b.length >= at + 40) return `IP6 ${transport(b, b[at + 6], at + 40, ipv6(b, at + 8), ipv6(b, at + 24))}`;
  if ((type === 0x0806 || type === 0x8035) && b.length >= at + 28) {
    const op = b.readUInt16BE(at + 6);
    const what = op === 1 ? `Request who-has ${ipv4(b, at + 24)} tell ${ipv4(b, at + 14)}` : op === 2 ? `Reply ${ipv4(b, at + 14)} is-at ${b.subarray(at + 8, at + 14).toString('hex').replace(/(..)(?!$)/g, '$1:')}` : `op ${op}`;
    return `${type === 0x0806 ? 'ARP' : 'RARP'}, ${what}`;
  }
  return `ethertype 0x${type.toString(16).padStart(4, '0')}`;
}

/** What follows the link-layer header, for each link type (VLAN tags skipped). */
function summary(p: CapturedPacket, link: LinkType): string {
  const b = p.data;
  if (link === 'raw') return network(b, b.length && b[0] >> 4 === 6 ? 0x86dd : 0x0800, 0);
  let at = link === 'ethernet' ? 12 : 14;
  if (b.length < at + 2) return 'truncated';
  let type = b.readUInt16BE(at);
  let vlan = '';
  while ((type === 0x8100 || type === 0x88a8) && b.length >= at + 6) {
    vlan += `vlan ${b.readUInt16BE(at + 2) & 0xfff}, `;
    at += 4;
    type = b.readUInt16BE(at);
  }
  return vlan + network(b, type, at + 2);
}

function clock(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}

export const captureCommand: Command = {
  name: 'capture',
  summary: 'packet capture to a pcap/pcapng file or one line per packet (no libpcap)',
  usage,
  async run(argv) {
    const args = parse(argv, {
      interface: { type: 'string', short: 'i' }, count: { type: 'string', short: 'c' }, write: { type: 'string', short: 'w' },
      format: { type: 'string' }, snaplen: { type: 'string', short: 's' }, timeout: { type: 'string' },
      'no-promiscuous': { type: 'boolean', short: 'p' }, 'no-ring': { type: 'boolean' }, dump: { type: 'boolean', short: 'd' },
    }, usage);
    if (!args) return 0;
    const v = args.values;
    const expression = args.positionals.join(' ');
    const format = v.format ?? 'pcap';
    if (format !== 'pcap' && format !== 'pcapng') throw new UsageError(`--format must be pcap or pcapng, not '${format}'`);
    if (v.format !== undefined && v.write === undefined) throw new UsageError('--format goes with --write');
    const snaplen = integerOption(v.snaplen, 'snaplen', 262144, 1, 262144);
    const count = v.count === undefined ? undefined : integerOption(v.count, 'count', 0, 1, 2 ** 31 - 1);
    if (v.dump) {
      process.stdout.write(formatDecimal(compileFilter(expression, { snaplen })));
      return 0;
    }
    const stop = new AbortController();
    const signals = [stop.signal];
    if (v.timeout !== undefined) signals.push(AbortSignal.timeout(secondsOption(v.timeout, 'timeout')));
    const ifname = v.interface as string | undefined;
    const cap = capture({
      interface: ifname, filter: expression, snaplen, count, signal: AbortSignal.any(signals),
      promiscuous: ifname !== undefined && !v['no-promiscuous'], ring: !v['no-ring'],
    });
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const file = v.write as string | undefined;
    let out: PcapWriter | null = null;
    let captured = 0;
    try {
      out = file === undefined ? null : new PcapWriter(file === '-' ? 1 : file, { format, linkType: cap.linkType, snaplen: cap.snaplen });
      process.stderr.write(`berkeley capture: listening on ${ifname ?? 'all interfaces'}, link-type ${DLT[cap.linkType]}, snapshot length ${cap.snaplen} bytes\n`);
      const names = new Map<number, string>();
      const nameOf = (index: number): string => {
        let n = names.get(index);
        if (n === undefined) {
          try { n = ifIndexToName(index); } catch { n = `if${index}`; }
          names.set(index, n);
        }
        return n;
      };
      for await (const p of cap) {
        captured++;
        if (out) out.write(p);
        else process.stdout.write(`${clock(p.timestamp)} ${nameOf(p.ifindex)} ${DIRECTION[p.direction]} ${summary(p, cap.linkType)}, length ${p.length}\n`);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      cap.close();
      out?.close();
    }
    const { received, dropped } = cap.stats();
    process.stderr.write(`${captured} packet${captured === 1 ? '' : 's'} captured\n${received} packet${received === 1 ? '' : 's'} received by filter\n${dropped} packet${dropped === 1 ? '' : 's'} dropped by kernel\n`);
    return 0;
  },
};

