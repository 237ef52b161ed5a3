// The sockaddr and control-message codecs (src/codec/sockaddr.ts, src/codec/message.ts)
// driven with seeded random bytes and random valid values: decoding arbitrary
// bytes must terminate and never throw, and encode -> decode must give back
// what was encoded. Replay a failure with CODEC_SEED=<seed>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAddress, encodeAddress } from '../src/codec/sockaddr.ts';
import { decodeControl, encodeControl, cmsgSpace, cmsgLen, MAX_FDS } from '../src/codec/message.ts';
import { binding } from '../src/sys/binding.ts';
import * as k from '../src/sys/constants.ts';
import * as p from '../src/posix.ts';

const layout = binding.layout;
const seed0 = Number(process.env.CODEC_SEED) >>> 0 || 0x5eed;
const ROUNDS = 20_000;

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('decodeAddress on random bytes of every length never throws and never reads past length', () => {
  const random = rng(seed0);
  const families = [k.AF_INET, k.AF_INET6, k.AF_UNIX, k.AF_NETLINK, k.AF_PACKET, k.AF_UNSPEC, 0xffff].filter((f) => f !== undefined);
  for (let round = 0; round < ROUNDS; round++) {
    const bytes = Buffer.alloc(layout.storage);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (random() * 256) | 0;
    // Most rounds carry a known family so the family-specific branches run.
    if (random() < 0.8) bytes.writeUInt16LE(families[(random() * families.length) | 0], layout.familyOffset);
    const length = (random() * (layout.storage + 1)) | 0;
    const before = decodeAddress(bytes, length);
    // Bytes past `length` must not matter.
    bytes.fill(0xa5, length);
    assert.deepEqual(decodeAddress(bytes, length), before, `seed ${seed0} round ${round}`);
  }
});

test('decodeControl on random bytes terminates, never throws, and stays inside length', () => {
  const random = rng(seed0 + 1);
  for (let round = 0; round < ROUNDS; round++) {
    const size = (random() * 512) | 0;
    const buf = Buffer.alloc(size);
    for (let i = 0; i < size; i++) buf[i] = (random() * 256) | 0;
    // Plant plausible headers, some with absurd lengths, so the walk goes deep.
    for (let off = 0; off + layout.cmsgHdrSize <= size && random() < 0.9; off += cmsgSpace((random() * 32) | 0)) {
      const pick = random();
      const len = pick < 0.1 ? 2 ** 53 + 8 * ((random() * 4) | 0) : pick < 0.2 ? 0xffffffff : pick < 0.3 ? 0 : cmsgLen((random() * 40) | 0);
      if (layout.cmsgLenSize === 8) buf.writeBigUInt64LE(BigInt(len), off + layout.cmsgLen);
      else buf.writeUInt32LE(len >>> 0, off + layout.cmsgLen);
      buf.writeInt32LE(random() < 0.5 ? k.SOL_SOCKET : (random() * 300) | 0, off + layout.cmsgLevel);
      buf.writeInt32LE(random() < 0.5 ? k.SCM_RIGHTS : (random() * 120) | 0, off + layout.cmsgType);
    }
    const length = (random() * (size + 1)) | 0;
    // maxFds above anything this buffer can hold: decodeControl closes fds
    // beyond maxFds, and these are random numbers, not fds of ours.
    const out = decodeControl(buf, length, Number.MAX_SAFE_INTEGER);
    assert.ok(out.fds.length <= length / 4, `seed ${seed0 + 1} round ${round}`);
    for (const c of out.control) assert.ok(c.data.length <= length);
    const again = Buffer.from(buf);
    again.fill(0x5a, length);
    assert.deepEqual(decodeControl(again, length, Number.MAX_SAFE_INTEGER), out, `seed ${seed0 + 1} round ${round}: bytes past length were read`);
  }
});

test('encodeAddress -> decodeAddress gives back random valid addresses', () => {
  const random = rng(seed0 + 2);
  const byte = () => (random() * 256) | 0;
  for (let round = 0; round < ROUNDS; round++) {
    const kind = (random() * 4) | 0;
    let addr: Record<string, unknown>;
    if (kind === 0) addr = { family: 'inet', address: [byte(), byte(), byte(), byte()].join('.'), port: (random() * 65536) | 0 };
    else if (kind === 1) {
      const groups = Array.from({ length: 8 }, () => ((random() * 65536) | 0).toString(16));
      const a = { family: 'inet6', address: groups.join(':'), port: (random() * 65536) | 0 } as Record<string, unknown>;
      if (random() < 0.3) a.flowinfo = (random() * 2 ** 32) >>> 0;
      if (random() < 0.3) a.scopeId = (random() * 2 ** 32) >>> 0;
      addr = a;
    } else if (kind === 2) {
      const n = (random() * layout.unPathSize) | 0;
      const abstract = random() < 0.5;
      let path = abstract ? '\0' : '';
      while (path.length < n) path += String.fromCharCode(0x21 + ((random() * 94) | 0));
      addr = { family: 'unix', path };
    } else addr = { family: 'netlink', pid: (random() * 2 ** 32) >>> 0, groups: (random() * 2 ** 32) >>> 0 };
    const { bytes, length } = encodeAddress(addr);
    const back = decodeAddress(bytes, length) as Record<string, unknown>;
    const want = { ...addr };
    if (kind === 1) {
      want.address = binding.inet_ntop(k.AF_INET6, bytes.subarray(layout.in6Addr, layout.in6Addr + 16));
      if (!want.flowinfo) delete want.flowinfo;
      if (!want.scopeId) delete want.scopeId;
    }
    assert.deepEqual(back, want, `seed ${seed0 + 2} round ${round}`);
  }
});

test('encodeControl -> decodeControl gives back random fds, credentials and raw entries', () => {
  const random = rng(seed0 + 3);
  for (let round = 0; round < ROUNDS / 4; round++) {
    const message: Parameters<typeof encodeControl>[0] = { data: Buffer.alloc(0) };
    if (random() < 0.6) message.fds = Array.from({ length: 1 + ((random() * MAX_FDS) | 0) }, () => (random() * 2 ** 31) | 0);
    if (random() < 0.4) message.credentials = { pid: (random() * 2 ** 31) | 0, uid: (random() * 2 ** 32) >>> 0, gid: (random() * 2 ** 32) >>> 0 };
    if (random() < 0.5) {
      message.control = Array.from({ length: 1 + ((random() * 4) | 0) }, () => ({
        level: 1000 + ((random() * 1000) | 0), // no level the decoder interprets
        type: (random() * 2 ** 31) | 0,
        data: Buffer.from(Array.from({ length: (random() * 70) | 0 }, () => (random() * 256) | 0)),
      }));
    }
    const buf = encodeControl(message);
    if (!buf) { assert.ok(!message.fds && !message.credentials && !message.control); continue; }
    const out = decodeControl(buf, buf.length, MAX_FDS);
    assert.deepEqual(out.fds, message.fds ?? []);
    assert.equal(out.excess, false);
    assert.deepEqual(out.credentials, message.credentials);
    assert.deepEqual(out.control.map((c) => ({ level: c.level, type: c.type, data: [...c.data] })),
      (message.control ?? []).map((c) => ({ level: c.level, type: c.type, data: [...(c.data as Buffer)] })), `seed ${seed0 + 3} round ${round}`);
  }
});

test('the addon checks sockaddrs, control buffers and batch geometry itself, before any system call', () => {
  const fd = p.socket(p.AF_INET, p.SOCK_DGRAM);
  try {
    const data = Buffer.from('x');
    const storage = Buffer.alloc(layout.storage);
    const sin = encodeAddress({ family: 'inet', address: '127.0.0.1', port: 9 });
    const tooShort = /sendto: argument 7 \(addrlen\) must be a valid sockaddr length/;
    // An AF_INET address shorter than sockaddr_in, a length past the buffer or past sockaddr_storage.
    assert.throws(() => binding.sendto(fd, data, 0, 1, 0, sin.bytes, sin.length - 1), tooShort);
    assert.throws(() => binding.sendto(fd, data, 0, 1, 0, sin.bytes.subarray(0, 8), sin.length), tooShort);
    assert.throws(() => binding.sendto(fd, data, 0, 1, 0, storage, layout.storage + 1), tooShort);
    assert.throws(() => binding.sendto(fd, data, 0, 1, 0, storage, 1), tooShort);
    const unix = encodeAddress({ family: 'unix', path: 'x' });
    storage.set(unix.bytes);
    assert.throws(() => binding.sendto(fd, data, 0, 1, 0, storage, layout.unPath + layout.unPathSize + 1), tooShort);
    // The same checks per message of a sendmmsg batch.
    const addrs = Buffer.alloc(layout.storage);
    addrs.set(sin.bytes.subarray(0, sin.length));
    assert.throws(() => binding.sendmmsg(fd, [data], addrs, new Int32Array([sin.length - 2]), null, 0), /sendmmsg: argument 4 \(addrLens\) has an invalid address length$/);
    // Control buffers: a cmsg_len below the header, or past the end of the buffer.
    const ctl = encodeControl({ data, control: [{ level: 1000, type: 1, data: Buffer.alloc(4) }] })!;
    const broken = (len: number) => {
      const b = Buffer.from(ctl);
      if (layout.cmsgLenSize === 8) b.writeBigUInt64LE(BigInt(len), layout.cmsgLen); else b.writeUInt32LE(len, layout.cmsgLen);
      return b;
    };
    for (const len of [0, layout.cmsgDataOffset - 1, ctl.length + 1, 2 ** 32 + 16]) {
      assert.throws(() => binding.sendmsg(fd, data, sin.bytes, sin.length, broken(len), 0), /malformed control data/, `cmsg_len ${len}`);
      assert.throws(() => binding.sendmmsg(fd, [data], null, null, [broken(len)], 0), /malformed control data/, `cmsg_len ${len}`);
    }
    // A batch that does not fit its buffers.
    const meta = new Int32Array(4 * 8);
    assert.throws(() => binding.recvmmsg(fd, Buffer.alloc(100), 50, 3, 0, null, null, 0, meta, 1), /recvmmsg: argument 2 \(batch\) .*does not fit the buffers$/);
    assert.throws(() => binding.recvmmsg(fd, Buffer.alloc(100), 10, 2, 0, Buffer.alloc(layout.storage), null, 0, meta, 1), /recvmmsg: argument 2 \(batch\) .*does not fit the buffers$/);
    assert.throws(() => binding.recvmmsg(fd, Buffer.alloc(100), 10, 2, 0, null, Buffer.alloc(30), 16, meta, 1), /recvmmsg: argument 2 \(batch\) .*does not fit the buffers$/);
    // Well-formed input still reaches the kernel: a datagram to the discard port.
    assert.equal(binding.sendmsg(fd, data, sin.bytes, sin.length, ctl.subarray(0, 0), 0), 1);
  } finally {
    p.close(fd);
  }
});
