// recvFromInto and recvMsgInto (Python's recvfrom_into and recvmsg_into):
// receiving into the caller's buffers, scattered in order, with senders,
// truncation, fds, the input buffer first, both drivers, and bad input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { Socket } from '../src/index.ts';
import { noFdLeak } from './helpers.ts';

const T = { timeout: 30_000 };
const hasPython = spawnSync('python3', ['-c', '1']).status === 0;

describe('recvFromInto', () => {
  test('a UDP datagram from a Python sender: bytes, the sender address Python had, truncation', { ...T, skip: !hasPython && 'python3 is not installed' }, async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const { port } = r.localAddress();
    const py = spawn('python3', ['-c', `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
s.sendto(b'hello world', ('127.0.0.1', int(sys.argv[1])))
s.sendto(b'x' * 100, ('127.0.0.1', int(sys.argv[1])))
`, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pyPort = Number(await new Promise<string>((res) => py.stdout.once('data', (d) => res(String(d).trim()))));
    const buf = Buffer.alloc(64, 0xee);
    const first = await r.recvFromInto(buf, { timeout: 5000 });
    assert.deepEqual(first, { bytes: 11, address: { family: 'inet', address: '127.0.0.1', port: pyPort }, truncated: false });
    assert.equal(buf.subarray(0, 11).toString(), 'hello world');
    assert.equal(buf[11], 0xee, 'nothing written past the datagram');
    const second = r.recvFromIntoSync(buf, { timeout: 5000 });
    assert.deepEqual(second, { bytes: 64, address: first.address, truncated: true });
    assert.equal(r.stats().received, 75);
    r.close();
  });

  test('a peek leaves the datagram queued; a view of a larger buffer is filled at its offset', T, async () => {
    const [a, b] = Socket.pair('dgram');
    a.sendSync('abcdef');
    const big = Buffer.alloc(16, 0);
    const view = big.subarray(4, 10);
    assert.equal(b.recvFromIntoSync(view, { flags: 2 /* MSG_PEEK */ }).bytes, 6);
    const r = await b.recvFromInto(new Uint8Array(3));
    assert.equal(r.bytes, 3);
    assert.equal(r.truncated, true);
    assert.equal(big.subarray(4, 10).toString(), 'abcdef');
    assert.equal(big[3], 0);
    a.close(); b.close();
  });

  test('on a stream, bytes receive() buffered come first, with no address', T, async () => {
    const [a, b] = Socket.pair('stream');
    a.sendSync('line\nrest');
    assert.equal((await b.receive('line')).toString(), 'line');
    const buf = Buffer.alloc(10);
    assert.deepEqual(await b.recvFromInto(buf), { bytes: 4, address: null, truncated: false });
    assert.equal(buf.subarray(0, 4).toString(), 'rest');
    a.close(); b.close();
  });
});

describe('recvMsgInto', () => {
  test('scatters a datagram into buffers in order, with the fd that came along', T, async () => {
    const [a, b] = Socket.pair('dgram');
    const file = openSync(process.execPath, 'r');
    await a.sendMsg({ data: ['HEAD', 'body-bytes'], fds: [file] });
    const head = Buffer.alloc(4), body = Buffer.alloc(32);
    const m = await b.recvMsgInto([head, body]);
    assert.equal(m.bytes, 14);
    assert.equal(head.toString(), 'HEAD');
    assert.equal(body.subarray(0, 10).toString(), 'body-bytes');
    assert.equal(m.truncated, false);
    assert.equal(m.fds.length, 1);
    assert.equal(fstatSync(m.fds[0]).ino, fstatSync(file).ino, 'the same file arrived');
    assert.equal('data' in m, false);
    closeSync(m.fds[0]);
    closeSync(file);
    a.close(); b.close();
  });

  test('a datagram longer than every buffer together: truncated, bytes = their total (sync)', T, () => {
    const [a, b] = Socket.pair('seqpacket');
    a.sendSync('0123456789');
    const x = Buffer.alloc(3), y = Buffer.alloc(4);
    const m = b.recvMsgIntoSync([x, y]);
    assert.equal(m.bytes, 7);
    assert.equal(m.truncated, true);
    assert.equal(x.toString() + y.toString(), '0123456');
    a.close(); b.close();
  });

  test('UDP: the sender address and credentials-free control like recvMsg', T, async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    s.bind('127.0.0.1:0');
    s.sendToSync('ping', r.localAddress());
    const m = await r.recvMsgInto([Buffer.alloc(2), Buffer.alloc(2)], { timeout: 5000 });
    assert.equal(m.bytes, 4);
    assert.deepEqual(m.address, s.localAddress());
    assert.deepEqual(m.control, []);
    r.close(); s.close();
  });

  test('datagrams read ahead by a loop are scattered too', T, async () => {
    const [a, b] = Socket.pair('dgram');
    a.sendSync('first'); a.sendSync('second');
    for await (const m of b.messages()) { assert.equal(m.data.toString(), 'first'); break; }
    const p = Buffer.alloc(3), q = Buffer.alloc(10);
    const m = await b.recvMsgInto([p, q]);
    assert.equal(m.bytes, 6);
    assert.equal(p.toString() + q.subarray(0, 3).toString(), 'second');
    a.close(); b.close();
  });
});

describe('bad input for recvFromInto and recvMsgInto', () => {
  test('TypeError/RangeError as rejections before any system call; no fd left', T, async () => {
    const [a, b] = Socket.pair('dgram');
    a.sendSync('stays queued');
    const detached = new Uint8Array(new ArrayBuffer(8));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const many = Array.from({ length: 1025 }, () => Buffer.alloc(1));
    const rows: [string, () => Promise<unknown>, () => unknown, string][] = [
      ['recvFromInto string', () => b.recvFromInto('x' as never), () => b.recvFromIntoSync('x' as never), 'ERR_INVALID_ARG_TYPE'],
      ['recvFromInto detached', () => b.recvFromInto(detached), () => b.recvFromIntoSync(detached), 'ERR_INVALID_ARG_VALUE'],
      ['recvFromInto NaN timeout', () => b.recvFromInto(Buffer.alloc(4), { timeout: NaN }), () => b.recvFromIntoSync(Buffer.alloc(4), { timeout: NaN }), 'ERR_OUT_OF_RANGE'],
      ['recvMsgInto not an array', () => b.recvMsgInto(Buffer.alloc(4) as never), () => b.recvMsgIntoSync(Buffer.alloc(4) as never), 'ERR_INVALID_ARG_TYPE'],
      ['recvMsgInto a string inside', () => b.recvMsgInto([Buffer.alloc(1), 'x' as never]), () => b.recvMsgIntoSync([Buffer.alloc(1), 'x' as never]), 'ERR_INVALID_ARG_TYPE'],
      ['recvMsgInto detached inside', () => b.recvMsgInto([detached]), () => b.recvMsgIntoSync([detached]), 'ERR_INVALID_ARG_VALUE'],
      ['recvMsgInto 1025 buffers', () => b.recvMsgInto(many), () => b.recvMsgIntoSync(many), 'ERR_OUT_OF_RANGE'],
      ['recvMsgInto maxFds -1', () => b.recvMsgInto([Buffer.alloc(1)], { maxFds: -1 }), () => b.recvMsgIntoSync([Buffer.alloc(1)], { maxFds: -1 }), 'ERR_OUT_OF_RANGE'],
      ['recvMsgInto controlLength 1.5', () => b.recvMsgInto([Buffer.alloc(1)], { controlLength: 1.5 }), () => b.recvMsgIntoSync([Buffer.alloc(1)], { controlLength: 1.5 }), 'ERR_OUT_OF_RANGE'],
    ];
    for (const [name, async_, sync, code] of rows) {
      await noFdLeak(async () => {
        let p: Promise<unknown> | undefined;
        assert.doesNotThrow(() => { p = async_(); }, name);
        await assert.rejects(p!, (e: NodeJS.ErrnoException) => e.code === code && (e instanceof TypeError || e instanceof RangeError), name);
        assert.throws(sync, (e: NodeJS.ErrnoException) => e.code === code, name);
      });
    }
    // Nothing was read by any row: the datagram is still there.
    assert.equal(b.recvSync(64).toString(), 'stays queued');
    a.close(); b.close();
  });
});
