// The 'vsock' family (AF_VSOCK): { cid, port } addresses through the address
// funnel and the sockaddr codec, socket/bind/listen/getsockname against the
// kernel and against Python reading the same fd, a local connection where
// the kernel has a loopback transport, and the bad-input table. Skipped
// where the kernel lacks AF_VSOCK (after trying to load vsock_loopback).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { Socket, constants, features } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { fdCount, isRoot } from './helpers.ts';

const T = { timeout: 30_000 };

function vsockAvailable(): boolean {
  if (features.vsock) return true;
  // The flag is computed once; a module loaded now is seen by a fresh probe.
  if (isRoot) spawnSync('modprobe', ['vsock_loopback'], { stdio: 'ignore' });
  try {
    new Socket('vsock', 'stream').close();
    return true;
  } catch {
    return false;
  }
}
const available = vsockAvailable();
const skip = !available && 'the kernel has no AF_VSOCK';
const { VMADDR_CID_ANY, VMADDR_PORT_ANY, VMADDR_CID_LOCAL, VMADDR_CID_HOST } = constants;
/** A port from the top half of the range, unlikely to be taken. */
const somePort = (): number => 0x40000000 + Math.floor(Math.random() * 0x3fffffff);

describe('vsock', () => {
  test('constants and the feature flag', T, () => {
    assert.equal(constants.AF_VSOCK, 40);
    assert.equal(VMADDR_CID_ANY, 0xffffffff);
    assert.equal(VMADDR_PORT_ANY, 0xffffffff);
    assert.equal(VMADDR_CID_HOST, 2);
    assert.equal(VMADDR_CID_LOCAL, 1);
    assert.equal(typeof features.vsock, 'boolean');
    assert.equal(posix.VMADDR_CID_ANY, VMADDR_CID_ANY);
  });

  test('socket, bind to any cid and port, listen, getsockname', { ...T, skip }, () => {
    const s = new Socket('vsock', 'stream');
    assert.equal(s.family, 'vsock');
    s.bind({ family: 'vsock', cid: VMADDR_CID_ANY!, port: VMADDR_PORT_ANY! });
    s.listen();
    const a = s.localAddress();
    assert.equal(a.family, 'vsock');
    assert.equal(a.cid, VMADDR_CID_ANY);
    assert.ok(Number.isInteger(a.port) && a.port !== VMADDR_PORT_ANY, `the kernel chose port ${a.port}`);
    assert.equal(s.getOption('acceptconn'), true);
    s.close();
  });

  test('every spelling of an address binds the same: an object, { cid, port }, \'cid:port\'', { ...T, skip }, () => {
    for (const spell of [
      (port: number) => ({ family: 'vsock' as const, cid: VMADDR_CID_ANY!, port }),
      (port: number) => ({ cid: VMADDR_CID_ANY!, port }),
      (port: number) => `${VMADDR_CID_ANY}:${port}`,
    ]) {
      const port = somePort();
      const s = new Socket('vsock', 'stream');
      s.bind(spell(port) as never);
      assert.deepEqual(s.localAddress(), { family: 'vsock', cid: VMADDR_CID_ANY, port });
      s.close();
    }
  });

  test('Python reads the same address from the same fd; Socket.from and posix decode it alike', { ...T, skip }, () => {
    const port = somePort();
    const s = new Socket('vsock', 'stream');
    s.bind({ family: 'vsock', cid: VMADDR_CID_ANY!, port });
    s.listen();
    const py = spawnSync('python3', ['-c', 'import socket; s = socket.socket(fileno=3); print(s.family == socket.AF_VSOCK, *s.getsockname()); s.detach()'],
      { stdio: ['ignore', 'pipe', 'pipe', s.fd], encoding: 'utf8', timeout: 20_000 });
    if (py.error === undefined) assert.equal(py.stdout.trim(), `True ${VMADDR_CID_ANY} ${port}`, py.stderr);
    assert.deepEqual(posix.getsockname(s.fd), { family: 'vsock', cid: VMADDR_CID_ANY, port });
    const fd = posix.socket(constants.AF_VSOCK!, constants.SOCK_STREAM);
    const adopted = Socket.from(fd);
    assert.equal(adopted.family, 'vsock');
    const port2 = somePort();
    posix.bind(fd, { family: 'vsock', cid: VMADDR_CID_ANY!, port: port2 });
    assert.deepEqual(adopted.localAddress(), { family: 'vsock', cid: VMADDR_CID_ANY, port: port2 });
    adopted.close();
    s.close();
  });

  test('a local connection, where the kernel has a loopback transport', { ...T, skip }, async (t) => {
    const server = new Socket('vsock', 'stream');
    server.bind({ family: 'vsock', cid: VMADDR_CID_ANY!, port: VMADDR_PORT_ANY! });
    server.listen();
    const client = new Socket('vsock', 'stream');
    try {
      await client.connect({ family: 'vsock', cid: VMADDR_CID_LOCAL!, port: server.localAddress().port }, { timeout: 2000 });
    } catch (err) {
      client.close();
      server.close();
      return t.skip(`no vsock loopback transport here (${(err as { code?: string }).code})`);
    }
    const conn = await server.accept({ timeout: 5000 });
    await client.sendAll('over vsock');
    assert.equal((await conn.receive(10)).toString(), 'over vsock');
    assert.equal(conn.remoteAddress().family, 'vsock');
    for (const s of [client, conn, server]) s.close();
  });

  test('bad addresses: cid and port are uint32, refused before bind, leaving no fd', { ...T, skip }, () => {
    const s = new Socket('vsock', 'stream');
    const before = fdCount();
    const rows: [unknown, string, string][] = [
      [{ family: 'vsock', cid: -1, port: 1 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
      [{ family: 'vsock', cid: 2 ** 32, port: 1 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
      [{ family: 'vsock', cid: 1.5, port: 1 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
      [{ family: 'vsock', cid: '2', port: 1 }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      [{ family: 'vsock', cid: 2, port: -1 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
      [{ family: 'vsock', cid: 2, port: 2 ** 32 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
      [{ family: 'vsock', cid: 2, port: NaN }, 'RangeError', 'ERR_OUT_OF_RANGE'],
      [{ family: 'vsock', cid: 2 }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      [{ cid: 2, port: 'x' }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['x:1', 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['1:', 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['01:2', 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['1:2:3', 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['4294967296:1', 'RangeError', 'ERR_OUT_OF_RANGE'],
      ['localhost:80', 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      [null, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [address, name, code] of rows) {
      assert.throws(() => s.bind(address as never), { name, code }, JSON.stringify(address));
      assert.throws(() => posix.bind(s.fd, address as never), { name: /Error/ }, JSON.stringify(address));
    }
    assert.equal(fdCount(), before);
    assert.deepEqual(s.localAddress(), { family: 'vsock', cid: VMADDR_CID_ANY, port: VMADDR_PORT_ANY }, 'nothing was bound');
    s.close();
  });
});
