// A small rtnetlink client for `berkeley ifaces`: dumps links (RTM_GETLINK)
// and addresses (RTM_GETADDR) over a NETLINK_ROUTE socket, decoding the
// nlmsghdr/ifinfomsg/ifaddrmsg headers and their rtattr lists.
import { Socket, constants as k } from '../index.js';

export interface Link {
  index: number;
  name: string;
  flags: number;
  mtu?: number;
  operstate?: number;
  mac?: string;
}

export interface Addr {
  index: number;
  family: 'inet' | 'inet6';
  address: string;
  prefixlen: number;
  label?: string;
}

const NLMSG_HDRLEN = 16;
const align4 = (n: number) => (n + 3) & ~3;

/** Each attribute of an rtattr list: type -> payload. */
function attributes(buf: Buffer, start: number, end: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = start; off + 4 <= end;) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > end) break;
    out.set(buf.readUInt16LE(off + 2), buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

const cstr = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');

/** Sends one dump request and calls `each` for every message until NLMSG_DONE. */
async function dump(s: Socket, type: number, family: number, seq: number, headerLen: number,
  each: (msg: Buffer, payload: number, end: number) => void): Promise<void> {
  const req = Buffer.alloc(NLMSG_HDRLEN + headerLen);
  req.writeUInt32LE(req.length, 0);
  req.writeUInt16LE(type, 4);
  req.writeUInt16LE(k.NLM_F_REQUEST! | k.NLM_F_DUMP!, 6);
  req.writeUInt32LE(seq, 8);
  req[NLMSG_HDRLEN] = family;
  await s.sendTo(req, { family: 'netlink', pid: 0, groups: 0 });
  for (;;) {
    const { data } = await s.recvFrom(65536, { timeout: 5000 });
    for (let off = 0; off + NLMSG_HDRLEN <= data.length;) {
      const len = data.readUInt32LE(off);
      if (len < NLMSG_HDRLEN || off + len > data.length) break;
      const msgType = data.readUInt16LE(off + 4);
      if (data.readUInt32LE(off + 8) === seq) {
        if (msgType === k.NLMSG_DONE) return;
        if (msgType === k.NLMSG_ERROR) {
          const errno = data.readInt32LE(off + NLMSG_HDRLEN);
          if (errno !== 0) throw new Error(`netlink dump failed: errno ${-errno}`);
        } else each(data, off + NLMSG_HDRLEN, off + len);
      }
      off += align4(len);
    }
  }
}

/** Every link and address, read from the kernel over rtnetlink. */
export async function readInterfaces(): Promise<{ links: Link[]; addrs: Addr[] }> {
  const s = new Socket('netlink', 'raw', 'route');
  try {
    s.bind({ family: 'netlink', pid: 0, groups: 0 });
    const links: Link[] = [];
    // struct ifinfomsg: family(1) pad(1) type(2) index(4) flags(4) change(4)
    await dump(s, k.RTM_GETLINK!, k.AF_UNSPEC, 1, 16, (b, p, end) => {
      const attrs = attributes(b, p + 16, end);
      const link: Link = { index: b.readInt32LE(p + 4), flags: b.readUInt32LE(p + 8), name: cstr(attrs.get(k.IFLA_IFNAME!) ?? Buffer.alloc(0)) };
      const mtu = attrs.get(k.IFLA_MTU!);
      if (mtu) link.mtu = mtu.readUInt32LE(0);
      const oper = attrs.get(k.IFLA_OPERSTATE!);
      if (oper) link.operstate = oper[0];
      const mac = attrs.get(k.IFLA_ADDRESS!);
      if (mac) link.mac = [...mac].map((x) => x.toString(16).padStart(2, '0')).join(':');
      links.push(link);
    });
    const addrs: Addr[] = [];
    // struct ifaddrmsg: family(1) prefixlen(1) flags(1) scope(1) index(4)
    await dump(s, k.RTM_GETADDR!, k.AF_UNSPEC, 2, 8, (b, p, end) => {
      const family = b[p] === k.AF_INET ? 'inet' : b[p] === k.AF_INET6 ? 'inet6' : null;
      if (!family) return;
      const attrs = attributes(b, p + 8, end);
      const raw = attrs.get(k.IFA_LOCAL!) ?? attrs.get(k.IFA_ADDRESS!);
      if (!raw) return;
      const address = family === 'inet' ? [...raw].join('.') : ipv6Text(raw);
      const addr: Addr = { index: b.readInt32LE(p + 4), family, address, prefixlen: b[p + 1] };
      const label = attrs.get(k.IFA_LABEL!);
      if (label) addr.label = cstr(label);
      addrs.push(addr);
    });
    return { links, addrs };
  } finally {
    s.close();
  }
}

/** RFC 5952 text for 16 address bytes (the longest run of zero groups becomes '::'). */
export function ipv6Text(b: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
export const operstateName = (n: number | undefined) => OPERSTATES[n ?? 0] ?? 'UNKNOWN';

const FLAG_NAMES: [string, number | undefined][] = [
  ['UP', k.IFF_UP], ['BROADCAST', k.IFF_BROADCAST], ['LOOPBACK', k.IFF_LOOPBACK], ['POINTOPOINT', k.IFF_POINTOPOINT],
  ['RUNNING', k.IFF_RUNNING], ['NOARP', k.IFF_NOARP], ['PROMISC', k.IFF_PROMISC], ['ALLMULTI', k.IFF_ALLMULTI],
  ['MULTICAST', k.IFF_MULTICAST], ['LOWER_UP', k.IFF_LOWER_UP], ['DORMANT', k.IFF_DORMANT],
];
export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([, bit]) => bit !== undefined && (flags & bit) !== 0).map(([n]) => n);
}
