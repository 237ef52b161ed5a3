// node:dgram's argument forms for the udp Socket, as Node 20's lib/dgram.js
// takes them: createSocket's options, and the optional arguments of
// connect() and send() (which argument is which when some are left out),
// checked in lib/dgram.js's order so that a call throws the error Node's
// would. The types of those arguments are here too. Apart from udp.ts, whose
// methods take the sorted-out arguments from these and do the work.
import { Buffer } from 'node:buffer';
import dns from 'node:dns';
import { argType, badType, BUFFER_TYPES, isConnected } from './errors.js';
import { asBuffer, fixBufferList, sliceBuffer, validatePort, validateUint32 } from './arguments.js';
import type { Pending } from './handle.js';

/** node:dgram's lookup: dns.lookup's (hostname, family, callback) form. */
export type LookupFunction = (hostname: string, family: number, callback: (err: Error | null, address: string, family?: number) => void) => void;

/** createSocket()'s options, as node:dgram's. */
export interface SocketOptions {
  /** 'udp4', 'udp6', or 'unix_dgram' for the unix-dgram interface. */
  type: 'udp4' | 'udp6' | 'unix_dgram';
  /** SO_REUSEADDR before bind. */
  reuseAddr?: boolean;
  /** IPV6_V6ONLY before bind ('udp6'). */
  ipv6Only?: boolean;
  /** SO_RCVBUF, set when the socket is bound. */
  recvBufferSize?: number;
  /** SO_SNDBUF, set when the socket is bound. */
  sendBufferSize?: number;
  /** Resolves host names instead of dns.lookup. */
  lookup?: LookupFunction;
  /** Closes the socket when aborted. */
  signal?: AbortSignal;
}

/** bind()'s object form. */
export interface BindOptions {
  /** The port (default 0: any free one). */
  port?: number;
  /** The address or host name (default every address: 0.0.0.0 or ::). */
  address?: string;
  /** node:dgram's flag for cluster workers; workers here always bind their own socket. */
  exclusive?: boolean;
  /** An open UDP socket's fd to adopt instead of binding. */
  fd?: number;
}

/** The Socket constructor's first argument, checked: the type, the options object if one was given, and the lookup (dns.lookup by default). */
export function socketArguments(type: unknown): { type: 'udp4' | 'udp6'; options: SocketOptions | undefined; lookup: LookupFunction } {
  let options: SocketOptions | undefined;
  let lookup: unknown;
  if (type !== null && typeof type === 'object') {
    options = type as SocketOptions;
    type = options.type;
    lookup = options.lookup;
    if (options.recvBufferSize) validateUint32(options.recvBufferSize, 'options.recvBufferSize');
    if (options.sendBufferSize) validateUint32(options.sendBufferSize, 'options.sendBufferSize');
  }
  if (lookup === undefined) lookup = dns.lookup;
  else if (typeof lookup !== 'function') throw argType('lookup', 'of type function', lookup);
  if (type !== 'udp4' && type !== 'udp6') throw badType();
  return { type, options, lookup: lookup as LookupFunction };
}

/** connect(port, address?, callback?) checked: the port, the address ('' when left out) and the callback. */
export function connectArguments(port: unknown, address: unknown, callback: ((err?: Error) => void) | undefined): [port: number, address: string, callback: ((err?: Error) => void) | undefined] {
  const p = validatePort(port, 'Port', false);
  if (typeof address === 'function') {
    callback = address as (err?: Error) => void;
    address = '';
  } else if (address === undefined) address = '';
  if (typeof address !== 'string') throw argType('address', 'of type string', address);
  return [p, address, callback];
}

/** send()'s arguments sorted out: the datagram as a list of buffers, the port and address (unchecked on a connected socket), the callback. */
export interface SendArguments { list: Buffer[]; port: unknown; address: unknown; callback: Pending['callback'] }

/**
 * send(msg, [offset, length,] port, [address,] [callback]) on an
 * unconnected socket, send(msg, [offset, length,] [callback]) on a connected
 * one: which argument is which, the message as buffers, the port checked.
 */
export function sendArguments(connected: boolean, msg: unknown, offset: unknown, length: unknown, port: unknown, address: unknown, callback: unknown): SendArguments {
  let buffer = msg;
  let list: Buffer[] | null;
  if (!connected) {
    if (address || (port && typeof port !== 'function')) buffer = sliceBuffer(buffer, offset, length);
    else {
      callback = port;
      port = offset;
      address = length;
    }
  } else {
    if (typeof length === 'number') {
      buffer = sliceBuffer(buffer, offset, length);
      if (typeof port === 'function') {
        callback = port;
        port = null;
      }
    } else callback = offset;
    if (port || address) throw isConnected();
  }
  if (!Array.isArray(buffer)) {
    if (typeof buffer === 'string') list = [Buffer.from(buffer)];
    else if (!ArrayBuffer.isView(buffer)) throw argType('buffer', BUFFER_TYPES, buffer);
    else list = [asBuffer(buffer)];
  } else if (!(list = fixBufferList(buffer))) throw argType('buffer list arguments', BUFFER_TYPES, buffer);
  if (!connected) port = validatePort(port, 'Port', false);
  if (typeof callback !== 'function') callback = undefined;
  if (typeof address === 'function') {
    callback = address;
    address = undefined;
  } else if (address != null && typeof address !== 'string') throw argType('address', 'of type string', address);
  return { list, port, address, callback: callback as Pending['callback'] };
}
