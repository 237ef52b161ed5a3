// What this platform supports, as flags users can test before relying on it.
// Compile-time facts come from the addon; UDP offload (gso, gro) is probed on
// a real socket, since the kernel (not the headers) decides, but only when a
// flag is first read: importing the library opens no socket.
import * as sys from './fd.js';
import { binding } from './binding.js';
import { intBytes } from './struct.js';

const k = binding.constants;

/** Whether setsockopt(level, name, value) succeeds on a fresh UDP socket. */
function probe(level: number | undefined, name: number | undefined, value: number): boolean {
  if (level === undefined || name === undefined || k.AF_INET === undefined) return false;
  const fd = sys.socket(k.AF_INET, k.SOCK_DGRAM, 0);
  if (fd < 0) return false;
  const ok = sys.setsockopt(fd, level, name, intBytes(value)) === 0;
  sys.close(fd);
  return ok;
}

/** A flag computed on its first read and cached: an enumerable getter, so spreading and Object.keys still see it. */
function lazyFlag(target: object, key: string, compute: () => boolean): void {
  let value: boolean | undefined;
  Object.defineProperty(target, key, { enumerable: true, configurable: false, get: () => (value ??= compute()) });
}

/** Whether socket(af, type) succeeds here: the kernel (or a module it can load) has the family. */
function canCreate(af: number | undefined, type: number): boolean {
  if (af === undefined) return false;
  const fd = sys.socket(af, type, 0);
  if (fd < 0) return false;
  sys.close(fd);
  return true;
}

/**
 * Python's socket.has_dualstack_ipv6(): whether an IPv6 TCP socket can
 * clear IPV6_V6ONLY here, so that one listener accepts IPv4 (as
 * ::ffff:a.b.c.d) and IPv6 alike: what `listen(host, port, { dualstack:
 * true })` needs. Opens and closes one socket on each call. Never throws:
 * a kernel without IPv6 answers false.
 *
 * @example
 * const server = hasDualstackIPv6() ? listen('::', 8080, { dualstack: true }) : listen('0.0.0.0', 8080);
 */
export function hasDualstackIPv6(): boolean {
  if (k.AF_INET6 === undefined) return false;
  const fd = sys.socket(k.AF_INET6, k.SOCK_STREAM, 0);
  if (fd < 0) return false;
  const ok = sys.setsockopt(fd, k.IPPROTO_IPV6, k.IPV6_V6ONLY, intBytes(0)) === 0;
  sys.close(fd);
  return ok;
}

/**
 * gethostname(2): this machine's host name (the UTS namespace's), as
 * Python's socket.gethostname() and Node's os.hostname() return it.
 *
 * @throws Node's `SystemError` where libuv cannot read the name (as os.hostname() does).
 *
 * @example
 * console.log(gethostname());   // 'build-01'
 */
export function gethostname(): string { return sys.gethostname(); }

const flags: Record<string, boolean> = { ...binding.features };
lazyFlag(flags, 'gso', () => probe(k.IPPROTO_UDP, k.UDP_SEGMENT, 1400));
lazyFlag(flags, 'gro', () => probe(k.IPPROTO_UDP, k.UDP_GRO, 1));
lazyFlag(flags, 'vsock', () => binding.layout.vmSize !== undefined && canCreate(k.AF_VSOCK, k.SOCK_STREAM));
lazyFlag(flags, 'dualstack', hasDualstackIPv6);

/**
 * recvmmsg, sendmmsg, abstract, seqpacket, netlink, packet, credentials,
 * reuseport, accept4, msgNosignal, cmsgCloexec, and, probed on a real
 * socket when first read: gso / gro (UDP_SEGMENT / UDP_GRO accepted by this
 * kernel), vsock (an AF_VSOCK socket can be made: the kernel has the
 * vsock module and a transport, e.g. vsock_loopback) and dualstack
 * (IPV6_V6ONLY can be cleared; see {@link hasDualstackIPv6}).
 */
export const features: Readonly<Record<string, boolean>> = Object.freeze(flags);
