// socket/ is the Socket class: its state behind a module-private symbol
// (state.ts, shared with select(), net.ts and the iterator), its operations
// by idea (receive.ts, send.ts, sendfile.ts, connect.ts, sockopt.ts),
// tcp()/udp()'s deferred family (family.ts), iteration (iterate.ts), node:net
// interop (interop.ts), Web Streams (webstreams.ts), dup and inheritance
// (descriptor.ts), the public types (types.ts), lifecycle, timeouts, options
// and stats (base.ts), sending and receiving (transfer.ts), and this façade:
// constructors, naming, connecting and accepting, interop and iteration.
// Every I/O method is an async/sync pair of one-liners over one op, run by
// the engine's two drivers (io/engine.ts).
import type net from 'node:net';
import type dgram from 'node:dgram';
import { systemError } from '../errors.js';
import { validateFd } from '../validate.js';
import type { AddressLike } from '../codec/address.js';
import { familyNumber, protocolNumber, shutdownNumber, typeNumber, type Family, type SocketType } from '../codec/names.js';
import { decodeAddress, type SocketAddress } from '../codec/sockaddr.js';
import type { ReceivedMessage } from '../codec/message.js';
import { AF_UNSPEC, SOL_SOCKET, SOMAXCONN, SO_DOMAIN, SO_PROTOCOL, SO_TYPE } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import { runAsync, runSync } from '../io/engine.js';
import { Accept, bind, Connect, listen } from './connect.js';
import { fromNodeSocket, toNodeSocket } from './interop.js';
import { connections as acceptLoop, iterate, messages as receiveLoop } from './iterate.js';
import { intOption } from './sockopt.js';
import { SocketBase } from './base.js';
import { SocketTransfer } from './transfer.js';
import { kState, NONBLOCK, nonblocking, SocketState } from './state.js';
import { isMultipath, openWithFallback } from './mptcp.js';
import { dupState } from './descriptor.js';
import { toWebStreams, type WebStreams } from './webstreams.js';
import { toDuplex, type DuplexOptions, type FdDuplex } from './duplex.js';
import { fromTransferable, transfer, type TransferableSocket } from './transferable.js';

export type { AddressLike, SocketType };
export { SocketBase, SocketTransfer };
export type { DuplexOptions, FdDuplex, FdChunk } from './duplex.js';
export type { TransferableSocket, TransferredDatagram } from './transferable.js';
export type { AddressByFamily, AddressOf, FamilyOf, FlagOptions, Inet6Address, InetAddress, IoOptions, MessagesOptions, OptionLevel, RecvManyOptions, RecvMsgOptions, UnixAddress } from './types.js';
import type { AddressOf, IoOptions, MessagesOptions } from './types.js';

/** Made by this module for its own constructor calls: `new Socket(kAdopt, state)` wraps an existing state. */
const kAdopt = Symbol('berkeley.adopt');

/** A Socket around a new state that owns `fd`; with `made`, the fd is closed when it cannot be owned. */
function adopt(fd: number, family: number, type: number, protocol: number, made: boolean, ref = true): Socket {
  const s = new SocketState(family, type, protocol);
  if (!ref) s.setRef(false);
  if (made) s.ownMade(fd);
  else s.own(fd);
  return new Socket(kAdopt as never, s as never);
}

/** A tcp()/udp() socket: no fd until the first bind/connect/send picks its family. */
export function deferredSocket(type: number, protocol: number, v6only?: boolean): Socket {
  const s = new SocketState(AF_UNSPEC, type, protocol);
  s.deferred = { type, protocol, options: [], v6only };
  return new Socket(kAdopt as never, s as never);
}

/**
 * A socket of any family and type. The fd is non-blocking and close-on-exec;
 * blocking behaviour comes from timeouts (setTimeout), applied alike to the
 * Promise-returning methods and their ...Sync twins.
 *
 * `F` is the family when it is known where the socket is made
 * (`new Socket('inet', ...)`, `listen()`, `connectUnix()`, ...): it narrows
 * `family`, `localAddress()` and `remoteAddress()`. A plain `Socket` is a
 * socket of any family, and every `Socket<F>` is one.
 *
 * @typeParam F - The family: a name, a union of names ('inet' | 'inet6' for
 * tcp()/udp()/listen()), or `Family | number` (the default) when unknown.
 * @example
 * const server = new Socket('inet', 'stream');
 * server.bind('127.0.0.1:0');
 * server.listen();
 * const { port } = server.localAddress();    // typed: an InetAddress
 * const client = new Socket('inet', 'stream');
 * await client.connect({ host: '127.0.0.1', port });
 * const conn = await server.accept();
 */
export class Socket<out F extends Family | number = Family | number> extends SocketTransfer<F> {

  /**
   * socket(2): a new non-blocking, close-on-exec socket.
   *
   * @param family - 'inet' | 'inet6' | 'unix' | 'netlink' | 'packet' or an AF_* number.
   * @param type - 'stream' | 'dgram' | 'seqpacket' | 'raw' | 'rdm' or a SOCK_* number.
   * @param protocol - A number or a name: 'tcp', 'udp', 'icmp', 'icmpv6',
   * 'mptcp' (a stream socket made as TCP where the kernel refuses MPTCP:
   * ENOPROTOOPT, EPROTONOSUPPORT, EINVAL; see isMultipath());
   * 'route', 'generic' for netlink; 'all', 'ip', 'arp' for packet. Default 0,
   * the family's default for the type.
   * @throws TypeError (`ERR_INVALID_ARG_VALUE`, `ERR_INVALID_ARG_TYPE`) for an unknown family, type or protocol name.
   * @throws {@link SocketError} when the kernel refuses: `EAFNOSUPPORT`,
   * `EPROTONOSUPPORT`, `EPERM`/`EACCES` (raw and packet sockets without
   * CAP_NET_RAW), `EMFILE`.
   * @example
   * const udp = new Socket('inet6', 'dgram');
   * const seq = new Socket('unix', 'seqpacket');
   * const ping = new Socket('inet', 'dgram', 'icmp');       // unprivileged ICMP, where ping_group_range allows
   * const rtnl = new Socket('netlink', 'raw', 'route');
   */
  constructor(family: F, type: SocketType | number, protocol?: number | string) {
    super((family as unknown) === kAdopt ? type as unknown as SocketState : openState(family, type, protocol));
  }

  /**
   * Adopts an open socket fd (LuaSocket's setfd, lua-net's wrap); family,
   * type and protocol are read from the kernel. The fd is made non-blocking;
   * the Socket owns it from now on and closes it.
   *
   * @throws {@link SocketError} `EEXIST` when a live Socket already owns the
   * fd, `ENOTSOCK` when it is not a socket, `EBADF` when it is not open.
   *
   * Given a {@link TransferableSocket} (from transfer(), in this worker or
   * another, after postMessage), it owns that fd and puts back what the
   * socket had read but not handed out: the next receive calls return
   * those datagrams and bytes first, in order.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`) for a malformed transferable.
   * @example
   * const s = Socket.from(3);     // an fd inherited from the parent process
   * // in a worker: parentPort.on('message', (t) => serve(Socket.from(t)));
   */
  static from(fd: number): Socket;
  static from(transferable: TransferableSocket): Socket;
  static from(fd: number | TransferableSocket): Socket {
    if (typeof fd === 'object' && fd !== null) return fromTransferable(fd, (n) => Socket.from(n));
    validateFd(fd);
    // Ownership first: an fd that already has an owner is refused before any system call on it.
    const s = new SocketState(AF_UNSPEC, 0, 0);
    s.own(fd);
    try {
      s.type = intOption(fd, SOL_SOCKET, SO_TYPE);
      s.family = SO_DOMAIN !== undefined ? intOption(fd, SOL_SOCKET, SO_DOMAIN) : localFamily(fd);
      s.protocol = SO_PROTOCOL !== undefined ? intOption(fd, SOL_SOCKET, SO_PROTOCOL) : 0;
      const rc = sys.setblocking(fd, false);
      if (rc < 0) throw systemError(rc, 'fcntl');
    } catch (err) {
      s.disown(false); // not ours to close
      throw err;
    }
    return new Socket(kAdopt as never, s as never);
  }


  /**
   * socketpair(2): two connected sockets, by default a Unix stream pair.
   *
   * @throws {@link SocketError} `EOPNOTSUPP`/`EAFNOSUPPORT` for a family or type socketpair does not support, `EMFILE`.
   * @example
   * const [a, b] = Socket.pair('seqpacket');
   * await a.send('one message');
   * (await b.recv()).toString();   // 'one message'
   */
  static pair<P extends Family | number = 'unix'>(type: SocketType | number = 'stream', family: P = 'unix' as P): [Socket<P>, Socket<P>] {
    const af = familyNumber(family);
    const st = typeNumber(type);
    const rc = sys.socketpair(af, st | NONBLOCK, 0);
    if (rc < 0) throw systemError(rc, 'socketpair');
    const [a, b] = [nonblocking(sys.results[0]), nonblocking(sys.results[1])];
    let first: Socket | null = null;
    try {
      first = adopt(a, af, st, 0, true);
      return [first, adopt(b, af, st, 0, true)] as [Socket<P>, Socket<P>];
    } catch (err) {
      if (first) first.close(); else sys.close(b);
      throw err;
    }
  }

  /**
   * A berkeley Socket on a duplicate (F_DUPFD_CLOEXEC) of a node:net or
   * node:dgram socket's fd, to set options or use calls Node lacks. Both stay
   * usable; closing one does not close the other.
   *
   * @throws TypeError `ERR_INVALID_ARG_VALUE` for a Node socket with no fd yet (not connected or bound), `ERR_INVALID_ARG_TYPE` for anything else.
   * @throws {@link SocketError} `EMFILE` when no fd is left for the duplicate.
   * @example
   * const raw = Socket.fromNodeSocket(netSocket);
   * raw.setOption('tcp-user-timeout', 30_000);   // an option node:net has no setter for
   * raw.close();                                 // netSocket stays open
   */
  static fromNodeSocket(s: net.Socket | dgram.Socket): Socket { return fromNodeSocket(s, Socket.from); }

  // ---- naming and connecting ------------------------------------------------

  /**
   * bind(2). Host names are resolved synchronously; '*' is the wildcard
   * address. Each resolved address is tried in turn.
   *
   * @throws {@link SocketError} `EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES` (a port below 1024), `ENAMETOOLONG` (a Unix path that does not fit), `ENOTFOUND`.
   * @throws TypeError / RangeError for a malformed address or port, before any system call.
   * @example
   * sock.bind('127.0.0.1:0');                        // any free port
   * sock.bind({ host: '*', port: 8080 });
   * unixSock.bind('/tmp/app.sock');                  // or '\0name' for an abstract name
   */
  bind(address: AddressLike): void { bind(this[kState], address); }
  /**
   * listen(2); the backlog defaults to SOMAXCONN.
   *
   * @throws {@link SocketError} `ENOTSUP` (EOPNOTSUPP) on a datagram socket, `EADDRINUSE`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for a backlog that is not an int32.
   * @example
   * sock.bind('127.0.0.1:0');
   * sock.listen(128);
   */
  listen(backlog: number = SOMAXCONN): void { listen(this[kState], backlog); }
  /**
   * connect(2). Host names are resolved on the thread pool and each address
   * tried in turn (all within one deadline); a datagram socket just sets its
   * peer.
   *
   * @throws {@link SocketError} `ECONNREFUSED`, `ETIMEDOUT`, `ENETUNREACH`,
   * `ENOENT` (no such Unix path), `ENOTFOUND`, ...: the last attempt's
   * error, with every attempt's error as `errors`; `ERR_SOCKET_CLOSED` when
   * the socket is closed meanwhile.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * await sock.connect('example.test:80', { timeout: 2000 });
   * await unixSock.connect('/run/app.sock');
   */
  connect(address: AddressLike, opts?: IoOptions): Promise<void> { return runAsync(this[kState], new Connect(address, opts)); }
  /**
   * The blocking twin of connect(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What connect() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * sock.setTimeout(2000);
   * sock.connectSync('127.0.0.1:8080');
   */
  connectSync(address: AddressLike, opts?: IoOptions): void { runSync(this[kState], new Connect(address, opts)); }
  /**
   * accept4(2): the next connection as a new Socket of the same family
   * (non-blocking, close-on-exec). The peer is its remoteAddress().
   *
   * @throws {@link SocketError} `EINVAL` when the socket is not listening,
   * `ETIMEDOUT` past the timeout, `EMFILE`, `ERR_SOCKET_CLOSED` when closed
   * while waiting.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const conn = await server.accept({ timeout: 5000 });
   * console.log(conn.remoteAddress());
   */
  accept(opts?: IoOptions): Promise<Socket<F>> { return runAsync(this[kState], new Accept(opts)).then((fd) => this.#accepted(fd)); }
  /**
   * The blocking twin of accept(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What accept() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const conn = server.acceptSync({ timeout: 5000 });
   */
  acceptSync(opts?: IoOptions): Socket<F> { return this.#accepted(runSync(this[kState], new Accept(opts))); }
  #accepted(fd: number): Socket<F> { const s = this[kState]; return adopt(fd, s.family, s.type, s.protocol, true, s.ref) as Socket<F>; }
  /**
   * getsockname(2): the local address, typed by the socket's family where it is known.
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED`; `ENOTCONN` for a tcp()/udp() socket with no family yet.
   * @example
   * const { port } = listen('127.0.0.1', 0).localAddress();
   */
  localAddress(): AddressOf<F> { return nameOf(sys.getsockname(this[kState].open('getsockname')), 'getsockname') as AddressOf<F>; }
  /**
   * getpeername(2): the peer's address, typed by the socket's family where it is known.
   *
   * @throws {@link SocketError} `ENOTCONN` when not connected, `ERR_SOCKET_CLOSED`.
   * @example
   * const { address, port } = conn.remoteAddress();   // conn accepted from listen('127.0.0.1', ...): an InetAddress
   */
  remoteAddress(): AddressOf<F> { return nameOf(sys.getpeername(this[kState].open('getpeername')), 'getpeername') as AddressOf<F>; }
  /**
   * shutdown(2): 'both' (default, also 'rdwr'), 'send' ('wr'), 'receive' ('rd'), or SHUT_*.
   *
   * @throws {@link SocketError} `ENOTCONN` when not connected, `ERR_SOCKET_CLOSED`.
   * @throws TypeError `ERR_INVALID_ARG_VALUE` for another `how`.
   * @example
   * sock.shutdown('send');   // the peer reads end of stream; replies still arrive
   */
  shutdown(how: 'both' | 'send' | 'receive' | 'rdwr' | 'wr' | 'rd' | number = 'both'): void {
    const rc = sys.shutdown(this[kState].open('shutdown'), shutdownNumber(how));
    if (rc < 0) throw systemError(rc, 'shutdown');
  }

  // ---- node:net interop and iteration ----------------------------------------------

  /**
   * Hands a stream socket (TCP or Unix stream) over to node:net: the result
   * owns the fd, this socket is detached. Data buffered by receive() comes
   * first. Works with node:tls and node:http (server.emit('connection', ...)).
   *
   * @throws TypeError `ERR_INVALID_ARG_VALUE` for a socket that is not a TCP or Unix stream socket; {@link SocketError} `ERR_SOCKET_CLOSED`.
   * @example
   * const conn = await server.accept();
   * httpServer.emit('connection', conn.toNodeSocket());
   */
  toNodeSocket(): net.Socket { return toNodeSocket(this[kState], () => this.detach()); }

  /**
   * `for await` yields accepted connections of a listening socket; on a
   * stream socket what each recvMsg reads, ending at end of stream; on
   * datagram sockets one message per datagram, read up to 16 per recvmmsg(2),
   * the rest kept for later receive calls so leaving the loop loses none.
   * Ends when the socket is closed.
   *
   * @throws {@link SocketError} from the loop: `EINVAL` (accepting on a socket that is not listening), `ETIMEDOUT`, `ECONNRESET`, ...
   * @example
   * for await (const m of udp) console.log(m.data.toString());
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Socket | ReceivedMessage> { return iterate(this[kState], () => this.accept()); }

  /**
   * The accept loop, typed: each connection as a Socket, ending (without an
   * error) when this socket is closed. `timeout` bounds each wait for a
   * connection; `signal` ends the loop with an AbortError.
   *
   * @throws {@link SocketError} from the loop: `EINVAL` when the socket is not listening, `ETIMEDOUT`, `EMFILE`.
   * @throws `AbortError` from the loop when `opts.signal` aborts.
   * @example
   * const server = listen('127.0.0.1', 8080);
   * for await (const conn of server.connections()) {
   *   conn.sendAll('hello\n').finally(() => conn.close());
   * }
   */
  connections(opts?: IoOptions): AsyncIterableIterator<Socket<F>> { return acceptLoop(this[kState], () => this.accept(opts)); }

  /**
   * The receive loop, typed: on a datagram or seqpacket socket one message
   * per datagram, on a stream socket what each recvMsg reads (ending at end
   * of stream); ends without an error when the socket is closed. With
   * `size` or `maxFds` each message is cut as recvMsg({ size, maxFds })
   * cuts it; without, datagrams are read 16 per recvmmsg(2) as `for await`
   * reads them (leaving the loop loses none). `timeout` bounds each wait.
   *
   * @throws {@link SocketError} from the loop: `ETIMEDOUT`, `ECONNRESET`, ...
   * @throws `AbortError` from the loop when `opts.signal` aborts.
   * @example
   * const udp = bindUdp('127.0.0.1', 5353);
   * for await (const m of udp.messages({ size: 1500 })) {
   *   if (m.address) await udp.sendTo(m.data, m.address);   // echo
   * }
   */
  messages(opts?: MessagesOptions): AsyncIterableIterator<ReceivedMessage> { return receiveLoop(this[kState], opts); }

  /**
   * Whether this connection is Multipath TCP now: an MPTCP socket
   * (SO_PROTOCOL is IPPROTO_MPTCP) that has not fallen back to plain TCP,
   * as it does when the peer does not speak MPTCP (getsockopt MPTCP_INFO
   * answers only before a fallback). False for TCP sockets, for MPTCP
   * sockets the kernel made as TCP (see the `mptcp` options of connect()
   * and listen()) and for a tcp() socket with no fd yet.
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED`.
   * @example
   * const sock = await connect('127.0.0.1', 8080, { mptcp: true });
   * console.log(sock.isMultipath() ? 'MPTCP' : 'TCP');
   */
  isMultipath(): boolean { return isMultipath(this[kState]); }

  /**
   * Python's dup(): a Socket owning a close-on-exec duplicate of the fd
   * (F_DUPFD_CLOEXEC) on the same kernel socket, with this one's family,
   * type, protocol, timeouts and ref; receive()'s buffered input stays here.
   * @throws {@link SocketError} `EMFILE`, `ERR_SOCKET_CLOSED`.
   * @example
   * const copy = sock.dup();
   * sock.close();   // copy still reaches the same kernel socket
   */
  dup(): Socket<F> { return new Socket(kAdopt as never, dupState(this[kState]) as never) as Socket<F>; }
  /**
   * Web Streams over a connected stream socket: a byte `readable` (BYOB
   * reads receive straight into the reader's buffer) read only while a
   * reader asks, and a `writable` whose close() shuts the sending half and
   * whose abort() closes the socket. See {@link WebStreams}.
   * @throws TypeError (`ERR_INVALID_ARG_VALUE`) for a listening or non-stream socket; {@link SocketError} `ERR_SOCKET_CLOSED`.
   * @example
   * const { readable, writable } = (await connect('127.0.0.1', 8080)).toWebStreams();
   */
  toWebStreams(): WebStreams { return toWebStreams(this[kState], this); }

  /**
   * A node:stream Duplex over a connected stream socket (Unix or TCP):
   * reads are recvmsg(2) calls, writes sendmsg(2)/send(2) calls, end()
   * shuts the sending half (shutdown(2) SHUT_WR) once the data is out,
   * destroy() closes the socket. On a Unix socket, write `{ data, fds }`
   * to send fds (SCM_RIGHTS) with the first byte of `data`; the readable
   * side emits 'fds' with the fds a chunk carried just before that chunk,
   * and closes any that no 'fds' listener takes. Backpressure, errors,
   * allowHalfOpen and highWaterMark are node:stream's.
   *
   * @throws TypeError (`ERR_INVALID_ARG_VALUE`) for a listening or non-stream socket; {@link SocketError} `ERR_SOCKET_CLOSED`.
   * A write with fds on a TCP socket fails the stream with a TypeError (other families drop fds silently).
   * @example
   * const [a, b] = Socket.pair('stream');
   * const out = a.toDuplex();
   * const inp = b.toDuplex();
   * inp.on('fds', (fds) => console.log('got fds', fds));      // yours to close
   * out.write({ data: 'here is a file', fds: [fileFd] });
   * await pipeline(fs.createReadStream('big.bin'), out);   // node:stream/promises
   */
  toDuplex(opts?: DuplexOptions): FdDuplex { return toDuplex(this[kState], this, opts); }

  /**
   * Gives this socket's fd up, as detach() does, in a {@link
   * TransferableSocket}: a plain object for postMessage() to another
   * worker (or for this thread), carrying the family, type, protocol and
   * whatever was read but not handed out (datagrams a loop read ahead,
   * bytes receive() buffered). Socket.from(transferable) there owns the fd
   * and returns that data first. This socket is closed afterwards.
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED`.
   * @example
   * const worker = new Worker('./serve.js');
   * for await (const conn of server.connections()) worker.postMessage(conn.transfer());
   */
  transfer(): TransferableSocket { return transfer(this[kState], () => this.detach()); }
}

/** socket(2) for `new Socket(family, type, protocol)`: the state that owns the new fd. */
function openState(family: unknown, type: unknown, protocol: unknown): SocketState {
  const af = familyNumber(family);
  const st = typeNumber(type);
  const [fd, proto] = openWithFallback(af, st, protocolNumber(protocol, af));
  const s = new SocketState(af, st, proto);
  s.ownMade(fd);
  return s;
}

/** The address getsockname/getpeername left in the scratch, or their error. */
function nameOf(rc: number, syscall: string): SocketAddress {
  if (rc < 0) throw systemError(rc, syscall);
  return decodeAddress(sys.sockaddr, sys.results[0]) ?? { family: 'unix', path: '' };
}

/** The family of an fd from its local address, where SO_DOMAIN is missing. */
function localFamily(fd: number): number {
  const rc = sys.getsockname(fd);
  if (rc < 0) throw systemError(rc, 'getsockname');
  const a = decodeAddress(sys.sockaddr, sys.results[0]);
  return a === null ? AF_UNSPEC : typeof a.family === 'number' ? a.family : familyNumber(a.family);
}
