// dgram/ is the berkeley/dgram entry point: node:dgram's interface for
// every datagram family. udp.ts is node:dgram's Socket for 'udp4'/'udp6'
// (lib/dgram.js's logic), udp-states.ts its bind and connect states,
// udp-arguments.ts how its methods read their optional arguments, handle.ts
// libuv's part of it (bind, connect, the send queue), udp-options.ts its
// option setters, arguments.ts Node's argument checks; unix.ts is the npm unix-dgram package's interface for
// 'unix_dgram'; receive.ts the recvmmsg loop both emit 'message' from;
// address.ts and errors.ts node:dgram's addresses and errors.
/**
 * node:dgram's interface for every datagram family. `createSocket('udp4' |
 * 'udp6')` is node:dgram's Socket (same methods, argument forms, events,
 * error codes and ordering: swap the import and a node:dgram program runs
 * unchanged), receiving many datagrams per recvmmsg(2).
 * `createSocket('unix_dgram')` is the npm `unix-dgram` package's interface,
 * so `module.exports = require('berkeley/dgram')` in place of `unix-dgram`
 * makes hot-shots and winston-syslog work without a compiler.
 *
 * @packageDocumentation
 * @example
 * import dgram from 'berkeley/dgram';
 * const server = dgram.createSocket('udp4');
 * server.on('message', (msg, rinfo) => console.log(`${msg} from ${rinfo.address}:${rinfo.port}`));
 * server.bind(41234);
 */
import type { Buffer } from 'node:buffer';
import { Socket, type RemoteInfo, type SocketOptions } from './udp.js';
import { UnixDgramSocket, type UnixRemoteInfo } from './unix.js';

export { Socket, UnixDgramSocket };
export type { BindOptions, LookupFunction, RemoteInfo, SocketOptions } from './udp.js';
export type { AddressInfo } from './address.js';
export type { UnixRemoteInfo } from './unix.js';

/**
 * A datagram socket: node:dgram's Socket for 'udp4' and 'udp6' (or an
 * options object, as node:dgram takes), unix-dgram's for 'unix_dgram'.
 * `listener` is added for 'message'.
 *
 * @throws TypeError `ERR_SOCKET_BAD_TYPE` for another type, `ERR_INVALID_ARG_TYPE` for a bad option;
 * RangeError `ERR_OUT_OF_RANGE` for a bad buffer size; for 'unix_dgram', an Error with a negative `code` when socket(2) fails.
 * @example
 * const udp = createSocket({ type: 'udp6', ipv6Only: true });
 * const unix = createSocket('unix_dgram', (msg, rinfo) => console.log(msg, rinfo.address));
 */
export function createSocket(type: 'unix_dgram' | (SocketOptions & { type: 'unix_dgram' }), listener?: (msg: Buffer, rinfo: UnixRemoteInfo) => void): UnixDgramSocket;
export function createSocket(type: 'udp4' | 'udp6' | SocketOptions, listener?: (msg: Buffer, rinfo: RemoteInfo) => void): Socket;
export function createSocket(type: 'udp4' | 'udp6' | 'unix_dgram' | SocketOptions, listener?: (msg: Buffer, rinfo: never) => void): Socket | UnixDgramSocket {
  const name = type !== null && typeof type === 'object' ? type.type : type;
  if (name === 'unix_dgram') return new UnixDgramSocket(listener as (msg: Buffer, rinfo: UnixRemoteInfo) => void);
  return new Socket(type as SocketOptions, listener as (msg: Buffer, rinfo: RemoteInfo) => void);
}

/** The module as one object, as `import dgram from 'node:dgram'` gives it. */
const dgram: {
  /** {@link createSocket}. */
  createSocket: typeof createSocket;
  /** node:dgram's Socket ({@link Socket}). */
  Socket: typeof Socket;
  /** unix-dgram's socket ({@link UnixDgramSocket}). */
  UnixDgramSocket: typeof UnixDgramSocket;
} = { createSocket, Socket, UnixDgramSocket };
export default dgram;
