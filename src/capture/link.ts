// Link-layer types: the names this module uses, their numbers in pcap and
// pcapng files (LINKTYPE_*), and which one an interface's hardware type
// (ARPHRD_*, from the kernel) captures as.
import type { LinkType } from './primitives.js';

export type { LinkType };

/** LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL (www.tcpdump.org/linktypes.html). */
export const LINKTYPE: Record<LinkType, number> = { ethernet: 1, raw: 101, 'linux-sll': 113 };

const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const ARPHRD_NONE = 65534;

/**
 * How packets of an interface with hardware type `hatype` are captured:
 * Ethernet (and loopback, which Linux frames as Ethernet) keep their link
 * header; interfaces with none (tun) start at the IP header; any other
 * type is captured cooked (the kernel strips the header, a Linux SLL
 * header is built in its place), as libpcap does.
 */
export function linkTypeOf(hatype: number): LinkType {
  if (hatype === ARPHRD_ETHER || hatype === ARPHRD_LOOPBACK) return 'ethernet';
  if (hatype === ARPHRD_NONE) return 'raw';
  return 'linux-sll';
}

/** The length of the link-layer header of each type (where the network header starts). */
export const LINK_HEADER: Record<LinkType, number> = { ethernet: 14, raw: 0, 'linux-sll': 16 };
