// Argument checks shared by every public function. Each throws the Node-style
// TypeError/RangeError from errors.ts before any system call is made.
import { Buffer } from 'node:buffer';
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js';

export function validateInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

export const validateInt32 = (value: unknown, name: string): number => validateInteger(value, name, -0x80000000, 0x7fffffff);
export const validateUint32 = (value: unknown, name: string): number => validateInteger(value, name, 0, 0xffffffff);
export const validateFd = (value: unknown, name = 'fd'): number => validateInteger(value, name, 0, 0x7fffffff);
export const validatePort = (value: unknown, name = 'port'): number => validateInteger(value, name, 0, 65535);

/** A byte length for a receive: a non-negative integer no larger than Buffer can hold. */
export const validateLength = (value: unknown, name = 'length'): number => validateInteger(value, name, 0, 0x7fffffff);

export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return value;
}

/** A string handed to C as a NUL-terminated string: it may not contain NUL. */
export function validateCString(value: unknown, name: string): string {
  validateString(value, name);
  if ((value as string).includes('\0')) throw invalidArgValue(name, value, 'must be a string without null bytes');
  return value as string;
}

export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

export function validateObject<T extends object>(value: unknown, name: string): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'of type object', value);
  return value as T;
}

/**
 * Whether `value` is a real Uint8Array (or Buffer): a view with the typed
 * array's internal slots, not a Proxy or an object that only inherits from
 * Uint8Array.prototype (reading their length would throw an uncoded
 * TypeError, and the addon refuses them later than it should).
 */
export const isBytes = (value: unknown): value is Uint8Array => ArrayBuffer.isView(value) && value instanceof Uint8Array;

/** Data in: a string (UTF-8) or any ArrayBufferView, as a Uint8Array without copying views. */
export function toBytes(value: unknown, name = 'data'): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (ArrayBuffer.isView(value)) {
    if (value instanceof Uint8Array) return value.byteLength === 0 ? notDetached(value, name) : value;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength); // a detached DataView throws here
    } catch {
      throw invalidArgValue(name, `[a ${value.constructor?.name ?? 'view'} of a detached ArrayBuffer]`, 'is backed by a detached ArrayBuffer');
    }
    return bytes.byteLength === 0 ? notDetached(bytes, name) : bytes;
  }
  throw invalidArgType(name, 'of type string or an instance of Uint8Array', value);
}

/**
 * The error for a buffer whose ArrayBuffer was detached (transferred) or
 * shrunk (a resizable ArrayBuffer) while a call that had validated it was
 * waiting: it no longer holds the `length` bytes the call took.
 */
export function changedBuffer(name: string, view: ArrayBufferView, length: number): TypeError {
  return invalidArgValue(name, `[${view.byteLength} of ${length} bytes]`, 'was detached or shrunk while the call was waiting');
}

/**
 * Refuses a view of a detached ArrayBuffer (transferred or structuredClone'd
 * away): it reads as empty, so a send would send nothing and a receive would
 * look like end of stream. Only empty views can be detached, so only they pay
 * for the check.
 */
export function notDetached<T extends ArrayBufferView>(view: T, name: string): T {
  if (view.byteLength !== 0 || view.buffer instanceof SharedArrayBuffer) return view;
  try {
    new Uint8Array(view.buffer, 0, 0); // throws on a detached buffer
  } catch {
    throw invalidArgValue(name, view, 'is backed by a detached ArrayBuffer');
  }
  return view;
}

/** Optional per-call flags (MSG_*): a 32-bit integer, default 0. */
export function validateFlags(value: unknown, name = 'flags'): number {
  return value === undefined ? 0 : validateInt32(value, name);
}

/**
 * A timeout in ms: null, undefined, Infinity and any negative value mean no
 * limit (LuaSocket's settimeout: "Negative timeout values have the same
 * effect" as nil). Non-numbers are a TypeError, NaN a RangeError.
 */
export function validateTimeout(value: unknown, name: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number or null', value);
  if (Number.isNaN(value)) throw outOfRange(name, 'a number of milliseconds (negative or null: no limit)', value);
  if (value < 0 || value === Infinity) return null;
  return value + 0; // -0 is 0: never wait
}

/** A Lua string index (LuaSocket's send(data, i, j)): an integer, negative counting from the end. */
export const validateIndex = (value: unknown, name: string): number => validateInteger(value, name);
