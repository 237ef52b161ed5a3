// Shared receive buffers. recv, recvFrom and recvMsg read into one shared
// scratch buffer instead of allocating `size` bytes per call (64 KiB by
// default, which cost more than the system call for a small datagram), and
// then take the bytes out into a Buffer of exactly their size: small ones come
// from Node's Buffer pool, so a 64-byte datagram no longer pins 64 KiB.
// A read that fills most of a large scratch takes the scratch itself (a new
// one is made for the next read): one allocation and no copy, as before.
// Sharing is safe because a read and its takeOut run in one synchronous step.
// Reads of at most 32 KiB (never handed over) go into the addon's own data
// scratch instead (recvShared), which spares the addon checking a buffer
// argument on every call.
import { Buffer } from 'node:buffer';
import * as sys from '../sys/fd.js';

/** The scratch kept between calls: at least this large, at most MAX_KEPT. */
const MIN_SCRATCH = 65536;
const MAX_KEPT = 1 << 20;
/** Reads of at least this many bytes that fill half the scratch take it over instead of being copied. */
const HANDOVER = 32768;

let data: Buffer | null = null;
let controlStore: Buffer | null = null;
let control: Buffer | null = null; // the last view of controlStore handed out

/** A buffer of at least `size` bytes to read into; valid until the next takeOut or read. */
export function readBuffer(size: number): Buffer {
  if (data !== null && data.length >= size) return data;
  if (size > MAX_KEPT) return Buffer.allocUnsafe(size); // a one-off: too large to keep around
  return (data = Buffer.allocUnsafe(Math.max(size, MIN_SCRATCH)));
}

/**
 * What a read of at most `size` bytes into `buf` (from readBuffer) returned, as
 * a Buffer of its own. `n` is the system call's result, which with MSG_TRUNC is
 * a datagram's full length: only `size` bytes of it were written.
 */
export function takeOut(buf: Buffer, n: number, size: number): Buffer {
  if (n > size) n = size;
  if (buf !== data) {
    // A one-off buffer: keep it unless most of it would be wasted.
    if (n === buf.length) return buf;
    return n >= HANDOVER && n >= buf.length >>> 1 ? buf.subarray(0, n) : copy(buf, n);
  }
  if (n >= HANDOVER && n >= buf.length >>> 1) {
    data = null;
    return n === buf.length ? buf : buf.subarray(0, n);
  }
  return copy(buf, n);
}

/** The buffer the last recvShared read into. */
let lastRead: Buffer = sys.data;

/**
 * recv(2) of up to `size` bytes into shared memory, or recvfrom(2) with
 * `withSender` (the sender lands in sys.sockaddr): the byte count or
 * -errno; takeShared then takes the bytes out.
 */
export function recvShared(fd: number, size: number, flags: number, withSender: boolean): number {
  if (size <= sys.DATA_SCRATCH) {
    lastRead = sys.data;
    return withSender ? sys.recvfromScratch(fd, size, flags) : sys.recvScratch(fd, size, flags);
  }
  const buf = lastRead = readBuffer(size);
  return withSender ? sys.recvfrom(fd, buf, 0, size, flags) : sys.recv(fd, buf, 0, size, flags);
}

/** What the last recvShared of at most `size` bytes returned (`n`, the system call's result), as a Buffer of its own. */
export function takeShared(n: number, size: number): Buffer {
  return lastRead === sys.data ? copy(sys.data, n > size ? size : n) : takeOut(lastRead, n, size);
}

function copy(buf: Buffer, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  // A TypedArray set from a plain view: a memcpy, without Buffer#copy's argument checks.
  out.set(new Uint8Array(buf.buffer, buf.byteOffset, n));
  return out;
}

/**
 * A buffer of exactly `size` bytes for received control messages (the kernel
 * truncates to its length, which recvMsg's controlLength sets), decoded and
 * copied out at once.
 */
export function controlBuffer(size: number): Buffer {
  if (control !== null && control.length === size) return control;
  if (controlStore === null || controlStore.length < size) controlStore = Buffer.allocUnsafe(Math.max(size, 1024));
  return (control = controlStore.subarray(0, size));
}
