// The native addon: the only untyped edge of the library. Every function here
// wraps one system call and returns its result or a negative errno; nothing
// in it validates user input beyond what keeps the process safe.
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { unsupportedPlatformError } from '../errors.js';

export interface Layout {
  storage: number; familyOffset: number; familySize: number;
  inSize: number; inPort: number; inAddr: number;
  in6Size: number; in6Port: number; in6Flowinfo: number; in6Addr: number; in6ScopeId: number;
  unSize: number; unPath: number; unPathSize: number;
  nlSize?: number; nlPid?: number; nlGroups?: number;
  llSize?: number; llProtocol?: number; llIfindex?: number; llHatype?: number; llPkttype?: number;
  llHalen?: number; llAddr?: number; llAddrSize?: number;
  vmSize?: number; vmPort?: number; vmCid?: number;
  cmsgHdrSize: number; cmsgLen: number; cmsgLenSize: number; cmsgLevel: number; cmsgType: number;
  cmsgDataOffset: number; cmsgAlign: number; cmsgSpace0: number;
  ucredSize?: number; ucredPid?: number; ucredUid?: number; ucredGid?: number;
  lingerSize: number; lingerOnoff: number; lingerLinger: number;
  timevalSize: number; timevalSec: number; timevalSecSize: number; timevalUsec: number; timevalUsecSize: number;
  timespecSize: number; timespecNsec: number;
  ipMreqSize: number; ipMreqMultiaddr: number; ipMreqInterface: number;
  ipMreqnSize?: number; ipMreqnMultiaddr?: number; ipMreqnAddress?: number; ipMreqnIfindex?: number;
  inPktinfoSize?: number; inPktinfoIfindex?: number; inPktinfoSpecDst?: number; inPktinfoAddr?: number;
  ipMreqSourceSize: number; ipMreqSourceMultiaddr: number; ipMreqSourceInterface: number; ipMreqSourceSourceaddr: number;
  ipv6MreqSize: number; ipv6MreqMultiaddr: number; ipv6MreqInterface: number;
  in6PktinfoSize: number; in6PktinfoAddr: number; in6PktinfoIfindex: number;
  intSize: number; littleEndian: boolean;
}

/** A resolver failure: the EAI_* code, and for EAI_SYSTEM the (negative) errno. */
export interface GaiFailure { eai: number; errno: number }
export type RawAddrInfo = [family: number, socktype: number, protocol: number, addr: Buffer, canonname?: string];

export interface Binding {
  constants: Record<string, number>;
  layout: Layout;
  features: Record<string, boolean>;
  /** This environment's scratch (native/scratch.c): where calls leave an address, counts and option values. */
  scratch: { sockaddr: Buffer; results: Int32Array; args: Int32Array; option: Buffer; data: Buffer };
  /** struct tcp_info: its size (0 where unknown) and each field's [offset, size]; wscale is a pair of nibbles. */
  tcpInfo: { size: number; wscaleOffset?: number; fields: Record<string, [number, number]> };

  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  listen(fd: number, backlog: number): number;
  accept(fd: number, flags: number): number;
  connect(fd: number, addr: Uint8Array, len: number): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  getsockname(fd: number): number;
  getpeername(fd: number): number;
  setblocking(fd: number, blocking: boolean): number;
  /** bit 0: O_NONBLOCK, bit 1: FD_CLOEXEC; or -errno. */
  fdflags(fd: number): number;
  dup(fd: number): number;
  /** fcntl(F_SETFD): sets (true) or clears FD_CLOEXEC; 0 or -errno. */
  setcloexec(fd: number, on: boolean): number;

  send(fd: number, buf: Uint8Array, off: number, len: number, flags: number): number;
  recv(fd: number, buf: Uint8Array, off: number, len: number, flags: number): number;
  sendto(fd: number, buf: Uint8Array, off: number, len: number, flags: number, addr: Uint8Array | null, addrlen: number): number;
  recvfrom(fd: number, buf: Uint8Array, off: number, len: number, flags: number): number;
  recvScratch(fd: number, len: number, flags: number): number;
  recvfromScratch(fd: number, len: number, flags: number): number;
  sendmsg(fd: number, data: Uint8Array | Uint8Array[], addr: Uint8Array | null, addrlen: number, control: Uint8Array | null, flags: number): number;
  recvmsg(fd: number, buf: Uint8Array, off: number, len: number, flags: number, control: Uint8Array | null): number;
  /** recvmsg(2) scattering into `buffers` in order. */
  recvmsgv(fd: number, buffers: Uint8Array[], flags: number, control: Uint8Array | null): number;
  /** sendfile(2) from `fileFd` at `offset` (-1: the file's own position, advanced); at most 0x7ffff000 bytes per call. */
  sendfile(fd: number, fileFd: number, offset: number, count: number): number;
  /** lseek(2): offset -1 returns the current position, any other sets it; the position or -errno. */
  lseek(fd: number, offset: number): number;

  /** meta: per message [length, address length, msg_flags, control length]. */
  recvmmsg(fd: number, batch: Uint8Array, slot: number, count: number, flags: number, addrs: Uint8Array | null, control: Uint8Array | null, ctlSlot: number, meta: Int32Array, pack: number): number;
  sendmmsg(fd: number, datas: Uint8Array[], addrs: Uint8Array | null, addrLens: Int32Array | null, controls: (Uint8Array | null)[] | null, flags: number): number;

  /** Reads (fd, level, name, size) from scratch.args. */
  getsockopt(): number;
  setsockopt(fd: number, level: number, name: number, buf: Uint8Array): number;

  getaddrinfo(host: string | null, service: string | null, family: number, socktype: number, protocol: number, flags: number): RawAddrInfo[] | GaiFailure;
  getaddrinfoAsync(host: string | null, service: string | null, family: number, socktype: number, protocol: number, flags: number): Promise<RawAddrInfo[] | GaiFailure>;
  getnameinfo(addr: Uint8Array, len: number, flags: number): [string, string] | GaiFailure;
  getnameinfoAsync(addr: Uint8Array, len: number, flags: number): Promise<[string, string] | GaiFailure>;
  gaiStrerror(code: number): string;
  if_nametoindex(name: string): number;
  if_indextoname(index: number): string | number;
  if_nameindex(): [number, string][] | number;
  inet_pton(family: number, text: string, out: Uint8Array): number;
  inet_ntop(family: number, bytes: Uint8Array): string | number;
  /** getservbyname_r(3): the port (host order), undefined when not found, or -errno. */
  getservbyname(name: string, proto: string | null): number | undefined;
  /** getservbyport_r(3): the service name, undefined when not found, or -errno. */
  getservbyport(port: number, proto: string | null): string | number | undefined;
  /** getprotobyname_r(3): the protocol number, undefined when not found, or -errno. */
  getprotobyname(name: string): number | undefined;

  /**
   * Chooses the readiness backend (epoll thread, or uv_poll where libuvLoop
   * says the runtime's loop is libuv's) and its dispatch, once per
   * environment; 0 or -errno (-EALREADY when already set up).
   */
  pollSetup(dispatch: (fd: number, status: number, events: number) => void, epoll: boolean, libuvLoop: boolean): number;
  pollStart(fd: number, events: number, ref: boolean): number;
  /** Marks an fd as owned by a Socket (closed at environment teardown); 0 or -errno. */
  own(fd: number): number;
  /** Stops and frees the fd's poll handle and drops ownership, leaving the fd open. */
  release(fd: number): void;
  /** release() then close(2); 0 or -errno. */
  closeOwned(fd: number): number;
  pollRef(fd: number, ref: boolean): void;
  pollWait(fd: number, events: number, timeoutMs: number): number;
  pollMany(fds: Int32Array, events: Int32Array, timeoutMs: number): number;
}

/**
 * The operating systems berkeley runs on: those a test has run it on. It
 * installs anywhere (no "os" field), and importing it elsewhere throws one
 * error (ERR_BERKELEY_UNSUPPORTED_PLATFORM) before any addon is looked for.
 */
export const SUPPORTED_PLATFORMS: readonly string[] = ['linux'];
if (!SUPPORTED_PLATFORMS.includes(process.platform)) throw unsupportedPlatformError(process.platform, process.arch, SUPPORTED_PLATFORMS);

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => unknown;

export const binding = load(root) as Binding;
export const layout = binding.layout;
