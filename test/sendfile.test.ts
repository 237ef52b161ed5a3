// sendFile / sendFileSync: sendfile(2) from a file (fd or FileHandle) into a
// stream socket, with offset and count, the file position rules, partial
// progress on a stalled peer, and the read + send fallback for a pipe;
// checked against Python peers that hash what they receive.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync, execFileSync } from './sync-child.ts';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, writeFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Socket, SocketError } from '../src/index.ts';
import { noFdLeak, tmpPath } from './helpers.ts';

const T = { timeout: 60_000 };
const hasPython = spawnSync('python3', ['-c', '1']).status === 0;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A Python peer on a listening TCP or Unix socket: reads to end of stream, prints "length sha256". */
function pythonSink(family: 'tcp' | 'unix', path?: string): Promise<{ port: number; done: Promise<{ length: number; digest: string }> }> {
  const code = `
import socket, sys, hashlib
fam = sys.argv[1]
s = socket.socket(socket.AF_INET if fam == 'tcp' else socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0) if fam == 'tcp' else sys.argv[2]); s.listen(1)
print(s.getsockname()[1] if fam == 'tcp' else 0, flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)
`;
  const child = spawn('python3', ['-c', code, family, path ?? ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    let resolvedPort = false;
    let finish!: (v: { length: number; digest: string }) => void;
    const done = new Promise<{ length: number; digest: string }>((r) => { finish = r; });
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const lines = out.split('\n');
      if (!resolvedPort && lines.length > 1) { resolvedPort = true; resolve({ port: Number(lines[0]), done }); }
      if (lines.length > 2) { const [n, digest] = lines[1].split(' '); finish({ length: Number(n), digest }); }
    });
    child.on('error', reject);
  });
}

function fileOf(bytes: Buffer, name: string): string {
  const path = tmpPath(name);
  writeFileSync(path, bytes);
  return path;
}

describe('sendFile', { skip: !hasPython && 'python3 is not installed' }, () => {
  const data = randomBytes(6 * 1024 * 1024 + 123);
  const path = fileOf(data, 'sendfile-data');
  process.on('exit', () => rmSync(path, { force: true }));

  test('a multi-megabyte file over TCP, whole, from an fd: Python receives every byte', T, async () => {
    const peer = await pythonSink('tcp');
    const s = new Socket('inet', 'stream');
    await s.connect({ family: 'inet', address: '127.0.0.1', port: peer.port });
    const fd = openSync(path, 'r');
    try {
      assert.equal(await s.sendFile(fd), data.length);
      // Without an offset the file's position moved past what was sent.
      assert.equal(readSync(fd, Buffer.alloc(1), 0, 1, null), 0, 'the position is at end of file');
    } finally { closeSync(fd); }
    assert.equal(s.stats().sent, data.length);
    s.close();
    assert.deepEqual(await peer.done, { length: data.length, digest: sha(data) });
  });

  test('over a Unix stream socket from a FileHandle, with offset and count; the position is left alone', T, async () => {
    const sock = tmpPath('sendfile-unix');
    const peer = await pythonSink('unix', sock);
    const s = new Socket('unix', 'stream');
    await s.connect(sock);
    const fh = await open(path, 'r');
    try {
      assert.equal(await s.sendFile(fh, { offset: 1000, count: 3_000_000 }), 3_000_000);
      const one = Buffer.alloc(1);
      assert.equal((await fh.read(one, 0, 1, null)).bytesRead, 1);
      assert.equal(one[0], data[0], 'an explicit offset leaves the position at 0');
    } finally { await fh.close(); }
    s.close();
    assert.deepEqual(await peer.done, { length: 3_000_000, digest: sha(data.subarray(1000, 3_001_000)) });
    rmSync(sock, { force: true });
  });

  test('sendFileSync without an offset continues where the last call stopped; past end of file sends nothing', T, async () => {
    const [a, b] = Socket.pair('stream');
    const small = randomBytes(5000);
    const p = fileOf(small, 'sendfile-small');
    const fd = openSync(p, 'r');
    try {
      assert.equal(a.sendFileSync(fd, { count: 1000 }), 1000);
      assert.equal(a.sendFileSync(fd, { count: 1000 }), 1000);
      assert.equal(a.sendFileSync(fd, { offset: 4000, count: 9999 }), 1000, 'count past the end: the rest');
      assert.equal(a.sendFileSync(fd, { offset: 99999 }), 0, 'an offset past the end sends nothing');
      assert.equal(a.sendFileSync(fd, { count: 0 }), 0);
      const got = Buffer.alloc(3000);
      let n = 0;
      while (n < 3000) n += b.recvIntoSync(got.subarray(n));
      assert.deepEqual(got, Buffer.concat([small.subarray(0, 2000), small.subarray(4000)]));
      assert.equal(readSync(fd, Buffer.alloc(1), 0, 1, null), 1, 'position 2000 still has bytes');
    } finally { closeSync(fd); rmSync(p, { force: true }); }
    a.close(); b.close();
  });

  test('a stalled peer: ETIMEDOUT carries `sent`, and the position advanced by exactly that', T, async () => {
    const [a, b] = Socket.pair('stream');
    a.setOption('sndbuf', 4096);
    const fd = openSync(path, 'r');
    try {
      const err = await a.sendFile(fd, { timeout: 200 }).then(() => assert.fail('a peer that never reads cannot take 6 MiB'), (e) => e);
      assert.ok(err instanceof SocketError);
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(err.syscall, 'sendfile');
      const sent = err.sent ?? -1;
      assert.ok(sent > 0 && sent < data.length, `sent ${sent}`);
      const next = Buffer.alloc(1);
      readSync(fd, next, 0, 1, null);
      assert.equal(next[0], data[sent], 'the next byte of the file is the first one not sent');
      // The same on the sync driver.
      const errSync = (() => { try { a.sendFileSync(fd, { offset: 0, timeout: 100 }); } catch (e) { return e as SocketError & { sent: number }; } return null; })();
      assert.equal(errSync?.code, 'ETIMEDOUT');
      assert.equal(errSync?.sent, 0, 'the buffer is still full: nothing more went out');
    } finally { closeSync(fd); }
    a.close(); b.close();
  });

  test('a pipe (which sendfile(2) refuses): read and send instead, every byte in order', T, async () => {
    const fifo = tmpPath('sendfile-fifo');
    execFileSync('mkfifo', [fifo]);
    const chunk = randomBytes(700_000);
    const src = fileOf(chunk, 'sendfile-fifo-src');
    // The writer needs nothing from this process: reads from a pipe block this thread (see sendFile's docs).
    spawn('python3', ['-c', `import sys; open(sys.argv[1], 'wb').write(open(sys.argv[2], 'rb').read())`, fifo, src], { stdio: 'ignore' });
    const fd = openSync(fifo, 'r');
    const [a, b] = Socket.pair('stream');
    const received: Buffer[] = [];
    const reading = (async () => { for (;;) { const d = await b.recv(65536); if (d.length === 0) return; received.push(d); } })();
    try {
      assert.equal(await a.sendFile(fd), chunk.length);
    } finally { closeSync(fd); rmSync(fifo, { force: true }); rmSync(src, { force: true }); }
    a.shutdown('send');
    await reading;
    assert.deepEqual(Buffer.concat(received), chunk);
    a.close(); b.close();
  });

  test('bad input: TypeError/RangeError before any system call, as rejections, no fd left', T, async () => {
    const fd = openSync(path, 'r');
    const fh = await open(path, 'r');
    await fh.close();
    const [a, b] = Socket.pair('stream');
    const rows: [string, unknown, unknown, string][] = [
      ['string file', 'x', undefined, 'ERR_INVALID_ARG_TYPE'],
      ['null file', null, undefined, 'ERR_INVALID_ARG_TYPE'],
      ['plain object', { fd }, undefined, 'ERR_INVALID_ARG_TYPE'],
      ['negative fd', -1, undefined, 'ERR_OUT_OF_RANGE'],
      ['fractional fd', 1.5, undefined, 'ERR_OUT_OF_RANGE'],
      ['NaN fd', NaN, undefined, 'ERR_OUT_OF_RANGE'],
      ['fd past int32', 2 ** 32, undefined, 'ERR_OUT_OF_RANGE'],
      ['closed FileHandle', fh, undefined, 'ERR_INVALID_ARG_VALUE'],
      ['negative offset', fd, { offset: -1 }, 'ERR_OUT_OF_RANGE'],
      ['fractional offset', fd, { offset: 0.5 }, 'ERR_OUT_OF_RANGE'],
      ['string offset', fd, { offset: '1' }, 'ERR_INVALID_ARG_TYPE'],
      ['offset past 2^53', fd, { offset: 2 ** 53 }, 'ERR_OUT_OF_RANGE'],
      ['Infinity count', fd, { count: Infinity }, 'ERR_OUT_OF_RANGE'],
      ['negative count', fd, { count: -5 }, 'ERR_OUT_OF_RANGE'],
      ['NaN timeout', fd, { timeout: NaN }, 'ERR_OUT_OF_RANGE'],
    ];
    try {
      for (const [name, file, opts, code] of rows) {
        await noFdLeak(async () => {
          let p: Promise<number> | undefined;
          assert.doesNotThrow(() => { p = a.sendFile(file as number, opts as object); }, name);
          await assert.rejects(p!, (e: NodeJS.ErrnoException) => e.code === code && (e instanceof TypeError || e instanceof RangeError), name);
          assert.throws(() => a.sendFileSync(file as number, opts as object), (e: NodeJS.ErrnoException) => e.code === code, name);
        });
      }
      assert.equal(a.stats().sent, 0, 'nothing was sent by any row');
      const udp = new Socket('inet', 'dgram');
      await assert.rejects(udp.sendFile(fd), { code: 'ERR_INVALID_ARG_VALUE' }, 'a datagram socket');
      udp.close();
    } finally { closeSync(fd); a.close(); b.close(); }
  });
});
