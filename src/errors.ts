// Every error the library raises is built here: SocketError for system and
// resolver failures, Node-style TypeError/RangeError for bad arguments, and
// AbortError for cancelled operations.
import { Buffer } from 'node:buffer';
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap, inspect } from 'node:util';
// binding.ts imports this module too (for unsupportedPlatformError): nothing
// here reads the binding before a function is called.
import { binding } from './sys/binding.js';

const systemErrors = getSystemErrorMap();
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** Where a failed call was aimed, copied onto the error and into its message. */
export interface ErrorDetails {
  address?: string;
  port?: number;
  path?: string;
  hostname?: string;
  partial?: Buffer;
  sent?: number;
  lastIndex?: number;
}

/**
 * A SocketError's `code`: the codes berkeley itself raises ('ETIMEDOUT',
 * 'EOF', 'ERR_SOCKET_CLOSED', 'ENOTFOUND' and the resolver's 'EAI_*'), the
 * errno names socket calls commonly fail with, and any other errno name
 * (`string & {}` keeps editors offering the known ones while every string
 * is still accepted).
 */
export type SocketErrorCode =
  // raised by berkeley itself
  | 'ETIMEDOUT' | 'EOF' | 'ERR_SOCKET_CLOSED' | 'ENOTFOUND'
  // the resolver (EAI_NONAME and EAI_NODATA are reported as ENOTFOUND)
  | 'EAI_AGAIN' | 'EAI_FAIL' | 'EAI_FAMILY' | 'EAI_SERVICE' | 'EAI_SOCKTYPE' | 'EAI_BADFLAGS' | 'EAI_MEMORY'
  | 'EAI_OVERFLOW' | 'EAI_ADDRFAMILY' | 'EAI_SYSTEM'
  // system calls
  | 'EACCES' | 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EAFNOSUPPORT' | 'EAGAIN' | 'EALREADY' | 'EBADF'
  | 'ECONNABORTED' | 'ECONNREFUSED' | 'ECONNRESET' | 'EDESTADDRREQ' | 'EDOM' | 'EEXIST' | 'EHOSTDOWN'
  | 'EHOSTUNREACH' | 'EINPROGRESS' | 'EINTR' | 'EINVAL' | 'EISCONN' | 'EMFILE' | 'EMSGSIZE'
  | 'ENAMETOOLONG' | 'ENETDOWN' | 'ENETUNREACH' | 'ENFILE' | 'ENOBUFS' | 'ENODEV' | 'ENOENT' | 'ENOMEM'
  | 'ENOPROTOOPT' | 'ENOTCONN' | 'ENOTSOCK' | 'EOPNOTSUPP' | 'EPERM' | 'EPIPE' | 'EPROTO'
  | 'EPROTONOSUPPORT' | 'EPROTOTYPE' | 'ESOCKTNOSUPPORT'
  | (string & {});

/**
 * A failed system call, resolver lookup, timeout, end of stream or use of a
 * closed socket. `code` is the errno name ('ECONNREFUSED'), or 'ETIMEDOUT',
 * 'EOF', 'ENOTFOUND', 'ERR_SOCKET_CLOSED'; `errno` is negative as in Node
 * (`util.getSystemErrorName(err.errno) === err.code` for system errors).
 *
 * @example
 * try {
 *   await sock.connect('127.0.0.1:9');
 * } catch (err) {
 *   if (err instanceof SocketError && err.code === 'ECONNREFUSED') console.log(err.message); // 'connect ECONNREFUSED 127.0.0.1:9'
 *   else throw err;
 * }
 */
export class SocketError extends Error {
  /** The errno name ('ECONNREFUSED'), or 'ETIMEDOUT', 'EOF', 'ENOTFOUND', 'EAI_*', 'ERR_SOCKET_CLOSED'. */
  code: SocketErrorCode;
  /** The negative errno, as Node reports it (libuv's number for resolver errors); absent for EOF and ERR_SOCKET_CLOSED. */
  declare errno?: number;
  /** The failed call: 'connect', 'recvmsg', 'getaddrinfo', ... */
  declare syscall?: string;
  /** The address the call was aimed at, where it had one. */
  declare address?: string;
  /** The port the call was aimed at, where it had one. */
  declare port?: number;
  /** The Unix path the call was aimed at. */
  declare path?: string;
  /** The name a resolver failure was about. */
  declare hostname?: string;
  /** Data received before a receive failed (LuaSocket's partial result). */
  declare partial?: Buffer;
  /** Bytes sent before a send failed. */
  declare sent?: number;
  /** sendAll(data, i, j): the index of the last byte sent before the failure (LuaSocket's last index); resume at lastIndex + 1. */
  declare lastIndex?: number;

  /**
   * A SocketError with a message, a code and the fields that apply. Never
   * throws. berkeley makes them; user code rarely needs to.
   *
   * @example
   * const err = new SocketError('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED', { errno: -111, syscall: 'connect', address: '127.0.0.1', port: 9 });
   */
  constructor(message: string, code: SocketErrorCode, fields: { errno?: number; syscall?: string } & ErrorDetails = {}) {
    super(message);
    this.name = 'SocketError';
    this.code = code;
    for (const key of ['errno', 'syscall', 'address', 'port', 'path', 'hostname', 'partial', 'sent', 'lastIndex'] as const) {
      if (fields[key] !== undefined) (this as Record<string, unknown>)[key] = fields[key];
    }
  }
}

/** The errno name for a negative (or positive) errno value, e.g. -111 -> 'ECONNREFUSED'. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return systemErrors.get(-n)?.[0] ?? errnoNames.get(n) ?? `E${n}`;
}

function describeTarget(d: ErrorDetails): string {
  if (d.path !== undefined) return ` ${JSON.stringify(d.path).slice(1, -1)}`;
  if (d.hostname !== undefined) return ` ${d.hostname}`;
  if (d.address !== undefined) {
    const host = d.address.includes(':') ? `[${d.address}]` : d.address;
    return d.port !== undefined ? ` ${host}:${d.port}` : ` ${d.address}`;
  }
  return '';
}

/** A SocketError for a system call that returned -errno. */
export function systemError(errno: number, syscall: string, details: ErrorDetails = {}): SocketError {
  const neg = -Math.abs(errno);
  const code = errnoName(neg);
  return new SocketError(`${syscall} ${code}${describeTarget(details)}`, code, { errno: neg, syscall, ...details });
}

/** A system error the library raises itself, for something the platform lacks; `why` is added to the message. */
export function unavailableError(errno: number, syscall: string, why: string): SocketError {
  const err = systemError(errno, syscall);
  err.message = `${err.message} (${why})`;
  return err;
}

/** Returns a native result, or throws the SocketError its negative value stands for. */
export function check(ret: number, syscall: string, details?: ErrorDetails): number {
  if (ret < 0) throw systemError(ret, syscall, details);
  return ret;
}

const gaiNames = new Map<number, string>();
const libuvErrno = new Map<string, number>();
for (const [value, [name]] of systemErrors) libuvErrno.set(name, value);
/** The platform's EAI_* name for a resolver code (the table is filled on first use). */
function gaiName(eai: number): string | undefined {
  if (gaiNames.size === 0) for (const [name, value] of Object.entries(binding.constants)) if (name.startsWith('EAI_')) gaiNames.set(value, name);
  return gaiNames.get(eai);
}

/**
 * A resolver failure, as Node reports them: EAI_NONAME/EAI_NODATA become
 * ENOTFOUND. `syscall` is 'getaddrinfo' or 'getnameinfo'; `details` says
 * what was looked up (the hostname, or the address getnameinfo was given).
 */
export function resolverError(eai: number, sysErrno: number, message: string, hostname: string | null,
  syscall = 'getaddrinfo', details: ErrorDetails = hostname !== null ? { hostname } : {}): SocketError {
  if (gaiName(eai) === 'EAI_SYSTEM' && sysErrno < 0) return systemError(sysErrno, syscall, details);
  const eaiName = gaiName(eai) ?? `EAI_${eai}`;
  const code = eaiName === 'EAI_NONAME' || eaiName === 'EAI_NODATA' ? 'ENOTFOUND' : eaiName;
  // Node reports libuv's EAI numbers (UV_EAI_NONAME = -3008); use the same.
  const errno = libuvErrno.get(eaiName);
  const err = new SocketError(`${syscall} ${code}${describeTarget(details)}`, code, { errno, syscall, ...details });
  (err as SocketError & { reason?: string }).reason = message;
  return err;
}

/** The error for any use of a socket after close(). No system call is made. */
export function closedError(syscall?: string): SocketError {
  return new SocketError('Socket is closed', 'ERR_SOCKET_CLOSED', syscall ? { syscall } : {});
}

/** A timeout: code ETIMEDOUT, carrying what was received or sent before it. */
export function timeoutError(syscall: string, details: ErrorDetails = {}): SocketError {
  const errno = -osConstants.errno.ETIMEDOUT;
  return new SocketError(`${syscall} ETIMEDOUT${describeTarget(details)}`, 'ETIMEDOUT', { errno, syscall, ...details });
}

/** An fd that cannot get a Socket as its owner: EEXIST when it has one already (or Node's event loop watches it). */
export function ownError(errno: number, fd: number): SocketError {
  const err = systemError(errno, 'socket');
  if (err.code === 'EEXIST') err.message = `socket EEXIST (fd ${fd} already has an owner: a berkeley Socket, or Node's event loop through node:net)`;
  return err;
}

/** A call on a tcp()/udp() socket that has no fd yet, because no bind or connect chose its family. */
export function noFamilyError(syscall: string): SocketError {
  const errno = -osConstants.errno.ENOTCONN;
  return new SocketError(`${syscall} ENOTCONN (the socket has no family yet: bind or connect it first)`, 'ENOTCONN', { errno, syscall });
}

/** A name that resolved to no address the caller can use. */
export function notFoundError(hostname: string): SocketError {
  return new SocketError(`getaddrinfo ENOTFOUND ${hostname}`, 'ENOTFOUND', { syscall: 'getaddrinfo', hostname });
}

/** The peer closed before a receive pattern was satisfied. */
export function eofError(syscall: string, partial: Buffer): SocketError {
  return new SocketError(`${syscall} EOF`, 'EOF', { syscall, partial });
}

/** Raised when an operation is cancelled through its AbortSignal. */
export class AbortError extends Error {
  /** Always 'ABORT_ERR', as Node's own AbortError. */
  readonly code = 'ABORT_ERR';
  /**
   * An AbortError; berkeley gives it the signal's reason as `cause`. Never throws.
   *
   * @example
   * const err = new AbortError(undefined, { cause: signal.reason });
   */
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** The AbortError for an operation cancelled through `signal`, its reason as the cause. */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

type CodedError<E extends Error> = E & { code: string };

function coded<E extends Error>(err: E, code: string): CodedError<E> {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as CodedError<E>;
}

/** util.inspect that cannot throw (a detached DataView, a throwing Proxy trap): describing a bad argument must not fail. */
function safeInspect(value: unknown, options: Parameters<typeof inspect>[1]): string {
  try {
    return inspect(value, options);
  } catch {
    return `[${Object.prototype.toString.call(value).slice(8, -1)}]`;
  }
}

/** How Node describes a received value in argument errors. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor ? `an instance of ${ctor}` : safeInspect(value, { depth: -1 });
  }
  let shown = safeInspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

/** TypeError ERR_INVALID_ARG_TYPE: `expected` reads like "of type number". */
export function invalidArgType(name: string, expected: string, value: unknown): CodedError<TypeError> {
  return coded(new TypeError(`The "${name}" argument must be ${expected}. Received ${describeValue(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** TypeError ERR_INVALID_ARG_VALUE, with the reason the value was refused. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): CodedError<TypeError> {
  const shown = safeInspect(value, { colors: false, depth: 1, maxStringLength: 64 });
  return coded(new TypeError(`The argument '${name}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

/** RangeError ERR_OUT_OF_RANGE: `range` reads like ">= 0 && <= 65535". */
export function outOfRange(name: string, range: string, value: unknown): CodedError<RangeError> {
  const shown = typeof value === 'number' || typeof value === 'bigint' ? String(value) : safeInspect(value, {});
  return coded(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`), 'ERR_OUT_OF_RANGE');
}

/** What a call had done when it failed: attached to its SocketError or AbortError. */
export interface Progress { sent?: number; partial?: Buffer; lastIndex?: number }

/** Attaches a failed call's progress to its error (other errors pass through untouched). */
export function withProgress(err: unknown, progress: Progress): unknown {
  if (err instanceof SocketError || err instanceof AbortError) Object.assign(err, progress);
  return err;
}

/** Whether a failed attempt on one of several addresses lets the next be tried (timeouts, closes and bad arguments end the call). */
export function tryNext(err: unknown): boolean {
  return err instanceof SocketError && err.code !== 'ERR_SOCKET_CLOSED' && err.code !== 'ETIMEDOUT';
}

/** The error of the last of several attempts, listing them all as `errors`; ENOTFOUND when there were none. */
export function lastAttempt(errors: Error[], syscall: string): Error {
  const last = errors[errors.length - 1] ?? new SocketError(`${syscall} ENOTFOUND`, 'ENOTFOUND', { syscall });
  if (errors.length > 1) (last as Error & { errors?: Error[] }).errors = errors;
  return last;
}

/** What `import('berkeley')` throws where berkeley does not run: see {@link unsupportedPlatformError}. */
export interface UnsupportedPlatformError extends Error {
  code: 'ERR_BERKELEY_UNSUPPORTED_PLATFORM';
  /** process.platform and process.arch of this machine. */
  platform: string;
  arch: string;
  /** The platforms berkeley runs on (process.platform values). */
  supported: readonly string[];
}

/**
 * The one error importing berkeley throws on an operating system it does not
 * run on (it installs everywhere, so that a cross-platform package can depend
 * on it optionally): an Error with code 'ERR_BERKELEY_UNSUPPORTED_PLATFORM'
 * naming this platform and the supported ones.
 *
 * A function declaration that uses only its arguments and other function
 * declarations: binding.ts calls it while loading, possibly before this
 * module has run (the two import each other).
 *
 * @example
 * const berkeley = await import('berkeley').catch((err) => {
 *   if (err.code === 'ERR_BERKELEY_UNSUPPORTED_PLATFORM') return null;  // fall back to node:net
 *   throw err;
 * });
 */
export function unsupportedPlatformError(platform: string, arch: string, supported: readonly string[]): UnsupportedPlatformError {
  const err = new Error(`berkeley does not support ${platform} (${arch}): it runs on ${supported.join(', ')} only ` +
    '(prebuilt for x64, arm64 and armv7, glibc and musl; other Linux machines build from source at install). ' +
    "Catch code 'ERR_BERKELEY_UNSUPPORTED_PLATFORM' to make it optional.");
  Object.assign(err, { platform, arch, supported });
  return coded(err, 'ERR_BERKELEY_UNSUPPORTED_PLATFORM') as UnsupportedPlatformError;
}
