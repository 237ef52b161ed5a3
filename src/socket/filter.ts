// The classic BPF filter of any socket: SO_ATTACH_FILTER (or, for a
// SO_REUSEPORT group, SO_ATTACH_REUSEPORT_CBPF), SO_DETACH_FILTER and
// SO_LOCK_FILTER. A program is given as instructions or as a pcap-filter
// expression, compiled for where the kernel runs it on this socket: a
// packet socket's frames (Ethernet, raw IP, or cooked), or an IP socket's
// packets, whose network header it reaches through SKF_NET_OFF.
import { Buffer } from 'node:buffer';
import { invalidArgType, invalidArgValue, systemError } from '../errors.js';
import { validateBoolean, validateObject } from '../validate.js';
import { AF } from '../codec/names.js';
import { SOCK_DGRAM, SOL_SOCKET, SO_DETACH_FILTER, SO_LOCK_FILTER } from '../sys/constants.js';
import { EOPNOTSUPP } from '../sys/errno.js';
import * as sys from '../sys/fd.js';
import { layout, setI32, u16 } from '../sys/struct.js';
import { packProgram, validateProgram, type BpfInstruction } from '../capture/bpf.js';
import { compileFor, MAX_SNAPLEN } from '../capture/compile.js';
import { linkTypeOf } from '../capture/link.js';
import { captureLayout, setfilter } from '../capture/native.js';
import type { Target } from '../capture/primitives.js';
import type { SocketState } from './state.js';

/** attachFilter's options: `reuseport` attaches the program that picks a socket of a SO_REUSEPORT group (it returns an index). */
export interface AttachFilterOptions { reuseport?: boolean }

function intValue(v: number): Buffer {
  const b = Buffer.alloc(4);
  setI32(b, 0, v);
  return b;
}

/** Where the kernel runs a filter on this socket, for compiling an expression. */
function targetOf(s: SocketState, fd: number): Target {
  if (s.family === AF.inet || s.family === AF.inet6) return 'network';
  if (AF.packet !== undefined && s.family === AF.packet) {
    if (s.type === SOCK_DGRAM) return 'cooked-live';
    // SOCK_RAW: the frames of the bound interface's type (Ethernet when unbound or bound to all).
    if (sys.getsockname(fd) >= 0 && sys.results[0] >= layout.llHatype! + 2) {
      const hatype = u16(sys.sockaddr, layout.llHatype!);
      const link = hatype === 0 ? 'ethernet' : linkTypeOf(hatype);
      if (link === 'linux-sll') throw invalidArgValue('program', 'an expression', 'cannot be compiled for this interface\'s link type (give a program, or capture it with capture())');
      return link === 'ethernet' ? 'ethernet-live' : 'raw';
    }
    return 'ethernet-live';
  }
  throw invalidArgValue('program', 'an expression', 'is only understood on packet and IP sockets (give a BPF program for other families)');
}

/** The instructions of `program`, checked (an expression only for its syntax: its target needs the socket). */
function checkProgram(program: unknown): BpfInstruction[] | string {
  if (typeof program === 'string') {
    compileFor(program, 'ethernet', MAX_SNAPLEN);
    return program;
  }
  if (Array.isArray(program)) return validateProgram(program, 'program');
  throw invalidArgType('program', 'an instance of Array or of type string', program);
}

export function attachFilter(s: SocketState, program: unknown, opts?: unknown): void {
  let reuseport = false;
  if (opts !== undefined) {
    const o = validateObject<Record<string, unknown>>(opts, 'options');
    if (o.reuseport !== undefined) reuseport = validateBoolean(o.reuseport, 'options.reuseport');
  }
  const checked = checkProgram(program);
  const fd = s.open('setsockopt');
  const option = reuseport ? captureLayout?.SO_ATTACH_REUSEPORT_CBPF : captureLayout?.SO_ATTACH_FILTER;
  if (option === undefined) throw systemError(EOPNOTSUPP, 'setsockopt');
  const insns = typeof checked === 'string' ? compileFor(checked, targetOf(s, fd), MAX_SNAPLEN) : checked;
  const rc = setfilter(fd, option, packProgram(insns, layout.littleEndian));
  if (rc < 0) throw systemError(rc, 'setsockopt');
}

function setInt(s: SocketState, name: number | undefined, value: number): void {
  const fd = s.open('setsockopt');
  if (name === undefined) throw systemError(EOPNOTSUPP, 'setsockopt');
  const rc = sys.setsockopt(fd, SOL_SOCKET, name, intValue(value));
  if (rc < 0) throw systemError(rc, 'setsockopt');
}

export const detachFilter = (s: SocketState): void => setInt(s, SO_DETACH_FILTER, 0);
export const lockFilter = (s: SocketState): void => setInt(s, SO_LOCK_FILTER, 1);
