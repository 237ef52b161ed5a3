// The errors of node:dgram, as Node 20's lib/internal/errors.js makes them:
// a program that checks `err.code`, `err.message` or `err instanceof
// RangeError` sees what it saw with node:dgram. System failures are Node's
// ErrnoException and ExceptionWithHostPort (plain Errors with a negative
// `errno`, `code`, `syscall`), not berkeley's SocketError; the unix-dgram
// interface keeps that package's own shape (`code` and `errno` both the
// negative errno number). The rest of berkeley builds its errors in
// src/errors.ts; these are node:dgram's, kept beside the interface they
// belong to.
import { getSystemErrorMap, getSystemErrorName, inspect } from 'node:util';

type Base = new (message?: string) => Error;

/** Node's NodeError: the base class's error with an own `code`, named `Name [CODE]` in toString() and the stack. */
function nodeError(Base: Base, code: string, message: string): Error & { code: string } {
  const err = new Base(message) as Error & { code: string };
  err.code = code;
  Object.defineProperty(err, 'toString', { value() { return `${this.name} [${code}]: ${this.message}`; }, enumerable: false, writable: true, configurable: true });
  if (typeof err.stack === 'string') err.stack = `${err.name} [${code}]: ${message}${err.stack.slice(err.stack.indexOf('\n'))}`;
  return err;
}

/** Node's determineSpecificType: how an argument error describes the value it got. */
export function specificType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint': return `type bigint (${value}n)`;
    case 'number':
      if (value === 0) return 1 / value === -Infinity ? 'type number (-0)' : 'type number (0)';
      return `type number (${value})`;
    case 'boolean': return `type boolean (${value})`;
    case 'symbol': return `type symbol (${String(value)})`;
    case 'function': return `function ${(value as { name: string }).name}`;
    case 'object': {
      const ctor = (value as { constructor?: { name?: string } }).constructor;
      if (ctor && 'name' in ctor) return `an instance of ${ctor.name}`;
      return inspect(value, { depth: -1 });
    }
    default: {
      let s = value as string;
      if (s.length > 28) s = `${s.slice(0, 25)}...`;
      if (!s.includes("'")) return `type string ('${s}')`;
      return `type string (${JSON.stringify(s)})`;
    }
  }
}

/** ERR_INVALID_ARG_TYPE; `expected` is Node's phrase ("of type string", "an instance of AbortSignal"). */
export function argType(name: string, expected: string, value: unknown): TypeError {
  const what = name.endsWith(' argument') ? name : `"${name}" ${name.includes('.') ? 'property' : 'argument'}`;
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The ${what} must be ${expected}. Received ${specificType(value)}`);
}

/** What node:dgram accepts as data. */
export const BUFFER_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView';

/** ERR_OUT_OF_RANGE. */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  const received = Number.isInteger(value) && Math.abs(value as number) > 2 ** 32
    ? String(value).replace(/\B(?=(\d{3})+(?!\d))/g, '_') : inspect(value);
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${received}`);
}

/** ERR_SOCKET_BAD_PORT; `allowZero` false for connect and send. */
export function badPort(name: string, port: unknown, allowZero: boolean): RangeError {
  return nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${specificType(port)}.`);
}

/** ERR_MISSING_ARGS for one argument. */
export const missingArgs = (name: string): TypeError => nodeError(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`);
/** ERR_BUFFER_OUT_OF_BOUNDS. */
export const outOfBounds = (name: string): RangeError => nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', `"${name}" is outside of buffer bounds`);
export const alreadyBound = (): Error => nodeError(Error, 'ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
export const badBufferSize = (): TypeError => nodeError(TypeError, 'ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer');
export const badType = (): TypeError => nodeError(TypeError, 'ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6');
export const isConnected = (): Error => nodeError(Error, 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
export const notConnected = (): Error => nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
export const notRunning = (): Error => nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
export const invalidFdType = (type: string): TypeError => nodeError(TypeError, 'ERR_INVALID_FD_TYPE', `Unsupported fd type: ${type}`);

const systemErrors = getSystemErrorMap();

/** Node's SystemError subclasses are classes named NodeError (what `err.constructor.name` says). */
class NodeError extends Error {}

/** ERR_SOCKET_BUFFER_SIZE, Node's SystemError: the failed call, its code and libuv's description in the message and `info`. */
export function bufferSizeError(errno: number, recv: boolean): Error {
  const syscall = recv ? 'uv_recv_buffer_size' : 'uv_send_buffer_size';
  const [code, message] = systemErrors.get(errno) ?? [getSystemErrorName(errno), 'unknown error'];
  const info = { errno, code, message, syscall };
  const err = nodeError(NodeError, 'ERR_SOCKET_BUFFER_SIZE', `Could not get or set buffer size: ${syscall} returned ${code} (${message})`);
  Object.defineProperty(err, 'name', { value: 'SystemError', enumerable: false, writable: true, configurable: true });
  Object.defineProperty(err, 'info', { value: info, enumerable: true, configurable: true, writable: false });
  Object.defineProperty(err, 'errno', { get: () => info.errno, enumerable: true, configurable: true });
  Object.defineProperty(err, 'syscall', { get: () => info.syscall, enumerable: true, configurable: true });
  return err;
}

/** Node's ErrnoException: `${syscall} ${code}`, with errno (negative), code and syscall. */
export function errnoException(errno: number, syscall: string): Error {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`${syscall} ${code}`), { errno, code, syscall });
}

/** Node's ExceptionWithHostPort: ErrnoException with ` address:port` (or ` address`) in the message and as fields. */
export function exceptionWithHostPort(errno: number, syscall: string, address: unknown, port: unknown): Error {
  const code = getSystemErrorName(errno);
  let details = '';
  if (port && (port as number) > 0) details = ` ${address}:${port}`;
  else if (address) details = ` ${address}`;
  const err = Object.assign(new Error(`${syscall} ${code}${details}`), { errno, code, syscall, address });
  if (port) (err as { port?: unknown }).port = port;
  return err;
}

/** The unix-dgram package's errors: message `${syscall} ${errno}`, `code` and `errno` the negative errno number. */
export function unixDgramError(errno: number, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${errno}`), { errno, code: errno, syscall });
}

/** The negative errno of a berkeley SocketError (or a thrown Node error with one); undefined for anything else. */
export function errnoOf(err: unknown): number | undefined {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' && errno < 0 ? errno : undefined;
}
