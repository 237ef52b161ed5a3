// Name lookups for the socket layer: a HostPort from the address funnel
// resolved for a socket of a given family and type, blocking (the sync
// driver, bind) or on libuv's thread pool (the async driver), deduplicated,
// in the resolver's order.
import { resolverError } from '../errors.js';
import { AF } from '../codec/names.js';
import { decodeAddress, type SocketAddress } from '../codec/sockaddr.js';
import type { HostPort } from '../codec/address.js';
import { AF_UNSPEC, AI_PASSIVE, AI_V4MAPPED, EAI_NONAME } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import type { RawAddrInfo, GaiFailure } from '../sys/binding.js';

/** One getaddrinfo result. */
export interface AddrInfo { family: number; socktype: number; protocol: number; address: SocketAddress; canonname?: string }

/** The addon's getaddrinfo result as AddrInfo objects, or the resolver error it stands for. */
export function addrInfoResult(raw: RawAddrInfo[] | GaiFailure, host: string | null): AddrInfo[] {
  if (!Array.isArray(raw)) throw resolverError(raw.eai, raw.errno, sys.gaiStrerror(raw.eai), host);
  return raw.map(([family, socktype, protocol, addr, canonname]) => {
    const info: AddrInfo = { family, socktype, protocol, address: decodeAddress(addr, addr.length)! };
    if (canonname !== undefined) info.canonname = canonname;
    return info;
  });
}

/** A name lookup for a socket: what to look up and for which kind of socket. */
export interface Lookup {
  hp: HostPort;
  /** The socket's family (AF_UNSPEC or -1 when not chosen yet: both families). */
  af: number;
  type: number;
  /** For bind: the wildcard address when host is null. */
  passive: boolean;
}

function hints(l: Lookup): [number, number] {
  let flags = l.passive ? AI_PASSIVE : 0;
  // An inet6 socket reaches IPv4-only names through v4-mapped addresses.
  if (l.af === AF.inet6) flags |= AI_V4MAPPED;
  return [l.af === AF.inet || l.af === AF.inet6 ? l.af : AF_UNSPEC, flags];
}

function addresses(raw: RawAddrInfo[] | GaiFailure, l: Lookup): SocketAddress[] {
  const out: SocketAddress[] = [];
  const seen = new Set<string>();
  for (const ai of addrInfoResult(raw, l.hp.host)) {
    const key = JSON.stringify(ai.address);
    if (!seen.has(key)) { seen.add(key); out.push(ai.address); }
  }
  if (out.length === 0) throw resolverError(EAI_NONAME, 0, 'no addresses', l.hp.hostname);
  return out;
}

/** Resolves on the calling thread. */
export function lookupSync(l: Lookup): SocketAddress[] {
  const [family, flags] = hints(l);
  return addresses(sys.getaddrinfo(l.hp.host, String(l.hp.port), family, l.type, 0, flags), l);
}

/** Resolves on libuv's thread pool. */
export async function lookup(l: Lookup): Promise<SocketAddress[]> {
  const [family, flags] = hints(l);
  return addresses(await sys.getaddrinfoAsync(l.hp.host, String(l.hp.port), family, l.type, 0, flags), l);
}
