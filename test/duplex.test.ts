// toDuplex(): node:stream's own machinery over a socket (pipeline,
// finished, Readable.from, async iteration), a 10 MB pipeline over a Unix
// socketpair carrying an fd every so often with each received fd checked
// by inode, unclaimed fds closed, backpressure counted in bytes, end() as
// a half close a node:net peer sees, destroy() and errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { Readable, Writable, finished, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { Socket, SocketError, connect, listen } from '../src/index.ts';
import { fdCount, sleep, tmpPath } from './helpers.ts';

const T = { timeout: 60_000 };
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Waits until `s` has received `n` bytes in all, then for the event loop to turn once (the Duplex's handling of that read is done). */
async function received(s: Socket, n: number): Promise<void> {
  while (s.stats().received < n) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

async function collect(d: Duplex): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of d) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('toDuplex', () => {
  test('a 10 MB pipeline over a Unix socketpair with an fd every 40th chunk: bytes, fds by inode, the fd count back to the start', T, async () => {
    const before = fdCount();
    const files = Array.from({ length: 8 }, (_, i) => {
      const path = tmpPath(`fd-${i}`);
      writeFileSync(path, `file ${i}`);
      return openSync(path, 'r');
    });
    const sentInodes: string[] = [];
    const data = randomBytes(10 * 1024 * 1024);
    const CHUNK = 32 * 1024;
    async function* source(): AsyncGenerator<Buffer | { data: Buffer; fds: number[] }> {
      for (let off = 0, i = 0; off < data.length; off += CHUNK, i++) {
        const chunk = data.subarray(off, off + CHUNK);
        if (i % 40 === 0) {
          const fd = files[(i / 40) % files.length];
          const st = fstatSync(fd);
          sentInodes.push(`${st.dev}:${st.ino}`);
          yield { data: chunk, fds: [fd] };
        } else yield chunk;
      }
    }
    const [a, b] = Socket.pair('stream');
    const out = a.toDuplex();
    // Not half open: once the end is read, this side ends too (an async iterator destroys a Duplex left writable).
    const inp = b.toDuplex({ allowHalfOpen: false });
    const gotInodes: string[] = [];
    inp.on('fds', (fds: number[]) => {
      for (const fd of fds) {
        const st = fstatSync(fd);
        gotInodes.push(`${st.dev}:${st.ino}`);
        closeSync(fd);
      }
    });
    const [, received] = await Promise.all([pipeline(Readable.from(source()), out), collect(inp)]);
    assert.equal(received.length, data.length);
    assert.equal(sha(received), sha(data));
    assert.equal(sentInodes.length, Math.ceil(data.length / CHUNK / 40));
    assert.deepEqual(gotInodes, sentInodes, 'each fd arrived, in order, as the same file');
    for (const fd of files) closeSync(fd);
    await promisify(finished)(inp);
    assert.equal(a.closed && b.closed, false, 'ending both ways leaves the sockets to their owner');
    a.close();
    b.close();
    assert.equal(fdCount(), before);
  });

  test("fds that no 'fds' listener takes are closed, never leaked", T, async () => {
    const before = fdCount();
    const [a, b] = Socket.pair('stream');
    const out = a.toDuplex();
    const inp = b.toDuplex({ allowHalfOpen: false });
    const file = openSync('/dev/null', 'r');
    for (let i = 0; i < 20; i++) out.write({ data: `chunk ${i};`, fds: [file, file] });
    out.end();
    const text = (await collect(inp)).toString();
    assert.equal(text, Array.from({ length: 20 }, (_, i) => `chunk ${i};`).join(''));
    closeSync(file);
    a.close();
    b.close();
    assert.equal(fdCount(), before);
  });

  test("the fds of a write are the caller's once write() returns: closing one and reusing its number changes nothing the peer gets", T, async () => {
    const before = fdCount();
    const secretPath = tmpPath('dup-secret');
    const otherPath = tmpPath('dup-other');
    writeFileSync(secretPath, 'the file that was written');
    writeFileSync(otherPath, 'a file opened after write() returned');
    const [a, b] = Socket.pair('stream');
    const out = a.toDuplex({ highWaterMark: 8 << 20 });
    const inp = b.toDuplex({ allowHalfOpen: false });
    const got: string[] = [];
    inp.on('fds', (fds: number[]) => {
      for (const fd of fds) {
        got.push(readFileSync(fd, 'utf8'));
        closeSync(fd);
      }
    });
    out.write(Buffer.alloc(4 << 20)); // more than the socket buffer holds: the next chunk waits in the stream
    const fd = openSync(secretPath, 'r');
    const written = new Promise<Error | null | undefined>((r) => out.write({ data: 'here', fds: [fd] }, r));
    closeSync(fd);
    const reused = openSync(otherPath, 'r');
    assert.equal(reused, fd, 'the number was reused');
    out.end();
    const received = await collect(inp);
    assert.equal(await written, null);
    assert.equal(received.length, (4 << 20) + 4);
    assert.deepEqual(got, ['the file that was written']);
    closeSync(reused);
    a.close();
    b.close();
    assert.equal(fdCount(), before, "the stream's duplicates were closed once sent");
  });

  test('destroy() with fd chunks waiting and one in flight closes every duplicate; a closed fd fails its write with EBADF, as sendmsg did', T, async () => {
    const before = fdCount();
    const [a, b] = Socket.pair('stream');
    const out = a.toDuplex({ highWaterMark: 8 << 20 });
    out.on('error', () => {});
    const file = openSync('/dev/null', 'r');
    out.write(Buffer.alloc(4 << 20));
    for (let i = 0; i < 10; i++) out.write({ data: `chunk ${i}`, fds: [file, file] });
    closeSync(file);
    out.destroy();
    await promisify(finished)(out).catch(() => {});
    b.close();
    assert.equal(fdCount(), before, 'no duplicate left open');

    const [c, d] = Socket.pair('stream');
    const e = c.toDuplex();
    e.on('error', () => {});
    const gone = openSync('/dev/null', 'r');
    closeSync(gone);
    const err = await new Promise<Error | null | undefined>((r) => e.write({ data: 'x', fds: [gone] }, r));
    assert.ok(err instanceof SocketError);
    assert.equal((err as SocketError).code, 'EBADF');
    e.destroy();
    d.close();
    assert.equal(fdCount(), before);
  });

  // The Duplex reads ahead of its consumer: 'AAAA' waits in its buffer when the chunk with the fd arrives.
  for (const style of ['for await', "'readable' and read() until null", "once('readable') and one read()", "'data'"] as const) {
    test(`'fds' comes after the bytes read before the chunk that carried them, consumed with ${style}`, T, async () => {
      const before = fdCount();
      const [a, b] = Socket.pair('stream');
      const inp = b.toDuplex();
      const events: string[] = [];
      inp.on('fds', (fds: number[]) => {
        for (const fd of fds) {
          events.push(`fds ${readFileSync(fd, 'utf8')}`);
          closeSync(fd);
        }
      });
      await a.sendAll('AAAA');
      inp.read(0);
      await received(b, 4);
      assert.equal(inp.readableLength, 4, 'read ahead, not consumed');
      const path = tmpPath('fds-order');
      writeFileSync(path, 'the file');
      const fd = openSync(path, 'r');
      await a.sendMsg({ data: 'BBBB', fds: [fd] });
      closeSync(fd);
      await received(b, 8);
      await a.sendAll('CCCC');
      a.shutdown('send');
      const data = (c: Buffer): void => { events.push(`data ${c}`); };
      const ended = new Promise((r) => inp.once('end', r));
      if (style === 'for await') for await (const c of inp) data(c as Buffer);
      else if (style === "'data'") inp.on('data', data);
      else if (style === "'readable' and read() until null") inp.on('readable', () => { for (let c; (c = inp.read()) !== null;) data(c); });
      else {
        // read() empties the buffer; the next 'readable' must come even though the chunk after is held.
        for (let done = false; !done;) {
          done = await Promise.race([once(inp, 'readable').then(() => false), ended.then(() => true)]);
          const c = inp.read();
          if (c !== null) data(c);
        }
      }
      await ended;
      assert.deepEqual(events.slice(0, 2), ['data AAAA', 'fds the file'], events.join(' | '));
      assert.equal(events.slice(2).map((e) => e.slice(5)).join(''), 'BBBBCCCC');
      a.close();
      b.close();
      assert.equal(fdCount(), before);
    });
  }

  test("'fds' waits for a for-await body still busy with the chunk before (read() not yet called again)", T, async () => {
    const before = fdCount();
    const [a, b] = Socket.pair('stream');
    const inp = b.toDuplex();
    const events: string[] = [];
    inp.on('fds', (fds: number[]) => {
      events.push('fds');
      for (const fd of fds) closeSync(fd);
    });
    await a.sendAll('AAAA');
    for await (const c of inp) {
      if (String(c) === 'AAAA') {
        // While this body works on AAAA, the next chunk, with an fd, reaches the Duplex.
        await a.sendMsg({ data: 'BBBB', fds: [0] });
        await received(b, 8);
        a.shutdown('send');
      }
      events.push(`data ${c}`);
    }
    assert.deepEqual(events, ['data AAAA', 'fds', 'data BBBB']);
    a.close();
    b.close();
    assert.equal(fdCount(), before);
  });

  test('end() shuts the sending half: a node:net peer reads the end and still answers; finished() resolves', T, async () => {
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const peer = new Promise<net.Socket>((r) => server.once('connection', r));
    const sock = await connect('127.0.0.1', (server.address() as net.AddressInfo).port);
    const d = sock.toDuplex();
    const p = await peer;
    const heard: Buffer[] = [];
    p.on('data', (c) => heard.push(c));
    p.on('end', () => p.end('reply after your end'));
    d.end('request');
    const reply = await collect(d);
    assert.equal(Buffer.concat(heard).toString(), 'request');
    assert.equal(reply.toString(), 'reply after your end');
    await promisify(finished)(d);
    sock.close();
    server.close();
  });

  test('allowHalfOpen false ends the writable side when the peer ends', T, async () => {
    const [a, b] = Socket.pair('stream');
    const d = b.toDuplex({ allowHalfOpen: false });
    let finishedWriting = false;
    d.on('finish', () => { finishedWriting = true; });
    a.shutdown('send');
    await collect(d);
    await new Promise((r) => setImmediate(r));
    assert.equal(finishedWriting, true);
    assert.equal((await a.recv()).length, 0, 'the peer reads the end');
    a.close();
    b.close();
  });

  test('backpressure: write() returns false past highWaterMark, and the bytes waiting stay bounded while the peer does not read', T, async () => {
    const [a, b] = Socket.pair('stream');
    const d = a.toDuplex({ highWaterMark: 64 * 1024 });
    const chunk = Buffer.alloc(16 * 1024, 1);
    let handed = 0;
    let writesRefused = 0;
    // Write as a well-behaved producer does until the kernel's buffer is full and 'drain' stops coming.
    for (let stalled = false; !stalled;) {
      while (d.write(chunk)) handed += chunk.length;
      handed += chunk.length;
      writesRefused++;
      stalled = await Promise.race([new Promise((r) => d.once('drain', r)).then(() => false), sleep(500).then(() => true)]);
    }
    assert.ok(writesRefused > 1, 'write() returned false before the kernel was full too');
    const waiting = handed - a.stats().sent;
    assert.ok(waiting > 0 && waiting <= 64 * 1024 + chunk.length, `${waiting} bytes wait in the stream`);
    const drained = new Promise((r) => d.once('drain', r));
    const reader = b.toDuplex({ allowHalfOpen: false });
    let got = 0;
    reader.on('data', (c: Buffer) => { got += c.length; });
    await drained;
    d.end();
    await promisify(finished)(reader);
    assert.equal(got, handed);
    a.close();
    b.close();
  });

  test('destroy() closes the socket; the peer reads the end; writing after end is ERR_STREAM_WRITE_AFTER_END', T, async () => {
    const [a, b] = Socket.pair('stream');
    const d = a.toDuplex();
    d.destroy();
    await promisify(finished)(d).catch(() => {});
    assert.equal(a.closed, true);
    assert.equal((await b.recv()).length, 0);
    const e = b.toDuplex();
    e.on('error', () => {}); // node:stream also emits the write-after-end error
    e.end();
    const err = await new Promise<Error>((r) => e.write('late', (er) => r(er!)));
    assert.equal((err as Error & { code: string }).code, 'ERR_STREAM_WRITE_AFTER_END');
    b.close();
  });

  test('a reset from a TCP peer fails the stream with ECONNRESET; fds on TCP fail it with a TypeError', T, async () => {
    const server = listen('127.0.0.1', 0);
    const client = net.connect(server.localAddress().port, '127.0.0.1');
    const conn = await server.accept();
    await new Promise((r) => client.once('connect', r));
    const d = conn.toDuplex();
    const failed = new Promise<Error>((r) => d.once('error', r));
    d.resume();
    client.resetAndDestroy();
    assert.equal((await failed as Error & { code: string }).code, 'ECONNRESET');
    const other = await connect('127.0.0.1', server.localAddress().port);
    const t = other.toDuplex();
    const typeErr = new Promise<Error>((r) => t.once('error', r));
    t.write({ data: 'x', fds: [0] });
    assert.equal((await typeErr).name, 'TypeError');
    for (const s of [server, conn, other]) s.close();
  });

  test('bad chunks and sockets without a byte stream are refused at the call', T, () => {
    const [a, b] = Socket.pair('stream');
    const d = a.toDuplex();
    d.on('error', () => {});
    assert.throws(() => d.write({ data: '', fds: [0] }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => d.write({ data: 'x', fds: [-1] }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => d.write({ data: 42 } as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => d.write({ data: 'x', fds: 3 } as never), { code: 'ERR_INVALID_ARG_TYPE' });
    const [u] = Socket.pair('dgram');
    assert.throws(() => u.toDuplex(), { code: 'ERR_INVALID_ARG_VALUE' });
    u.close();
    const l = listen('127.0.0.1', 0);
    assert.throws(() => l.toDuplex(), { code: 'ERR_INVALID_ARG_VALUE' });
    l.close();
    b.close();
    assert.throws(() => b.toDuplex(), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.toDuplex(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    a.close();
  });

  test('Readable.from into a Duplex, and a Writable fed from it', T, async () => {
    const [a, b] = Socket.pair('stream');
    const got: string[] = [];
    await Promise.all([
      pipeline(Readable.from(['one ', 'two ', 'three']), a.toDuplex()),
      pipeline(b.toDuplex(), new Writable({ write(c: Buffer, _e, cb) { got.push(c.toString()); cb(); } })),
    ]);
    assert.equal(got.join(''), 'one two three');
    a.close();
    b.close();
  });
});
