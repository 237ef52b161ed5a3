// Socket options: by name (LuaSocket's and nixio's names, decoded values),
// nixio's (level, name) pairs, and by number (S-Lang's and luaposix's
// structs, luaposix's two values, raw numbers and bytes). A tcp()/udp()
// socket without an fd yet remembers named options and applies them when
// its family is chosen.
import { invalidArgValue, noFamilyError, systemError } from '../errors.js';
import { AF, familyName, levelNumber } from '../codec/names.js';
import { encodeOption, encodeOptionValue, namedOption, nixioValue, optionNumber, optionValueReader, readableOption, type OptionName } from '../codec/options.js';
import { layout, readIntValue } from '../sys/struct.js';
import * as sys from '../sys/fd.js';
import type { SocketState } from './state.js';

export function setOption(s: SocketState, name: OptionName, value: unknown): void {
  const [level, opt, bytes] = encodeOption(name, value);
  if (s.deferred) {
    s.deferred.options.push([name, value]);
    return;
  }
  const rc = sys.setsockopt(s.open('setsockopt'), level, opt, bytes);
  if (rc < 0) throw systemError(rc, 'setsockopt');
}

export function getOption(s: SocketState, name: OptionName): unknown {
  const def = readableOption(name);
  if (s.deferred) {
    const remembered = s.deferred.options.findLast(([n]) => n === name);
    if (remembered) return remembered[1];
    throw noFamilyError('getsockopt');
  }
  const codec = def.codec;
  const rc = sys.getsockopt(s.open('getsockopt'), def.level!, def.name!, codec.size!);
  if (rc < 0) throw systemError(rc, 'getsockopt');
  return codec.decode!(sys.option, sys.results[0]);
}

type Level = number | 'socket' | 'ip' | 'ipv6' | 'tcp' | 'udp';

/**
 * nixio's setopt and S-Lang's/luaposix's setsockopt: a named option at its
 * own level ('tcp', 'nodelay'), with its decoded value (nixio's 0 and 1 for
 * flags); else by number or constant name, where structs are objects with
 * the seeds' field names ({ l_onoff, l_linger }, { tv_sec, tv_usec }, ...),
 * `value2` luaposix's second value, strings for SO_BINDTODEVICE and
 * TCP_CONGESTION, and anything else a raw number, boolean or bytes.
 */
export function setsockopt(s: SocketState, level: Level, name: number | string, value: unknown, value2?: unknown): void {
  const named = namedOption(level, name);
  if (named) {
    if (value2 !== undefined) throw invalidArgValue('value2', value2, `is not taken by the named option '${named}'`);
    return setOption(s, named, nixioValue(named, value));
  }
  const lvl = levelNumber(level);
  const opt = optionNumber(level, name);
  const bytes = encodeOptionValue(lvl, opt, value, value2);
  const rc = sys.setsockopt(s.open('setsockopt'), lvl, opt, bytes);
  if (rc < 0) throw systemError(rc, 'setsockopt');
}

/** nixio's getopt: as setsockopt; by number, structs and strings decoded unless `kind` ('int', 'bytes' or a byte length) forces a representation. */
export function getsockopt(s: SocketState, level: Level, name: number | string, kind?: 'int' | 'bytes' | number): unknown {
  const named = kind === undefined ? namedOption(level, name) : null;
  if (named) return getOption(s, named);
  const lvl = levelNumber(level);
  const opt = optionNumber(level, name);
  const reader = optionValueReader(lvl, opt, kind);
  const rc = sys.getsockopt(s.open('getsockopt'), lvl, opt, reader.size);
  if (rc < 0) throw systemError(rc, 'getsockopt');
  return reader.decode(sys.option, sys.results[0]);
}

/** An int-valued option read straight from an fd (SO_ERROR, SO_TYPE, ...). */
export function intOption(fd: number, level: number, name: number): number {
  const rc = sys.getsockopt(fd, level, name, layout.intSize);
  if (rc < 0) throw systemError(rc, 'getsockopt');
  return readIntValue(sys.option, sys.results[0]);
}

// ---- multicast ----------------------------------------------------------------

function inet6(s: SocketState): boolean {
  if (s.family === AF.inet6) return true;
  if (s.family === AF.inet || s.deferred) return false;
  throw invalidArgValue('socket', familyName(s.family), 'must be an inet or inet6 socket for multicast');
}

/** Joins (add) or leaves a group, on an interface by name, index or (IPv4) address. */
export function membership(s: SocketState, add: boolean, group: string, iface: string | number): void {
  const name = inet6(s) ? (add ? 'ipv6-add-membership' : 'ipv6-drop-membership') : (add ? 'ip-add-membership' : 'ip-drop-membership');
  setOption(s, name, { multiaddr: group, interface: iface });
}

/** Source-specific membership (IPv4 only here). */
export function sourceMembership(s: SocketState, add: boolean, group: string, source: string, iface: string): void {
  if (inet6(s)) throw invalidArgValue('socket', 'inet6', 'source-specific membership is IPv4 only here (use setsockopt with MCAST_JOIN_SOURCE_GROUP)');
  setOption(s, add ? 'ip-add-source-membership' : 'ip-drop-source-membership', { multiaddr: group, source, interface: iface });
}

/** The multicast option of the socket's family: IPv4's name or IPv6's. */
export function multicastOption(s: SocketState, v4: OptionName, v6: OptionName, value: unknown): void {
  setOption(s, inet6(s) ? v6 : v4, value);
}
