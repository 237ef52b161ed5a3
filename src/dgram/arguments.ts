// node:dgram's argument checks and conversions, as Node 20's
// lib/internal/validators.js and lib/dgram.js make them (so their errors and
// their quirks, such as offsets taken as uint32s, are the same).
import { Buffer } from 'node:buffer';
import { argType, badPort, BUFFER_TYPES, outOfBounds, outOfRange } from './errors.js';

export function isInt32(value: unknown): value is number {
  return value === ((value as number) | 0);
}

export function validateUint32(value: unknown, name: string): void {
  if (typeof value !== 'number') throw argType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < 0 || value > 4294967295) throw outOfRange(name, '>= 0 && <= 4294967295', value);
}

/** Node's validatePort: a number or numeric string 0-65535 (1- without allowZero), as an integer. */
export function validatePort(port: unknown, name: string, allowZero: boolean): number {
  if ((typeof port !== 'number' && typeof port !== 'string') || (typeof port === 'string' && port.trim().length === 0) ||
    +port !== (+port >>> 0) || (port as number) > 0xffff || (port === 0 && !allowZero)) {
    throw badPort(name, port, allowZero);
  }
  return (port as number) | 0;
}

export function asBuffer(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

export function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Buffer {
  if (typeof buffer === 'string') buffer = Buffer.from(buffer);
  else if (!ArrayBuffer.isView(buffer)) throw argType('buffer', BUFFER_TYPES, buffer);
  const b = buffer as ArrayBufferView;
  const off = (offset as number) >>> 0;
  const len = (length as number) >>> 0;
  if (off > b.byteLength) throw outOfBounds('offset');
  if (off + len > b.byteLength) throw outOfBounds('length');
  return Buffer.from(b.buffer, b.byteOffset + off, len);
}

export function fixBufferList(list: unknown[]): Buffer[] | null {
  const out = new Array<Buffer>(list.length);
  for (let i = 0; i < list.length; i++) {
    const buf = list[i];
    if (typeof buf === 'string') out[i] = Buffer.from(buf);
    else if (!ArrayBuffer.isView(buf)) return null;
    else out[i] = asBuffer(buf);
  }
  return out;
}

