// The user-space input buffers: InputBuffer and PatternReader
// (src/io/reader.ts: receive()'s chunks and patterns), and read-ahead
// datagrams (src/io/readahead.ts, Handle.nextAhead). The fds carried by
// read-ahead messages are real sockets from socketpair(2), so closing and
// duplicating them is checked against the kernel.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { InputBuffer, parsePattern, PatternReader } from '../src/io/reader.ts';
import { aheadData, aheadInto, aheadMessage, fromQueue, ReadAhead } from '../src/io/readahead.ts';
import { Handle } from '../src/io/handle.ts';
import type { ReceivedMessage } from '../src/codec/message.ts';
import { AF_UNIX, MSG_CTRUNC, MSG_DONTWAIT, MSG_ERRQUEUE, MSG_OOB, MSG_PEEK, MSG_TRUNC, SOCK_STREAM } from '../src/sys/constants.ts';
import * as posix from '../src/posix.ts';
import { kState } from '../src/socket/state.ts';
import { Socket } from '../src/index.ts';

const T = { timeout: 10_000 };
const B = (s: string): Buffer => Buffer.from(s);
const str = (b: Uint8Array | null): string | null => b === null ? null : Buffer.from(b).toString();

/** Whether `view` shares memory with `chunk` (a view, not a copy). */
const sharesMemory = (view: Buffer, chunk: Buffer): boolean => view.buffer === chunk.buffer && view.byteOffset >= chunk.byteOffset && view.byteOffset < chunk.byteOffset + chunk.length;

function bufferOf(...chunks: string[]): InputBuffer {
  const ib = new InputBuffer();
  for (const c of chunks) ib.push(B(c));
  return ib;
}

describe('InputBuffer', () => {
  test('push counts bytes; empty chunks are ignored', T, () => {
    const ib = new InputBuffer();
    assert.equal(ib.length, 0);
    assert.equal(ib.peekChunk(), null);
    ib.push(Buffer.alloc(0));
    assert.equal(ib.length, 0);
    assert.equal(ib.peekChunk(), null);
    ib.push(B('ab'));
    ib.push(Buffer.alloc(0));
    ib.push(B('cd'));
    assert.equal(ib.length, 4);
    // After the first chunk, the next non-empty one: no empty chunk was queued in between.
    ib.skip(2);
    assert.equal(str(ib.peekChunk()), 'cd');
    assert.equal(ib.length, 2);
  });

  test('take within the first chunk returns views of it, not copies', T, () => {
    const chunk = B('hello world');
    const ib = new InputBuffer();
    ib.push(chunk);
    const a = ib.take(5);
    assert.equal(a.toString(), 'hello');
    assert.ok(sharesMemory(a, chunk), 'take(5) of an 11-byte chunk is a view');
    assert.equal(ib.length, 6);
    const rest = ib.take(100);
    assert.equal(rest.toString(), ' world');
    assert.ok(sharesMemory(rest, chunk), 'the rest of a chunk is a view too');
    chunk[6] = 0x57; // 'W'
    assert.equal(rest.toString(), ' World');
    assert.equal(ib.length, 0);
    // A whole chunk taken at its exact length is the chunk itself.
    const c2 = B('xyz');
    ib.push(c2);
    ib.push(B('next'));
    const whole = ib.take(3);
    assert.ok(sharesMemory(whole, c2) && whole.length === 3);
    assert.equal(ib.length, 4);
  });

  test('take across chunk boundaries joins them, clamped to what is there', T, () => {
    const ib = bufferOf('abc', 'def', 'gh');
    assert.equal(ib.take(5).toString(), 'abcde');
    assert.equal(ib.length, 3);
    assert.equal(str(ib.peekChunk()), 'f');
    assert.equal(ib.take(10).toString(), 'fgh');
    assert.equal(ib.length, 0);
    assert.equal(ib.take(10).length, 0);
    // Starting mid-chunk.
    const ib2 = bufferOf('abc', 'de', 'fgh');
    assert.equal(ib2.take(2).toString(), 'ab');
    assert.equal(ib2.take(4).toString(), 'cdef');
    assert.equal(ib2.length, 2);
    assert.equal(ib2.take(2).toString(), 'gh');
    // All of several chunks at once.
    const ib3 = bufferOf('a', 'b', 'c', 'd');
    assert.equal(ib3.take(4).toString(), 'abcd');
    assert.equal(ib3.length, 0);
    assert.equal(ib3.peekChunk(), null);
  });

  test('take(0) and negative counts take nothing', T, () => {
    const ib = bufferOf('abc');
    assert.equal(ib.take(0).length, 0);
    assert.equal(ib.take(-5).length, 0);
    assert.equal(ib.length, 3);
    assert.equal(ib.take(3).toString(), 'abc');
  });

  test('takeInto copies across chunks and removes what it copied', T, () => {
    const ib = bufferOf('ab', 'cdef', 'g');
    const t = new Uint8Array(4);
    assert.equal(ib.takeInto(t), 4);
    assert.equal(str(t), 'abcd');
    assert.equal(ib.length, 3);
    t.fill(0x2e);
    assert.equal(str(ib.peekChunk()), 'ef', 'a copy: writing the target changes nothing queued');
    const big = new Uint8Array(10);
    assert.equal(ib.takeInto(big), 3);
    assert.equal(str(big.subarray(0, 3)), 'efg');
    assert.equal(ib.length, 0);
    assert.equal(ib.takeInto(big), 0);
    const ib2 = bufferOf('xyz');
    assert.equal(ib2.takeInto(new Uint8Array(0)), 0);
    assert.equal(ib2.length, 3);
  });

  test('takeLine: a whole line inside the first chunk, without LF and CRs; null when it is not there', T, () => {
    const chunk = B('GET / HTTP/1.0\nHost: x\r\n\nrest');
    const ib = new InputBuffer();
    ib.push(chunk);
    const l1 = ib.takeLine()!;
    assert.equal(l1.toString(), 'GET / HTTP/1.0');
    assert.ok(sharesMemory(l1, chunk), 'a line without CR is a view');
    assert.equal(ib.takeLine()!.toString(), 'Host: x');
    assert.equal(ib.takeLine()!.toString(), '', 'an empty line');
    assert.equal(ib.takeLine(), null, "'rest' has no LF");
    assert.equal(ib.length, 4);
    // Every CR goes, not just the one before LF.
    const ib2 = bufferOf('a\rb\r\r\n');
    assert.equal(ib2.takeLine()!.toString(), 'ab');
    assert.equal(ib2.length, 0);
    // A line split over chunks is not the fast path's: null, nothing taken.
    const ib3 = bufferOf('hel', 'lo\n');
    assert.equal(ib3.takeLine(), null);
    assert.equal(ib3.length, 6);
    assert.equal(new InputBuffer().takeLine(), null);
  });

  test('peekChunk and skip walk the first chunk without copying', T, () => {
    const chunk = B('abcdef');
    const ib = new InputBuffer();
    ib.push(chunk);
    ib.push(B('gh'));
    const p = ib.peekChunk()!;
    assert.equal(p.toString(), 'abcdef');
    assert.ok(sharesMemory(p, chunk));
    assert.equal(ib.length, 8, 'peek removes nothing');
    ib.skip(2);
    assert.equal(str(ib.peekChunk()), 'cdef');
    assert.equal(ib.length, 6);
    ib.skip(4);
    assert.equal(str(ib.peekChunk()), 'gh');
    assert.equal(ib.length, 2);
    ib.skip(2);
    assert.equal(ib.peekChunk(), null);
    assert.equal(ib.length, 0);
  });
});

describe('parsePattern', () => {
  test('the pattern table', T, () => {
    const ok: [unknown, unknown][] = [[undefined, 'line'], ['line', 'line'], ['*l', 'line'], ['all', 'all'], ['*a', 'all'], [0, 0], [1, 1], [65536, 65536]];
    for (const [p, want] of ok) assert.equal(parsePattern(p), want, String(p));
    for (const p of [-1, 1.5, NaN, Infinity, -Infinity]) assert.throws(() => parsePattern(p), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, String(p));
    for (const p of ['', 'LINE', '*L', '*A', 'lines', '10', '*n']) assert.throws(() => parsePattern(p), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, p);
    for (const p of [null, true, {}, [], 10n]) assert.throws(() => parsePattern(p), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }, String(p));
  });
});

describe('PatternReader', () => {
  test("'line' across chunks: done at the LF, CRs stripped, the rest left in the buffer", T, () => {
    const ib = new InputBuffer();
    const r = new PatternReader('line', undefined);
    ib.push(B('he'));
    assert.equal(r.consume(ib), false);
    assert.equal(ib.length, 0, 'an incomplete line is moved out of the buffer');
    ib.push(B('l\rlo\r'));
    assert.equal(r.consume(ib), false);
    ib.push(B('\nworld\n'));
    assert.equal(r.consume(ib), true);
    assert.equal(r.result().toString(), 'hello');
    assert.equal(ib.length, 6);
    // Once done it takes nothing more.
    assert.equal(r.consume(ib), true);
    assert.equal(ib.length, 6);
    const r2 = new PatternReader('line', 'pre:');
    assert.equal(r2.consume(ib), true);
    assert.equal(r2.result().toString(), 'pre:world');
    assert.equal(ib.length, 0);
    assert.equal(r.readSize, 65536);
  });

  test("'all' takes everything but completes only at the end of the stream", T, () => {
    const ib = bufferOf('abc', 'def');
    const r = new PatternReader('all', undefined);
    assert.equal(r.consume(ib), false);
    assert.equal(ib.length, 0);
    ib.push(B('gh\n'));
    assert.equal(r.consume(ib), false);
    assert.equal(r.endOfStream(), true);
    assert.equal(r.result().toString(), 'abcdefgh\n');
    assert.equal(r.consume(ib), true, 'done after the end of stream');
    // Nothing read: the end of stream does not complete it (the caller reports EOF).
    assert.equal(new PatternReader('all', undefined).endOfStream(), false);
    // Other patterns are never completed by the end of stream.
    const n = new PatternReader(5, undefined);
    n.consume(bufferOf('ab'));
    assert.equal(n.endOfStream(), false);
    assert.equal(new PatternReader('line', undefined).endOfStream(), false);
  });

  test('a byte count across chunks takes exactly that many; readSize asks for what is missing', T, () => {
    const ib = new InputBuffer();
    const r = new PatternReader(5, 'x');
    assert.equal(r.readSize, 4, 'the prefix counts');
    ib.push(B('ab'));
    assert.equal(r.consume(ib), false);
    assert.equal(r.readSize, 2);
    ib.push(B('cdefg'));
    assert.equal(r.consume(ib), true);
    assert.equal(r.result().toString(), 'xabcd');
    assert.equal(str(ib.peekChunk()), 'efg');
    assert.equal(ib.length, 3);
    assert.equal(r.consume(ib), true);
    assert.equal(ib.length, 3, 'nothing more taken once done');
    // Bounds of readSize: at least 1, at most 1 MiB.
    assert.equal(new PatternReader(10 << 20, undefined).readSize, 1 << 20);
    assert.equal(new PatternReader(3, 'abc').readSize, 1);
  });

  test('a prefix at least as long as the count is the answer, without reading', T, () => {
    const ib = bufferOf('queued');
    const r = new PatternReader(3, 'abcd');
    assert.equal(r.satisfiedWithoutReading, true);
    assert.equal(r.consume(ib), true);
    assert.equal(ib.length, 6, 'nothing taken from the buffer');
    assert.equal(r.result().toString(), 'abcd', 'the whole prefix, not cut to the count');
    const z = new PatternReader(0, undefined);
    assert.equal(z.satisfiedWithoutReading, true);
    assert.equal(z.consume(ib), true);
    assert.equal(z.result().length, 0);
    assert.equal(new PatternReader(5, 'abcd').satisfiedWithoutReading, false);
    assert.equal(new PatternReader('line', 'abcdef').satisfiedWithoutReading, false);
    assert.equal(new PatternReader(2, new Uint8Array([1, 2])).satisfiedWithoutReading, true);
    assert.throws(() => new PatternReader(2, 5), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });
});

// ---- read-ahead ---------------------------------------------------------------------

function msg(data: string, fds: number[] = [], extra: Partial<ReceivedMessage> = {}): ReceivedMessage {
  return { data: B(data), address: null, flags: 0, fds, control: [], truncated: false, controlTruncated: false, ...extra };
}

/** Real socket fds: `n` socketpairs, both ends of each. */
function sockets(n: number): number[] {
  const fds: number[] = [];
  for (let i = 0; i < n; i++) fds.push(...posix.socketpair(AF_UNIX, SOCK_STREAM));
  return fds;
}

const isOpen = (fd: number): boolean => {
  try {
    posix.getsockname(fd);
    return true;
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'EBADF', `getsockname(${fd}): ${String(err)}`);
    return false;
  }
};
const inode = (fd: number): string => readlinkSync(`/proc/self/fd/${fd}`);
const closeAll = (fds: number[]): void => { for (const fd of fds) if (isOpen(fd)) posix.close(fd); };

describe('ReadAhead', () => {
  test('next, peek and length from the head on', T, () => {
    // The ReadAhead owns the array it is given (it drops what it hands out): keep our own copy.
    const m = [msg('zero'), msg('one'), msg('two')];
    const ra = new ReadAhead([...m], 1);
    assert.equal(ra.length, 2);
    assert.equal(ra.next(true), m[1]);
    assert.equal(ra.length, 2, 'a peek leaves it queued');
    assert.equal(ra.next(false), m[1]);
    assert.equal(ra.length, 1);
    assert.equal(ra.next(false), m[2]);
    assert.equal(ra.length, 0);
  });

  test('discard closes the fds of the datagrams nobody received, and only those', T, () => {
    const [handedOut, keptPeer, a, aPeer, b, bPeer] = sockets(3);
    const ra = new ReadAhead([msg('taken', [handedOut]), msg('x', [a]), msg('y', [b])], 1);
    assert.ok(isOpen(a) && isOpen(b));
    ra.discard();
    assert.equal(ra.length, 0);
    assert.throws(() => posix.getsockname(a), { code: 'EBADF' });
    assert.throws(() => posix.getsockname(b), { code: 'EBADF' });
    assert.equal(isOpen(handedOut), true, 'the fd of a datagram already handed out belongs to its receiver');
    closeAll([handedOut, keptPeer, aPeer, bPeer]);
  });

  test('aheadData: cut to size; a view normally, a copy when peeking', T, () => {
    const m = msg('hello');
    const cut = aheadData(m, 3, 0);
    assert.equal(cut.toString(), 'hel');
    assert.ok(sharesMemory(cut, m.data));
    assert.equal(aheadData(m, 100, 0), m.data);
    const peek = aheadData(m, 3, MSG_PEEK);
    assert.equal(peek.toString(), 'hel');
    assert.ok(!sharesMemory(peek, m.data), 'a peek returns a copy: the datagram stays queued, unchanged');
    peek[0] = 0x58;
    assert.equal(m.data.toString(), 'hello');
    assert.equal(aheadData(m, 0, 0).length, 0);
  });

  test('aheadInto: copies what fits; MSG_TRUNC reports the real length as recv(2) does', T, () => {
    const m = msg('hello');
    const small = new Uint8Array(3);
    assert.equal(aheadInto(m, small, 0), 3);
    assert.equal(str(small), 'hel');
    assert.equal(aheadInto(m, new Uint8Array(3), MSG_TRUNC), 5);
    const big = new Uint8Array(8);
    assert.equal(aheadInto(m, big, 0), 5);
    assert.equal(str(big.subarray(0, 5)), 'hello');
    assert.equal(aheadInto(m, big, MSG_TRUNC), 5);
  });

  test('aheadMessage: the message itself when it fits; cut data sets truncated and MSG_TRUNC', T, () => {
    const m = msg('hello', [], { flags: 0 });
    assert.equal(aheadMessage(m, 100, 10, 0), m);
    const c = msg('hello');
    const r = aheadMessage(c, 2, 10, 0);
    assert.equal(r.data.toString(), 'he');
    assert.equal(r.truncated, true);
    assert.ok(r.flags & MSG_TRUNC);
    assert.equal(r.controlTruncated, false);
    assert.equal(r.flags & MSG_CTRUNC, 0);
  });

  test('aheadMessage: fds beyond maxFds are closed, controlTruncated and MSG_CTRUNC set', T, () => {
    const fds = sockets(2);
    const [keep, drop1, drop2, extra] = fds;
    const m = msg('fds', [keep, drop1, drop2]);
    const r = aheadMessage(m, 100, 1, 0);
    assert.deepEqual(r.fds, [keep]);
    assert.equal(r.controlTruncated, true);
    assert.ok(r.flags & MSG_CTRUNC);
    assert.equal(r.truncated, false);
    assert.equal(isOpen(keep), true);
    assert.throws(() => posix.getsockname(drop1), { code: 'EBADF' });
    assert.throws(() => posix.getsockname(drop2), { code: 'EBADF' });
    // maxFds 0: every fd closed.
    const [x, y] = sockets(1);
    const r0 = aheadMessage(msg('none', [x]), 100, 0, 0);
    assert.deepEqual(r0.fds, []);
    assert.equal(r0.controlTruncated, true);
    assert.throws(() => posix.getsockname(x), { code: 'EBADF' });
    closeAll([keep, extra, y]);
  });

  test('aheadMessage with MSG_PEEK: a copy with copied data and dup\'d fds; the queued message is untouched', T, () => {
    const fds = sockets(2);
    const [f1, f2, f3, f4] = fds;
    const m = msg('peekaboo', [f1, f2, f3]);
    const p = aheadMessage(m, 4, 2, MSG_PEEK);
    assert.notEqual(p, m);
    assert.equal(p.data.toString(), 'peek');
    assert.ok(!sharesMemory(p.data, m.data));
    assert.equal(p.truncated, true);
    assert.ok(p.flags & MSG_TRUNC);
    assert.equal(p.controlTruncated, true, 'maxFds 2 of 3');
    assert.ok(p.flags & MSG_CTRUNC);
    assert.equal(p.fds.length, 2);
    for (const [i, d] of p.fds.entries()) {
      assert.ok(!fds.includes(d), 'a new fd, not the queued one');
      assert.equal(inode(d), inode(m.fds[i]), 'a duplicate of the queued fd');
    }
    // The queued message is as it was: every fd open (a peek closes none), data and flags whole.
    assert.deepEqual(m.fds, [f1, f2, f3]);
    assert.ok([f1, f2, f3].every(isOpen));
    assert.equal(m.data.toString(), 'peekaboo');
    assert.equal(m.flags, 0);
    assert.equal(m.truncated, false);
    assert.equal(m.controlTruncated, false);
    // A peek that fits is still a copy (the caller owns the dup'd fds).
    const q = aheadMessage(m, 100, 10, MSG_PEEK);
    assert.notEqual(q, m);
    assert.equal(q.data.toString(), 'peekaboo');
    assert.equal(q.fds.length, 3);
    assert.ok(q.fds.every((d, i) => d !== m.fds[i] && inode(d) === inode(m.fds[i])));
    assert.equal(q.controlTruncated, false);
    closeAll([...p.fds, ...q.fds, f1, f2, f3, f4]);
  });

  test('fromQueue: MSG_ERRQUEUE and MSG_OOB read elsewhere', T, () => {
    assert.equal(fromQueue(0), true);
    assert.equal(fromQueue(MSG_PEEK), true);
    assert.equal(fromQueue(MSG_PEEK | MSG_DONTWAIT! | MSG_TRUNC), true);
    assert.equal(fromQueue(MSG_ERRQUEUE!), false);
    assert.equal(fromQueue(MSG_OOB), false);
    assert.equal(fromQueue(MSG_OOB | MSG_PEEK), false);
  });
});

describe('Handle.nextAhead', () => {
  test('takes read-ahead datagrams in order, peeks without removing, and forgets the queue once empty', T, () => {
    const h = new Handle();
    assert.equal(h.nextAhead(0), null);
    const m = [msg('a'), msg('b')];
    h.keepAhead(new ReadAhead([...m], 0));
    assert.equal(h.buffered(), true);
    assert.equal(h.nextAhead(MSG_PEEK), m[0]);
    assert.equal(h.nextAhead(0), m[0]);
    assert.equal(h.nextAhead(MSG_PEEK | MSG_DONTWAIT!), m[1]);
    assert.notEqual(h.ahead, null);
    assert.equal(h.nextAhead(0), m[1]);
    assert.equal(h.ahead, null);
    assert.equal(h.buffered(), false);
    assert.equal(h.nextAhead(0), null);
  });

  test('MSG_ERRQUEUE and MSG_OOB bypass the queue', T, () => {
    const h = new Handle();
    const m = [msg('a')];
    h.keepAhead(new ReadAhead([...m], 0));
    assert.equal(h.nextAhead(MSG_ERRQUEUE!), null);
    assert.equal(h.nextAhead(MSG_OOB), null);
    assert.equal(h.nextAhead(MSG_OOB | MSG_PEEK), null);
    assert.equal(h.ahead!.length, 1, 'nothing was taken');
    assert.equal(h.nextAhead(0), m[0]);
  });

  test('dropAhead closes the fds queued datagrams carried', T, () => {
    const [x, y] = sockets(1);
    const h = new Handle();
    h.keepAhead(new ReadAhead([msg('fd', [x])], 0));
    h.dropAhead();
    assert.equal(h.ahead, null);
    assert.throws(() => posix.getsockname(x), { code: 'EBADF' });
    closeAll([y]);
  });

  test('on a real socket: recv takes read-ahead first, MSG_ERRQUEUE goes to the kernel, close closes queued fds', T, async () => {
    const u = new Socket('inet', 'dgram');
    u.bind('127.0.0.1:0');
    const s = u[kState];
    const [x, y] = sockets(1);
    s.keepAhead(new ReadAhead([msg('ahead-1'), msg('ahead-2', [x])], 0));
    assert.equal((await u.recv()).toString(), 'ahead-1');
    // The error queue is not the datagram queue: the kernel has nothing there (EAGAIN, so timeout 0
    // is ETIMEDOUT). Taken from the read-ahead queue, this would have been 'ahead-2'.
    await assert.rejects(u.recv(100, { flags: MSG_ERRQUEUE!, timeout: 0 }), { code: 'ETIMEDOUT' });
    assert.throws(() => u.recvSync(100, { flags: MSG_ERRQUEUE!, timeout: 0 }), { code: 'ETIMEDOUT' });
    assert.equal(s.ahead!.length, 1);
    assert.equal(isOpen(x), true);
    // Closing drops what is left, closing its fd.
    u.close();
    assert.equal(s.ahead, null);
    assert.throws(() => posix.getsockname(x), { code: 'EBADF' });
    closeAll([y]);
  });

  test('a read-ahead datagram comes before the kernel\'s, cut to the size asked', T, async () => {
    const [a, b] = Socket.pair('dgram');
    a[kState].keepAhead(new ReadAhead([msg('from-ahead')], 0));
    b.sendSync('from-kernel');
    assert.equal((await a.recv(4)).toString(), 'from');
    assert.equal(a.recvSync(100).toString(), 'from-kernel');
    a.close(); b.close();
  });
});
