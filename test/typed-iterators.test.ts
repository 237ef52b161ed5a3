// connections() and messages(): the typed accept and receive loops, over
// real sockets, sharing iterate.ts's one loop with `for await` over a socket.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync } from 'node:fs';
import { Socket, SocketError, listen, bindUdp, type ReceivedMessage } from '../src/index.ts';
import { isCloexec, noFdLeak, sleep } from './helpers.ts';

const T = { timeout: 10_000 };

/** Collects what an async iterable yields, closing `closer` once `count` arrived. */
async function take<V>(it: AsyncIterable<V>, count: number, closer: Socket): Promise<V[]> {
  const got: V[] = [];
  for await (const v of it) {
    got.push(v);
    if (got.length === count) closer.close();
  }
  return got;
}

describe('connections()', () => {
  test('yields each accepted connection as a Socket of the same family, and ends when the socket is closed', T, async () => {
    const server = listen('127.0.0.1', 0, { family: 'inet' });
    const clients = [new Socket('inet', 'stream'), new Socket('inet', 'stream'), new Socket('inet', 'stream')];
    await Promise.all(clients.map((c) => c.connect(server.localAddress())));
    const conns = await take(server.connections(), 3, server);
    assert.equal(conns.length, 3);
    const ports = conns.map((c) => {
      assert.ok(c instanceof Socket);
      assert.equal(c.family, 'inet');
      assert.ok(isCloexec(c.fd));
      return c.remoteAddress().port;
    }).sort();
    assert.deepEqual(ports, clients.map((c) => c.localAddress().port).sort());
    // Each connection works.
    await clients[0].sendAll('hi');
    const peer = conns.find((c) => c.remoteAddress().port === clients[0].localAddress().port)!;
    assert.equal((await peer.recv()).toString(), 'hi');
    [...conns, ...clients].forEach((s) => s.close());
  });

  test('a loop started before the connections arrive waits for them; break leaves the socket listening', T, async () => {
    const server = listen('127.0.0.1', 0, { family: 'inet' });
    const client = new Socket('inet', 'stream');
    setTimeout(() => void client.connect(server.localAddress()), 30);
    let first: Socket | undefined;
    for await (const conn of server.connections()) { first = conn; break; }
    assert.ok(first);
    first.close();
    // The socket still listens: the next connection is accepted by a plain accept().
    const late = new Socket('inet', 'stream');
    await late.connect(server.localAddress());
    (await server.accept({ timeout: 2000 })).close();
    [server, client, late].forEach((s) => s.close());
  });

  test('timeout bounds each wait: ETIMEDOUT from the loop', T, async () => {
    const server = listen('127.0.0.1', 0);
    const it = server.connections({ timeout: 30 });
    await assert.rejects(async () => { for await (const c of it) c.close(); }, (err: unknown) => err instanceof SocketError && err.code === 'ETIMEDOUT');
    // After an error the loop is over.
    assert.deepEqual(await it.next(), { value: undefined, done: true });
    server.close();
  });

  test('signal ends the loop with an AbortError', T, async () => {
    const server = listen('127.0.0.1', 0);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(async () => { for await (const c of server.connections({ signal: ac.signal })) c.close(); }, { name: 'AbortError' });
    server.close();
  });

  test('on a socket that is not listening, the loop fails as accept does (EINVAL)', T, async () => {
    const s = new Socket('inet', 'stream');
    await assert.rejects(async () => { for await (const c of s.connections()) c.close(); }, { code: 'EINVAL' });
    s.close();
  });

  test('Unix seqpacket listeners yield Unix sockets', T, async () => {
    const server = new Socket('unix', 'seqpacket');
    server.bind('');               // autobind: an abstract name
    server.listen();
    const client = new Socket('unix', 'seqpacket');
    await client.connect(server.localAddress());
    const [conn] = await take(server.connections(), 1, server);
    assert.equal(conn.family, 'unix');
    await client.send('one');
    assert.equal((await conn.recv()).toString(), 'one');
    conn.close();
    client.close();
  });
});

describe('messages()', () => {
  /** A UDP receiver with datagrams 'd00', 'd01', ... queued from one sender. */
  function udpQueue(count: number): { r: Socket<'inet' | 'inet6'>; s: Socket } {
    const r = bindUdp('127.0.0.1', 0);
    r.setTimeout(2000); // a lost datagram fails the test instead of hanging it
    const s = new Socket('inet', 'dgram');
    s.bind('127.0.0.1:0');
    s.sendManySync(Array.from({ length: count }, (_, i) => ({ data: `d${String(i).padStart(2, '0')}`, address: r.localAddress() })));
    return { r, s };
  }

  test('yields one ReceivedMessage per datagram with its sender, and ends when the socket is closed', T, async () => {
    const { r, s } = udpQueue(5);
    const got = await take(r.messages(), 5, r);
    assert.deepEqual(got.map((m) => m.data.toString()), ['d00', 'd01', 'd02', 'd03', 'd04']);
    for (const m of got) {
      assert.deepEqual(m.address, s.localAddress());
      assert.equal(m.truncated, false);
    }
    s.close();
  });

  test('leaving the loop loses nothing: later receive calls take the datagrams read ahead', T, async () => {
    const { r, s } = udpQueue(6);
    const seen: string[] = [];
    for await (const m of r.messages()) { seen.push(m.data.toString()); if (seen.length === 2) break; }
    assert.deepEqual(seen, ['d00', 'd01']);
    assert.equal((await r.recvFrom()).data.toString(), 'd02');
    const rest: string[] = [];
    for await (const m of r.messages()) { rest.push(m.data.toString()); if (rest.length === 3) break; }
    assert.deepEqual(rest, ['d03', 'd04', 'd05']);
    r.close();
    s.close();
  });

  test('size cuts each datagram as recvMsg does, read-ahead ones too', T, async () => {
    const { r, s } = udpQueue(4);
    // A plain loop reads a batch ahead...
    for await (const m of r.messages()) { assert.equal(m.data.toString(), 'd00'); break; }
    // ...and a loop with a size cuts the datagrams it takes from there, as recvMsg({ size }) would.
    const got: ReceivedMessage[] = [];
    for await (const m of r.messages({ size: 2 })) { got.push(m); if (got.length === 3) break; }
    assert.deepEqual(got.map((m) => [m.data.toString(), m.truncated]), [['d0', true], ['d0', true], ['d0', true]]);
    // A size at least as large as the datagram cuts nothing.
    s.sendToSync('whole', r.localAddress());
    for await (const m of r.messages({ size: 5 })) { assert.deepEqual([m.data.toString(), m.truncated], ['whole', false]); break; }
    r.close();
    s.close();
  });

  test('maxFds keeps that many fds of a message and closes the rest', T, async () => {
    await noFdLeak(async () => {
      const [a, b] = Socket.pair('dgram');
      const files = [openSync('/dev/null', 'r'), openSync('/dev/null', 'r'), openSync('/dev/null', 'r')];
      a.sendMsgSync({ data: 'fds', fds: files });
      a.sendMsgSync({ data: 'none' });
      const got: ReceivedMessage[] = [];
      for await (const m of b.messages({ maxFds: 1 })) { got.push(m); if (got.length === 2) break; }
      assert.equal(got[0].data.toString(), 'fds');
      assert.equal(got[0].fds.length, 1);
      assert.equal(got[0].controlTruncated, true);
      assert.ok(isCloexec(got[0].fds[0]));
      assert.deepEqual([got[1].data.toString(), got[1].fds], ['none', []]);
      got[0].fds.forEach((fd) => closeSync(fd));
      files.forEach((fd) => closeSync(fd));
      a.close();
      b.close();
    });
  });

  test('on a stream socket: what each recvMsg reads, ending at end of stream; size bounds each read', T, async () => {
    const [a, b] = Socket.pair('stream');
    await a.sendAll('abcdefgh');
    a.shutdown('send');
    const chunks: string[] = [];
    for await (const m of b.messages({ size: 3 })) chunks.push(m.data.toString());
    assert.equal(chunks.join(''), 'abcdefgh');
    assert.ok(chunks.every((c) => c.length <= 3), chunks.join('|'));
    a.close();
    b.close();
  });

  test('on seqpacket, the zero-length read after the peer hangs up ends the loop', T, async () => {
    const [a, b] = Socket.pair('seqpacket');
    a.sendSync('one');
    a.sendSync('two');
    a.close();
    const got: string[] = [];
    for await (const m of b.messages()) got.push(m.data.toString());
    assert.deepEqual(got, ['one', 'two']);
    b.close();
  });

  test('timeout bounds each wait, signal aborts; bad options reject from the first step', T, async () => {
    const [a, b] = Socket.pair('dgram');
    await assert.rejects(async () => { for await (const m of b.messages({ timeout: 30 })) void m; }, { code: 'ETIMEDOUT' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(async () => { for await (const m of b.messages({ signal: ac.signal })) void m; }, { name: 'AbortError' });
    await assert.rejects(async () => { for await (const m of b.messages({ size: -1 })) void m; }, { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(async () => { for await (const m of b.messages({ maxFds: 254 })) void m; }, { code: 'ERR_OUT_OF_RANGE' });
    // An aborted signal is refused even when datagrams wait in the read-ahead.
    a.sendManySync(['x', 'y', 'z']);
    for await (const m of b.messages()) { assert.equal(m.data.toString(), 'x'); break; }
    const aborted = AbortSignal.abort();
    await assert.rejects(async () => { for await (const m of b.messages({ signal: aborted })) void m; }, { name: 'AbortError' });
    assert.equal((await b.recv()).toString(), 'y', 'nothing was lost');
    a.close();
    b.close();
  });

  test('a loop waiting when the socket is closed ends without an error', T, async () => {
    const [a, b] = Socket.pair('dgram');
    setTimeout(() => b.close(), 30);
    let n = 0;
    for await (const m of b.messages()) { void m; n++; }
    assert.equal(n, 0);
    await sleep(1);
    a.close();
  });
});
