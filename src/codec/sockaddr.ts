// Socket addresses: the SocketAddress objects users see, encoded to and decoded
// from sockaddr bytes with the struct layout the addon exports. Decoding
// happens in TypeScript so hot paths never build objects in C.
import { constants as osConstants } from 'node:os';
import { binding, layout } from '../sys/binding.js';
import { invalidArgType, invalidArgValue, systemError } from '../errors.js';
import { validateInteger, validateObject, validatePort, validateString, validateUint32 } from '../validate.js';

export type Family = 'inet' | 'inet6' | 'unix' | 'netlink' | 'packet';

export type SocketAddress =
  | { family: 'inet'; address: string; port: number }
  | { family: 'inet6'; address: string; port: number; flowinfo?: number; scopeId?: number }
  | { family: 'unix'; path: string }
  | { family: 'netlink'; pid: number; groups: number }
  | { family: 'packet'; protocol: number; ifindex: number; hatype?: number; pkttype?: number; addr?: Buffer }
  /** Added: an address of a family berkeley has no codec for, as raw sockaddr bytes after the family field. */
  | { family: number; bytes: Buffer };

const k = binding.constants;
const le = layout.littleEndian;

export const AF = {
  inet: k.AF_INET,
  inet6: k.AF_INET6,
  unix: k.AF_UNIX,
  netlink: k.AF_NETLINK,
  packet: k.AF_PACKET,
} as const satisfies Record<Family, number | undefined>;

const familyNames = new Map<number, Family>();
for (const [name, value] of Object.entries(AF)) if (value !== undefined) familyNames.set(value, name as Family);

/** The family name for an AF_* number, or the number itself when berkeley has no name for it. */
export function familyName(af: number): Family | number {
  return familyNames.get(af) ?? af;
}

/** The AF_* number for a family name or number; TypeError for unknown names. */
export function familyNumber(family: unknown, name = 'family'): number {
  if (typeof family === 'number') return validateInteger(family, name, 0, 0xffff);
  if (typeof family === 'string') {
    const n = (AF as Record<string, number | undefined>)[family];
    if (n !== undefined) return n;
    throw invalidArgValue(name, family, "must be one of 'inet', 'inet6', 'unix', 'netlink', 'packet' or an AF_* number");
  }
  throw invalidArgType(name, 'of type string or number', family);
}

function writeU16(buf: Buffer, off: number, v: number, big = !le): void {
  if (big) buf.writeUInt16BE(v, off); else buf.writeUInt16LE(v, off);
}
function readU16(buf: Uint8Array, off: number, big = !le): number {
  return big ? (buf[off] << 8) | buf[off + 1] : buf[off] | (buf[off + 1] << 8);
}
function writeU32(buf: Buffer, off: number, v: number, big = !le): void {
  if (big) buf.writeUInt32BE(v >>> 0, off); else buf.writeUInt32LE(v >>> 0, off);
}
function readU32(buf: Uint8Array, off: number, big = !le): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return big ? b.readUInt32BE(off) : b.readUInt32LE(off);
}
function readI32(buf: Uint8Array, off: number): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return le ? b.readInt32LE(off) : b.readInt32BE(off);
}

/** The family field of raw sockaddr bytes. */
export function sockaddrFamily(bytes: Uint8Array): number {
  return layout.familySize === 1 ? bytes[layout.familyOffset] : readU16(bytes, layout.familyOffset);
}

function setFamily(buf: Buffer, af: number): void {
  if (layout.familySize === 1) buf[layout.familyOffset] = af;
  else writeU16(buf, layout.familyOffset, af);
}

/** inet_pton into `out` at `off`; ERR_INVALID_ARG_VALUE when the text is not an address. */
function putIp(af: number, text: string, out: Buffer, off: number, field: string): void {
  if (typeof text !== 'string') throw invalidArgType(field, 'of type string', text);
  const tmp = scratch16;
  const rc = text.includes('\0') ? 0 : binding.inet_pton(af, text, tmp);
  if (rc !== 1) throw invalidArgValue(field, text, `must be a numeric ${af === AF.inet ? 'IPv4' : 'IPv6'} address`);
  tmp.copy(out, off, 0, af === AF.inet ? 4 : 16);
}
const scratch16 = Buffer.alloc(16);

/** Splits an IPv6 zone ('fe80::1%eth0') into address and scope id. */
function splitZone(address: string): [string, number | undefined] {
  const i = address.indexOf('%');
  if (i < 0) return [address, undefined];
  const zone = address.slice(i + 1);
  let scope: number;
  if (/^\d+$/.test(zone)) scope = Number(zone);
  else {
    if (zone.includes('\0') || zone.length === 0) throw invalidArgValue('address', address, 'has an invalid zone');
    scope = binding.if_nametoindex(zone);
    if (scope < 0) throw systemError(scope, 'if_nametoindex', { address });
  }
  return [address.slice(0, i), scope];
}

export interface EncodedAddress { bytes: Buffer; length: number }

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
    writeU16(buf, layout.inPort, validatePort(a.port, `${name}.port`), true);
    putIp(AF.inet, a.address as string, buf, layout.inAddr, `${name}.address`);
    return { bytes: buf, length: layout.inSize };
  }
  if (family === 'inet6') {
    setFamily(buf, AF.inet6);
    writeU16(buf, layout.in6Port, validatePort(a.port, `${name}.port`), true);
    if (typeof a.address !== 'string') throw invalidArgType(`${name}.address`, 'of type string', a.address);
    const [ip, zone] = splitZone(a.address);
    putIp(AF.inet6, ip, buf, layout.in6Addr, `${name}.address`);
    if (a.flowinfo !== undefined) writeU32(buf, layout.in6Flowinfo, validateUint32(a.flowinfo, `${name}.flowinfo`), true);
    const scope = a.scopeId !== undefined ? validateUint32(a.scopeId, `${name}.scopeId`) : zone ?? 0;
    writeU32(buf, layout.in6ScopeId, scope);
    return { bytes: buf, length: layout.in6Size };
  }
  if (family === 'unix') {
    const path = validateString(a.path, `${name}.path`);
    const bytes = Buffer.from(path, 'utf8');
    const abstract = bytes.length > 0 && bytes[0] === 0;
    if (abstract && !binding.features.abstract) throw invalidArgValue(`${name}.path`, path, 'is an abstract name, which this platform lacks');
    if (!abstract && bytes.includes(0)) throw invalidArgValue(`${name}.path`, path, 'must not contain null bytes (only abstract names start with one)');
    if (bytes.length > layout.unPathSize) throw systemError(-osConstants.errno.ENAMETOOLONG, syscall, { path });
    setFamily(buf, AF.unix);
    bytes.copy(buf, layout.unPath);
    return { bytes: buf, length: layout.unPath + bytes.length };
  }
  if (family === 'netlink') {
    if (AF.netlink === undefined) throw invalidArgValue(`${name}.family`, family, 'is not supported on this platform');
    setFamily(buf, AF.netlink);
    writeU32(buf, layout.nlPid!, validateUint32(a.pid ?? 0, `${name}.pid`));
    writeU32(buf, layout.nlGroups!, validateUint32(a.groups ?? 0, `${name}.groups`));
    return { bytes: buf, length: layout.nlSize! };
  }
  if (family === 'packet') {
    if (AF.packet === undefined) throw invalidArgValue(`${name}.family`, family, 'is not supported on this platform');
    setFamily(buf, AF.packet);
    writeU16(buf, layout.llProtocol!, validateInteger(a.protocol ?? 0, `${name}.protocol`, 0, 0xffff), true);
    const ifindex = validateInteger(a.ifindex ?? 0, `${name}.ifindex`, 0, 0x7fffffff);
    if (le) buf.writeInt32LE(ifindex, layout.llIfindex!); else buf.writeInt32BE(ifindex, layout.llIfindex!);
    writeU16(buf, layout.llHatype!, validateInteger(a.hatype ?? 0, `${name}.hatype`, 0, 0xffff));
    buf[layout.llPkttype!] = validateInteger(a.pkttype ?? 0, `${name}.pkttype`, 0, 255);
    if (a.addr !== undefined) {
      if (!(a.addr instanceof Uint8Array)) throw invalidArgType(`${name}.addr`, 'an instance of Uint8Array', a.addr);
      if (a.addr.length > layout.llAddrSize!) throw invalidArgValue(`${name}.addr`, a.addr, `must be at most ${layout.llAddrSize} bytes`);
      buf[layout.llHalen!] = a.addr.length;
      Buffer.from(a.addr).copy(buf, layout.llAddr!);
    }
    return { bytes: buf, length: layout.llSize! };
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
  throw invalidArgValue(`${name}.family`, family, "must be 'inet', 'inet6', 'unix', 'netlink', 'packet' or an AF_* number");
}

/** Decodes `length` bytes of a sockaddr; null when there is no address (length 0 or AF_UNSPEC). */
export function decodeAddress(bytes: Uint8Array, length: number): SocketAddress | null {
  if (length < layout.familyOffset + layout.familySize) return null;
  const af = sockaddrFamily(bytes);
  if (af === AF.inet && length >= layout.inSize) {
    const o = layout.inAddr;
    return { family: 'inet', address: `${bytes[o]}.${bytes[o + 1]}.${bytes[o + 2]}.${bytes[o + 3]}`, port: readU16(bytes, layout.inPort, true) };
  }
  if (af === AF.inet6 && length >= layout.in6Size) {
    const address = binding.inet_ntop(AF.inet6, bytes.subarray(layout.in6Addr, layout.in6Addr + 16)) as string;
    const out: SocketAddress = { family: 'inet6', address, port: readU16(bytes, layout.in6Port, true) };
    const flowinfo = readU32(bytes, layout.in6Flowinfo, true);
    const scopeId = readU32(bytes, layout.in6ScopeId);
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
    return { family: 'netlink', pid: readU32(bytes, layout.nlPid!), groups: readU32(bytes, layout.nlGroups!) };
  }
  if (AF.packet !== undefined && af === AF.packet && length >= layout.llAddr!) {
    // The kernel may hand back fewer address bytes than sll_halen claims: never read past length.
    const halen = Math.min(bytes[layout.llHalen!], layout.llAddrSize!, length - layout.llAddr!);
    return {
      family: 'packet',
      protocol: readU16(bytes, layout.llProtocol!, true),
      ifindex: readI32(bytes, layout.llIfindex!),
      hatype: readU16(bytes, layout.llHatype!),
      pkttype: bytes[layout.llPkttype!],
      addr: Buffer.from(bytes.subarray(layout.llAddr!, layout.llAddr! + halen)),
    };
  }
  if (af === k.AF_UNSPEC) return null;
  const start = layout.familyOffset + layout.familySize;
  return { family: af, bytes: Buffer.from(bytes.subarray(start, length)) };
}
