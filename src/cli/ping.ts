// berkeley ping: ICMP echo over an unprivileged ICMP datagram socket, or a
// raw socket where those are not allowed (as root), with per-reply RTT and
// the summary ping users expect.
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { Socket, getaddrinfo, type SocketAddress } from '../index.js';
import { readFileSync } from 'node:fs';
import { integerOption, numberOption, parse, UsageError, type Command } from './usage.js';

const usage = `Usage: berkeley ping HOST [options]

Sends ICMP (or ICMPv6) echo requests to HOST and reports each reply.

  -c, --count N       stop after N requests (default: until interrupted)
  -i, --interval S    seconds between requests (default 1)
  -W, --timeout S     seconds to wait for each reply (default 1)
  -s, --size N        payload bytes (default 56)
  -4, -6              IPv4 or IPv6 only
  -q, --quiet         only the summary
  -h, --help

Without root, ICMP needs an unprivileged ICMP socket, which Linux allows only
to the groups in net.ipv4.ping_group_range; when it refuses, ping says so.

Exit status: 0 if any reply came back, 1 if none did, 2 on a usage error.`;

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

const PING_GROUP_RANGE = '/proc/sys/net/ipv4/ping_group_range';

/** Why an unprivileged ICMP socket was refused, and what would allow it. */
function explainRefusal(err: Error): Error {
  let range = 'unreadable';
  try { range = readFileSync(PING_GROUP_RANGE, 'utf8').trim().replace(/\s+/, ' '); } catch { /* no such sysctl here */ }
  const gid = process.getgid?.() ?? '?';
  return new Error(`${err.message}: unprivileged ICMP sockets are allowed only to the groups in net.ipv4.ping_group_range ` +
    `(now '${range}', group ${gid} not in it; sysctl -w net.ipv4.ping_group_range='0 2147483647' allows every group), ` +
    'and raw ICMP sockets need CAP_NET_RAW (root)');
}

/** An ICMP socket for the family: datagram (unprivileged) first, raw as a fallback. */
function icmpSocket(v6: boolean): Socket {
  const proto = v6 ? 'icmpv6' : 'icmp';
  try {
    return new Socket(v6 ? 'inet6' : 'inet', 'dgram', proto);
  } catch (err) {
    try {
      return new Socket(v6 ? 'inet6' : 'inet', 'raw', proto);
    } catch {
      // EACCES: this group is outside ping_group_range (the datagram socket); the raw one then fails with EPERM.
      throw (err as { code?: string }).code === 'EACCES' ? explainRefusal(err as Error) : err;
    }
  }
}

export const ping: Command = {
  name: 'ping',
  summary: 'ICMP echo with RTTs and a summary',
  usage,
  async run(argv) {
    const args = parse(argv, {
      count: { type: 'string', short: 'c' }, interval: { type: 'string', short: 'i' }, timeout: { type: 'string', short: 'W' },
      size: { type: 'string', short: 's' }, 4: { type: 'boolean', short: '4' }, 6: { type: 'boolean', short: '6' },
      quiet: { type: 'boolean', short: 'q' },
    }, usage);
    if (!args) return 0;
    const [host, extra] = args.positionals;
    if (host === undefined || extra !== undefined) throw new UsageError('expected one HOST');
    const v = args.values;
    if (v[4] && v[6]) throw new UsageError('-4 and -6 exclude each other');
    const count = integerOption(v.count, 'count', Infinity, 1, 2 ** 31 - 1);
    const interval = numberOption(v.interval, 'interval', 1) * 1000;
    const waitMs = numberOption(v.timeout, 'timeout', 1) * 1000;
    const size = integerOption(v.size, 'size', 56, 0, 65000);

    const [ai] = await getaddrinfo(host, null, { family: v[4] ? 'inet' : v[6] ? 'inet6' : undefined, type: 'raw' })
      .catch(() => getaddrinfo(host, null, { family: v[4] ? 'inet' : v[6] ? 'inet6' : undefined }));
    const target = ai.address as SocketAddress & { address: string };
    const v6 = target.family === 'inet6';
    const s = icmpSocket(v6);
    const raw = s.type === 'raw';
    if (!v6) s.setOption('ip-recvttl', true);
    else s.setOption('ipv6-recvhoplimit', true);
    const id = raw ? process.pid & 0xffff : 0; // datagram sockets get their id from the kernel
    const [echoRequest, echoReply] = v6 ? [128, 129] : [8, 0];
    const out = (line: string) => { if (!v.quiet) process.stdout.write(`${line}\n`); };
    process.stdout.write(`PING ${host} (${target.address}) ${size}(${size + (v6 ? 48 : 28)}) bytes of data.\n`);

    const rtts: number[] = [];
    let sent = 0;
    let stop = false;
    const onSigint = () => { stop = true; s.close(); };
    process.once('SIGINT', onSigint);
    const t0 = performance.now();
    try {
      for (let seq = 1; seq <= count && !stop; seq++) {
        const packet = Buffer.alloc(8 + size);
        packet[0] = echoRequest;
        packet.writeUInt16BE(id, 4);
        packet.writeUInt16BE(seq & 0xffff, 6);
        for (let i = 8; i < packet.length; i++) packet[i] = i & 0xff;
        if (raw && !v6) packet.writeUInt16BE(checksum(packet), 2);
        const sentAt = performance.now();
        await s.sendTo(packet, { ...target, port: 0 } as SocketAddress);
        sent++;
        const deadline = sentAt + waitMs;
        while (!stop) {
          const left = deadline - performance.now();
          if (left <= 0) break;
          let m;
          try {
            m = await s.recvMsg({ size: 65536, timeout: left });
          } catch (err) {
            if ((err as { code?: string }).code === 'ETIMEDOUT' || (err as { code?: string }).code === 'ERR_SOCKET_CLOSED') break;
            throw err;
          }
          let icmp = m.data;
          let ttl: number | undefined;
          if (raw && !v6) { ttl = icmp[8]; icmp = icmp.subarray((icmp[0] & 0x0f) * 4); }
          if (icmp.length < 8 || icmp[0] !== echoReply || icmp.readUInt16BE(6) !== (seq & 0xffff)) continue;
          if (raw && icmp.readUInt16BE(4) !== id) continue;
          if (m.ttl !== undefined) ttl = m.ttl; // IP_RECVTTL / IPV6_RECVHOPLIMIT, decoded
          const rtt = performance.now() - sentAt;
          rtts.push(rtt);
          out(`${icmp.length} bytes from ${(m.address as { address?: string } | null)?.address ?? target.address}: icmp_seq=${seq}${ttl !== undefined ? ` ${v6 ? 'hlim' : 'ttl'}=${ttl}` : ''} time=${rtt.toFixed(3)} ms`);
          break;
        }
        if (seq < count && !stop) await new Promise((r) => setTimeout(r, Math.max(0, sentAt + interval - performance.now())));
      }
    } finally {
      process.off('SIGINT', onSigint);
      s.close();
    }
    const elapsed = Math.round(performance.now() - t0);
    const loss = sent === 0 ? 0 : Math.round(((sent - rtts.length) / sent) * 100);
    process.stdout.write(`\n--- ${host} ping statistics ---\n`);
    process.stdout.write(`${sent} packets transmitted, ${rtts.length} received, ${loss}% packet loss, time ${elapsed}ms\n`);
    if (rtts.length > 0) {
      const min = Math.min(...rtts);
      const max = Math.max(...rtts);
      const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
      const mdev = Math.sqrt(rtts.reduce((a, b) => a + (b - avg) ** 2, 0) / rtts.length);
      process.stdout.write(`rtt min/avg/max/mdev = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)}/${mdev.toFixed(3)} ms\n`);
    }
    return rtts.length > 0 ? 0 : 1;
  },
};
