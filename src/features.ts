// What this platform supports, as flags users can test before relying on it.
import { binding } from './binding.js';

/** recvmmsg, sendmmsg, abstract, seqpacket, netlink, packet, credentials, reuseport, ... */
export const features: Readonly<Record<string, boolean>> = Object.freeze({ ...binding.features });
