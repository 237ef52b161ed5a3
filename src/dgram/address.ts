// Addresses as node:dgram spells them: IP strings from its lookup (an IPv6
// zone after '%'), rinfo and address() objects ({ address, family: 'IPv4' |
// 'IPv6', port }), and the checks libuv makes on them (uv_ip4_addr,
// uv_ip6_addr: EINVAL for a string of the other family).
import { isIPv4, isIPv6 } from 'node:net';
import { constants as os } from 'node:os';
import type { SocketAddress } from '../codec/sockaddr.js';
import { ifIndexToName, ifNameToIndex } from '../resolver.js';

/** What node:dgram's address(), remoteAddress() and rinfo say of an address. */
export interface AddressInfo {
  /** The IP address; an IPv6 zone after '%' (an interface name). */
  address: string;
  /** 'IPv4' or 'IPv6'. */
  family: 'IPv4' | 'IPv6';
  /** The port. */
  port: number;
}

export const EINVAL = -os.errno.EINVAL;

/** Whether `ip` is an address of the family libuv parses for this socket type (udp4: IPv4, udp6: IPv6 with an optional zone). */
export function ipOfType(ip: unknown, v6: boolean): ip is string {
  if (typeof ip !== 'string') return false;
  return v6 ? isIPv6(ip) : isIPv4(ip);
}

/** The interface index a zone names ('lo', '1'); 0 when there is none. */
function zoneIndex(zone: string): number {
  if (/^\d+$/.test(zone)) return Number(zone) >>> 0;
  try {
    return ifNameToIndex(zone);
  } catch {
    return 0; // uv_ip6_addr leaves the scope 0 for an unknown name
  }
}

/** A SocketAddress for an IP that ipOfType accepted, and a port. */
export function socketAddress(ip: string, port: number, v6: boolean): SocketAddress {
  if (!v6) return { family: 'inet', address: ip, port };
  const zone = ip.indexOf('%');
  if (zone < 0) return { family: 'inet6', address: ip, port };
  return { family: 'inet6', address: ip.slice(0, zone), port, scopeId: zoneIndex(ip.slice(zone + 1)) };
}

/** node:dgram's { address, family, port } of a berkeley address (the zone as an interface name, as libuv writes it). */
export function addressInfo(a: SocketAddress | null): AddressInfo {
  if (a === null || (a.family !== 'inet' && a.family !== 'inet6')) return { address: '', family: 'IPv4', port: 0 };
  if (a.family === 'inet') return { address: a.address, family: 'IPv4', port: a.port };
  let address = a.address;
  if (a.scopeId) {
    let zone: string;
    try { zone = ifIndexToName(a.scopeId); } catch { zone = String(a.scopeId); }
    address = `${address}%${zone}`;
  }
  return { address, family: 'IPv6', port: a.port };
}
