// node:dgram's Socket for 'udp4' and 'udp6' over a berkeley Socket: the
// same methods, argument forms, events, errors and ordering as Node 20's
// lib/dgram.js, whose logic this follows step by step (its bind state,
// connect state and the queue of calls made while an implicit bind
// resolves), with libuv's part (uv_udp_*) done by berkeley: the fd is made
// at the first bind as libuv makes it, sends are tried at once and queued
// in order when the kernel's buffer is full, and datagrams are received by
// recvmmsg(2) (receive.ts). The methods' argument forms are sorted out in
// udp-arguments.ts, and the bind and connect states kept by udp-states.ts.
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';
import { constants as os } from 'node:os';
import { alreadyBound, argType, errnoException, errnoOf, exceptionWithHostPort, notConnected, isConnected, notRunning } from './errors.js';
import { addressInfo, EINVAL, type AddressInfo } from './address.js';
import { isInt32 } from './arguments.js';
import { bindFd, cancelSends, disconnectFd, doSend, type DgramState } from './handle.js';
import { bufferSize, openFd, UdpOptions } from './udp-options.js';
import { connectArguments, sendArguments, socketArguments, type BindOptions, type SocketOptions } from './udp-arguments.js';
import { BINDING, BOUND, CONNECTED, CONNECTING, connectNow, DISCONNECTED, enqueue, initialState, startListening, UNBOUND } from './udp-states.js';

export type { BindOptions, LookupFunction, SocketOptions } from './udp-arguments.js';

/** What a 'message' listener gets besides the data: the sender and the datagram's size. */
export interface RemoteInfo extends AddressInfo {
  /** The datagram's length in bytes. */
  size: number;
}

const kState = Symbol('berkeley.dgram.state');

/**
 * node:dgram's Socket, for 'udp4' and 'udp6': a program written for
 * node:dgram runs unchanged with its import changed to `berkeley/dgram`.
 * Datagrams are received by recvmmsg(2), many per system call. Errors are
 * Node's (`ERR_SOCKET_BAD_PORT`, `ERR_SOCKET_DGRAM_NOT_RUNNING`, system
 * errors with a negative `errno`), events come in node:dgram's order
 * ('listening' before the first 'message', 'close' on the next tick).
 *
 * Not supported: cluster workers sharing a primary's socket (each worker
 * binds its own, as with `exclusive: true`).
 *
 * @example
 * import { createSocket } from 'berkeley/dgram';
 * const server = createSocket('udp4');
 * server.on('message', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
 * server.bind(41234, '127.0.0.1');
 */
export class Socket extends EventEmitter {
  /** 'udp4' or 'udp6'. */
  readonly type: 'udp4' | 'udp6';
  /** @internal */
  readonly [kState]: DgramState;

  /**
   * Use createSocket().
   *
   * @throws TypeError `ERR_SOCKET_BAD_TYPE`, `ERR_INVALID_ARG_TYPE`; RangeError `ERR_OUT_OF_RANGE` for a bad buffer size.
   */
  constructor(type: 'udp4' | 'udp6' | SocketOptions, listener?: (msg: Buffer, rinfo: RemoteInfo) => void) {
    super();
    const args = socketArguments(type);
    const options = args.options;
    this.type = args.type;
    if (typeof listener === 'function') this.on('message', listener);
    this[kState] = initialState(options, args.type === 'udp6', args.lookup);
    if (options?.signal !== undefined) {
      const { signal } = options;
      if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) throw argType('options.signal', 'an instance of AbortSignal', signal);
      const onAborted = (): void => { if (this[kState].open) this.close(); };
      if (signal.aborted) onAborted();
      else {
        signal.addEventListener('abort', onAborted, { once: true });
        this.once('close', () => signal.removeEventListener('abort', onAborted));
      }
    }
  }

  /**
   * Binds to a port and address (default: any port, every address),
   * resolving the address with the socket's lookup, then emits
   * 'listening' and starts receiving. Forms: bind(port?, address?,
   * callback?), bind({ port, address, exclusive, fd }, callback?); with `fd`
   * an open UDP socket is adopted instead. The callback is a 'listening'
   * listener. System calls: socket(2), setsockopt(2) (reuseAddr,
   * ipv6Only), bind(2).
   *
   * @throws Error `ERR_SOCKET_ALREADY_BOUND`, `ERR_SOCKET_DGRAM_NOT_RUNNING`; TypeError `ERR_INVALID_FD_TYPE`.
   * Failures of the lookup or of bind(2) are 'error' events (`bind EADDRINUSE 127.0.0.1:53`).
   * @example
   * sock.bind(0, '127.0.0.1', () => console.log(sock.address().port));
   */
  bind(port?: number | BindOptions | null, address?: string | (() => void), callback?: () => void): this;
  bind(...args: unknown[]): this {
    let port = args[0];
    const address_ = args[1];
    healthCheck(this);
    const state = this[kState];
    if (state.bindState !== UNBOUND) throw alreadyBound();
    state.bindState = BINDING;
    const cb = args.length > 0 && args[args.length - 1];
    if (typeof cb === 'function') {
      const removeListeners = (): void => {
        this.removeListener('error', removeListeners);
        this.removeListener('listening', onListening);
      };
      const onListening = (): void => { removeListeners(); cb.call(this); };
      this.on('error', removeListeners);
      this.on('listening', onListening);
    }
    if (port !== null && typeof port === 'object' && isInt32((port as BindOptions).fd) && (port as BindOptions).fd! > 0) {
      const errno = openFd(state, (port as BindOptions).fd!);
      if (errno) throw errnoException(errno, 'open');
      startListening(this, state);
      return this;
    }
    let address: string;
    if (port !== null && typeof port === 'object') {
      address = (port as BindOptions).address || '';
      port = (port as BindOptions).port;
    } else {
      address = typeof address_ === 'function' ? '' : address_ as string;
    }
    if (!address) address = state.v6 ? '::' : '0.0.0.0';
    state.lookup(address, (err, ip) => {
      if (!state.open) return;
      if (err) {
        state.bindState = UNBOUND;
        this.emit('error', err);
        return;
      }
      const errno = bindFd(state, ip, port);
      if (errno) {
        state.bindState = UNBOUND;
        this.emit('error', exceptionWithHostPort(errno, 'bind', ip, port));
        return;
      }
      startListening(this, state);
    });
    return this;
  }

  /**
   * Sets the peer (connect(2) on the datagram socket), binding first when
   * unbound; emits 'connect', or calls `callback` once connected. Only the
   * peer's datagrams are received from then on.
   *
   * @throws RangeError `ERR_SOCKET_BAD_PORT`; TypeError `ERR_INVALID_ARG_TYPE`; Error `ERR_SOCKET_DGRAM_IS_CONNECTED`.
   * A failed lookup or connect(2) goes to `callback`, or else to 'error'.
   * @example
   * sock.connect(53, '127.0.0.1', () => sock.send('query'));
   */
  connect(port: number, address?: string | (() => void), callback?: (err?: Error) => void): void {
    const [p, a, cb] = connectArguments(port, address, callback);
    const state = this[kState];
    if (state.connectState !== DISCONNECTED) throw isConnected();
    state.connectState = CONNECTING;
    if (state.bindState === UNBOUND) this.bind({ port: 0, exclusive: true }, null as never);
    const run = (): void => connectNow(this, state, p, a, cb);
    if (state.bindState !== BOUND) enqueue(this, state, run);
    else run();
  }

  /**
   * Forgets the peer: connect(2) with AF_UNSPEC.
   * @throws Error `ERR_SOCKET_DGRAM_NOT_CONNECTED`; a system error (`connect EBADF`).
   * @example
   * sock.disconnect();   // send() takes a port and address again
   */
  disconnect(): void {
    const state = this[kState];
    if (state.connectState !== CONNECTED) throw notConnected();
    const errno = disconnectFd(state);
    if (errno) throw errnoException(errno, 'connect');
    state.connectState = DISCONNECTED;
  }

  /**
   * Sends one datagram (sendmsg(2), gathered from an array of buffers),
   * binding first when unbound and resolving `address` (default 127.0.0.1
   * or ::1) with the lookup. Forms as node:dgram's: send(msg, [offset,
   * length,] port, [address,] [callback]) on an unconnected socket,
   * send(msg, [offset, length,] [callback]) on a connected one; `msg` is a
   * string, a Buffer, a TypedArray, a DataView or an array of them. The
   * callback gets (error, bytes); without one, a failed send is dropped
   * silently, as node:dgram drops it. A send that finds the kernel's buffer
   * full waits in order (getSendQueueCount()).
   *
   * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_SOCKET_BAD_PORT` / `ERR_BUFFER_OUT_OF_BOUNDS`,
   * Error `ERR_SOCKET_DGRAM_IS_CONNECTED` (an address on a connected socket), `ERR_SOCKET_DGRAM_NOT_RUNNING`.
   * @example
   * sock.send('ping', 41234, '127.0.0.1', (err, bytes) => console.log(err ?? bytes));
   * sock.send([header, body], port, 'localhost');
   */
  send(msg: unknown, offset?: unknown, length?: unknown, port?: unknown, address?: unknown, callback?: unknown): void {
    const state = this[kState];
    const connected = state.connectState === CONNECTED;
    const args = sendArguments(connected, msg, offset, length, port, address, callback);
    const list = args.list;
    healthCheck(this);
    if (state.bindState === UNBOUND) this.bind({ port: 0, exclusive: true }, null as never);
    if (list.length === 0) list.push(Buffer.alloc(0));
    const cb = args.callback;
    if (state.bindState !== BOUND) {
      enqueue(this, state, () => this.send(list, args.port, args.address, cb));
      return;
    }
    if (!connected) {
      state.lookup(args.address as string, (ex, ip) => doSend(this, state, ex, ip, list, args.address, args.port, cb));
    } else doSend(this, state, null, null, list, args.address, args.port, cb);
  }

  /**
   * node:dgram's legacy sendto(buffer, offset, length, port, address,
   * callback): send() after checking that offset, length and port are
   * numbers and address a string.
   * @throws TypeError `ERR_INVALID_ARG_TYPE`; as send().
   * @example
   * sock.sendto(buf, 0, buf.length, 41234, '127.0.0.1');
   */
  sendto(buffer: unknown, offset: number, length: number, port: number, address: string, callback?: (err: Error | null, bytes?: number) => void): void {
    if (typeof offset !== 'number') throw argType('offset', 'of type number', offset);
    if (typeof length !== 'number') throw argType('length', 'of type number', length);
    if (typeof port !== 'number') throw argType('port', 'of type number', port);
    if (typeof address !== 'string') throw argType('address', 'of type string', address);
    this.send(buffer, offset, length, port, address, callback);
  }

  /**
   * Closes the socket (close(2)); 'close' follows on the next tick, and
   * `callback` is a 'close' listener. Sends still waiting for room get
   * `ECANCELED`. Called while an implicit bind resolves, it runs once that
   * is done.
   * @throws Error `ERR_SOCKET_DGRAM_NOT_RUNNING` when already closed.
   * @example
   * sock.close(() => console.log('closed'));
   */
  close(callback?: () => void): this {
    const state = this[kState];
    if (typeof callback === 'function') this.on('close', callback);
    if (state.queue !== undefined) {
      state.queue.push(() => this.close());
      return this;
    }
    healthCheck(this);
    state.receiving = false;
    state.open = false;
    state.sock?.close();
    state.sock = null;
    process.nextTick(() => this.emit('close'));
    cancelSends(state);
    return this;
  }

  /**
   * Closes the socket and resolves on 'close'; nothing when already closed. Never rejects.
   *
   * @example
   * await using sock = createSocket('udp4');
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this[kState].open) return;
    await new Promise<void>((resolve) => this.close(resolve));
  }

  /**
   * The bound address: getsockname(2) as `{ address, family, port }`.
   * @throws Error `ERR_SOCKET_DGRAM_NOT_RUNNING`; a system error (`getsockname EBADF` when not bound).
   * @example
   * sock.bind(0, () => console.log(sock.address().port));
   */
  address(): AddressInfo {
    healthCheck(this);
    const sock = this[kState].sock;
    if (sock === null) throw errnoException(-os.errno.EBADF, 'getsockname');
    try {
      return addressInfo(sock.localAddress());
    } catch (err) {
      throw errnoException(errnoOf(err) ?? EINVAL, 'getsockname');
    }
  }

  /**
   * The connected peer: getpeername(2) as `{ address, family, port }`.
   * @throws Error `ERR_SOCKET_DGRAM_NOT_CONNECTED`, `ERR_SOCKET_DGRAM_NOT_RUNNING`.
   * @example
   * sock.connect(53, '127.0.0.1', () => console.log(sock.remoteAddress()));
   */
  remoteAddress(): AddressInfo {
    healthCheck(this);
    const state = this[kState];
    if (state.connectState !== CONNECTED) throw notConnected();
    try {
      return addressInfo(state.sock!.remoteAddress());
    } catch (err) {
      throw errnoException(errnoOf(err) ?? EINVAL, 'getpeername');
    }
  }

  /**
   * SO_BROADCAST: whether sends to a broadcast address are allowed.
   *
   * @throws a system error (`setBroadcast EBADF` before bind); a TypeError (node:dgram's, reading a closed socket's null handle) after close().
   * @example
   * sock.bind(() => sock.setBroadcast(true));
   */
  setBroadcast(flag: boolean): void { options(this, 'setBroadcast').broadcast(flag); }
  /**
   * IP_TTL / IPV6_UNICAST_HOPS, 1-255; returns `ttl`.
   *
   * @throws TypeError `ERR_INVALID_ARG_TYPE`; a system error (`setTTL EINVAL`, `setTTL EBADF`).
   * @example
   * sock.bind(() => sock.setTTL(64));
   */
  setTTL(ttl: number): number { return options(this, 'setTTL').ttl(ttl); }
  /**
   * IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS, 0-255; returns `ttl`.
   *
   * @throws as setTTL.
   * @example
   * sock.bind(() => sock.setMulticastTTL(4));
   */
  setMulticastTTL(ttl: number): number { return options(this, 'setMulticastTTL').multicastTTL(ttl); }
  /**
   * IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP; returns `flag`.
   *
   * @throws a system error (`setMulticastLoopback EBADF` before bind); a TypeError (node:dgram's, reading a closed socket's null handle) after close().
   * @example
   * sock.bind(() => sock.setMulticastLoopback(false));
   */
  setMulticastLoopback(flag: boolean): boolean { return options(this, 'setMulticastLoopback').multicastLoopback(flag); }
  /**
   * IP_MULTICAST_IF (an IPv4 address) or IPV6_MULTICAST_IF (an IPv6 address's zone, '::%eth0').
   *
   * @throws a system error (`setMulticastInterface EINVAL`); Error `ERR_SOCKET_DGRAM_NOT_RUNNING` after close().
   * @example
   * sock.bind(() => sock.setMulticastInterface('192.0.2.1'));
   */
  setMulticastInterface(interfaceAddress: string): void { healthCheck(this); options(this, 'setMulticastInterface').multicastInterface(interfaceAddress); }
  /**
   * Joins a multicast group (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP), on the
   * interface with this address (IPv4) or zone (IPv6); binds to the
   * wildcard first when unbound, as libuv does.
   * @throws TypeError `ERR_MISSING_ARGS`; a system error (`addMembership EINVAL`, `addMembership ENODEV`).
   * @example
   * sock.bind(5353, () => sock.addMembership('224.0.0.251'));
   */
  addMembership(multicastAddress: string, interfaceAddress?: string): void { healthCheck(this); options(this, 'addMembership').membership(true, multicastAddress, interfaceAddress); }
  /**
   * Leaves a group joined with addMembership.
   *
   * @throws as addMembership.
   * @example
   * sock.dropMembership('224.0.0.251');
   */
  dropMembership(multicastAddress: string, interfaceAddress?: string): void { healthCheck(this); options(this, 'dropMembership').membership(false, multicastAddress, interfaceAddress); }
  /**
   * Source-specific membership (IP_ADD_SOURCE_MEMBERSHIP; IPv4).
   *
   * @throws TypeError `ERR_INVALID_ARG_TYPE`; a system error.
   * @example
   * sock.bind(5000, () => sock.addSourceSpecificMembership('192.0.2.10', '232.1.2.3'));
   */
  addSourceSpecificMembership(sourceAddress: string, groupAddress: string, interfaceAddress?: string): void {
    healthCheck(this);
    options(this, 'addSourceSpecificMembership').sourceMembership(true, sourceAddress, groupAddress, interfaceAddress);
  }
  /**
   * Leaves a source-specific membership.
   *
   * @throws as addSourceSpecificMembership.
   * @example
   * sock.dropSourceSpecificMembership('192.0.2.10', '232.1.2.3');
   */
  dropSourceSpecificMembership(sourceAddress: string, groupAddress: string, interfaceAddress?: string): void {
    healthCheck(this);
    options(this, 'dropSourceSpecificMembership').sourceMembership(false, sourceAddress, groupAddress, interfaceAddress);
  }
  /**
   * SO_RCVBUF: the receive buffer's size in bytes (the kernel doubles it).
   *
   * @throws TypeError `ERR_SOCKET_BAD_BUFFER_SIZE`; SystemError `ERR_SOCKET_BUFFER_SIZE` (before bind: EBADF).
   * @example
   * sock.bind(() => sock.setRecvBufferSize(1 << 20));
   */
  setRecvBufferSize(size: number): void { bufferSize(handle(this, 'bufferSize'), size, true); }
  /**
   * SO_SNDBUF: the send buffer's size in bytes.
   *
   * @throws as setRecvBufferSize.
   * @example
   * sock.bind(() => sock.setSendBufferSize(1 << 20));
   */
  setSendBufferSize(size: number): void { bufferSize(handle(this, 'bufferSize'), size, false); }
  /**
   * SO_RCVBUF as the kernel reports it (Linux doubles what was set).
   *
   * @throws SystemError `ERR_SOCKET_BUFFER_SIZE`.
   * @example
   * sock.bind(() => console.log(sock.getRecvBufferSize()));
   */
  getRecvBufferSize(): number { return bufferSize(handle(this, 'bufferSize'), 0, true); }
  /**
   * SO_SNDBUF as the kernel reports it.
   *
   * @throws SystemError `ERR_SOCKET_BUFFER_SIZE`.
   * @example
   * sock.bind(() => console.log(sock.getSendBufferSize()));
   */
  getSendBufferSize(): number { return bufferSize(handle(this, 'bufferSize'), 0, false); }
  /**
   * Bytes of sends waiting for room in the kernel's buffer.
   *
   * @throws a TypeError (node:dgram's, reading a closed socket's null handle) after close().
   * @example
   * if (sock.getSendQueueSize() > 1 << 20) pause();
   */
  getSendQueueSize(): number { return handle(this, 'getSendQueueSize').sendingBytes; }
  /**
   * Sends waiting for room in the kernel's buffer.
   *
   * @throws a TypeError (node:dgram's, reading a closed socket's null handle) after close().
   * @example
   * console.log(sock.getSendQueueCount());   // 0 while the kernel keeps up
   */
  getSendQueueCount(): number { return handle(this, 'getSendQueueCount').sending.length; }

  /**
   * A bound socket keeps the process alive (the default); undoes unref(). Never throws.
   *
   * @example
   * sock.unref();
   * sock.ref();
   */
  ref(): this {
    const state = this[kState];
    if (state.open) { state.ref = true; state.sock?.ref(); }
    return this;
  }
  /**
   * The socket no longer keeps the process alive while it waits for datagrams. Never throws.
   *
   * @example
   * createSocket('udp4').bind(5353).unref();   // listens while the process runs
   */
  unref(): this {
    const state = this[kState];
    if (state.open) { state.ref = false; state.sock?.unref(); }
    return this;
  }
}

function healthCheck(socket: Socket): void {
  if (!socket[kState].open) throw notRunning();
}

/** The state of an open socket, or node:dgram's TypeError for `method` called on a closed socket's null handle. */
function handle(socket: Socket, method: string): DgramState {
  const state = socket[kState];
  if (!state.open) throw new TypeError(`Cannot read properties of null (reading '${method}')`);
  return state;
}

/** The option setters of an open socket; `method` names the call in errors. */
function options(socket: Socket, method: string): UdpOptions {
  return new UdpOptions(handle(socket, method), method);
}
