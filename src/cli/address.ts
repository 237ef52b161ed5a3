// The addresses of `berkeley cat`: our own keywords, socat's (as aliases, any
// case) and nc-style bare forms under -l/-u/-U. Hosts and ports go through
// the library's address funnel (codec/address.ts), so a CLI address obeys the
// same port rule as every API call: 0..65535 or a service name, never wrapped.
import { addressTarget, isHostPort } from '../codec/address.js';
import type { Socket } from '../index.js';
import { UsageError } from './usage.js';

export type SpecType = 'stream' | 'dgram' | 'seqpacket';

/** One parsed address. */
export interface Spec {
  /** 'inherited': a socket this process was given (fd:N, systemd:NAME), adopted by inherited.ts. */
  kind: 'tcp' | 'udp' | 'unix' | 'stdio' | 'inherited';
  type: SpecType;
  listen: boolean;
  /** Datagram listeners: take datagrams from any sender, unnamed ones too, and never answer. */
  recvOnly?: boolean;
  /** socat's UNIX-CLIENT and bare paths: a stream socket, or whatever type the listener has. */
  anyType?: boolean;
  family?: 'inet' | 'inet6';
  host?: string;
  port?: number | string;
  path?: string;
  /** fd:N: the fd number. */
  fd?: number;
  /** systemd:NAME: the name among LISTEN_FDNAMES ('' for the first socket). */
  fdName?: string;
  /** An inherited address's socket, once adopted (inherited.ts). */
  socket?: Socket;
  text: string;
}

type Role = Pick<Spec, 'type' | 'listen' | 'recvOnly' | 'anyType'>;
const role = (type: SpecType, listen: boolean, more: Partial<Role> = {}): Role => ({ type, listen, ...more });

/** Keywords for IP addresses: [tcp or udp, role, forced family]. */
const INET_KINDS: Record<string, ['tcp' | 'udp', Role, ('inet' | 'inet6')?]> = {};
for (const [suffix, family] of [['', undefined], ['4', 'inet'], ['6', 'inet6']] as const) {
  const connectTcp: ['tcp', Role, typeof family] = ['tcp', role('stream', false), family];
  const listenTcp: ['tcp', Role, typeof family] = ['tcp', role('stream', true), family];
  const sendUdp: ['udp', Role, typeof family] = ['udp', role('dgram', false), family];
  const listenUdp: ['udp', Role, typeof family] = ['udp', role('dgram', true), family];
  Object.assign(INET_KINDS, {
    [`tcp${suffix}`]: connectTcp, [`tcp${suffix}-connect`]: connectTcp,
    [`tcp${suffix}-listen`]: listenTcp, [`tcp${suffix}-l`]: listenTcp,
    [`udp${suffix}`]: sendUdp, [`udp${suffix}-connect`]: sendUdp, [`udp${suffix}-sendto`]: sendUdp,
    [`udp${suffix}-listen`]: listenUdp, [`udp${suffix}-l`]: listenUdp, [`udp${suffix}-recvfrom`]: listenUdp,
    [`udp${suffix}-recv`]: ['udp', role('dgram', true, { recvOnly: true }), family],
  });
}

/** Keywords for Unix sockets: [role, abstract]. socat's spellings beside ours. */
const UNIX_KINDS: Record<string, [Role, boolean]> = {};
for (const [prefix, abstract] of [['unix', false], ['abstract', true]] as const) {
  Object.assign(UNIX_KINDS, {
    [`${prefix}-connect`]: [role('stream', false), abstract], [`${prefix}-client`]: [role('stream', false, { anyType: true }), abstract],
    [`${prefix}-listen`]: [role('stream', true), abstract], [`${prefix}-l`]: [role('stream', true), abstract],
    [`${prefix}-dgram`]: [role('dgram', false), abstract], [`${prefix}-sendto`]: [role('dgram', false), abstract],
    [`${prefix}-dgram-listen`]: [role('dgram', true), abstract], [`${prefix}-recvfrom`]: [role('dgram', true), abstract],
    [`${prefix}-recv`]: [role('dgram', true, { recvOnly: true }), abstract],
    [`${prefix}-seqpacket`]: [role('seqpacket', false), abstract], [`${prefix}-seqpacket-listen`]: [role('seqpacket', true), abstract],
  });
}
Object.assign(UNIX_KINDS, {
  unix: [role('stream', false), false], abstract: [role('stream', false), true],
  seqpacket: [role('seqpacket', false), false], 'seqpacket-listen': [role('seqpacket', true), false],
});

/** The flags that give bare addresses (no KIND:) a meaning, as nc's do. */
export interface Shortcuts { listen?: boolean; udp?: boolean; unix?: boolean }

/**
 * HOST:PORT, [V6]:PORT, or (listening) a bare PORT, through the address funnel.
 * Its TypeError/RangeError becomes a one-line usage error naming the address.
 */
function inetTarget(rest: string, text: string, listen: boolean): { host: string; port: number | string } {
  if (rest.includes(',')) {
    throw new UsageError(`bad address '${text}': address options in the socat manner (',${rest.split(',')[1]}') are not supported: see the options of berkeley cat --help`);
  }
  const spelled = listen && /^[^:[\]]*$/.test(rest) ? `*:${rest}` : rest;
  let target;
  try {
    target = addressTarget(spelled, -1, 'address', 'bind', false);
  } catch (err) {
    throw new UsageError(`bad address '${text}': ${portReason(err)}`);
  }
  if (!isHostPort(target)) throw new UsageError(`bad address '${text}': expected ${listen ? '[HOST:]PORT' : 'HOST:PORT'}`);
  if (target.host === null && !listen) throw new UsageError(`bad address '${text}': a connecting address needs a HOST`);
  return { host: target.host ?? '*', port: target.port };
}

/** The funnel's reason, short: which part of the address is wrong. */
function portReason(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message;
  if (code === 'ERR_OUT_OF_RANGE' && message.includes('65535')) return 'the port must be from 0 to 65535';
  if (code === 'ERR_INVALID_ARG_VALUE' && message.includes('leading zeros')) return 'the port must be decimal without leading zeros';
  if (code === 'ERR_INVALID_ARG_VALUE' && message.includes('service name')) return 'the port must be from 0 to 65535 or a service name';
  if (code === 'ERR_INVALID_ARG_VALUE' && message.includes("'host:port'")) return "expected HOST:PORT or '[IPV6]:PORT'";
  return message;
}

function unixSpec(r: Role, abstract: boolean, rest: string, text: string): Spec {
  if (rest === '') throw new UsageError(`bad address '${text}': the ${abstract ? 'name' : 'path'} is empty`);
  if (rest.includes('\0')) throw new UsageError(`bad address '${text}': the path contains a NUL byte`);
  return { kind: 'unix', ...r, path: abstract ? `\0${rest}` : rest, text };
}

/** A bare address (no KIND:) under -l/-u/-U, or a path (socat's GOPEN form). */
function bareSpec(text: string, s: Shortcuts): Spec {
  if (s.unix || /^\.{0,2}\//.test(text)) {
    const type = s.udp ? 'dgram' : 'stream';
    return unixSpec(role(type, !!s.listen, { anyType: !s.udp && !s.listen }), false, text, text);
  }
  if (!s.listen && !s.udp) throw new UsageError(`bad address '${text}': expected KIND:... (or -l/-u with a bare [HOST:]PORT)`);
  const kind = s.udp ? 'udp' : 'tcp';
  return { kind, ...role(s.udp ? 'dgram' : 'stream', !!s.listen), ...inetTarget(text, text, !!s.listen), text };
}

/** The largest fd number: fds are C ints. */
const MAX_FD = 0x7fffffff;

/** fd:N or systemd:NAME; its role (listening or not, type) is read from the socket later (inherited.ts). */
function inheritedSpec(keyword: 'fd' | 'systemd', rest: string, text: string): Spec {
  const base = { kind: 'inherited' as const, type: 'stream' as const, listen: false, text };
  if (keyword === 'systemd') {
    if (rest.includes(':')) throw new UsageError(`bad address '${text}': a systemd socket name has no ':'`);
    return { ...base, fdName: rest };
  }
  if (!/^(?:0|[1-9][0-9]*)$/.test(rest) || Number(rest) > MAX_FD) {
    throw new UsageError(`bad address '${text}': the fd must be a whole number from 0 to ${MAX_FD}`);
  }
  return { ...base, fd: Number(rest) };
}

/** Parses one address of `berkeley cat`; every mistake is a UsageError. */
export function parseSpec(text: string, shortcuts: Shortcuts = {}): Spec {
  const lower = text.toLowerCase();
  if (text === '-' || lower === 'stdio') return { kind: 'stdio', type: 'stream', listen: false, text };
  const colon = text.indexOf(':');
  const keyword = colon < 0 ? '' : lower.slice(0, colon);
  const inet = Object.hasOwn(INET_KINDS, keyword) ? INET_KINDS[keyword] : undefined;
  const unix = Object.hasOwn(UNIX_KINDS, keyword) ? UNIX_KINDS[keyword] : undefined;
  const inherited = keyword === 'fd' || keyword === 'systemd' ? keyword : undefined;
  if ((inet || unix || inherited) && (shortcuts.listen || shortcuts.udp || shortcuts.unix)) {
    throw new UsageError(`-l, -u and -U apply to addresses without a KIND: prefix, not to '${text}'`);
  }
  const rest = text.slice(colon + 1);
  if (inet) {
    const [kind, r, family] = inet;
    return { kind, ...r, family, ...inetTarget(rest, text, r.listen), text };
  }
  if (unix) return unixSpec(unix[0], unix[1], rest, text);
  if (inherited) return inheritedSpec(inherited, rest, text);
  if (colon < 0 || shortcuts.listen || shortcuts.udp || shortcuts.unix || /^\.{0,2}\//.test(text)) return bareSpec(text, shortcuts);
  throw new UsageError(`unknown address kind '${text.slice(0, colon)}' in '${text}' (see berkeley cat --help)`);
}
