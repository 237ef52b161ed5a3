// The struct layer (src/sys/struct.ts) against Buffer's own little- and
// big-endian reads and writes, the name tables (src/codec/names.ts) with
// their own-property lookups and int32 rules, and that importing the library
// opens no socket (the GSO/GRO probe waits until a flag is read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { existsSync } from 'node:fs';
import { endianness } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as struct from '../src/sys/struct.ts';
import {
  AF, familyName, familyNumber, LEVELS, levelNumber, NETLINK_PROTOCOLS, PACKET_PROTOCOLS, PROTOCOLS, protocolNumber,
  SHUTDOWN, shutdownNumber, SOCK_TYPES, typeName, typeNumber,
} from '../src/codec/names.ts';
import { binding } from '../src/sys/binding.ts';
import { features } from '../src/sys/features.ts';
import * as k from '../src/sys/constants.ts';

const T = { timeout: 10_000 };
const LE = endianness() === 'LE';
const root = fileURLToPath(new URL('..', import.meta.url));

/** Host-order Buffer method names: 'readUInt16' -> 'readUInt16LE' on a little-endian host. */
const host = (name: string): string => `${name}${LE ? 'LE' : 'BE'}`;
type Method = (this: Buffer, ...args: unknown[]) => unknown;
const call = (b: Buffer, name: string, ...args: unknown[]): unknown => (Buffer.prototype as unknown as Record<string, Method>)[name].call(b, ...args);

test('layout is the addon layout, and its byte order is the host\'s', T, () => {
  assert.equal(struct.layout, binding.layout);
  assert.equal(struct.layout.littleEndian, LE);
});

test('fixed-width accessors agree with Buffer in host and network order, both ways', T, () => {
  const cases: [string, (b: Uint8Array, o: number) => number, (b: Uint8Array, o: number, v: number) => void, string, number[]][] = [
    ['u16', struct.u16, struct.setU16, host('readUInt16'), [0, 1, 0x1234, 0x8000, 0xffff]],
    ['u32', struct.u32, struct.setU32, host('readUInt32'), [0, 1, 0x12345678, 0x80000000, 0xffffffff]],
    ['i32', struct.i32, struct.setI32, host('readInt32'), [0, 1, -1, 0x12345678, -0x80000000, 0x7fffffff]],
    ['u16be', struct.u16be, struct.setU16be, 'readUInt16BE', [0, 1, 0x1234, 0xffff]],
    ['u32be', struct.u32be, struct.setU32be, 'readUInt32BE', [0, 1, 0x12345678, 0xffffffff]],
  ];
  const write = { u16: host('writeUInt16'), u32: host('writeUInt32'), i32: host('writeInt32'), u16be: 'writeUInt16BE', u32be: 'writeUInt32BE' } as Record<string, string>;
  for (const [name, read, set, bufRead, values] of cases) {
    for (const v of values) {
      for (const off of [0, 3, 7]) {
        const b = Buffer.alloc(12, 0xa5);
        set(b, off, v);
        assert.equal(call(b, bufRead, off), v, `${name} set at ${off}: ${v}`);
        assert.equal(b[off - 1] ?? 0xa5, 0xa5, `${name} wrote before its field`);
        const c = Buffer.alloc(12);
        call(c, write[name], v, off);
        assert.equal(read(c, off), v, `${name} read at ${off}: ${v}`);
        // Plain Uint8Arrays (views at an offset) work the same.
        const u = new Uint8Array(c.buffer.slice(0), c.byteOffset, c.length);
        assert.equal(read(u, off), v, `${name} on a Uint8Array`);
      }
    }
    assert.throws(() => read(Buffer.alloc(2), 1), { name: 'RangeError' }, `${name} past the end`);
  }
  assert.throws(() => struct.setU16(Buffer.alloc(4), 0, 0x10000), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => struct.setI32(Buffer.alloc(4), 0, 0x80000000), { code: 'ERR_OUT_OF_RANGE' });
});

test('sized signed and unsigned fields of 1, 2, 4 and 8 bytes agree with Buffer', T, () => {
  const signed: [number, string, number[]][] = [
    [1, 'Int8', [0, 1, -1, 127, -128]],
    [2, host('Int16'), [0, 1, -1, 0x7fff, -0x8000]],
    [4, host('Int32'), [0, 1, -1, 0x7fffffff, -0x80000000]],
    [8, host('BigInt64'), [0, 1, -1, 2 ** 40 + 3, -(2 ** 53 - 1), Number.MAX_SAFE_INTEGER]],
  ];
  for (const [size, method, values] of signed) {
    const big = size === 8;
    for (const v of values) {
      const b = Buffer.alloc(16);
      struct.setInt(b, 4, size, v);
      const back = call(b, `read${method}`, 4);
      assert.equal(big ? Number(back) : back, v, `setInt size ${size}: ${v}`);
      const c = Buffer.alloc(16);
      call(c, `write${method}`, big ? BigInt(v) : v, 4);
      assert.equal(struct.int(c, 4, size), v, `int size ${size}: ${v}`);
    }
  }
  const unsigned: [number, string, number[]][] = [
    [1, 'UInt8', [0, 1, 0x80, 0xff]],
    [2, host('UInt16'), [0, 1, 0x8000, 0xffff]],
    [4, host('UInt32'), [0, 1, 0x80000000, 0xffffffff]],
    [8, host('BigUInt64'), [0, 1, 2 ** 32, 2 ** 52 + 5, Number.MAX_SAFE_INTEGER]],
  ];
  for (const [size, method, values] of unsigned) {
    const big = size === 8;
    for (const v of values) {
      const b = Buffer.alloc(16);
      struct.setUint(b, 8, size, v);
      const back = call(b, `read${method}`, 8);
      assert.equal(big ? Number(back) : back, v, `setUint size ${size}: ${v}`);
      const c = Buffer.alloc(16);
      call(c, `write${method}`, big ? BigInt(v) : v, 8);
      assert.equal(struct.uint(c, 8, size), v, `uint size ${size}: ${v}`);
    }
  }
  // An 8-byte field of all ones is "unlimited"; narrower all-ones fields are their maximum.
  const ones = Buffer.alloc(8, 0xff);
  assert.equal(struct.uint(ones, 0, 8), Infinity);
  assert.equal(struct.uint(ones, 0, 4), 0xffffffff);
  assert.equal(struct.uint(ones, 0, 2), 0xffff);
  assert.equal(struct.uint(ones, 0, 1), 0xff);
  assert.equal(struct.int(ones, 0, 8), -1);
  for (const size of [0, 3, 5, 16]) {
    assert.throws(() => struct.int(ones, 0, size), RangeError);
    assert.throws(() => struct.uint(ones, 0, size), RangeError);
    assert.throws(() => struct.setInt(Buffer.alloc(16), 0, size, 1), RangeError);
    assert.throws(() => struct.setUint(Buffer.alloc(16), 0, size, 1), RangeError);
  }
  for (const size of [1, 2, 4, 8]) {
    assert.throws(() => struct.int(Buffer.alloc(size), 1, size), RangeError, `int size ${size} past the end`);
    assert.throws(() => struct.uint(Buffer.alloc(size), 1, size), RangeError, `uint size ${size} past the end`);
  }
});

test('intBytes, readIntValue and htons', T, () => {
  for (const v of [0, 1, -1, 1400, 0x7fffffff, -0x80000000]) {
    const b = struct.intBytes(v);
    assert.equal(b.length, struct.layout.intSize);
    assert.equal(call(b, host('readInt32'), 0), v);
    assert.equal(struct.readIntValue(b, b.length), v);
  }
  // uint32 values become the C int with the same bits.
  assert.equal(struct.readIntValue(struct.intBytes(0xffffffff), 4), -1);
  assert.equal(struct.readIntValue(struct.intBytes(0x80000000), 4), -0x80000000);
  // What getsockopt 'int' decodes from short answers: a char, a 16-bit value, else 0.
  const b = Buffer.alloc(4);
  call(b, host('writeUInt16'), 0xbeef, 0);
  assert.equal(struct.readIntValue(b, 2), 0xbeef);
  assert.equal(struct.readIntValue(Buffer.from([200, 9, 9, 9]), 1), 200);
  assert.equal(struct.readIntValue(Buffer.from([7, 7, 7, 7]), 3), 0);
  assert.equal(struct.readIntValue(Buffer.from([7, 7, 7, 7]), 0), 0);
  // htons: what reading the value's network-order bytes in host order gives.
  for (const v of [0, 1, 0x0003, 0x0800, 0x86dd, 0xffff]) {
    const n = Buffer.alloc(2);
    n.writeUInt16BE(v);
    assert.equal(struct.htons(v), call(n, host('readUInt16'), 0), `htons(${v})`);
  }
});

const HOSTILE_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

test('names are own properties only: prototype names are refused everywhere', T, () => {
  const invalid = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };
  for (const name of HOSTILE_NAMES) {
    for (const af of [AF.inet, AF.inet6, AF.unix, AF.netlink, AF.packet]) {
      if (af === undefined) continue;
      assert.throws(() => protocolNumber(name, af), invalid, `protocol ${name} for af ${af}`);
    }
    assert.throws(() => typeNumber(name), invalid, `type ${name}`);
    assert.throws(() => familyNumber(name), invalid, `family ${name}`);
    assert.throws(() => shutdownNumber(name), invalid, `shutdown ${name}`);
    assert.throws(() => levelNumber(name), invalid, `level ${name}`);
  }
  assert.throws(() => protocolNumber('CONSTRUCTOR', AF.inet), invalid, 'names are lowercased before the own-property lookup');
});

test('type and protocol numbers are int32 integers; anything else is refused before a system call', T, () => {
  for (const bad of [2 ** 32 + 1, 2 ** 31, NaN, 1.5, -1, -(2 ** 31), Infinity]) {
    assert.throws(() => typeNumber(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, `type ${bad}`);
    assert.throws(() => protocolNumber(bad, AF.inet), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, `protocol ${bad}`);
  }
  for (const bad of [null, true, {}, [], 1n, Symbol('s')]) {
    assert.throws(() => typeNumber(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => protocolNumber(bad, AF.inet), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => familyNumber(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  }
  assert.throws(() => typeNumber('1'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => typeNumber('STREAM'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => protocolNumber('tcpish', AF.inet), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => typeNumber('reliable', 'hints.type'), /hints\.type/);
  assert.equal(typeNumber(0x7fffffff), 0x7fffffff);
  assert.equal(typeNumber(k.SOCK_DGRAM | (k.SOCK_CLOEXEC ?? 0)), k.SOCK_DGRAM | (k.SOCK_CLOEXEC ?? 0));
  assert.equal(protocolNumber(0x7fffffff, AF.inet), 0x7fffffff);
  assert.equal(protocolNumber(undefined, AF.inet), 0);
  for (const bad of [-1, 0x10000, 1.5, NaN]) assert.throws(() => familyNumber(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  for (const bad of [-(2 ** 31) - 1, 2 ** 31, 0.5, NaN]) assert.throws(() => levelNumber(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  assert.equal(levelNumber(-(2 ** 31)), -(2 ** 31));
});

test('known names round trip to their constants and back', T, () => {
  for (const [name, af] of Object.entries(AF)) {
    if (af === undefined) continue;
    assert.equal(familyNumber(name), af);
    assert.equal(familyName(af), name);
    assert.equal(familyNumber(af), af);
  }
  assert.equal(familyName(0xfffe), 0xfffe, 'a family without a name stays a number');
  for (const [name, type] of Object.entries(SOCK_TYPES)) {
    assert.equal(typeNumber(name), type);
    assert.equal(typeName(type), name);
  }
  assert.equal(SOCK_TYPES.stream, k.SOCK_STREAM);
  assert.equal(typeName(0x7777), 0x7777);
  for (const [name, n] of Object.entries(PROTOCOLS)) {
    if (n === undefined) continue;
    assert.equal(protocolNumber(name, AF.inet), n);
    assert.equal(protocolNumber(name.toUpperCase(), AF.inet6), n);
  }
  assert.equal(protocolNumber('tcp', AF.inet), k.IPPROTO_TCP);
  assert.equal(protocolNumber('udp', AF.inet6), k.IPPROTO_UDP);
  assert.equal(protocolNumber(17, AF.inet), 17);
  if (AF.netlink !== undefined) {
    for (const [name, n] of Object.entries(NETLINK_PROTOCOLS)) if (n !== undefined) assert.equal(protocolNumber(name, AF.netlink), n);
    assert.throws(() => protocolNumber('tcp', AF.netlink!), { code: 'ERR_INVALID_ARG_VALUE' }, 'tcp is no netlink protocol');
  }
  if (AF.packet !== undefined) {
    for (const [name, n] of Object.entries(PACKET_PROTOCOLS)) if (n !== undefined) assert.equal(protocolNumber(name, AF.packet), struct.htons(n));
    if (k.ETH_P_ALL !== undefined) assert.equal(protocolNumber('all', AF.packet), struct.htons(k.ETH_P_ALL));
  }
  for (const [name, level] of Object.entries(LEVELS)) if (level !== undefined) assert.equal(levelNumber(name), level);
  assert.equal(levelNumber('socket'), k.SOL_SOCKET);
  assert.equal(levelNumber('tcp'), k.IPPROTO_TCP);
  const shut: Record<string, number> = { both: k.SHUT_RDWR, rdwr: k.SHUT_RDWR, send: k.SHUT_WR, wr: k.SHUT_WR, receive: k.SHUT_RD, rd: k.SHUT_RD };
  assert.deepEqual({ ...SHUTDOWN }, shut);
  for (const [name, n] of Object.entries(shut)) assert.equal(shutdownNumber(name), n);
  for (const n of [0, 1, 2]) assert.equal(shutdownNumber(n), n);
  for (const bad of [3, -1, 1.5, NaN]) assert.throws(() => shutdownNumber(bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  for (const bad of ['sideways', 'BOTH', undefined, null, {}]) assert.throws(() => shutdownNumber(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
});

test('features: gso and gro are enumerable flags on a frozen object', T, () => {
  assert.ok(Object.isFrozen(features));
  assert.ok(Object.keys(features).includes('gso'));
  assert.ok(Object.keys(features).includes('gro'));
  assert.equal(typeof features.gso, 'boolean');
  assert.equal(typeof features.gro, 'boolean');
  const copy = { ...features };
  assert.equal(copy.gso, features.gso);
  assert.equal(copy.gro, features.gro);
  for (const [name, value] of Object.entries(binding.features)) assert.equal(features[name], value, name);
});

test('importing the library opens no socket; reading a probed feature leaves none open', { ...T, skip: !existsSync('/proc/self/fd') && 'no /proc/self/fd' }, () => {
  // The child counts open sockets in /proc/self/fd, and socket(2) calls made
  // through the addon (which catches a probe that opens and closes at once).
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(process.cwd() + '/');
    const fs = require('node:fs');
    const sockets = () => fs.readdirSync('/proc/self/fd')
      .map((f) => { try { return fs.readlinkSync('/proc/self/fd/' + f); } catch { return ''; } })
      .filter((l) => l.startsWith('socket:'));
    // Sockets open now that were not open before (tsx's own pipes to its esbuild
    // service may close meanwhile: only what appears is the library's).
    const added = (before) => sockets().filter((l) => !before.includes(l));
    const addon = require('node-gyp-build')(process.cwd());
    let calls = 0;
    const socket = addon.socket;
    addon.socket = (...args) => { calls++; return socket(...args); };
    const before = sockets();
    const lib = await import('./src/index.ts');
    const afterImport = added(before);
    const callsAtImport = calls;
    const gso = lib.features.gso;
    const gro = lib.features.gro;
    const again = lib.features.gso;
    console.log(JSON.stringify({ afterImport, callsAtImport, afterRead: added(before), callsAfterRead: calls, gso, gro, again }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 9_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number | boolean | string[]>;
  // The child's stdio pipes are socketpairs already: only sockets that appear count.
  assert.deepEqual(out.afterImport, [], 'importing src/index.ts left no socket open');
  assert.equal(out.callsAtImport, 0, 'importing src/index.ts called socket(2)');
  assert.deepEqual(out.afterRead, [], 'the GSO/GRO probes closed their sockets');
  assert.ok((out.callsAfterRead as number) <= 2, 'each probe runs at most once');
  assert.equal(typeof out.gso, 'boolean');
  assert.equal(typeof out.gro, 'boolean');
  assert.equal(out.again, out.gso, 'the flag is cached');
});
