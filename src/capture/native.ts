// The capture module's edge to the addon (native/capture.c): the only code
// that calls its functions, each one system call (or one status word)
// returning a value or a negative errno, none validating or deciding
// anything. Where the platform has no AF_PACKET, `captureLayout` is null.
import type { Buffer } from 'node:buffer';
import { binding, type CaptureLayout, type RingHandle } from '../sys/binding.js';
import { EOPNOTSUPP } from '../sys/errno.js';

export type { RingHandle };

/** The TPACKET_V3 structs' offsets and the packet-socket constants; null without AF_PACKET. */
export const captureLayout: CaptureLayout | null = binding.capturelayout?.() ?? null;

const unsupported = EOPNOTSUPP;

/** setsockopt(SO_ATTACH_FILTER / SO_ATTACH_REUSEPORT_CBPF) of a packed program. */
export const setfilter = (fd: number, option: number, packed: Uint8Array): number => binding.setfilter?.(fd, option, packed) ?? unsupported;
/** setsockopt(PACKET_RX_RING) with a struct tpacket_req3. */
export const packetring = (fd: number, blockSize: number, blockCount: number, frameSize: number, retireMs: number): number =>
  binding.packetring?.(fd, blockSize, blockCount, frameSize, retireMs) ?? unsupported;
/** mmap(2) of the ring: a handle, or -errno. */
export const ringmap = (fd: number, blockSize: number, blockCount: number): RingHandle | number => binding.ringmap?.(fd, blockSize, blockCount) ?? unsupported;
/** The block as a Buffer when user space owns it, else null. */
export const ringblock = (ring: RingHandle, index: number): Buffer | null => binding.ringblock!(ring, index);
/** Hands the block back to the kernel (its Buffer detached first). */
export const ringrelease = (ring: RingHandle, index: number): number => binding.ringrelease!(ring, index);
/** recvmsg(2) of one packet with its auxdata and timestamp into `meta` (see binding.ts); bytes copied, or -errno. */
export const packetrecv = (fd: number, buffer: Uint8Array, meta: Int32Array): number => binding.packetrecv!(fd, buffer, meta);
/** packetrecv's `meta`, by field. */
export const META = { len: 0, ifindex: 1, protocol: 2, pkttype: 3, hatype: 4, halen: 5, addr: 6, status: 8, vlanTci: 9, vlanTpid: 10, secLo: 11, secHi: 12, nsec: 13, count: 14 } as const;
/** munmap(2) of the ring; idempotent. */
export const ringunmap = (ring: RingHandle): number => binding.ringunmap!(ring);
