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

const flags: Record<string, boolean> = { ...binding.features };
lazyFlag(flags, 'gso', () => probe(k.IPPROTO_UDP, k.UDP_SEGMENT, 1400));
lazyFlag(flags, 'gro', () => probe(k.IPPROTO_UDP, k.UDP_GRO, 1));

/**
 * recvmmsg, sendmmsg, abstract, seqpacket, netlink, packet, credentials,
 * reuseport, accept4, msgNosignal, cmsgCloexec, and gso / gro (UDP_SEGMENT /
 * UDP_GRO accepted by this kernel, probed on first read).
 */
export const features: Readonly<Record<string, boolean>> = Object.freeze(flags);
