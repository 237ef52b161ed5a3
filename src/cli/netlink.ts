// A small rtnetlink client for `berkeley ifaces`: dumps links (RTM_GETLINK)
// and addresses (RTM_GETADDR) over a NETLINK_ROUTE socket, decoding the
// nlmsghdr/ifinfomsg/ifaddrmsg headers and their rtattr lists. Netlink
// integers are in host byte order: they are read through the struct layer,
// the one place that knows it.
import { Buffer } from 'node:buffer';
import { Socket, constants as k } from '../index.js';
import { AF_INET, AF_INET6, inet_ntop } from '../posix.js';
import { i32, setU16, setU32, u16, u32 } from '../sys/struct.js';

/** One link, with the attributes `ip addr` shows (names as in `ip -j addr`). */
export interface Link {
  index: number;
  name: string;
  flags: number;
  /** ARPHRD_* type of the hardware address. */
  hwType: number;
  mtu?: number;
  operstate?: number;
  /** The hardware address as ip prints it. */
  mac?: string;
  /** IFLA_LINK: the index of the link this one sits on (a veth's peer), 0 for none. */
  link?: number;
  /** IFLA_LINK_NETNSID: `link` is an index in another network namespace. */
  linkNetnsid?: number;
}

export interface Addr {
  index: number;
  family: 'inet' | 'inet6';
  /** IFA_LOCAL (or IFA_ADDRESS when there is none): the address of this host. */
  local: string;
  /** IFA_ADDRESS (or IFA_LOCAL): the peer of a point-to-point address, else the same as `local`. */
  address: string;
  prefixlen: number;
  scope: number;
  broadcast?: string;
  label?: string;
  metric?: number;
}

// Linux UAPI numbers (stable ABI) the generated constants do not carry.
const IFLA_LINK_NETNSID = k.IFLA_LINK_NETNSID ?? 37;
const IFA_RT_PRIORITY = k.IFA_RT_PRIORITY ?? 9;
// ARPHRD_* types whose hardware address is an IP address (ip's ll_addr_n2a).
const IP_HW_TYPES: Record<number, number> = { 768: 4, 776: 4, 778: 4, 769: 16, 823: 16 };

const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16; // family(1) pad(1) type(2) index(4) flags(4) change(4)
const IFADDRMSG_LEN = 8; //  family(1) prefixlen(1) flags(1) scope(1) index(4)
const NLA_TYPE_MASK = 0x3fff; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
const align4 = (n: number) => (n + 3) & ~3;

/** Each attribute of an rtattr list: type -> payload. */
function attributes(buf: Buffer, start: number, end: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = start; off + 4 <= end;) {
    const len = u16(buf, off);
    if (len < 4 || off + len > end) break;
    out.set(u16(buf, off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

const cstr = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');

/** Sends one dump request and calls `each` for every message until NLMSG_DONE. */
async function dump(s: Socket, type: number, seq: number, headerLen: number,
  each: (msg: Buffer, payload: number, end: number) => void): Promise<void> {
  const req = Buffer.alloc(NLMSG_HDRLEN + headerLen); // the family byte stays AF_UNSPEC: every family
  setU32(req, 0, req.length);
  setU16(req, 4, type);
  setU16(req, 6, k.NLM_F_REQUEST! | k.NLM_F_DUMP!);
  setU32(req, 8, seq);
  await s.sendTo(req, { family: 'netlink', pid: 0, groups: 0 });
  for (;;) {
    const { data } = await s.recvFrom(65536, { timeout: 5000 });
    for (let off = 0; off + NLMSG_HDRLEN <= data.length;) {
      const len = u32(data, off);
      if (len < NLMSG_HDRLEN || off + len > data.length) break;
      const msgType = u16(data, off + 4);
      if (u32(data, off + 8) === seq) {
        if (msgType === k.NLMSG_DONE) return;
        if (msgType === k.NLMSG_ERROR) {
          const errno = i32(data, off + NLMSG_HDRLEN);
          if (errno !== 0) throw new Error(`netlink dump failed: errno ${-errno}`);
        } else each(data, off + NLMSG_HDRLEN, off + len);
      }
      off += align4(len);
    }
  }
}

/** A hardware address as ip prints it: an IP address for IP tunnels, else hex bytes joined by ':'. */
function hardwareAddress(raw: Buffer, hwType: number): string {
  if (IP_HW_TYPES[hwType] === raw.length) return inet_ntop(raw.length === 4 ? AF_INET : AF_INET6, raw);
  return [...raw].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function decodeLink(b: Buffer, p: number, end: number): Link {
  const attrs = attributes(b, p + IFINFOMSG_LEN, end);
  const index = i32(b, p + 4);
  const hwType = u16(b, p + 2);
  const name = attrs.get(k.IFLA_IFNAME!);
  const link: Link = { index, name: name ? cstr(name) : `if${index}`, flags: u32(b, p + 8), hwType };
  const mtu = attrs.get(k.IFLA_MTU!);
  if (mtu) link.mtu = u32(mtu, 0);
  const oper = attrs.get(k.IFLA_OPERSTATE!);
  if (oper) link.operstate = oper[0];
  const mac = attrs.get(k.IFLA_ADDRESS!);
  if (mac) link.mac = hardwareAddress(mac, hwType);
  const lower = attrs.get(k.IFLA_LINK!);
  if (lower) link.link = u32(lower, 0);
  const netnsid = attrs.get(IFLA_LINK_NETNSID);
  if (netnsid) link.linkNetnsid = i32(netnsid, 0);
  return link;
}

function decodeAddr(b: Buffer, p: number, end: number): Addr | null {
  const af = b[p];
  const family = af === k.AF_INET ? 'inet' : af === k.AF_INET6 ? 'inet6' : null;
  if (!family) return null;
  const attrs = attributes(b, p + IFADDRMSG_LEN, end);
  // As ip does: each of IFA_LOCAL and IFA_ADDRESS stands in for the other when missing.
  const local = attrs.get(k.IFA_LOCAL!) ?? attrs.get(k.IFA_ADDRESS!);
  const address = attrs.get(k.IFA_ADDRESS!) ?? local;
  if (!local || !address) return null;
  const text = (raw: Buffer) => inet_ntop(af, raw);
  const addr: Addr = { index: u32(b, p + 4), family, local: text(local), address: text(address), prefixlen: b[p + 1], scope: b[p + 3] };
  const broadcast = attrs.get(k.IFA_BROADCAST!);
  if (broadcast) addr.broadcast = text(broadcast);
  const label = attrs.get(k.IFA_LABEL!);
  if (label) addr.label = cstr(label);
  const metric = attrs.get(IFA_RT_PRIORITY);
  if (metric) addr.metric = u32(metric, 0);
  return addr;
}

/** Every link and address, read from the kernel over rtnetlink, in the kernel's dump order (ip's order). */
export async function readInterfaces(): Promise<{ links: Link[]; addrs: Addr[] }> {
  const s = new Socket('netlink', 'raw', 'route');
  try {
    s.bind({ family: 'netlink', pid: 0, groups: 0 });
    const links: Link[] = [];
    await dump(s, k.RTM_GETLINK!, 1, IFINFOMSG_LEN, (b, p, end) => { links.push(decodeLink(b, p, end)); });
    const addrs: Addr[] = [];
    await dump(s, k.RTM_GETADDR!, 2, IFADDRMSG_LEN, (b, p, end) => {
      const addr = decodeAddr(b, p, end);
      if (addr) addrs.push(addr);
    });
    return { links, addrs };
  } finally {
    s.close();
  }
}

const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
export const operstateName = (n: number | undefined): string | undefined => (n === undefined ? undefined : OPERSTATES[n]);

// ip's order (print_link_flags), which is not the order of the bits.
const FLAG_ORDER = ['LOOPBACK', 'BROADCAST', 'POINTOPOINT', 'MULTICAST', 'NOARP', 'ALLMULTI', 'PROMISC', 'MASTER', 'SLAVE',
  'DEBUG', 'DYNAMIC', 'AUTOMEDIA', 'PORTSEL', 'NOTRAILERS', 'UP', 'LOWER_UP', 'DORMANT', 'ECHO'];

/**
 * The flag names ip prints, in its order: NO-CARRIER for up but not running
 * (RUNNING itself is not shown), and M-DOWN when the link this one sits on
 * (`lowerDown`) is down.
 */
export function flagNames(flags: number, lowerDown = false): string[] {
  const names = (flags & k.IFF_UP!) && !(flags & k.IFF_RUNNING!) ? ['NO-CARRIER'] : [];
  for (const name of FLAG_ORDER) {
    const bit = k[`IFF_${name}`];
    if (bit !== undefined && (flags & bit) !== 0) names.push(name);
  }
  if (lowerDown) names.push('M-DOWN');
  return names;
}

const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
export const scopeName = (n: number): string => SCOPES[n] ?? String(n);
