// The deferred family of tcp()/udp() (LuaSocket 3's socket.tcp()): the fd is
// made at the first bind, connect or send, for the family of that address,
// and made again for the other family when an earlier address of one family
// failed. A bind or connect that succeeds settles it. Also listen()'s
// dualstack choice: an inet6 socket with IPV6_V6ONLY cleared.
import { Buffer } from 'node:buffer';
import { invalidArgValue } from '../errors.js';
import { AF, familyName } from '../codec/names.js';
import * as sys from '../sys/fd.js';
import { setOption } from './sockopt.js';
import { validateBoolean } from '../validate.js';
import { openSocketFd, type SocketState } from './state.js';

/** Creates the fd of a tcp()/udp() socket for family `af` and applies the options remembered so far. */
export function materialize(s: SocketState, af: number): void {
  const d = s.deferred;
  if (!d) return;
  if (af !== AF.inet && af !== AF.inet6) throw invalidArgValue('address', familyName(af), 'must be an IPv4 or IPv6 address: tcp() and udp() sockets are inet or inet6');
  s.ownMade(openSocketFd(af, d.type, d.protocol));
  s.deferred = null;
  s.respawn = d;
  s.family = af;
  try {
    if (af === AF.inet6 && d.v6only !== undefined) setOption(s, 'ipv6-v6only', d.v6only);
    for (const [name, value] of d.options) setOption(s, name, value);
  } catch (err) {
    s.disown(true);
    throw err;
  }
}

/** Gives a tcp()/udp() socket the family of the address about to be tried, re-creating its fd when the family changes. */
export function useFamily(s: SocketState, af: number): void {
  if (s.deferred) return materialize(s, af);
  if (!s.respawn || s.family === af) return;
  s.disown(true);
  s.deferred = s.respawn;
  materialize(s, af);
}

const ipv4Scratch = Buffer.alloc(16);

/**
 * listen()'s `dualstack` option, checked with the rest of its arguments
 * before any socket is made: true asks for an inet6 socket with IPV6_V6ONLY
 * cleared (Python's create_server(dualstack_ipv6=True)), which an IPv4 host,
 * `family: 'inet'` or `ipv6Only: true` contradict. '*' and '' bind '::'.
 */
export function dualstackOption(value: unknown, host: string, family: unknown, ipv6Only: unknown): boolean {
  if (value === undefined || !validateBoolean(value, 'options.dualstack')) return false;
  if (AF.inet !== undefined && sys.inet_pton(AF.inet, host, ipv4Scratch) === 1) {
    throw invalidArgValue('host', host, "must be an IPv6 address or a name with dualstack: an IPv4 address cannot take IPv6 connections ('::' takes both)");
  }
  if (family === 'inet') throw invalidArgValue('options.family', family, "must be 'inet6' or omitted with dualstack");
  if (ipv6Only === true) throw invalidArgValue('options.ipv6Only', ipv6Only, 'must not be true with dualstack');
  return true;
}
