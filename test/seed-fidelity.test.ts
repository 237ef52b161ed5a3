// The seeds' documented behaviour, quoted and checked through berkeley:
// LuaSocket's send(data, i, j) and negative timeouts, S-Lang's struct-valued
// options, luaposix's getsockopt/setsockopt (structs, the two-value form),
// nixio's option names by level. Where the seed library itself is installed
// (or installable, as root), the same values are read back from it on an
// inherited fd; otherwise those tests skip.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { randomBytes } from 'node:crypto';
import { Socket, select, selectSync, SocketError } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { fdCount, hasIPv6, isRoot } from './helpers.ts';
import { lua54, luaPosix, luaSocket, runWithFd, slsh } from './fixtures/seed-libs.ts';

const T = { timeout: 30_000 };
/** An error of sendAll(data, i, j): LuaSocket's third result is `lastIndex`. */
type SendError = SocketError & { lastIndex?: number };

/**
 * Lua's string.sub on bytes, written from the Lua 5.4 manual: "Indices ... can
 * be negative, -1 being the last character ... If, after the translation of
 * negative indices, i is less than 1, it is corrected to 1. If j is greater
 * than the length of the string, it is corrected to that length. If, after
 * these corrections, i is greater than j, the function returns the empty string."
 */
function luaSub(s: Buffer, i: number, j = -1): Buffer {
  const first = Math.max(i < 0 ? s.length + i + 1 : i, 1);
  const last = Math.min(j < 0 ? s.length + j + 1 : j, s.length);
  return first > last ? Buffer.alloc(0) : s.subarray(first - 1, last);
}
/** LuaSocket's result: "the index of the last byte within [i, j] that has been sent" (i - 1, corrected, when nothing is). */
const lastIndexOf = (s: Buffer, i: number, j = -1): number => Math.max(i < 0 ? s.length + i + 1 : i, 1) - 1 + luaSub(s, i, j).length;

/** Everything queued on `s` now (nothing: an empty Buffer). */
function drainNow(s: Socket): Buffer {
  const parts: Buffer[] = [];
  for (;;) {
    try {
      parts.push(s.recvSync(1 << 20, { timeout: 0 }));
    } catch (err) {
      if ((err as SocketError).code === 'ETIMEDOUT') return Buffer.concat(parts);
      throw err;
    }
  }
}

/** A connected TCP pair over loopback with small buffers, so a large send stalls. */
async function tcpPair(buf = 0): Promise<{ client: Socket; peer: Socket; close(): void }> {
  const server = new Socket('inet', 'stream');
  if (buf) server.setOption('rcvbuf', buf); // inherited by the accepted socket
  server.bind('127.0.0.1:0');
  server.listen();
  const client = new Socket('inet', 'stream');
  if (buf) client.setOption('sndbuf', buf);
  const [peer] = await Promise.all([server.accept(), client.connect(server.localAddress())]);
  server.close();
  return { client, peer, close: () => { client.close(); peer.close(); } };
}

// ---- LuaSocket: client:send(data [, i [, j]]) ---------------------------------

describe('LuaSocket send(data, i, j): "i and j work exactly like the standard string.sub Lua function"', () => {
  const hello = Buffer.from('hello');
  const range = Array.from({ length: 17 }, (_, n) => n - 8); // -8..8: past both ends of 'hello'
  const cases: [number, number | undefined][] = range.flatMap((i) => [[i, undefined], ...range.map((j) => [i, j] as [number, number])]);

  test('string.sub as Lua 5.4 computes it: every (i, j) in -8..8, negatives included', T, (t) => {
    const lua = lua54();
    if ('skip' in lua) return t.skip(lua.skip);
    const script = `local s = "hello"
for i = -8, 8 do
  for j = -9, 8 do
    local sub = j == -9 and s:sub(i) or s:sub(i, j)
    io.write(i, " ", j == -9 and "-" or j, " [", sub, "]\\n")
  end
end`;
    const out = spawnSync(lua.cmd, ['-e', script], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.equal(out.length, cases.length);
    for (const line of out) {
      const [, i, j, sub] = /^(-?\d+) (-?\d+|-) \[(.*)\]$/.exec(line)!;
      const jj = j === '-' ? undefined : Number(j);
      assert.equal(luaSub(hello, Number(i), jj).toString(), sub, `("hello"):sub(${i}, ${j})`);
    }
  });

  test('LuaSocket 3 itself: the index each (i, j) returns (the reference for berkeley below)', T, (t) => {
    const ls = luaSocket();
    if ('skip' in ls) return t.skip(ls.skip);
    const script = `local socket = require("socket")
local srv = assert(socket.bind("127.0.0.1", 0))
local _, port = srv:getsockname()
local c = assert(socket.connect("127.0.0.1", port))
local d = assert(srv:accept())
for i = -8, 8 do
  for j = -9, 8 do
    local last = (j == -9) and c:send("hello", i) or c:send("hello", i, j)
    io.write(string.format("%d %s %d\\n", i, j == -9 and "-" or tostring(j), last))
  end
end`;
    const out = spawnSync(ls.cmd, ['-e', script], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.equal(out.length, cases.length);
    for (const line of out) {
      const [i, j, last] = line.split(' ');
      const jj = j === '-' ? undefined : Number(j);
      assert.equal(lastIndexOf(hello, Number(i), jj), Number(last), `LuaSocket c:send("hello", ${i}, ${j})`);
    }
  });

  test('berkeley sends string.sub(data, i, j) and returns the last index, for every (i, j) in -8..8 (sync and async)', T, async () => {
    const [a, b] = Socket.pair();
    let sync = false;
    for (const [i, j] of cases) {
      sync = !sync;
      const last: number = sync ? a.sendAllSync(hello, i, j) : await a.sendAll('hello', i, j);
      assert.equal(last, lastIndexOf(hello, i, j), `sendAll('hello', ${i}, ${j})`);
      assert.deepEqual(drainNow(b), luaSub(hello, i, j), `bytes of ('hello', ${i}, ${j})`);
    }
    a.close();
    b.close();
  });

  test('"if i is 1 or absent, this is effectively the total number of bytes sent"; strings count UTF-8 bytes', T, async () => {
    const [a, b] = Socket.pair();
    const text = 'h\u00e9llo w\u00f6rld'; // 13 bytes
    assert.equal(await a.sendAll(text, 1), 13);
    assert.deepEqual(drainNow(b), Buffer.from(text));
    assert.equal(a.sendAllSync(text, 2, 3), 3, 'bytes 2..3 are the two bytes of \u00e9');
    assert.equal(drainNow(b).toString(), '\u00e9');
    assert.equal(await a.sendAll(text, -6), 13);
    assert.equal(drainNow(b).toString(), 'w\u00f6rld');
    a.close();
    b.close();
  });

  test('an empty range sends nothing, makes no system call and returns i - 1 (as LuaSocket\'s buffer.c)', T, async () => {
    const s = new Socket('inet', 'stream'); // not connected: any send(2) would fail with ENOTCONN
    assert.equal(await s.sendAll('hello', 10), 9);
    assert.equal(s.sendAllSync('hello', 3, 2), 2);
    assert.equal(await s.sendAll('hello', -10, -8), 0);
    assert.equal(await s.sendAll('', 1), 0);
    assert.equal(await s.sendAll('', -1, -1), 0);
    await assert.rejects(s.sendAll('hello', 1), SocketError, 'a non-empty range does call send(2) (EPIPE: not connected)');
    assert.deepEqual(s.stats().sent, 0);
    s.close();
  });

  test('sendAll(data) and sendAll(data, opts) keep resolving to undefined', T, async () => {
    const [a, b] = Socket.pair();
    assert.equal(await a.sendAll('abc'), undefined);
    assert.equal(await a.sendAll('def', { timeout: 1000 }), undefined);
    assert.equal(a.sendAllSync('ghi'), undefined);
    assert.equal(a.sendAllSync('jkl', { timeout: 1000 }), undefined);
    assert.equal(await a.sendAll('mnop', 2, -2, { timeout: 1000 }), 3, 'options after i and j');
    assert.equal(drainNow(b).toString(), 'abcdefghijklno');
    a.close();
    b.close();
  });

  test('indices are integers: fractions, NaN, infinities and values past 2^53 are RangeErrors, other types TypeErrors, before any system call', T, async () => {
    const [a, b] = Socket.pair();
    const before = fdCount();
    const bad: [string, unknown, string][] = [
      ['1.5', 1.5, 'ERR_OUT_OF_RANGE'], ['NaN', NaN, 'ERR_OUT_OF_RANGE'], ['Infinity', Infinity, 'ERR_OUT_OF_RANGE'],
      ['-Infinity', -Infinity, 'ERR_OUT_OF_RANGE'], ['2^53', 2 ** 53, 'ERR_OUT_OF_RANGE'], ['-(2^53)', -(2 ** 53), 'ERR_OUT_OF_RANGE'],
      ["'2'", '2', 'ERR_INVALID_ARG_TYPE'], ['null', null, 'ERR_INVALID_ARG_TYPE'], ['2n', 2n, 'ERR_INVALID_ARG_TYPE'], ['{}', {}, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [label, v, code] of bad) {
      await assert.rejects(a.sendAll('hello', 1, v as number), { code }, `j = ${label}`);
      assert.throws(() => a.sendAllSync('hello', 1, v as number), { code }, `sync j = ${label}`);
      if (typeof v === 'number') {
        await assert.rejects(a.sendAll('hello', v), { code }, `i = ${label}`);
        assert.throws(() => a.sendAllSync('hello', v), { code }, `sync i = ${label}`);
      }
    }
    // A non-number second argument is the options object of sendAll(data, opts): nothing may follow it.
    await assert.rejects(a.sendAll('hello', undefined as never, 3), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(a.sendAll('hello', '1' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    const p = a.sendAll('hello', NaN);
    assert.ok(p instanceof Promise, 'the async form never throws synchronously');
    await p.catch(() => {});
    assert.equal(drainNow(b).length, 0, 'nothing was sent');
    assert.equal(fdCount(), before);
    assert.equal(await a.sendAll('hello', 2 ** 53 - 1), 2 ** 53 - 2, 'the largest safe index is taken (and clamped by string.sub)');
    assert.equal(await a.sendAll('hello', -(2 ** 53 - 1), 2 ** 53 - 1), 5);
    assert.equal(drainNow(b).toString(), 'hello');
    a.close();
    b.close();
  });

  test('"In case of error ... the index of the last byte within [i, j] that has been sent. You might want to try again from the byte following that": a stalled peer', { timeout: 60_000 }, async () => {
    const { client, peer, close } = await tcpPair(8192);
    const data = randomBytes(1 << 20);
    const i = 3;
    const j = -1001;
    const want = luaSub(data, i, j);
    const got: Buffer[] = [];

    // The peer reads nothing: the socket buffers fill and the block timeout passes.
    client.setTimeout(200);
    let err: SendError | undefined;
    try {
      client.sendAllSync(data, i, j);
    } catch (e) {
      err = e as SendError;
    }
    assert.ok(err, 'the send stalls');
    assert.equal(err.code, 'ETIMEDOUT');
    assert.equal(typeof err.lastIndex, 'number');
    assert.ok(err.lastIndex! > i - 1 && err.lastIndex! < data.length - 1000, `lastIndex ${err.lastIndex}`);
    assert.equal(err.sent, err.lastIndex! - (i - 1), 'sent counts from i');
    const firstStop = err.lastIndex!;

    // Still stalled: an async resume with a per-call timeout sends nothing more and says so.
    client.setTimeout(null);
    err = await client.sendAll(data, firstStop + 1, j, { timeout: 100 }).then(() => assert.fail('the peer reads nothing'), (e: SendError) => e);
    assert.equal(err.code, 'ETIMEDOUT');
    assert.ok(err.lastIndex! >= firstStop);
    assert.equal(err.sent, err.lastIndex! - firstStop);

    // Drain what is queued, then resume from lastIndex + 1 while the peer keeps reading.
    got.push(drainNow(peer));
    let received = got[0].length;
    const reading = (async () => {
      while (received < want.length) {
        const b = await peer.recv(1 << 16, { timeout: 10_000 });
        if (b.length === 0) break;
        got.push(b);
        received += b.length;
      }
    })();
    assert.equal(await client.sendAll(data, err.lastIndex! + 1, j), data.length - 1000, 'the last index of the whole range');
    await reading;
    assert.ok(Buffer.concat(got).equals(want), 'every byte of string.sub(data, i, j) exactly once, in order');
    assert.equal(client.stats().sent, want.length);
    close();
  });
});

// ---- LuaSocket: settimeout(value [, mode]) -----------------------------------

describe('LuaSocket settimeout: "The nil timeout value allows operations to block indefinitely. Negative timeout values have the same effect."', () => {
  test('setTimeout with a negative value is no limit, in both modes', T, () => {
    const s = new Socket('inet', 'stream');
    s.setTimeout(500);
    s.setTimeout(250, 'total');
    s.setTimeout(-1);
    assert.deepEqual(s.getTimeout(), { block: null, total: 250 });
    s.setTimeout(-0.5, 't');
    assert.deepEqual(s.getTimeout(), { block: null, total: null });
    s.setTimeout(100, 'b');
    s.setTimeout(-Infinity, 'block');
    assert.deepEqual(s.getTimeout(), { block: null, total: null });
    s.setTimeout(-0);
    assert.deepEqual(s.getTimeout(), { block: 0, total: null }, '-0 is 0: never wait');
    s.close();
  });

  test('an async call under a negative socket timeout waits until the data comes', T, async () => {
    const [a, b] = Socket.pair();
    a.setTimeout(-1);
    a.setTimeout(-1, 'total');
    setTimeout(() => void b.sendAll('later'), 300);
    const t0 = performance.now();
    assert.equal((await a.receive(5)).toString(), 'later');
    assert.ok(performance.now() - t0 >= 250);
    a.close();
    b.close();
  });

  test('a per-call { timeout } below zero is no limit too (async recv and accept)', T, async () => {
    const [a, b] = Socket.pair();
    setTimeout(() => void b.sendAll('x'), 200);
    assert.equal((await a.recv(1, { timeout: -1 })).toString(), 'x');
    const server = new Socket('inet', 'stream');
    server.bind('127.0.0.1:0');
    server.listen();
    const c = new Socket('inet', 'stream');
    const connecting = new Promise((resolve) => setTimeout(resolve, 200)).then(() => c.connect(server.localAddress()));
    const conn = await server.accept({ timeout: -100 });
    await connecting;
    [a, b, server, c, conn].forEach((s) => s.close());
  });

  test('a sync call with a negative timeout blocks in poll(2) until another process writes', T, () => {
    const [a, b] = Socket.pair();
    const child = spawn('sh', ['-c', 'sleep 0.3; printf later >&3'], { stdio: ['ignore', 'ignore', 'inherit', b.fd] });
    a.setTimeout(-1);
    const t0 = performance.now();
    assert.equal(a.recvSync(16, { timeout: -5 }).toString(), 'later');
    assert.ok(performance.now() - t0 >= 250);
    child.kill();
    a.close();
    b.close();
  });

  test('select: a negative timeout waits for readiness; with nothing to wait for it returns at once', T, async () => {
    const [a, b] = Socket.pair();
    setTimeout(() => void b.sendAll('x'), 200);
    assert.deepEqual((await select([a], [], -1)).readable, [a]);
    assert.deepEqual(selectSync([a], [], -1).readable, [a]);
    assert.deepEqual(selectSync([], [], -1), { readable: [], writable: [] });
    assert.deepEqual(await select([], [], -1), { readable: [], writable: [] });
    a.close();
    b.close();
  });

  test('NaN is a RangeError and a non-number a TypeError, everywhere a timeout is taken', T, async () => {
    const s = new Socket('inet', 'dgram');
    assert.throws(() => s.setTimeout(NaN), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => s.setTimeout(NaN, 'total'), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => s.setTimeout('5' as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(s.recv(1, { timeout: NaN }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => s.recvSync(1, { timeout: NaN }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(s.sendAll('x', 1, -1, { timeout: NaN }), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(select([s], [], NaN), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => selectSync([s], [], NaN), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(select([s], [], '1' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.deepEqual(s.getTimeout(), { block: null, total: null }, 'nothing changed');
    s.close();
  });
});

// ---- S-Lang: struct-valued options -------------------------------------------

describe('S-Lang getsockopt/setsockopt: "In this case, the value returned will be a structure"', () => {
  test('linger = getsockopt (s, SOL_SOCKET, SO_LINGER); linger.l_onoff = 1; linger.l_linger = 10; setsockopt (s, SOL_SOCKET, SO_LINGER, linger)', T, () => {
    // posix, on an fd
    const fd = posix.socket(posix.PF_INET ?? posix.AF_INET, posix.SOCK_STREAM, 0);
    assert.deepEqual(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER), { l_onoff: 0, l_linger: 0 });
    const linger = { l_onoff: 1, l_linger: 10 };
    posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER, linger);
    assert.deepEqual(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER), { l_onoff: 1, l_linger: 10 });
    posix.close(fd);
    // a Socket, by number and by constant name
    const s = new Socket('inet', 'stream');
    s.setsockopt(posix.SOL_SOCKET, posix.SO_LINGER, { l_onoff: 1, l_linger: 10 });
    assert.deepEqual(s.getsockopt(posix.SOL_SOCKET, posix.SO_LINGER), { l_onoff: 1, l_linger: 10 });
    assert.deepEqual(s.getsockopt('socket', 'SO_LINGER'), { l_onoff: 1, l_linger: 10 });
    assert.deepEqual(s.getOption('linger'), { on: true, timeout: 10 }, 'the same struct by LuaSocket\'s name');
    s.close();
  });

  test('S-Lang itself, side by side: the example gives the same structs in S-Lang and berkeley, and a linger S-Lang sets is seen by berkeley', T, async (t) => {
    // S-Lang's socket module only takes sockets it made itself (an inherited fd is "File descriptor
    // does not represent a socket"), so the two run the seed's example on their own sockets, and
    // S-Lang's linger { 1, 0 } is observed from berkeley's end of a connection: close() sends a reset.
    const sl = slsh();
    if ('skip' in sl) return t.skip(sl.skip);
    const server = new Socket('inet', 'stream');
    server.bind('127.0.0.1:0');
    server.listen();
    const port = (server.localAddress() as { port: number }).port;
    const child = spawn(sl.cmd, ['-n', '-e', `require("socket");
variable s = socket (PF_INET, SOCK_STREAM, 0);
variable linger = getsockopt (s, SOL_SOCKET, SO_LINGER);
() = fprintf (stdout, "%d %d\\n", linger.l_onoff, linger.l_linger);
linger = struct { l_onoff, l_linger };
linger.l_onoff = 1; linger.l_linger = 10;
setsockopt (s, SOL_SOCKET, SO_LINGER, linger);
linger = getsockopt (s, SOL_SOCKET, SO_LINGER);
() = fprintf (stdout, "%d %d\\n", linger.l_onoff, linger.l_linger);
connect (s, "127.0.0.1", ${port});
linger.l_linger = 0;
setsockopt (s, SOL_SOCKET, SO_LINGER, linger);
() = close (s);`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { err += d; });
    const exited = new Promise((resolve) => child.once('close', resolve));
    const conn = await server.accept({ timeout: 20_000 });
    assert.equal(await exited, 0, err);
    await assert.rejects(conn.recv(16, { timeout: 10_000 }), { code: 'ECONNRESET' }, "S-Lang's linger { 1, 0 } took effect: a reset");

    const fd = posix.socket(posix.PF_INET ?? posix.AF_INET, posix.SOCK_STREAM, 0);
    const show = (l: posix.LingerStruct) => `${l.l_onoff} ${l.l_linger}\n`;
    let mine = show(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER) as posix.LingerStruct);
    posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER, { l_onoff: 1, l_linger: 10 });
    mine += show(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER) as posix.LingerStruct);
    posix.close(fd);
    assert.equal(mine, out, 'berkeley and S-Lang print the same structs');
    assert.equal(out, '0 0\n1 10\n');
    conn.close();
    server.close();
  });
});

// ---- luaposix: getsockopt / setsockopt ------------------------------------------

describe('luaposix getsockopt/setsockopt', () => {
  test("val = getsockopt(sock, SOL_SOCKET, SO_SNDTIMEO); print('Send timeout ', val.tv_sec + val.tv_usec / 1000000)", T, () => {
    const fd = posix.socket(posix.AF_INET, posix.SOCK_STREAM, 0);
    posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_SNDTIMEO, { tv_sec: 1, tv_usec: 500000 });
    const val = posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_SNDTIMEO) as posix.TimevalStruct;
    assert.deepEqual(val, { tv_sec: 1, tv_usec: 500000 });
    assert.equal(val.tv_sec + val.tv_usec / 1000000, 1.5);
    posix.close(fd);
  });

  test('"setsockopt (fd, level, name, value1[, value2]) ... some option names need an additional value": setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, 1, 0)', T, () => {
    const fd = posix.socket(posix.AF_INET, posix.SOCK_STREAM, 0);
    posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_SNDTIMEO, 1, 0);
    assert.deepEqual(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_SNDTIMEO), { tv_sec: 1, tv_usec: 0 });
    posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_RCVTIMEO, 3, 500000);
    assert.deepEqual(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_RCVTIMEO), { tv_sec: 3, tv_usec: 500000 });
    posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER, 1, 7);
    assert.deepEqual(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_LINGER), { l_onoff: 1, l_linger: 7 });
    posix.close(fd);
    const s = new Socket('inet', 'stream');
    s.setsockopt(posix.SOL_SOCKET, posix.SO_LINGER, 1, 7);
    assert.deepEqual(s.getOption('linger'), { on: true, timeout: 7 });
    s.setsockopt('socket', 'SO_SNDTIMEO', 2, 0);
    assert.equal(s.getOption('sndtimeo'), 2000, 'by berkeley\'s name, in ms');
    s.close();
  });

  test('SO_BINDTODEVICE takes and returns an interface name (as root)', { ...T, skip: !isRoot && 'needs CAP_NET_RAW' }, () => {
    const fd = posix.socket(posix.AF_INET, posix.SOCK_DGRAM, 0);
    assert.equal(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_BINDTODEVICE!), '', 'not bound');
    posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_BINDTODEVICE!, 'lo');
    assert.equal(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_BINDTODEVICE!), 'lo');
    posix.setsockopt(fd, posix.SOL_SOCKET, posix.SO_BINDTODEVICE!, '');
    assert.equal(posix.getsockopt(fd, posix.SOL_SOCKET, posix.SO_BINDTODEVICE!), '', "'' unbinds");
    posix.close(fd);
  });

  test('luaposix itself sets options with two values on an inherited fd; berkeley reads them by number', T, (t) => {
    const lua = luaPosix();
    if ('skip' in lua) return t.skip(lua.skip);
    const s = new Socket('inet', 'stream');
    runWithFd(lua.cmd, ['-e', `local S = require("posix.sys.socket")
assert(S.setsockopt(3, S.SOL_SOCKET, S.SO_LINGER, 1, 7))
assert(S.setsockopt(3, S.SOL_SOCKET, S.SO_SNDTIMEO, 1, 500000))
assert(S.setsockopt(3, S.SOL_SOCKET, S.SO_RCVTIMEO, 3, 0))
assert(S.setsockopt(3, S.IPPROTO_TCP, S.TCP_NODELAY, 1))
${isRoot ? 'assert(S.setsockopt(3, S.SOL_SOCKET, S.SO_BINDTODEVICE, "lo"))' : ''}`], s.fd);
    assert.deepEqual(s.getsockopt(posix.SOL_SOCKET, posix.SO_LINGER), { l_onoff: 1, l_linger: 7 });
    assert.deepEqual(s.getsockopt(posix.SOL_SOCKET, posix.SO_SNDTIMEO), { tv_sec: 1, tv_usec: 500000 });
    assert.deepEqual(posix.getsockopt(s.fd, posix.SOL_SOCKET, posix.SO_RCVTIMEO), { tv_sec: 3, tv_usec: 0 });
    assert.equal(s.getsockopt(posix.IPPROTO_TCP, posix.TCP_NODELAY), 1);
    if (isRoot) assert.equal(s.getsockopt('socket', 'SO_BINDTODEVICE'), 'lo');
    s.close();
  });

  test('luaposix itself reads back, with getsockopt, what berkeley set by number', T, (t) => {
    const lua = luaPosix();
    if ('skip' in lua) return t.skip(lua.skip);
    const has = spawnSync(lua.cmd, ['-e', 'os.exit(require("posix.sys.socket").getsockopt and 0 or 1)']).status === 0;
    if (!has) return t.skip('this luaposix has no getsockopt (luaposix 33.4, as Debian ships it, lacks it; the seed documents a later one)');
    const s = new Socket('inet', 'stream');
    s.setsockopt(posix.SOL_SOCKET, posix.SO_LINGER, { l_onoff: 1, l_linger: 6 });
    s.setsockopt(posix.SOL_SOCKET, posix.SO_SNDTIMEO, 2, 500000);
    const out = runWithFd(lua.cmd, ['-e', `local S = require("posix.sys.socket")
local l = S.getsockopt(3, S.SOL_SOCKET, S.SO_LINGER)
local v = S.getsockopt(3, S.SOL_SOCKET, S.SO_SNDTIMEO)
io.write(l.l_onoff, " ", l.l_linger, " ", v.tv_sec + v.tv_usec / 1000000, "\\n")`], s.fd);
    assert.equal(out, '1 6 2.5\n');
    s.close();
  });

  test('IP_ADD_MEMBERSHIP { imr_multiaddr, imr_interface } and IPV6_JOIN_GROUP { ipv6mr_multiaddr, ipv6mr_interface }, set by number', T, () => {
    const fd = posix.socket(posix.AF_INET, posix.SOCK_DGRAM, 0);
    const mreq = { imr_multiaddr: '239.7.7.7', imr_interface: '127.0.0.1' };
    posix.setsockopt(fd, posix.IPPROTO_IP, posix.IP_ADD_MEMBERSHIP, mreq);
    posix.setsockopt(fd, posix.IPPROTO_IP, posix.IP_DROP_MEMBERSHIP, mreq);
    assert.throws(() => posix.setsockopt(fd, posix.IPPROTO_IP, posix.IP_DROP_MEMBERSHIP, mreq), { code: 'EADDRNOTAVAIL' }, 'the join and the drop did happen');
    posix.close(fd);
    if (!hasIPv6) return;
    const s = new Socket('inet6', 'dgram');
    const lo = posix.if_nametoindex('lo');
    s.setsockopt(posix.IPPROTO_IPV6, posix.IPV6_JOIN_GROUP!, { ipv6mr_multiaddr: 'ff12::7777', ipv6mr_interface: lo });
    s.setsockopt('ipv6', 'IPV6_LEAVE_GROUP', { ipv6mr_multiaddr: 'ff12::7777', ipv6mr_interface: lo });
    assert.throws(() => s.setsockopt('ipv6', 'IPV6_LEAVE_GROUP', { ipv6mr_multiaddr: 'ff12::7777', ipv6mr_interface: lo }), { code: 'EADDRNOTAVAIL' });
    s.close();
  });
});

// ---- nixio: setopt/getopt (level, option) -------------------------------------

describe('nixio setopt/getopt: "level Level ["socket", "tcp", "ip", "ipv6"]" with the option list of each level', () => {
  // The seed's list: socket-level names, then "cork" (TCP), "nodelay" (TCP), "mtu" (IP, IPv6), "hdrincl" (IP),
  // "multicast_ttl" (IP), "multicast_loop" (IP, IPv6), "multicast_if" (IP, IPv6), "v6only" (IPv6),
  // "multicast_hops" (IPv6), "add_membership" (IP, IPv6), "drop_membership" (IP, IPv6).
  const socketLevel = ['keepalive', 'reuseaddr', 'sndbuf', 'rcvbuf', 'priority', 'broadcast', 'linger', 'sndtimeo', 'rcvtimeo', 'dontroute', 'bindtodevice', 'error', 'oobinline'];
  const byLevel: Record<'tcp' | 'ip' | 'ipv6', string[]> = {
    tcp: ['cork', 'nodelay'],
    ip: ['mtu', 'hdrincl', 'multicast_ttl', 'multicast_loop', 'multicast_if', 'add_membership', 'drop_membership'],
    ipv6: ['mtu', 'multicast_loop', 'multicast_if', 'v6only', 'multicast_hops', 'add_membership', 'drop_membership'],
  };
  const writeOnly = new Set(['add_membership', 'drop_membership']);

  test('every option of the list is read at its own level (mtu needs a connected socket)', T, (t) => {
    const sockets = { socket: new Socket('inet', 'dgram'), tcp: new Socket('inet', 'stream'), ip: new Socket('inet', 'dgram'), ipv6: hasIPv6 ? new Socket('inet6', 'dgram') : null };
    for (const name of socketLevel) assert.doesNotThrow(() => sockets.socket.getsockopt('socket', name), name);
    for (const [level, names] of Object.entries(byLevel) as ['tcp' | 'ip' | 'ipv6', string[]][]) {
      const s = sockets[level];
      if (!s) { t.diagnostic(`${level} skipped: no IPv6`); continue; }
      for (const name of names) {
        if (writeOnly.has(name)) assert.throws(() => s.getsockopt(level, name), { code: 'ERR_INVALID_ARG_VALUE' }, `${level} ${name} is write-only`);
        else if (name === 'mtu') assert.throws(() => s.getsockopt(level, name), { code: 'ENOTCONN' });
        else assert.doesNotThrow(() => s.getsockopt(level, name), `${level} ${name}`);
      }
    }
    Object.values(sockets).forEach((s) => s?.close());
  });

  test('flags take booleans, or nixio\'s integers 0 and 1; other values are refused', T, () => {
    const s = new Socket('inet', 'stream');
    s.setsockopt('socket', 'keepalive', 1);
    assert.equal(s.getsockopt('socket', 'keepalive'), true);
    s.setsockopt('tcp', 'nodelay', true);
    s.setsockopt('tcp', 'cork', 0);
    assert.equal(s.getsockopt('tcp', 'cork'), false);
    for (const v of [2, -1, NaN, 0.5, '1', null]) assert.throws(() => s.setsockopt('tcp', 'nodelay', v as number), { name: 'TypeError' }, String(v));
    s.close();
  });

  test('a name is only found at its own level', T, () => {
    const s = new Socket('inet', 'stream');
    for (const [level, name] of [['tcp', 'keepalive'], ['socket', 'nodelay'], ['ip', 'v6only'], ['ipv6', 'nodelay'], ['ip', 'cork'], ['socket', 'tcp-nodelay'], ['tcp', 'ip-ttl']] as const) {
      assert.throws(() => s.setsockopt(level, name, true), { code: 'ERR_INVALID_ARG_VALUE' }, `${level} ${name}`);
      assert.throws(() => s.getsockopt(level, name), { code: 'ERR_INVALID_ARG_VALUE' }, `${level} ${name}`);
    }
    assert.equal(s.getsockopt('socket', 'SO_DEBUG'), 0, 'nothing reached the kernel');
    s.close();
  });
});
