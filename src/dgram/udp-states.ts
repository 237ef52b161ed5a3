// The bind state and connect state of node:dgram's udp Socket, kept as Node
// 20's lib/dgram.js keeps them: their values, a new socket's state, the queue
// of calls made while an implicit bind resolves, what a finished bind starts
// (the receive loop, the buffer sizes, 'listening') and the connect(2) that
// follows a lookup. Apart from udp.ts, whose Socket methods call these with
// the socket and its state (the state stays behind udp.ts's private symbol).
import { EventEmitter } from 'node:events';
import type { ReceivedMessage } from '../codec/message.js';
import { errnoException, errnoOf, exceptionWithHostPort } from './errors.js';
import { addressInfo, EINVAL } from './address.js';
import { connectFd, type DgramState } from './handle.js';
import { receiveLoop } from './receive.js';
import { bufferSize } from './udp-options.js';
import type { LookupFunction, SocketOptions } from './udp-arguments.js';
import type { RemoteInfo } from './udp.js';

export const UNBOUND = 0;
export const BINDING = 1;
export const BOUND = 2;
export const DISCONNECTED = 0;
export const CONNECTING = 1;
export const CONNECTED = 2;

/** A new socket's state: open, unbound, unconnected, with createSocket's `options` and a lookup that fills in the loopback address. */
export function initialState(options: SocketOptions | undefined, v6: boolean, lookup: LookupFunction): DgramState {
  return {
    open: true, sock: null, receiving: false, bindState: UNBOUND, connectState: DISCONNECTED, queue: undefined,
    reuseAddr: options?.reuseAddr, ipv6Only: options?.ipv6Only, recvBufferSize: options?.recvBufferSize,
    sendBufferSize: options?.sendBufferSize, ref: true, sending: [], sendingBytes: 0, v6,
    lookup: (address, cb) => lookup(address || (v6 ? '::1' : '127.0.0.1'), v6 ? 6 : 4, cb as never),
  };
}

/** Runs `call` once the bind under way emits 'listening'; a failed bind drops the queue. */
export function enqueue(socket: EventEmitter, state: DgramState, call: () => void): void {
  if (state.queue === undefined) {
    state.queue = [];
    const onError = (): void => {
      socket.removeListener('listening', onListening);
      state.queue = undefined;
    };
    const onListening = (): void => {
      socket.removeListener(EventEmitter.errorMonitor, onError);
      const queue = state.queue!;
      state.queue = undefined;
      for (const entry of queue) entry();
    };
    socket.once(EventEmitter.errorMonitor, onError);
    socket.once('listening', onListening);
  }
  state.queue.push(call);
}

/** A bind is done: starts the receive loop, sets the buffer sizes asked for, emits 'listening'. */
export function startListening(socket: EventEmitter, state: DgramState): void {
  state.receiving = true;
  state.bindState = BOUND;
  const sock = state.sock!;
  void receiveLoop(sock, {
    receiving: () => state.receiving && state.sock === sock,
    message: (m: ReceivedMessage) => {
      const info = addressInfo(m.address) as RemoteInfo;
      info.size = m.data.length;
      socket.emit('message', m.data, info);
    },
    failed: (err) => socket.emit('error', errnoException(errnoOf(err) ?? EINVAL, 'recvmsg')),
  });
  if (state.recvBufferSize) bufferSize(state, state.recvBufferSize, true);
  if (state.sendBufferSize) bufferSize(state, state.sendBufferSize, false);
  socket.emit('listening');
}

/** Resolves `address` and connect(2)s the bound socket to it: 'connect' (or `callback`) on success, the error to `callback` or 'error'. */
export function connectNow(socket: EventEmitter, state: DgramState, port: number, address: string, callback?: (err?: Error) => void): void {
  if (callback) socket.once('connect', callback);
  state.lookup(address, (ex, ip) => {
    if (!state.open) return;
    let err: Error | null = ex;
    if (!err) {
      const errno = connectFd(state, ip, port);
      if (errno) err = exceptionWithHostPort(errno, 'connect', address, port);
    }
    if (err) {
      state.connectState = DISCONNECTED;
      const e = err;
      process.nextTick(() => {
        if (callback) {
          socket.removeListener('connect', callback);
          callback(e);
        } else socket.emit('error', e);
      });
      return;
    }
    state.connectState = CONNECTED;
    process.nextTick(() => socket.emit('connect'));
  });
}
