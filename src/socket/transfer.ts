// Sending and receiving: the data methods of Socket, each an async/sync pair
// of one-liners over one op (send.ts, sendfile.ts, receive.ts) run by the
// engine's two drivers (io/engine.ts). Socket (socket.ts) extends this class
// with constructors, naming, connecting and iteration; SocketBase (base.ts)
// below it holds lifecycle, timeouts, options and stats.
import { Buffer } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import type { Family } from '../codec/names.js';
import type { AddressLike } from '../codec/address.js';
import type { Message, ReceivedMessage } from '../codec/message.js';
import { runAsync, runSync } from '../io/engine.js';
import { Ready } from '../io/ready.js';
import { READ, WRITE } from '../io/readiness.js';

import { DEFAULT_RECV, Receive, Recv, RecvFrom, RecvFromInto, RecvInto, RecvMany, RecvMsg, RecvMsgInto, type Datagram, type DatagramInto, type MessageInto } from './receive.js';
import { SendFile } from './sendfile.js';
import { RecvErrors } from './errqueue.js';
import type { QueuedError } from '../codec/extended-error.js';
import { Send, SendAll, SendMany, SendMsg, SendTo, splitSegments } from './send.js';
import { SocketBase } from './base.js';
import { kState } from './state.js';
import type { FlagOptions, IoOptions, RecvManyOptions, RecvMsgIntoOptions, RecvMsgOptions, SendFileOptions } from './types.js';

/** The data methods of {@link Socket}: send*, recv*, receive, readable/writable. */
export class SocketTransfer<out F extends Family | number = Family | number> extends SocketBase<F> {
  // ---- sending --------------------------------------------------------------

  /**
   * One send(2) (MSG_NOSIGNAL): the number of bytes sent, possibly fewer
   * than given on a stream socket (sendAll sends everything). Waits while
   * the send buffer is full.
   *
   * @throws {@link SocketError} `EPIPE`/`ECONNRESET` when the peer is gone,
   * `EMSGSIZE` for a datagram too big, `ENOTCONN`, `ETIMEDOUT`,
   * `ERR_SOCKET_CLOSED`.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const n = await sock.send('hello');                  // bytes sent
   * await sock.send(bytes, { flags: constants.MSG_OOB });
   */
  send(data: Uint8Array | string, opts?: FlagOptions): Promise<number> { return runAsync(this[kState], new Send(data, opts)); }
  /**
   * The blocking twin of send(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What send() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const n = sock.sendSync('hello');
   */
  sendSync(data: Uint8Array | string, opts?: FlagOptions): number { return runSync(this[kState], new Send(data, opts)); }
  /**
   * Sends everything, looping over partial sends; a failure carries `sent` (bytes that did go out).
   *
   * With `i` (and `j`), LuaSocket's send(data, i, j): sends the bytes Lua's
   * string.sub(data, i, j) selects (1-based, inclusive, negative from the
   * end, clamped; strings count UTF-8 bytes) and resolves to the index of the
   * last byte sent within [i, j] (i - 1 when the range is empty). A failure
   * carries that index as `lastIndex`, so `sendAll(data, err.lastIndex + 1, j)`
   * resumes. Indices are integers (RangeError otherwise).
   *
   * @throws {@link SocketError} `EPIPE`, `ECONNRESET`, `ETIMEDOUT`, ...,
   * carrying `sent` (and `lastIndex` with `i`); `ERR_SOCKET_CLOSED`.
   * @throws `AbortError` when `opts.signal` aborts (with `sent`).
   * @example
   * await sock.sendAll('GET / HTTP/1.0\r\n\r\n');
   * const last = await sock.sendAll('hello world', 7);     // sends 'world', resolves to 11
   * await sock.sendAll(bytes, -3);                          // the last 3 bytes
   */
  sendAll(data: Uint8Array | string, opts?: IoOptions): Promise<void>;
  sendAll(data: Uint8Array | string, i: number, j?: number, opts?: IoOptions): Promise<number>;
  sendAll(data: Uint8Array | string, i?: number | IoOptions, j?: number, opts?: IoOptions): Promise<number | void> { return runAsync(this[kState], new SendAll(data, i, j, opts)); }
  /**
   * The blocking twin of sendAll(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   * Returns undefined, or with `i` the index of the last byte sent.
   *
   * @throws What sendAll() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * sock.setTimeout(5000);
   * sock.sendAllSync('PING\r\n');
   */
  sendAllSync(data: Uint8Array | string, opts?: IoOptions): void;
  sendAllSync(data: Uint8Array | string, i: number, j?: number, opts?: IoOptions): number;
  sendAllSync(data: Uint8Array | string, i?: number | IoOptions, j?: number, opts?: IoOptions): number | void { return runSync(this[kState], new SendAll(data, i, j, opts)); }
  /**
   * sendto(2) (MSG_NOSIGNAL): one datagram to `address`; host names are
   * resolved on the thread pool (first address). Returns the bytes sent.
   *
   * @throws {@link SocketError} `EMSGSIZE`, `ENETUNREACH`, `EACCES` (broadcast without the option), `ENOTFOUND`, `ETIMEDOUT`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for a malformed address, before any system call.
   * @example
   * await udp.sendTo('ping', '127.0.0.1:5353');
   * await dgram.sendTo(bytes, { family: 'unix', path: '/run/app.sock' });
   */
  sendTo(data: Uint8Array | string, address: AddressLike, opts?: FlagOptions): Promise<number> { return runAsync(this[kState], new SendTo(data, address, opts)); }
  /**
   * The blocking twin of sendTo(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What sendTo() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * udp.sendToSync('ping', '127.0.0.1:5353');
   */
  sendToSync(data: Uint8Array | string, address: AddressLike, opts?: FlagOptions): number { return runSync(this[kState], new SendTo(data, address, opts)); }
  /**
   * sendmsg(2) (MSG_NOSIGNAL): gathered data, a destination, fds
   * (SCM_RIGHTS), credentials, control messages, a GSO segment size (split
   * into datagrams where the kernel lacks GSO), and on inet/inet6 datagram
   * sockets this datagram's source address or interface (`pktinfo`:
   * IP_PKTINFO / IPV6_PKTINFO), TOS or traffic class (`tos`, ECN in the low
   * two bits) and TTL or hop limit (`ttl`). Returns the bytes sent.
   *
   * @throws {@link SocketError} `EMSGSIZE`, `EINVAL` (bad control data, a
   * pktinfo address that is not this host's), `ENETUNREACH` (no route from
   * that source), `ENODEV` (no such pktinfo interface), `EPERM`
   * (credentials that are not yours), `EPIPE`, `ETIMEDOUT`,
   * `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for a malformed message (more than 253
   * fds, `tos` outside 0-255, `ttl` outside 1-255, fds or credentials on a
   * socket that is not a Unix socket, pktinfo/tos/ttl on one that is not an
   * inet or inet6 datagram socket, ...), before any system call.
   * @example
   * const [a, b] = Socket.pair('stream');
   * await a.sendMsg({ data: ['head', body], fds: [fileFd] });   // fileFd arrives as a new fd in b.recvMsg()
   * // a UDP reply from the address the query arrived on ('ip-pktinfo' on), ECN-capable, TTL 32:
   * await udp.sendMsg({ data: 'answer', address: q.address, pktinfo: { address: q.pktinfo.address }, tos: 2, ttl: 32 });
   */
  sendMsg(message: Message, opts?: FlagOptions): Promise<number> {
    return splitSegments(message) ? runAsync(this[kState], new SendMany([message], opts, true)) : runAsync(this[kState], new SendMsg(message, opts));
  }
  /**
   * The blocking twin of sendMsg(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What sendMsg() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * a.sendMsgSync({ data: 'take this', fds: [fd] });
   */
  sendMsgSync(message: Message, opts?: FlagOptions): number {
    return splitSegments(message) ? runSync(this[kState], new SendMany([message], opts, true)) : runSync(this[kState], new SendMsg(message, opts));
  }
  /**
   * sendmmsg(2): every message (bytes, strings, or Message objects with
   * their own destination, pktinfo, tos and ttl), in batches of up to 256,
   * waiting as needed. Every message is checked before the first is sent.
   * Returns how many were sent; a failure carries that count as `sent`.
   *
   * @throws {@link SocketError} `EMSGSIZE`, `ENETUNREACH`, `ETIMEDOUT`, ... with `sent`; `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for any malformed message (checked before the first is sent).
   * @throws `AbortError` when `opts.signal` aborts (with `sent`).
   * @example
   * await tx.sendMany(['one', 'two', { data: 'three', address: '127.0.0.1:9000' }]);
   */
  sendMany(messages: (Message | Uint8Array | string)[], opts?: FlagOptions): Promise<number> { return runAsync(this[kState], new SendMany(messages, opts)); }
  /**
   * The blocking twin of sendMany(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What sendMany() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * tx.sendManySync(datagrams.map((data) => ({ data, address: peer })));
   */
  sendManySync(messages: (Message | Uint8Array | string)[], opts?: FlagOptions): number { return runSync(this[kState], new SendMany(messages, opts)); }

  /**
   * sendfile(2): a file's bytes into this stream socket without passing them
   * through JavaScript, waiting for writability as needed, until `count`
   * bytes or end of file. Where the kernel refuses the file (a pipe, a
   * character device), the bytes are read and sent instead. Without
   * `offset`, reading starts at the file's position, which ends just past
   * the bytes sent; with it, the position is left alone.
   *
   * @param file - An fd or a `FileHandle` (node:fs/promises).
   * @returns The bytes sent; a failure carries them as `sent`.
   * @throws TypeError / RangeError for a bad file, offset or count, or a socket that is not a stream socket.
   * @throws {@link SocketError} `EPIPE`, `ECONNRESET`, `ETIMEDOUT` (with `sent`), `ERR_SOCKET_CLOSED`.
   * @example
   * const fh = await open('video.mp4');
   * const sent = await conn.sendFile(fh, { offset: 1024, count: 1 << 20 });
   */
  sendFile(file: number | FileHandle, opts?: SendFileOptions): Promise<number> { return runAsync(this[kState], new SendFile(file, opts)); }
  /**
   * The blocking twin of sendFile(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What sendFile() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const sent = conn.sendFileSync(openSync('index.html', 'r'));
   */
  sendFileSync(file: number | FileHandle, opts?: SendFileOptions): number { return runSync(this[kState], new SendFile(file, opts)); }

  // ---- receiving ------------------------------------------------------------

  /**
   * One recv(2) of up to `size` bytes (default 65536); buffered receive()
   * data comes first. An empty Buffer at end of stream.
   *
   * @throws {@link SocketError} `ECONNRESET`, `ENOTCONN`, `ETIMEDOUT`, `ERR_SOCKET_CLOSED`.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const chunk = await sock.recv(4096, { timeout: 1000 });
   * if (chunk.length === 0) console.log('the peer closed');
   */
  recv(size = DEFAULT_RECV, opts?: FlagOptions): Promise<Buffer> { return runAsync(this[kState], new Recv(size, opts)); }
  /**
   * The blocking twin of recv(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What recv() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * sock.setTimeout(1000);
   * const chunk = sock.recvSync(4096);
   */
  recvSync(size = DEFAULT_RECV, opts?: FlagOptions): Buffer { return runSync(this[kState], new Recv(size, opts)); }
  /**
   * recv(2) into your own buffer: the number of bytes written (0 at end of stream).
   *
   * @throws {@link SocketError} `ECONNRESET`, `ENOTCONN`, `ETIMEDOUT`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError for a buffer that is not a Uint8Array.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const buf = Buffer.alloc(4096);
   * const n = await sock.recvInto(buf);   // buf.subarray(0, n)
   */
  recvInto(buffer: Uint8Array, opts?: FlagOptions): Promise<number> { return runAsync(this[kState], new RecvInto(buffer, opts)); }
  /**
   * The blocking twin of recvInto(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What recvInto() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const n = sock.recvIntoSync(buf);
   */
  recvIntoSync(buffer: Uint8Array, opts?: FlagOptions): number { return runSync(this[kState], new RecvInto(buffer, opts)); }
  /**
   * recvfrom(2): one datagram (up to `size` bytes, default 65536), its
   * sender (null where the socket has none to report), and whether it was
   * cut short.
   *
   * @throws {@link SocketError} `ETIMEDOUT`, `ECONNREFUSED` (an ICMP error for an earlier datagram on a connected UDP socket), `ERR_SOCKET_CLOSED`.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const { data, address, truncated } = await udp.recvFrom(1500);
   * if (address) await udp.sendTo(data, address);   // echo
   */
  recvFrom(size = DEFAULT_RECV, opts?: FlagOptions): Promise<Datagram> { return runAsync(this[kState], new RecvFrom(size, opts)); }
  /**
   * The blocking twin of recvFrom(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What recvFrom() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const { data, address } = udp.recvFromSync(1500);
   */
  recvFromSync(size = DEFAULT_RECV, opts?: FlagOptions): Datagram { return runSync(this[kState], new RecvFrom(size, opts)); }
  /**
   * recvmsg(2) (MSG_CMSG_CLOEXEC): data (up to `size`, default 65536),
   * sender, fds (up to `maxFds`, default 253; the rest are closed and
   * `controlTruncated` set), credentials, control messages, truncation
   * flags, and pktinfo/timestamp/segmentSize/tos/ttl/originalDestination
   * where those options are on; with `flags: constants.MSG_ERRQUEUE`, a
   * queued error and its `extendedError` (see recvErrors()).
   *
   * @throws {@link SocketError} `ETIMEDOUT`, `ECONNRESET`, `ERR_SOCKET_CLOSED`.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const msg = await b.recvMsg({ maxFds: 4 });
   * for (const fd of msg.fds) Socket.from(fd);    // received fds are yours to close
   */
  recvMsg(opts?: RecvMsgOptions): Promise<ReceivedMessage> { return runAsync(this[kState], new RecvMsg(opts)); }
  /**
   * The blocking twin of recvMsg(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What recvMsg() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const { data, fds } = unix.recvMsgSync({ maxFds: 1 });
   */
  recvMsgSync(opts?: RecvMsgOptions): ReceivedMessage { return runSync(this[kState], new RecvMsg(opts)); }
  /**
   * recvmmsg(2): waits for at least one datagram, then returns up to
   * `maxMessages` (default 32) of at most `size` bytes (default 4096) each,
   * copied into one buffer sized to what arrived or, with `buffer` (at least
   * maxMessages x size bytes, yours to reuse), received straight into it as
   * views. Addresses are decoded when first read.
   *
   * @throws {@link SocketError} `ETIMEDOUT`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for bad options (a `buffer` smaller than maxMessages x size, ...).
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const buffer = Buffer.alloc(64 * 2048);
   * for (const m of await rx.recvMany({ maxMessages: 64, size: 2048, buffer })) handle(m.data, m.address);
   */
  recvMany(opts?: RecvManyOptions): Promise<ReceivedMessage[]> { return runAsync(this[kState], new RecvMany(opts)); }
  /**
   * The blocking twin of recvMany(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What recvMany() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const batch = rx.recvManySync({ maxMessages: 64 });
   */
  recvManySync(opts?: RecvManyOptions): ReceivedMessage[] { return runSync(this[kState], new RecvMany(opts)); }
  /**
   * recvfrom(2) into `buffer` (Python's recvfrom_into): no Buffer is made per
   * datagram. `bytes` is what was written; `truncated` says the datagram was
   * longer than the buffer (the rest is lost).
   *
   * @throws {@link SocketError} `ETIMEDOUT`, `ECONNREFUSED`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError for a buffer that is not a Uint8Array.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const buf = Buffer.alloc(1500);
   * const { bytes, address } = await udp.recvFromInto(buf);
   */
  recvFromInto(buffer: Uint8Array, opts?: FlagOptions): Promise<DatagramInto> { return runAsync(this[kState], new RecvFromInto(buffer, opts)); }
  /**
   * The blocking twin of recvFromInto(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What recvFromInto() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const { bytes, address } = udp.recvFromIntoSync(buf);
   */
  recvFromIntoSync(buffer: Uint8Array, opts?: FlagOptions): DatagramInto { return runSync(this[kState], new RecvFromInto(buffer, opts)); }
  /**
   * recvmsg(2) scattering the data into `buffers` in order (Python's
   * recvmsg_into), with fds, credentials and control messages as recvMsg():
   * a header and a body can land in buffers of their own.
   *
   * @throws {@link SocketError} `ETIMEDOUT`, `ECONNRESET`, `ERR_SOCKET_CLOSED`.
   * @throws TypeError / RangeError for buffers that are not Uint8Arrays (or too many) and bad options.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * const head = Buffer.alloc(4), body = Buffer.alloc(4096);
   * const { bytes, fds } = await unix.recvMsgInto([head, body]);
   */
  recvMsgInto(buffers: Uint8Array[], opts?: RecvMsgIntoOptions): Promise<MessageInto> { return runAsync(this[kState], new RecvMsgInto(buffers, opts)); }
  /**
   * The blocking twin of recvMsgInto(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What recvMsgInto() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * const { bytes } = unix.recvMsgIntoSync([head, body]);
   */
  recvMsgIntoSync(buffers: Uint8Array[], opts?: RecvMsgIntoOptions): MessageInto { return runSync(this[kState], new RecvMsgInto(buffers, opts)); }
  /**
   * Reads the socket's error queue until it is empty: recvmsg(2) with
   * MSG_ERRQUEUE, one call per queued error, oldest first. It never waits;
   * an empty queue (or 'ip-recverr' / 'ipv6-recverr' off) is `[]`. Each
   * entry is the decoded struct sock_extended_err (`code`, `origin`, ICMP
   * `type` and `icmpCode`, `info`: the path MTU for EMSGSIZE, `offender`:
   * the host that reported it), the failed datagram's destination
   * (`address`) and payload (`data`: as much as the ICMP error quoted).
   * Reading an ICMP error also clears the pending error it set (SO_ERROR).
   *
   * @throws {@link SocketError} `ERR_SOCKET_CLOSED`; `EOPNOTSUPP` where there is no error queue.
   * @throws `AbortError` when `opts.signal` has aborted.
   * @example
   * const udp = new Socket('inet', 'dgram');
   * udp.setOption('ip-recverr', true);
   * await udp.sendTo('ping', '127.0.0.1:9');            // nobody listens there
   * await udp.readable({ timeout: 1000 }).catch(() => {});
   * for (const e of await udp.recvErrors()) {
   *   console.log(e.code, e.origin, e.offender);         // 'ECONNREFUSED' 'icmp' { family: 'inet', address: '127.0.0.1', port: 0 }
   * }
   */
  recvErrors(opts?: IoOptions): Promise<QueuedError[]> { return runAsync(this[kState], new RecvErrors(opts)); }
  /**
   * The twin of recvErrors() without a Promise (it never waits either).
   *
   * @throws What recvErrors() rejects with.
   * @example
   * for (const e of udp.recvErrorsSync()) console.log(e.code, e.address);
   */
  recvErrorsSync(opts?: IoOptions): QueuedError[] { return runSync(this[kState], new RecvErrors(opts)); }
  /**
   * LuaSocket's receive: 'line' (default, also '*l': up to LF, without the LF
   * and every CR), 'all' ('*a': until the peer closes), or a byte count
   * (exactly that many). `prefix` is prepended. On ETIMEDOUT or EOF the
   * error's `partial` holds prefix plus what was read, so
   * receive(pattern, err.partial) resumes.
   *
   * @throws {@link SocketError} `ETIMEDOUT` and `EOF` (the peer closed
   * first; for 'all' only when nothing was read), both with `partial`;
   * `ECONNRESET`, `ERR_SOCKET_CLOSED`.
   * @throws `AbortError` when `opts.signal` aborts (with `partial`).
   * @example
   * const status = (await sock.receive('line')).toString();    // 'HTTP/1.0 200 OK'
   * const header = await sock.receive(16);                     // exactly 16 bytes
   * const rest = await sock.receive('all');                    // until the peer closes
   */
  receive(pattern?: 'line' | 'all' | '*l' | '*a' | number, prefix?: string | Uint8Array, opts?: IoOptions): Promise<Buffer> {
    return runAsync(this[kState], new Receive(pattern, prefix, opts));
  }
  /**
   * The blocking twin of receive(): it waits in poll(2), within the socket's
   * timeouts (setTimeout) and `opts.timeout`, instead of on the event loop.
   *
   * @throws What receive() rejects with; an AbortError only for a signal aborted before the call.
   * @example
   * sock.setTimeout(100);
   * const line = sock.receiveSync('line').toString();
   */
  receiveSync(pattern?: 'line' | 'all' | '*l' | '*a' | number, prefix?: string | Uint8Array, opts?: IoOptions): Buffer {
    return runSync(this[kState], new Receive(pattern, prefix, opts));
  }
  /**
   * Whether receive() (or a loop's read-ahead) left input that a read returns without a system call.
   * LuaSocket's dirty(). Never throws.
   *
   * @example
   * if (sock.dirty()) line = sock.receiveSync('line');   // no wait: the bytes are here
   */
  dirty(): boolean { return this[kState].buffered(); }
  /**
   * Resolves when a read would not block (buffered input counts); ETIMEDOUT past the deadline.
   *
   * @throws {@link SocketError} `ETIMEDOUT` past the deadline, `ERR_SOCKET_CLOSED`.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * await sock.readable({ timeout: 1000 });
   */
  readable(opts?: IoOptions): Promise<void> { return runAsync(this[kState], new Ready(READ, opts)); }
  /**
   * Resolves when a write would not block; ETIMEDOUT past the deadline.
   *
   * @throws {@link SocketError} `ETIMEDOUT` past the deadline, `ERR_SOCKET_CLOSED`.
   * @throws `AbortError` when `opts.signal` aborts.
   * @example
   * await sock.writable();   // the send buffer has room again
   */
  writable(opts?: IoOptions): Promise<void> { return runAsync(this[kState], new Ready(WRITE, opts)); }
}
