// Socket addresses: the SocketAddress objects users see, encoded to and decoded
// from sockaddr bytes with the struct layout the addon exports. Decoding
// happens in TypeScript so hot paths never build objects in C.
import { Buffer } from 'node:buffer';
import { ENAMETOOLONG } from '../sys/errno.js';
import * as sys from '../sys/fd.js';
import { binding } from '../sys/binding.js';
import { i32, layout, setI32, setU16, setU16be, setU32, setU32be, u16, u16be, u32, u32be } from '../sys/struct.js';
import { AF } from './names.js';
import { invalidArgType, invalidArgValue, systemError } from '../errors.js';
import { validateInteger, validateObject, validatePort, validateString, validateUint32 } from '../validate.js';

/** A socket address as an object, one shape per family (struct sockaddr_in, sockaddr_in6, sockaddr_un, sockaddr_nl, sockaddr_ll, sockaddr_vm). */
export type SocketAddress =
  | { family: 'inet'; address: string; port: number }
  | { family: 'inet6'; address: string; port: number; flowinfo?: number; scopeId?: number }
  | { family: 'unix'; path: string }
  | { family: 'netlink'; pid: number; groups: number }
  | { family: 'packet'; protocol: number; ifindex: number; hatype?: number; pkttype?: number; addr?: Buffer }
  /**
   * Added: AF_VSOCK (virtual machine sockets): a context id (VMADDR_CID_ANY,
   * VMADDR_CID_LOCAL, VMADDR_CID_HOST, a guest's cid) and a port
   * (VMADDR_PORT_ANY for any), both uint32.
   */
  | { family: 'vsock'; cid: number; port: number }
  /** Added: an address of a family berkeley has no codec for, as raw sockaddr bytes after the family field. */
  | { family: number; bytes: Buffer };

const k = binding.constants;

// Still re-exported for modules that have not switched to names.ts yet.

// The family field is one byte where sockaddr starts with sa_len (BSD), else two: chosen once.
const familyAt = layout.familyOffset;

/** The family field of raw sockaddr bytes. */
const sockaddrFamily: (bytes: Uint8Array) => number = layout.familySize === 1
  ? (bytes) => bytes[familyAt]
  : (bytes) => u16(bytes, familyAt);

const setFamily: (buf: Buffer, af: number) => void = layout.familySize === 1
  ? (buf, af) => { buf[familyAt] = af; }
  : (buf, af) => setU16(buf, familyAt, af);

/** inet_pton into `out` at `off`; ERR_INVALID_ARG_VALUE when the text is not an address. */
function putIp(af: number, text: string, out: Buffer, off: number, field: string): void {
  if (typeof text !== 'string') throw invalidArgType(field, 'of type string', text);
  const tmp = scratch16;
  const rc = text.includes('\0') ? 0 : sys.inet_pton(af, text, tmp);
  if (rc !== 1) throw invalidArgValue(field, text, `must be a numeric ${af === AF.inet ? 'IPv4' : 'IPv6'} address`);
  tmp.copy(out, off, 0, af === AF.inet ? 4 : 16);
}
const scratch16 = Buffer.alloc(16);

/** Splits an IPv6 zone ('fe80::1%eth0') into address and scope id. */
function splitZone(address: string, name: string): [string, number | undefined] {
  const i = address.indexOf('%');
  if (i < 0) return [address, undefined];
  const zone = address.slice(i + 1);
  let scope: number;
  if (/^\d+$/.test(zone)) scope = validateUint32(Number(zone), `${name} zone`);
  else {
    if (zone.includes('\0') || zone.length === 0) throw invalidArgValue('address', address, 'has an invalid zone');
    scope = sys.if_nametoindex(zone);
    if (scope < 0) throw systemError(scope, 'if_nametoindex', { address });
  }
  return [address.slice(0, i), scope];
}

export interface EncodedAddress { bytes: Buffer; length: number }

/**
 * The sockaddr bytes an address the library decoded from a received message
 * came from, kept on the (frozen) address object under a symbol no other
 * module has: a reply sent to it (sendTo(data, address), sendMany's
 * messages) skips the validation and encoding that would give exactly these
 * bytes. A non-enumerable property: equality checks, JSON and spreading do
 * not see it (a spread copy is a fresh address, encoded as any other).
 */
const kEncoding: unique symbol = Symbol('berkeley.encoding');

/** Freezes an address decoded from the first `length` bytes of `bytes` (a copy no one writes again) and keeps them as its encoding. */
export function decodedFrom(address: SocketAddress | null, bytes: Buffer, length: number): SocketAddress | null {
  if (address === null) return null;
  Object.defineProperty(address, kEncoding, { value: { bytes, length } satisfies EncodedAddress });
  return Object.freeze(address);
}

/** The sockaddr a received message's address was decoded from when it is of family `af` (an AF_* number); undefined for any other value. */
export function encodingOf(address: unknown, af: number): EncodedAddress | undefined {
  if (typeof address !== 'object' || address === null) return undefined;
  const enc = (address as { [kEncoding]?: EncodedAddress })[kEncoding];
  return enc !== undefined && sockaddrFamily(enc.bytes) === af ? enc : undefined;
}

/** The largest number of IPv4 senders a Senders remembers (then it starts again). */
const MAX_SENDERS = 4096;

/**
 * The senders a socket's receives decoded. A datagram server hears from the
 * same clients again and again: each IPv4 sender is decoded once, and found
 * again by its sockaddr (address and port as one number); of other
 * families, the last sender is kept. Addresses come back frozen, with their
 * encoding for replies.
 */
export class Senders {
  readonly #inet = new Map<number, SocketAddress | null>();
  #len = -1;
  #bytes: Buffer | null = null;
  #address: SocketAddress | null = null;

  /** The sender in the first `len` bytes of `sockaddr` (a scratch its caller reuses: never kept). */
  of(sockaddr: Uint8Array, len: number): SocketAddress | null {
    if (len === layout.inSize && sockaddrFamily(sockaddr) === AF.inet) {
      const key = u32be(sockaddr, layout.inAddr) * 65536 + u16be(sockaddr, layout.inPort);
      let address = this.#inet.get(key);
      if (address === undefined) {
        if (this.#inet.size >= MAX_SENDERS) this.#inet.clear();
        address = fresh(sockaddr, len);
        this.#inet.set(key, address);
      }
      return address;
    }
    if (len === this.#len && sameBytes(this.#bytes!, sockaddr, len)) return this.#address;
    this.#address = fresh(sockaddr, len);
    this.#bytes = Buffer.from(sockaddr.subarray(0, len));
    this.#len = len;
    return this.#address;
  }
}

/** A frozen address decoded from a copy of the first `len` bytes of `sockaddr`. */
function fresh(sockaddr: Uint8Array, len: number): SocketAddress | null {
  const bytes = Buffer.from(sockaddr.subarray(0, len));
  return decodedFrom(decodeAddress(bytes, len), bytes, len);
}

function sameBytes(a: Uint8Array, b: Uint8Array, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Encodes a SocketAddress as sockaddr bytes. Unix paths that do not fit are
 * ENAMETOOLONG (never truncated); bad fields are TypeError/RangeError.
 */
export function encodeAddress(address: unknown, syscall = 'bind', name = 'address'): EncodedAddress {
  const a = validateObject<Record<string, unknown>>(address, name);
  const buf = Buffer.alloc(layout.storage);
  const family = a.family;
  if (family === 'inet') {
    setFamily(buf, AF.inet);
    setU16be(buf, layout.inPort, validatePort(a.port, `${name}.port`));
    putIp(AF.inet, a.address as string, buf, layout.inAddr, `${name}.address`);
    return { bytes: buf, length: layout.inSize };
  }
  if (family === 'inet6') {
    setFamily(buf, AF.inet6);
    setU16be(buf, layout.in6Port, validatePort(a.port, `${name}.port`));
    if (typeof a.address !== 'string') throw invalidArgType(`${name}.address`, 'of type string', a.address);
    const [ip, zone] = splitZone(a.address, `${name}.address`);
    putIp(AF.inet6, ip, buf, layout.in6Addr, `${name}.address`);
    if (a.flowinfo !== undefined) setU32be(buf, layout.in6Flowinfo, validateUint32(a.flowinfo, `${name}.flowinfo`));
    const scope = a.scopeId !== undefined ? validateUint32(a.scopeId, `${name}.scopeId`) : zone ?? 0;
    setU32(buf, layout.in6ScopeId, scope);
    return { bytes: buf, length: layout.in6Size };
  }
  if (family === 'unix') {
    const path = validateString(a.path, `${name}.path`);
    const bytes = Buffer.from(path, 'utf8');
    const abstract = bytes.length > 0 && bytes[0] === 0;
    if (abstract && !binding.features.abstract) throw invalidArgValue(`${name}.path`, path, 'is an abstract name, which this platform lacks');
    if (!abstract && bytes.includes(0)) throw invalidArgValue(`${name}.path`, path, 'must not contain null bytes (only abstract names start with one)');
    if (bytes.length > layout.unPathSize) throw systemError(ENAMETOOLONG, syscall, { path });
    setFamily(buf, AF.unix);
    bytes.copy(buf, layout.unPath);
    return { bytes: buf, length: layout.unPath + bytes.length };
  }
  if (family === 'netlink') {
    if (AF.netlink === undefined) throw invalidArgValue(`${name}.family`, family, 'is not supported on this platform');
    setFamily(buf, AF.netlink);
    setU32(buf, layout.nlPid!, validateUint32(a.pid ?? 0, `${name}.pid`));
    setU32(buf, layout.nlGroups!, validateUint32(a.groups ?? 0, `${name}.groups`));
    return { bytes: buf, length: layout.nlSize! };
  }
  if (family === 'packet') {
    if (AF.packet === undefined) throw invalidArgValue(`${name}.family`, family, 'is not supported on this platform');
    setFamily(buf, AF.packet);
    setU16be(buf, layout.llProtocol!, validateInteger(a.protocol ?? 0, `${name}.protocol`, 0, 0xffff));
    setI32(buf, layout.llIfindex!, validateInteger(a.ifindex ?? 0, `${name}.ifindex`, 0, 0x7fffffff));
    setU16(buf, layout.llHatype!, validateInteger(a.hatype ?? 0, `${name}.hatype`, 0, 0xffff));
    buf[layout.llPkttype!] = validateInteger(a.pkttype ?? 0, `${name}.pkttype`, 0, 255);
    if (a.addr !== undefined) {
      if (!(a.addr instanceof Uint8Array)) throw invalidArgType(`${name}.addr`, 'an instance of Uint8Array', a.addr);
      if (a.addr.length > layout.llAddrSize!) throw invalidArgValue(`${name}.addr`, a.addr, `must be at most ${layout.llAddrSize} bytes`);
      buf[layout.llHalen!] = a.addr.length;
      Buffer.from(a.addr).copy(buf, layout.llAddr!);
    }
    return { bytes: buf, length: layout.llSize! };
  }
  if (family === 'vsock') {
    if (AF.vsock === undefined || layout.vmSize === undefined) throw invalidArgValue(`${name}.family`, family, 'is not supported on this platform');
    setFamily(buf, AF.vsock);
    setU32(buf, layout.vmCid!, validateUint32(a.cid, `${name}.cid`));
    setU32(buf, layout.vmPort!, validateUint32(a.port, `${name}.port`));
    return { bytes: buf, length: layout.vmSize };
  }
  if (typeof family === 'number') {
    validateInteger(family, `${name}.family`, 0, 0xffff);
    if (!(a.bytes instanceof Uint8Array)) throw invalidArgType(`${name}.bytes`, 'an instance of Uint8Array', a.bytes);
    const start = layout.familyOffset + layout.familySize;
    if (start + a.bytes.length > layout.storage) throw invalidArgValue(`${name}.bytes`, a.bytes, 'does not fit a sockaddr');
    setFamily(buf, family);
    Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength).copy(buf, start);
    return { bytes: buf, length: start + a.bytes.length };
  }
  throw invalidArgValue(`${name}.family`, family, "must be 'inet', 'inet6', 'unix', 'netlink', 'packet', 'vsock' or an AF_* number");
}

/** Decodes `length` bytes of a sockaddr; null when there is no address (length 0 or AF_UNSPEC). */
export function decodeAddress(bytes: Uint8Array, length: number): SocketAddress | null {
  if (length < layout.familyOffset + layout.familySize) return null;
  const af = sockaddrFamily(bytes);
  if (af === AF.inet && length >= layout.inSize) {
    const o = layout.inAddr;
    return { family: 'inet', address: `${bytes[o]}.${bytes[o + 1]}.${bytes[o + 2]}.${bytes[o + 3]}`, port: u16be(bytes, layout.inPort) };
  }
  if (af === AF.inet6 && length >= layout.in6Size) {
    const address = sys.inet_ntop(AF.inet6, bytes.subarray(layout.in6Addr, layout.in6Addr + 16)) as string;
    const out: SocketAddress = { family: 'inet6', address, port: u16be(bytes, layout.in6Port) };
    const flowinfo = u32be(bytes, layout.in6Flowinfo);
    const scopeId = u32(bytes, layout.in6ScopeId);
    if (flowinfo) out.flowinfo = flowinfo;
    if (scopeId) out.scopeId = scopeId;
    return out;
  }
  if (af === AF.unix) {
    const raw = bytes.subarray(layout.unPath, Math.min(length, layout.unPath + layout.unPathSize));
    if (raw.length === 0) return { family: 'unix', path: '' };
    if (raw[0] === 0) return { family: 'unix', path: Buffer.from(raw).toString('utf8') };
    const end = raw.indexOf(0);
    return { family: 'unix', path: Buffer.from(end < 0 ? raw : raw.subarray(0, end)).toString('utf8') };
  }
  if (AF.netlink !== undefined && af === AF.netlink && length >= layout.nlSize!) {
    return { family: 'netlink', pid: u32(bytes, layout.nlPid!), groups: u32(bytes, layout.nlGroups!) };
  }
  if (AF.packet !== undefined && af === AF.packet && length >= layout.llAddr!) {
    // The kernel may hand back fewer address bytes than sll_halen claims: never read past length.
    const halen = Math.min(bytes[layout.llHalen!], layout.llAddrSize!, length - layout.llAddr!);
    return {
      family: 'packet',
      protocol: u16be(bytes, layout.llProtocol!),
      ifindex: i32(bytes, layout.llIfindex!),
      hatype: u16(bytes, layout.llHatype!),
      pkttype: bytes[layout.llPkttype!],
      addr: Buffer.from(bytes.subarray(layout.llAddr!, layout.llAddr! + halen)),
    };
  }
  if (AF.vsock !== undefined && af === AF.vsock && layout.vmSize !== undefined && length >= layout.vmSize) {
    return { family: 'vsock', cid: u32(bytes, layout.vmCid!), port: u32(bytes, layout.vmPort!) };
  }
  if (af === k.AF_UNSPEC) return null;
  const start = layout.familyOffset + layout.familySize;
  return { family: af, bytes: Buffer.from(bytes.subarray(start, length)) };
}
