// sys/ is the bottom layer: the addon loader (binding.ts, the only untyped
// edge), the generated constants, feature flags, errno values, the struct
// accessors (struct.ts, the only code that knows byte order) and this fd layer.
//
// The fd layer: the only module in src/ that makes socket system calls
// through the addon (readiness.ts drives the addon's epoll set, whose calls
// are not system calls on the socket). Each function is one system call and
// returns its result or a negative errno; none validates, throws or decides
// anything. Calls that return an address or counts leave them in the shared
// scratch below, valid until the next call: callers decode them at once.
import { Buffer } from 'node:buffer';
import { hostname } from 'node:os';
import { binding } from './binding.js';

/** The sockaddr the last accept/recvfrom/recvmsg/getsockname/getpeername returned (length in `results[0]`). The addon writes it: this environment's scratch (native/scratch.c). */
export const sockaddr: Buffer = binding.scratch.sockaddr;
/** Counts the last call returned by reference: [0] address length, [1] control length, [2] msg_flags. */
export const results: Int32Array = binding.scratch.results;
/** The integer arguments of the calls that take them through memory (getsockopt). */
const args: Int32Array = binding.scratch.args;
/** The value the last getsockopt read (length in `results[0]`), zero-extended to the size asked for. */
export const option: Buffer = binding.scratch.option;
/** The bytes the last recvScratch/recvfromScratch read (at most DATA_SCRATCH). */
export const data: Buffer = binding.scratch.data;
/** The largest read into `data`. */
export const DATA_SCRATCH = 32768;

// ---- lifecycle ------------------------------------------------------------

/** socket(2), close-on-exec; `type` may carry SOCK_NONBLOCK. */
export const socket = (domain: number, type: number, protocol: number): number => binding.socket(domain, type, protocol);
/** socketpair(2), close-on-exec; the fds land in `results[0]` and `results[1]`. */
export const socketpair = (domain: number, type: number, protocol: number): number => binding.socketpair(domain, type, protocol);
export const bind = (fd: number, addr: Uint8Array, len: number): number => binding.bind(fd, addr, len);
export const listen = (fd: number, backlog: number): number => binding.listen(fd, backlog);
export const connect = (fd: number, addr: Uint8Array, len: number): number => binding.connect(fd, addr, len);
/** accept4(2), close-on-exec plus `flags`; the peer lands in `sockaddr`. */
export const accept = (fd: number, flags: number): number => binding.accept(fd, flags);
export const shutdown = (fd: number, how: number): number => binding.shutdown(fd, how);
/** close(2) of an fd no Socket owns (posix, fds received in messages). */
export const close = (fd: number): number => binding.close(fd);
/** fcntl(F_DUPFD_CLOEXEC). */
export const dup = (fd: number): number => binding.dup(fd);
/** fcntl(F_SETFD): sets (true) or clears (false) FD_CLOEXEC. */
export const setcloexec = (fd: number, on: boolean): number => binding.setcloexec(fd, on);
/** Clears or sets O_NONBLOCK. */
export const setblocking = (fd: number, blocking: boolean): number => binding.setblocking(fd, blocking);
/** bit 0: O_NONBLOCK, bit 1: FD_CLOEXEC; or -errno. */
export const fdflags = (fd: number): number => binding.fdflags(fd);
export const getsockname = (fd: number): number => binding.getsockname(fd);
export const getpeername = (fd: number): number => binding.getpeername(fd);

// ---- ownership: an fd owned by a Socket has one poll handle and is closed at environment teardown ----

/** Marks an fd as owned by a Socket; 0 or -errno. */
export const own = (fd: number): number => binding.own(fd);
/** Drops ownership (and the poll handle), leaving the fd open. */
export const release = (fd: number): void => binding.release(fd);
/** release() then close(2). */
export const closeOwned = (fd: number): number => binding.closeOwned(fd);

// ---- data -------------------------------------------------------------------

export const send = (fd: number, buf: Uint8Array, off: number, len: number, flags: number): number => binding.send(fd, buf, off, len, flags);
export const recv = (fd: number, buf: Uint8Array, off: number, len: number, flags: number): number => binding.recv(fd, buf, off, len, flags);
export const sendto = (fd: number, buf: Uint8Array, off: number, len: number, flags: number, addr: Uint8Array | null, addrlen: number): number =>
  binding.sendto(fd, buf, off, len, flags, addr, addrlen);
/** recvfrom(2); the sender lands in `sockaddr`. */
export const recvfrom = (fd: number, buf: Uint8Array, off: number, len: number, flags: number): number =>
  binding.recvfrom(fd, buf, off, len, flags);
/** recv(2) of at most DATA_SCRATCH bytes into `data`: no buffer argument to check. */
export const recvScratch = (fd: number, len: number, flags: number): number => binding.recvScratch(fd, len, flags);
/** recvfrom(2) of at most DATA_SCRATCH bytes into `data`; the sender lands in `sockaddr`. */
export const recvfromScratch = (fd: number, len: number, flags: number): number => binding.recvfromScratch(fd, len, flags);
export const sendmsg = (fd: number, data: Uint8Array | Uint8Array[], addr: Uint8Array | null, addrlen: number, control: Uint8Array | null, flags: number): number =>
  binding.sendmsg(fd, data, addr, addrlen, control, flags);
/** recvmsg(2) with MSG_CMSG_CLOEXEC; the sender lands in `sockaddr`, the counts in `results`. */
export const recvmsg = (fd: number, buf: Uint8Array, off: number, len: number, flags: number, control: Uint8Array | null): number =>
  binding.recvmsg(fd, buf, off, len, flags, control);
/** recvmsg(2) scattering into `buffers` in order; sender and counts as recvmsg's. */
export const recvmsgv = (fd: number, buffers: Uint8Array[], flags: number, control: Uint8Array | null): number =>
  binding.recvmsgv(fd, buffers, flags, control);
/** sendfile(2) from a file to the socket `fd`; offset -1 reads at (and advances) the file's own position. */
export const sendfile = (fd: number, fileFd: number, offset: number, count: number): number => binding.sendfile(fd, fileFd, offset, count);
/** lseek(2) on a file (sendFile's fallback): offset -1 asks for the position. */
export const lseek = (fd: number, offset: number): number => binding.lseek(fd, offset);
/** recvmmsg(2): meta holds [length, address length, msg_flags, control length] per message. */
export const recvmmsg = (fd: number, batch: Uint8Array, slot: number, count: number, flags: number, addrs: Uint8Array | null,
  control: Uint8Array | null, ctlSlot: number, meta: Int32Array, pack: boolean): number =>
  binding.recvmmsg(fd, batch, slot, count, flags, addrs, control, ctlSlot, meta, pack ? 1 : 0);
export const sendmmsg = (fd: number, datas: Uint8Array[], addrs: Uint8Array | null, addrLens: Int32Array | null, controls: (Uint8Array | null)[] | null, flags: number): number =>
  binding.sendmmsg(fd, datas, addrs, addrLens, controls, flags);

// ---- options ------------------------------------------------------------------

/**
 * getsockopt(2) of at most `size` bytes into `option`; the length the kernel
 * wrote lands in `results[0]`. The integers go to the addon through
 * `scratch.args`, not as arguments: an Int32Array store wraps what is not an
 * int32, so callers pass values they have validated.
 */
export function getsockopt(fd: number, level: number, name: number, size: number): number {
  args[0] = fd;
  args[1] = level;
  args[2] = name;
  args[3] = size;
  return binding.getsockopt();
}
export const setsockopt = (fd: number, level: number, name: number, value: Uint8Array): number => binding.setsockopt(fd, level, name, value);

// ---- blocking waits (poll(2)) ----------------------------------------------------

/** poll(2) on one fd for READ (1) / WRITE (2): revents (1 readable, 2 writable, 4 error or hang-up), 0 timed out, or -errno. pollWait(-1, 0, ms) sleeps. */
export const pollWait = (fd: number, events: number, timeoutMs: number): number => binding.pollWait(fd, events, timeoutMs);
/** A new epoll fd watching `fd` edge-triggered for READ/WRITE, or -errno: edgeWait on it reports the state now, then only what happens next. */
export const edgeSet = (fd: number, events: number): number => binding.edgeSet(fd, events);
/** epoll_wait(2) on an edgeSet: revents as pollWait's, 0 timed out, or -errno. */
export const edgeWait = (epfd: number, timeoutMs: number): number => binding.edgeWait(epfd, timeoutMs);
/** poll(2) on many fds; their revents are written back into `events`. */
export const pollMany = (fds: Int32Array, events: Int32Array, timeoutMs: number): number => binding.pollMany(fds, events, timeoutMs);

// ---- names and interfaces ------------------------------------------------------

export const getaddrinfo = binding.getaddrinfo.bind(binding);
export const getaddrinfoAsync = binding.getaddrinfoAsync.bind(binding);
export const getnameinfo = binding.getnameinfo.bind(binding);
export const getnameinfoAsync = binding.getnameinfoAsync.bind(binding);
export const gaiStrerror = (code: number): string => binding.gaiStrerror(code);
export const if_nametoindex = (name: string): number => binding.if_nametoindex(name);
export const if_indextoname = (index: number): string | number => binding.if_indextoname(index);
export const if_nameindex = (): [number, string][] | number => binding.if_nameindex();
export const inet_pton = (family: number, text: string, out: Uint8Array): number => binding.inet_pton(family, text, out);
export const inet_ntop = (family: number, bytes: Uint8Array): string | number => binding.inet_ntop(family, bytes);
/** getservbyname_r(3): the port in host order; undefined when the database has no such service. */
export const getservbyname = (name: string, proto: string | null): number | undefined => binding.getservbyname(name, proto);
/** getservbyport_r(3) (port in host order): the service's name; undefined when none; or -errno. */
export const getservbyport = (port: number, proto: string | null): string | number | undefined => binding.getservbyport(port, proto);
/** getprotobyname_r(3): the protocol number; undefined when none. */
export const getprotobyname = (name: string): number | undefined => binding.getprotobyname(name);
/** gethostname(2), through libuv (uv_os_gethostname). */
export const gethostname = (): string => hostname();
