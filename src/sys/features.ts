// What this platform supports, as flags users can test before relying on it.
// Compile-time facts come from the addon; UDP offload is probed once on a
// real socket, since the kernel (not the headers) decides.
import { binding } from './binding.js';

function probe(level: number | undefined, name: number | undefined, value: number): boolean {
  if (level === undefined || name === undefined) return false;
  const fd = binding.socket(binding.constants.AF_INET, binding.constants.SOCK_DGRAM, 0);
  if (fd < 0) return false;
  const v = Buffer.alloc(4);
  v.writeInt32LE(value);
  const ok = binding.setsockopt(fd, level, name, v) === 0;
  binding.close(fd);
  return ok;
}

const k = binding.constants;

/**
 * recvmmsg, sendmmsg, abstract, seqpacket, netlink, packet, credentials,
 * reuseport, accept4, msgNosignal, cmsgCloexec, and gso / gro (UDP_SEGMENT /
 * UDP_GRO accepted by this kernel).
 */
export const features: Readonly<Record<string, boolean>> = Object.freeze({
  ...binding.features,
  gso: probe(k.IPPROTO_UDP, k.UDP_SEGMENT, 1400),
  gro: probe(k.IPPROTO_UDP, k.UDP_GRO, 1),
});
