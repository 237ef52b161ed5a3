// Sockets across worker threads: transfer() gives a socket's fd up (as
// detach() does) in a plain object that postMessage() can clone, with
// everything the socket had read but not handed out yet: datagrams read
// ahead by a loop (iterate.ts) and stream bytes receive() buffered.
// Socket.from(transferable), in any worker or the same thread, owns the fd
// again and puts that data back where the next receive call takes it
// first, so nothing read ahead is lost. An fd is a number valid in every
// thread of the process; the addon closes what a worker's sockets own when
// that worker exits.
import { Buffer } from 'node:buffer';
import { invalidArgType } from '../errors.js';
import { validateFd, validateInteger, validateObject } from '../validate.js';
import type { ReceivedMessage } from '../codec/message.js';
import type { SocketAddress } from '../codec/sockaddr.js';
import { ReadAhead } from '../io/readahead.js';
import { kState, type SocketState } from './state.js';

/** A datagram read ahead, as a TransferableSocket carries it (plain data, cloned by postMessage). */
export type TransferredDatagram = Omit<ReceivedMessage, 'data'> & {
  /** The datagram's bytes (a Buffer before postMessage, a Uint8Array after). */
  data: Uint8Array;
};

/**
 * What transfer() returns and Socket.from() takes: the fd, the socket's
 * family, type and protocol numbers, and what it had read but not handed
 * out: `input` (stream bytes) and `ahead` (datagrams), when there are any.
 * A plain object: send it with postMessage().
 */
export interface TransferableSocket {
  /** The socket's fd, given up by the sender: whoever calls Socket.from() owns it. */
  fd: number;
  /** AF_* number. */
  family: number;
  /** SOCK_* number. */
  type: number;
  /** The protocol number (0: the family's default). */
  protocol: number;
  /** Stream bytes receive() had buffered. */
  input?: Uint8Array;
  /** Datagrams a loop had read ahead, oldest first. */
  ahead?: TransferredDatagram[];
}

/** The socket's fd and unread data as a TransferableSocket; `detach` gives the fd up. */
export function transfer(s: SocketState, detach: () => number): TransferableSocket {
  s.open('transfer');
  const ahead: TransferredDatagram[] = [];
  // Taken out before detach, which would drop them (and close their fds).
  for (let m = s.nextAhead(0); m !== null; m = s.nextAhead(0)) ahead.push(plain(m));
  const input = s.input.length > 0 ? new Uint8Array(s.input.take(s.input.length)) : null;
  const { family, type, protocol } = s;
  const t: TransferableSocket = { fd: detach(), family, type, protocol };
  if (input !== null) t.input = input;
  if (ahead.length > 0) t.ahead = ahead;
  return t;
}

/** A received message as plain, cloneable data; its bytes copied out of the batch they share. */
function plain(m: ReceivedMessage): TransferredDatagram {
  const d: TransferredDatagram = {
    data: new Uint8Array(m.data), address: m.address === null ? null : copyAddress(m.address), flags: m.flags,
    fds: [...m.fds], control: m.control.map((c) => ({ level: c.level, type: c.type, data: Buffer.from(c.data) })),
    truncated: m.truncated, controlTruncated: m.controlTruncated,
  };
  copyFields(d, m);
  return d;
}

/** The fields every received message has; the others are in FIELDS. */
type Always = 'data' | 'address' | 'flags' | 'fds' | 'control' | 'truncated' | 'controlTruncated';
type Optional = Exclude<keyof ReceivedMessage, Always>;

/**
 * How each optional field of a received datagram is copied, on the way
 * into a TransferableSocket and on the way out: every one (the type makes
 * a field added to ReceivedMessage and missing here a compile error),
 * objects copied so nothing is shared, addresses in the shape a direct
 * receive gives.
 */
const FIELDS: { [K in Optional]-?: (v: NonNullable<ReceivedMessage[K]>) => NonNullable<ReceivedMessage[K]> } = {
  credentials: (c) => ({ ...c }),
  pktinfo: (p) => ({ ...p }),
  timestamp: (t) => t,
  segmentSize: (n) => n,
  tos: (n) => n,
  ttl: (n) => n,
  originalDestination: copyAddress,
  extendedError: (e) => ({ ...e, offender: e.offender === null ? null : copyAddress(e.offender) }),
};

/** Copies the optional fields `from` has onto `to`. */
function copyFields(to: Partial<Pick<ReceivedMessage, Optional>>, from: Record<string, unknown> | ReceivedMessage): void {
  const f = from as Record<string, unknown>;
  for (const key of Object.keys(FIELDS) as Optional[]) {
    const v = f[key];
    if (v !== undefined && v !== null) (to as Record<string, unknown>)[key] = (FIELDS[key] as (v: unknown) => unknown)(v);
  }
}

/**
 * A copy of an address whose bytes (a packet address's `addr`, an unknown
 * family's `bytes`) are a Buffer of their own: postMessage clones a Buffer
 * as a plain Uint8Array, which this makes a Buffer again.
 */
function copyAddress(a: SocketAddress): SocketAddress {
  const c: Record<string, unknown> = { ...a };
  for (const key of ['addr', 'bytes']) {
    if (c[key] instanceof Uint8Array) c[key] = Buffer.from(c[key]);
  }
  return c as SocketAddress;
}

/**
 * Socket.from(transferable): `adopt` owns the fd (reading family, type and
 * protocol from the kernel, as Socket.from(fd) does); the unread data goes
 * back in front of the socket's input.
 */
export function fromTransferable<S extends { [kState]: SocketState }>(value: unknown, adopt: (fd: number) => S): S {
  const t = validateObject<Record<string, unknown>>(value, 'transferable');
  const fd = validateFd(t.fd, 'transferable.fd');
  for (const key of ['family', 'type', 'protocol'] as const) validateInteger(t[key], `transferable.${key}`, 0, 0x7fffffff);
  const input = t.input;
  if (input !== undefined && !(input instanceof Uint8Array)) throw invalidArgType('transferable.input', 'an instance of Uint8Array', input);
  const ahead = t.ahead === undefined ? [] : t.ahead;
  if (!Array.isArray(ahead)) throw invalidArgType('transferable.ahead', 'an instance of Array', ahead);
  const messages = Array.from(ahead as unknown[], (d, i) => received(d, `transferable.ahead[${i}]`));
  const sock = adopt(fd);
  const s = sock[kState];
  if (input !== undefined && input.length > 0) s.input.push(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  if (messages.length > 0) s.keepAhead(new ReadAhead(messages, 0));
  return sock;
}

/** A transferred datagram back as a ReceivedMessage (its data a Buffer again). */
function received(value: unknown, name: string): ReceivedMessage {
  const d = validateObject<Record<string, unknown>>(value, name);
  const data = d.data;
  if (!(data instanceof Uint8Array)) throw invalidArgType(`${name}.data`, 'an instance of Uint8Array', data);
  const fds = d.fds === undefined ? [] : d.fds;
  if (!Array.isArray(fds)) throw invalidArgType(`${name}.fds`, 'an instance of Array', fds);
  const control = Array.isArray(d.control) ? d.control as ReceivedMessage['control'] : [];
  const m: ReceivedMessage = {
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    address: d.address === undefined || d.address === null ? null : copyAddress(d.address as SocketAddress),
    flags: typeof d.flags === 'number' ? d.flags : 0, fds: fds.map((fd: unknown, i: number) => validateFd(fd, `${name}.fds[${i}]`)),
    control: control.map((c) => ({ level: c.level, type: c.type, data: Buffer.from(c.data) })),
    truncated: d.truncated === true, controlTruncated: d.controlTruncated === true,
  };
  copyFields(m, d);
  return m;
}
