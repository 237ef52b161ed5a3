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
  /** struct sock_extended_err (Linux): what MSG_ERRQUEUE reads; the offender's sockaddr follows it. */
  eeSize?: number; eeErrno?: number; eeOrigin?: number; eeType?: number; eeCode?: number; eeInfo?: number; eeData?: number;
  intSize: number; littleEndian: boolean;
}

/** What native/capture.c reports of the TPACKET_V3 structs and packet-socket constants (offsets in bytes). */
export interface CaptureLayout {
  pageSize: number; blockDescSize: number;
  blockStatus: number; blockPackets: number; blockFirst: number; blockLength: number; blockSeq: number;
  hdrSize: number; hdrLlOffset: number; hdrNext: number; hdrSec: number; hdrNsec: number; hdrSnaplen: number; hdrLen: number;
  hdrStatus: number; hdrMac: number; hdrNet: number; hdrVlanTci: number; hdrVlanTpid: number;
  statsSize: number; statsPackets: number; statsDrops: number;
  mreqSize: number; mreqIfindex: number; mreqType: number;
  auxSize: number; auxStatus: number; auxLen: number; auxVlanTci: number; auxVlanTpid: number;
  TPACKET_V3: number; PACKET_RESERVE: number; PACKET_VERSION: number; PACKET_AUXDATA: number;
  TP_STATUS_USER: number; TP_STATUS_VLAN_VALID: number; TP_STATUS_VLAN_TPID_VALID?: number;
  PACKET_FANOUT_HASH: number; PACKET_FANOUT_LB: number; PACKET_FANOUT_CPU: number; PACKET_FANOUT_ROLLOVER: number;
  PACKET_FANOUT_RND: number; PACKET_FANOUT_QM: number; PACKET_FANOUT_FLAG_DEFRAG: number;
  SO_ATTACH_FILTER: number; SO_ATTACH_REUSEPORT_CBPF?: number;
}

/** A mapped TPACKET_V3 ring (an opaque handle from ringmap). */
export type RingHandle = object & { readonly __ring: unique symbol };

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
   * Creates this environment's epoll set and starts its pump (a helper
   * thread when `thread`, else one uv_poll handle on the loop, only where
   * libuvLoop says the runtime's loop is libuv's), once; dispatch(count)
   * then receives each wake-up's ready fds in readyEvents. 0 or -errno
   * (-EALREADY when already set up).
   */
  readinessSetup(dispatch: (count: number) => void, thread: boolean, libuvLoop: boolean): number;
  /** Set by io/readiness.ts: what every copy of it that loads this addon shares. */
  readinessShared?: unknown;
  /** Where the set reports ready fds: (fd, generation, events) triples, `count` of them per dispatch. */
  readonly readyEvents: Int32Array;
  /** Arms exactly `events` (1 readable, 2 writable; 0 takes the fd out of the set), edge-triggered or not: the registration's generation, or -errno. */
  readinessArm(fd: number, events: number, edge: boolean): number;
  /** Whether the set's handle keeps the event loop alive. */
  readinessRef(ref: boolean): void;
  /** For tests: the generation the next registration gets (1..2^31-1). */
  readinessNextGeneration(generation: number): void;
  /** Marks an fd as owned by a Socket (closed at environment teardown); 0 or -errno. */
  own(fd: number): number;
  /** Takes the fd out of the set and drops its registration and ownership, leaving it open. */
  release(fd: number): void;
  /** release() then close(2); 0 or -errno. */
  closeOwned(fd: number): number;
  pollWait(fd: number, events: number, timeoutMs: number): number;
  edgeSet(fd: number, events: number): number;
  edgeWait(epfd: number, timeoutMs: number): number;
  pollMany(fds: Int32Array, events: Int32Array, timeoutMs: number): number;

  // Packet capture (native/capture.c): absent where the platform has no AF_PACKET.
  /** setsockopt(SO_ATTACH_FILTER or SO_ATTACH_REUSEPORT_CBPF) of packed struct sock_filter; 0 or -errno. */
  setfilter?(fd: number, option: number, program: Uint8Array): number;
  /** setsockopt(PACKET_RX_RING) with a struct tpacket_req3; 0 or -errno. */
  packetring?(fd: number, blockSize: number, blockCount: number, frameSize: number, retireMs: number): number;
  /** mmap(2) of the ring: a handle, or -errno. */
  ringmap?(fd: number, blockSize: number, blockCount: number): RingHandle | number;
  /** A Buffer over block `index` when user space owns it (TP_STATUS_USER, read with acquire ordering), else null. */
  ringblock?(ring: RingHandle, index: number): Buffer | null;
  /** Detaches the block's Buffer and hands the block back to the kernel (release ordering); 0. */
  ringrelease?(ring: RingHandle, index: number): number;
  /** munmap(2), every block Buffer still out detached first; idempotent; 0 or -errno. */
  ringunmap?(ring: RingHandle): number;
  /**
   * recvmsg(2) of one packet (MSG_TRUNC) with its PACKET_AUXDATA and
   * SCM_TIMESTAMPNS into `meta` (14 ints: wire length, ifindex, protocol,
   * pkttype, hatype, halen, addr (2 ints), aux status, VLAN tci, VLAN tpid,
   * seconds low and high, nanoseconds); bytes copied, or -errno.
   */
  packetrecv?(fd: number, buffer: Uint8Array, meta: Int32Array): number;
  capturelayout?(): CaptureLayout;
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
