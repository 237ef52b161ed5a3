// libuv's part of node:dgram (uv_udp_bind, uv_udp_connect, uv_udp_send
// and its queue), done with a berkeley Socket: the fd is made at the first
// bind, as libuv makes it; a send is tried at once and, when the kernel's
// buffer is full, queued in order and sent as room appears; failures are
// negative errnos for the caller to turn into node:dgram's errors.
import { Buffer } from 'node:buffer';
import { constants as os } from 'node:os';
import type { EventEmitter } from 'node:events';
import { Socket as BSocket } from '../socket/socket.js';
import { errnoOf, exceptionWithHostPort } from './errors.js';
import { EINVAL, ipOfType, socketAddress } from './address.js';

/** A send waiting for room in the kernel's buffer. */
export interface Pending { list: Buffer[]; to: ReturnType<typeof socketAddress> | null; bytes: number; address: unknown; port: unknown; callback?: (err: Error | null, bytes?: number) => void }

/** @internal The per-socket state, behind a module-private symbol as node:dgram keeps its own. */
export interface DgramState {
  /** Whether the socket is open (node:dgram's `handle`: false after close()). */
  open: boolean;
  /** The berkeley socket: made at the first bind (or membership), as libuv makes its fd. */
  sock: BSocket | null;
  receiving: boolean;
  bindState: number;
  connectState: number;
  /** Calls made while an implicit bind resolves, run once it is bound. */
  queue: (() => void)[] | undefined;
  reuseAddr: boolean | undefined;
  ipv6Only: boolean | undefined;
  recvBufferSize: number | undefined;
  sendBufferSize: number | undefined;
  lookup: (address: string, callback: (err: Error | null, ip: string) => void) => void;
  ref: boolean;
  /** Sends that met a full buffer, in order. */
  sending: Pending[];
  sendingBytes: number;
  v6: boolean;
}

/** A sockaddr of family AF_UNSPEC (0): connect(2) to it dissolves a datagram socket's association. */
const UNSPEC = Object.freeze({ family: 0, bytes: Buffer.alloc(14) });

/** The berkeley socket, made now if this is the first call that needs one (libuv makes its fd at bind). */
export function ensureSocket(state: DgramState, v6: boolean): BSocket {
  if (state.sock === null) {
    state.sock = new BSocket(v6 ? 'inet6' : 'inet', 'dgram');
    if (!state.ref) state.sock.unref();
  }
  return state.sock;
}

/** uv_udp_bind: socket(2) if none yet, SO_REUSEADDR, IPV6_V6ONLY, bind(2); 0 or a negative errno. */
export function bindFd(state: DgramState, ip: string, port: unknown): number {
  if (!ipOfType(ip, state.v6)) return EINVAL;
  try {
    const sock = ensureSocket(state, state.v6);
    if (state.reuseAddr) sock.setOption('reuseaddr', true);
    if (state.ipv6Only) sock.setOption('ipv6-v6only', true);
    // Node hands the port to libuv as a uint32 that htons() truncates.
    sock.bind(socketAddress(ip, (Number(port) >>> 0) & 0xffff, state.v6));
    return 0;
  } catch (err) {
    return errnoOf(err) ?? EINVAL;
  }
}

export function connectFd(state: DgramState, ip: string, port: number): number {
  if (!ipOfType(ip, state.v6)) return EINVAL;
  try {
    state.sock!.connectSync(socketAddress(ip, port, state.v6));
    return 0;
  } catch (err) {
    return errnoOf(err) ?? EINVAL;
  }
}

/** uv_udp_connect(NULL): connect(2) to AF_UNSPEC, which Linux answers with success (or EAFNOSUPPORT, also fine). */
export function disconnectFd(state: DgramState): number {
  try {
    state.sock!.connectSync(UNSPEC);
    return 0;
  } catch (err) {
    const errno = errnoOf(err) ?? EINVAL;
    return errno === -os.errno.EAFNOSUPPORT ? 0 : errno;
  }
}

export function doSend(socket: EventEmitter, state: DgramState, ex: Error | null, ip: string | null, list: Buffer[], address: unknown, port: unknown, callback: Pending['callback']): void {
  if (ex) {
    if (typeof callback === 'function') process.nextTick(callback, ex);
    else process.nextTick(() => socket.emit('error', ex));
    return;
  }
  if (!state.open) return;
  let to: Pending['to'] = null;
  if (port) {
    if (!ipOfType(ip, state.v6)) {
      if (callback) process.nextTick(callback, exceptionWithHostPort(EINVAL, 'send', address, port));
      return;
    }
    to = socketAddress(ip, port as number, state.v6);
  }
  let bytes = 0;
  for (const b of list) bytes += b.length;
  const pending: Pending = { list, to, bytes, address, port, callback };
  if (state.sending.length > 0) return queueSend(state, pending);
  const r = trySend(state.sock!, pending);
  if (r === null) return queueSend(state, pending);
  if (r >= 0) {
    if (callback) process.nextTick(callback, null, r);
  } else if (callback) process.nextTick(callback, exceptionWithHostPort(r, 'send', address, port));
}

/** One send attempt that never waits: the bytes sent, a negative errno, or null when the buffer is full. */
function trySend(sock: BSocket, p: Pending): number | null {
  try {
    if (p.list.length === 1) return p.to ? sock.sendToSync(p.list[0], p.to, NO_WAIT) : sock.sendSync(p.list[0], NO_WAIT);
    return sock.sendMsgSync(p.to ? { data: p.list, address: p.to } : { data: p.list }, NO_WAIT);
  } catch (err) {
    const errno = errnoOf(err);
    // A zero timeout turns EAGAIN into ETIMEDOUT: UDP sends fail with it no other way.
    if ((err as { code?: string }).code === 'ETIMEDOUT') return null;
    return errno ?? EINVAL;
  }
}

const NO_WAIT = Object.freeze({ timeout: 0 });

/** Queues a send behind those already waiting; the first to queue starts the drain. */
function queueSend(state: DgramState, p: Pending): void {
  state.sending.push(p);
  state.sendingBytes += p.bytes;
  if (state.sending.length === 1) void drain(state);
}

/** Sends the queue in order, each waiting for room (the async driver's wait for writability). */
async function drain(state: DgramState): Promise<void> {
  const sock = state.sock!;
  while (state.sending.length > 0 && state.sock === sock) {
    const p = state.sending[0];
    let err: Error | null = null;
    let sent = 0;
    try {
      sent = await (p.list.length === 1
        ? (p.to ? sock.sendTo(p.list[0], p.to) : sock.send(p.list[0]))
        : sock.sendMsg(p.to ? { data: p.list, address: p.to } : { data: p.list }));
    } catch (e) {
      if (state.sock !== sock) return; // closed: close() cancels what is left
      err = exceptionWithHostPort(errnoOf(e) ?? EINVAL, 'send', p.address, p.port);
    }
    if (state.sending[0] !== p) return;
    state.sending.shift();
    state.sendingBytes -= p.bytes;
    p.callback?.(err, err ? undefined : sent);
  }
}

/** Drops the sends still waiting (close): each callback gets ECANCELED after 'close', as libuv cancels its queue. */
export function cancelSends(state: DgramState): void {
  const cancelled = state.sending.splice(0);
  state.sendingBytes = 0;
  if (cancelled.length === 0) return;
  setImmediate(() => {
    for (const p of cancelled) p.callback?.(exceptionWithHostPort(ECANCELED, 'send', p.address, p.port));
  });
}

const ECANCELED = -os.errno.ECANCELED;
