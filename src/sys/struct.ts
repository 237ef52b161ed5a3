// Struct accessors: the only place in src/ that knows the host's byte order
// and how C integers of the addon-exported layout are read and written. Every
// accessor takes (bytes, offset[, value]); the little- or big-endian variant
// is chosen once, when this module loads, so no call branches on byte order.
// Reads and writes have Buffer's semantics on any Uint8Array: an offset past
// the end, or a value that does not fit the field, is a RangeError.
import { Buffer } from 'node:buffer';
import { binding, layout } from './binding.js';

export { layout };
/** struct tcp_info: its size and each field's [offset, size]; wscale is a pair of nibbles. */
export const tcpInfo = binding.tcpInfo;
export type { Layout } from './binding.js';

const le = layout.littleEndian;
const P = Buffer.prototype;

type Read = (this: Uint8Array, offset: number) => number;
type Write = (this: Uint8Array, value: number, offset: number) => number;
type ReadBig = (this: Uint8Array, offset: number) => bigint;
type WriteBig = (this: Uint8Array, value: bigint, offset: number) => number;

// Buffer's own methods, called on plain Uint8Arrays as well as Buffers.
const rU16 = (le ? P.readUInt16LE : P.readUInt16BE) as Read;
const wU16 = (le ? P.writeUInt16LE : P.writeUInt16BE) as Write;
const rI16 = (le ? P.readInt16LE : P.readInt16BE) as Read;
const wI16 = (le ? P.writeInt16LE : P.writeInt16BE) as Write;
const rU32 = (le ? P.readUInt32LE : P.readUInt32BE) as Read;
const wU32 = (le ? P.writeUInt32LE : P.writeUInt32BE) as Write;
const rI32 = (le ? P.readInt32LE : P.readInt32BE) as Read;
const wI32 = (le ? P.writeInt32LE : P.writeInt32BE) as Write;
const rI64 = (le ? P.readBigInt64LE : P.readBigInt64BE) as ReadBig;
const wI64 = (le ? P.writeBigInt64LE : P.writeBigInt64BE) as WriteBig;
const rU64 = (le ? P.readBigUInt64LE : P.readBigUInt64BE) as ReadBig;
const wU64 = (le ? P.writeBigUInt64LE : P.writeBigUInt64BE) as WriteBig;
const rU16be = P.readUInt16BE as Read;
const wU16be = P.writeUInt16BE as Write;
const rU32be = P.readUInt32BE as Read;
const wU32be = P.writeUInt32BE as Write;
const rI8 = P.readInt8 as Read;
const rU8 = P.readUInt8 as Read;
const wI8 = P.writeInt8 as Write;
const wU8 = P.writeUInt8 as Write;

/** uint16_t in host byte order. */
export const u16 = (buf: Uint8Array, offset: number): number => rU16.call(buf, offset);
export const setU16 = (buf: Uint8Array, offset: number, value: number): void => { wU16.call(buf, value, offset); };
/** uint32_t in host byte order. */
export const u32 = (buf: Uint8Array, offset: number): number => rU32.call(buf, offset);
export const setU32 = (buf: Uint8Array, offset: number, value: number): void => { wU32.call(buf, value, offset); };
/** int32_t (a C int) in host byte order. */
export const i32 = (buf: Uint8Array, offset: number): number => rI32.call(buf, offset);
export const setI32 = (buf: Uint8Array, offset: number, value: number): void => { wI32.call(buf, value, offset); };
/** uint16_t in network byte order (ports, ethertypes). */
export const u16be = (buf: Uint8Array, offset: number): number => rU16be.call(buf, offset);
export const setU16be = (buf: Uint8Array, offset: number, value: number): void => { wU16be.call(buf, value, offset); };
/** uint32_t in network byte order (IPv6 flowinfo). */
export const u32be = (buf: Uint8Array, offset: number): number => rU32be.call(buf, offset);
export const setU32be = (buf: Uint8Array, offset: number, value: number): void => { wU32be.call(buf, value, offset); };

function badSize(size: number): RangeError {
  return new RangeError(`A struct field of ${size} bytes is not 1, 2, 4 or 8 bytes long`);
}

/** A signed field of `size` bytes (1, 2, 4 or 8: time_t, long, int, ...); 8-byte values as the nearest number. */
export function int(buf: Uint8Array, offset: number, size: number): number {
  switch (size) {
    case 4: return rI32.call(buf, offset);
    case 8: return Number(rI64.call(buf, offset));
    case 2: return rI16.call(buf, offset);
    case 1: return rI8.call(buf, offset);
    default: throw badSize(size);
  }
}

/** Writes a signed field of `size` bytes (1, 2, 4 or 8); `value` must fit it. */
export function setInt(buf: Uint8Array, offset: number, size: number, value: number): void {
  switch (size) {
    case 4: wI32.call(buf, value, offset); return;
    case 8: wI64.call(buf, BigInt(value), offset); return;
    case 2: wI16.call(buf, value, offset); return;
    case 1: wI8.call(buf, value, offset); return;
    default: throw badSize(size);
  }
}

/**
 * An unsigned field of `size` bytes (1, 2, 4 or 8: tcp_info counters,
 * cmsg_len, ...). An 8-byte field of all ones means "unlimited" and reads as
 * Infinity; other 8-byte values as the nearest number.
 */
export function uint(buf: Uint8Array, offset: number, size: number): number {
  switch (size) {
    case 4: return rU32.call(buf, offset);
    case 8: {
      const v = rU64.call(buf, offset);
      return v === 0xffffffffffffffffn ? Infinity : Number(v);
    }
    case 2: return rU16.call(buf, offset);
    case 1: return rU8.call(buf, offset);
    default: throw badSize(size);
  }
}

/** Writes an unsigned field of `size` bytes (1, 2, 4 or 8); `value` must fit it. */
export function setUint(buf: Uint8Array, offset: number, size: number, value: number): void {
  switch (size) {
    case 4: wU32.call(buf, value, offset); return;
    case 8: wU64.call(buf, BigInt(value), offset); return;
    case 2: wU16.call(buf, value, offset); return;
    case 1: wU8.call(buf, value, offset); return;
    default: throw badSize(size);
  }
}

/** htons(3): a 16-bit value in network byte order, as the host reads it (packet socket protocols). */
export const htons: (value: number) => number = le
  ? (v) => ((v & 0xff) << 8) | ((v >>> 8) & 0xff)
  : (v) => v & 0xffff;

/** A C int holding `value` as bytes (an option value). `value` is taken modulo 2^32, as C converts it. */
export function intBytes(value: number): Buffer {
  const b = Buffer.alloc(layout.intSize);
  setInt(b, 0, layout.intSize, value | 0);
  return b;
}

/**
 * What getsockopt returned for an int option, `len` bytes of `buf`: a full C
 * int as a signed number; a 1-byte value (some IP options answer with a
 * char) or a 2-byte value as unsigned; anything else shorter as 0.
 */
export function readIntValue(buf: Uint8Array, len: number): number {
  if (len < layout.intSize) return len === 1 ? buf[0] : len === 2 ? rU16.call(buf, 0) : 0;
  return int(buf, 0, layout.intSize);
}
