// toWebStreams(): a byte ReadableStream (default and BYOB readers) and a
// WritableStream over a stream socket, against real node:net peers: data
// both ways, half-close on close(), abort closing, cancel ending a pending
// read, backpressure both ways measured in bytes (the socket's own counts,
// not time), and the calls refused at once on sockets without streams.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { Socket, connect, listen, listenUnix } from '../src/index.ts';
import { fdCount, sleep, tmpPath } from './helpers.ts';

const T = { timeout: 60_000 };
const CHUNK = 64 * 1024;

/** A node:net server on loopback and a berkeley connection to it, with the server's side of it. */
async function pairWithNode(): Promise<{ sock: Socket; peer: net.Socket; close: () => void }> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const sock = await connect('127.0.0.1', (server.address() as net.AddressInfo).port);
  const peer = await accepted;
  return { sock, peer, close: () => { peer.destroy(); sock.close(); server.close(); } };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('readable', () => {
  test('a default reader gets every byte a node:net peer sends, then the end', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    peer.end(data);
    const parts: Uint8Array[] = [];
    for await (const chunk of sock.toWebStreams().readable) {
      assert.ok(chunk instanceof Uint8Array);
      assert.ok(chunk.byteLength > 0 && chunk.byteLength <= CHUNK);
      parts.push(chunk);
    }
    assert.equal(sha(Buffer.concat(parts)), sha(data));
    close();
  });

  test('a BYOB reader receives into its own buffer, at most its size per read', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    const data = randomBytes(100_000);
    peer.end(data);
    const reader = sock.toWebStreams().readable.getReader({ mode: 'byob' });
    const got: Buffer[] = [];
    let buf = new Uint8Array(1000);
    for (;;) {
      const { value, done } = await reader.read(buf);
      if (done) break;
      assert.ok(value.byteLength > 0 && value.byteLength <= 1000);
      assert.equal(value.buffer.byteLength, 1000, 'the same memory, transferred back: nothing was copied into a new buffer');
      got.push(Buffer.from(value));
      buf = new Uint8Array(value.buffer);
    }
    assert.equal(sha(Buffer.concat(got)), sha(data));
    close();
  });

  test('nothing is read before a reader asks; a slow reader holds at most one chunk beyond what it consumed', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    const total = 8 * 1024 * 1024;
    // The peer writes as fast as the kernel takes it.
    let written = 0;
    const pump = (): void => {
      while (written < total) {
        written += CHUNK;
        if (!peer.write(Buffer.alloc(CHUNK, written & 0xff))) { peer.once('drain', pump); return; }
      }
      peer.end();
    };
    pump();
    const { readable } = sock.toWebStreams();
    await sleep(200);
    assert.equal(sock.stats().received, 0, 'no read without a reader');
    const reader = readable.getReader();
    let consumed = 0;
    let maxAhead = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      consumed += value.byteLength;
      maxAhead = Math.max(maxAhead, sock.stats().received - consumed);
      if (consumed < 512 * 1024) await sleep(5); // slow, for the first part
    }
    assert.equal(consumed, total);
    assert.equal(maxAhead, 0, 'every byte received was handed to the reader: no read-ahead into memory');
    close();
  });

  test('cancel ends a read that is waiting, shuts the receiving half, and leaves the socket open', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    const { readable, writable } = sock.toWebStreams();
    const reader = readable.getReader();
    const pending = reader.read();
    await sleep(50);
    await reader.cancel('done');
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(sock.closed, false);
    // The sending half still works.
    const w = writable.getWriter();
    const heard = new Promise<string>((r) => peer.once('data', (d) => r(d.toString())));
    await w.write(new TextEncoder().encode('still here'));
    assert.equal(await heard, 'still here');
    close();
  });

  test('a reset from the peer errors the stream with ECONNRESET', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    const reader = sock.toWebStreams().readable.getReader();
    peer.resetAndDestroy();
    await assert.rejects(reader.read(), { name: 'SocketError', code: 'ECONNRESET' });
    close();
  });
});

describe('writable', () => {
  test('chunks arrive in order at a node:net peer; close() shuts the sending half and the socket still reads', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    const received: Buffer[] = [];
    const ended = new Promise<void>((r) => { peer.on('data', (d) => received.push(d)); peer.on('end', r); });
    const { readable, writable } = sock.toWebStreams();
    const writer = writable.getWriter();
    const sent: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const chunk = randomBytes(1 + i * 997);
      sent.push(chunk);
      await writer.write(chunk);
    }
    await writer.close();
    await ended;
    assert.equal(sha(Buffer.concat(received)), sha(Buffer.concat(sent)));
    assert.equal(sock.closed, false);
    peer.end('reply after your end');
    const parts: Uint8Array[] = [];
    for await (const c of readable) parts.push(c);
    assert.equal(Buffer.concat(parts).toString(), 'reply after your end');
    close();
  });

  test('a peer that does not read stalls the writer: at most two chunks wait in memory, and all arrive once it reads', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    peer.pause();
    const writer = sock.toWebStreams().writable.getWriter();
    const chunk = Buffer.alloc(CHUNK, 7);
    let handed = 0;
    let stalled = false;
    const writes: Promise<void>[] = [];
    while (!stalled && handed < 256 * 1024 * 1024) {
      // writer.ready is the stream's backpressure signal; a writer that honours it never queues much.
      stalled = await Promise.race([writer.ready.then(() => false), sleep(1000).then(() => true)]);
      if (stalled) break;
      writes.push(writer.write(chunk));
      handed += CHUNK;
    }
    assert.ok(stalled, 'the writer stalled with the peer not reading');
    assert.ok(writer.desiredSize! <= 0);
    const waiting = handed - sock.stats().sent;
    assert.ok(waiting <= 2 * CHUNK, `${waiting} bytes handed to the stream but not to the kernel`);
    let got = 0;
    peer.on('data', (d) => { got += d.length; });
    peer.resume();
    await Promise.all(writes);
    await writer.close();
    await new Promise<void>((r) => peer.once('end', r));
    assert.equal(got, handed);
    close();
  });

  test('abort() closes the socket; the peer reads the end', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    const ended = new Promise<void>((r) => peer.on('end', r).resume());
    await sock.toWebStreams().writable.abort(new Error('stop'));
    assert.equal(sock.closed, true);
    await ended;
    close();
  });

  test('strings and bad chunks: a string is sent as UTF-8, a number errors the stream with a TypeError', T, async () => {
    const { sock, peer, close } = await pairWithNode();
    const heard = new Promise<string>((r) => peer.once('data', (d) => r(d.toString())));
    const writer = (sock.toWebStreams().writable as WritableStream<unknown>).getWriter();
    await writer.write('héllo');
    assert.equal(await heard, 'héllo');
    await assert.rejects(writer.write(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    close();
  });
});

test('Unix stream sockets have streams too', T, async () => {
  const path = tmpPath('ws');
  const server = listenUnix(path);
  const client = new Socket('unix', 'stream');
  await client.connect(path);
  const conn = await server.accept();
  const a = client.toWebStreams();
  const b = conn.toWebStreams();
  const w = a.writable.getWriter();
  await w.write(new TextEncoder().encode('over unix'));
  await w.close();
  const parts: Uint8Array[] = [];
  for await (const c of b.readable) parts.push(c);
  assert.equal(Buffer.concat(parts).toString(), 'over unix');
  for (const s of [server, client, conn]) s.close();
});

test('sockets without byte streams are refused at the call, leaving no fd', T, () => {
  const before = fdCount();
  const listening = listen('127.0.0.1', 0);
  const closed = new Socket('inet', 'stream');
  closed.close();
  const rows: [string, Socket, string, string][] = [
    ['udp', new Socket('inet', 'dgram'), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
    ['unix dgram', new Socket('unix', 'dgram'), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
    ['seqpacket', new Socket('unix', 'seqpacket'), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
    ['listening', listening, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
    ['closed', closed, 'SocketError', 'ERR_SOCKET_CLOSED'],
  ];
  for (const [what, s, name, code] of rows) {
    assert.throws(() => s.toWebStreams(), { name, code }, what);
    s.close();
  }
  assert.equal(fdCount(), before);
});
