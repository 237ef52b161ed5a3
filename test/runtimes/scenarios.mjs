// Real-socket scenarios run by test/runtimes.test.ts under each runtime
// (Node with each readiness backend, Bun, Deno) against the built dist/.
// Plain JavaScript so every runtime runs it as it is. Prints one line per
// scenario ("ok NAME", "skip NAME: why", "not ok NAME: error") and a summary
// line; exits 1 when one failed. Only loopback and Unix sockets.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  Socket, connect, listen, listenUnix, connectUnix, bindUnixDgram, udp4, udp6, getaddrinfo, features,
} from '../../dist/index.js';
import { readinessBackend } from '../../dist/io/readiness.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berkeley-rt-'));
const scenarios = [];
const scenario = (name, fn) => scenarios.push({ name, fn });
class Skip extends Error {}
const skip = (why) => { throw new Skip(why); };

const ipv6 = () => {
  try { const s = listen('::1', 0); s.close(); return true; } catch { return false; }
};

// A connected pair over a real listener, both ends closed by the caller.
async function tcpPair(host) {
  const server = listen(host, 0);
  const accepting = server.accept({ timeout: 5000 });
  const client = await connect(host, server.localAddress().port, { timeout: 5000 });
  const peer = await accepting;
  server.close();
  return [client, peer];
}

// recv waits for data sent later (a read wait), in both directions.
async function pingPong(a, b) {
  const waiting = b.recv(100, { timeout: 5000 });
  setTimeout(() => a.send('ping'), 20);
  assert.equal((await waiting).toString(), 'ping');
  const back = a.recv(100, { timeout: 5000 });
  setTimeout(() => b.send('pong'), 20);
  assert.equal((await back).toString(), 'pong');
}

scenario('backend', () => {
  const expected = process.env.BERKELEY_READINESS === 'epoll-thread' || 'bun' in process.versions || 'deno' in process.versions ? 'epoll-thread' : 'epoll';
  assert.equal(readinessBackend, expected);
});

scenario('tcp inet: accept and connect wait, recv waits both ways', async () => {
  const [a, b] = await tcpPair('127.0.0.1');
  try { await pingPong(a, b); } finally { a.close(); b.close(); }
});

scenario('tcp inet6 (::1)', async () => {
  if (!ipv6()) skip('no IPv6 loopback');
  const [a, b] = await tcpPair('::1');
  try { await pingPong(a, b); } finally { a.close(); b.close(); }
});

scenario('udp inet and inet6: recvFrom waits', async () => {
  for (const [make, host] of [[udp4, '127.0.0.1'], ...(ipv6() ? [[udp6, '::1']] : [])]) {
    const a = make(), b = make();
    try {
      a.bind(`${host.includes(':') ? `[${host}]` : host}:0`);
      b.bind(`${host.includes(':') ? `[${host}]` : host}:0`);
      const waiting = b.recvFrom(100, { timeout: 5000 });
      setTimeout(() => a.sendTo('datagram', b.localAddress()), 20);
      const got = await waiting;
      assert.equal(got.data.toString(), 'datagram');
      assert.equal(got.address.port, a.localAddress().port);
    } finally { a.close(); b.close(); }
  }
});

scenario('unix stream over a path: connectUnix, accept', async () => {
  const p = path.join(dir, 'stream.sock');
  const server = listenUnix(p);
  try {
    const accepting = server.accept({ timeout: 5000 });
    const a = await connectUnix(p, { timeout: 5000 });
    const b = await accepting;
    try { await pingPong(a, b); } finally { a.close(); b.close(); }
  } finally { server.close(); }
});

scenario('unix dgram over paths', async () => {
  const a = bindUnixDgram(path.join(dir, 'a.dgram')), b = bindUnixDgram(path.join(dir, 'b.dgram'));
  try {
    const waiting = b.recvFrom(100, { timeout: 5000 });
    setTimeout(() => a.sendTo('unix datagram', path.join(dir, 'b.dgram')), 20);
    const got = await waiting;
    assert.equal(got.data.toString(), 'unix datagram');
    assert.equal(got.address.path, path.join(dir, 'a.dgram'));
  } finally { a.close(); b.close(); }
});

scenario('unix seqpacket: message boundaries kept', async () => {
  if (!features.seqpacket) skip('no seqpacket');
  const [a, b] = Socket.pair('seqpacket');
  try {
    await a.send('one'); await a.send('two');
    assert.equal((await b.recv(100)).toString(), 'one');
    assert.equal((await b.recv(100)).toString(), 'two');
    await pingPong(a, b);
  } finally { a.close(); b.close(); }
});

scenario('sendAll waits for writability (8 MiB through a socketpair)', async () => {
  const [a, b] = Socket.pair('stream');
  try {
    const big = Buffer.alloc(8 << 20, 7);
    const sending = a.sendAll(big, { timeout: 20000 });
    let got = 0;
    while (got < big.length) got += (await b.recv(1 << 20, { timeout: 20000 })).length;
    await sending;
    assert.equal(got, big.length);
  } finally { a.close(); b.close(); }
});

scenario('sendMany / recvMany wait after EAGAIN (the demo)', async () => {
  if (!features.recvmmsg) skip('no recvmmsg');
  const a = udp4(), b = udp4();
  try {
    a.bind('127.0.0.1:0'); b.bind('127.0.0.1:0');
    a.connect(b.localAddress());
    const waiting = b.recvMany({ maxMessages: 8, timeout: 5000 });
    setTimeout(() => a.sendMany(['m1', 'm2', 'm3']), 20);
    const first = await waiting;
    const all = first.map((m) => m.data.toString());
    while (all.length < 3) all.push(...(await b.recvMany({ timeout: 5000 })).map((m) => m.data.toString()));
    assert.deepEqual(all, ['m1', 'm2', 'm3']);
  } finally { a.close(); b.close(); }
});

scenario('timeouts: recv and accept fail with ETIMEDOUT', async () => {
  const [a, b] = Socket.pair('dgram');
  const server = listen('127.0.0.1', 0);
  try {
    await assert.rejects(b.recv(10, { timeout: 50 }), { code: 'ETIMEDOUT' });
    await assert.rejects(server.accept({ timeout: 50 }), { code: 'ETIMEDOUT' });
    assert.throws(() => b.recvSync(10, { timeout: 50 }), { code: 'ETIMEDOUT' });
  } finally { a.close(); b.close(); server.close(); }
});

scenario('aborts: a waiting recv rejects with AbortError, close rejects the rest', async () => {
  const [a, b] = Socket.pair('stream');
  try {
    const ac = new AbortController();
    const waiting = b.recv(10, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(waiting, { name: 'AbortError' });
    const pending = b.recv(10);
    setTimeout(() => b.close(), 20);
    await assert.rejects(pending, { code: 'ERR_SOCKET_CLOSED' });
  } finally { a.close(); b.close(); }
});

scenario('fd passing: SCM_RIGHTS over a unix dgram pair', async () => {
  const [a, b] = Socket.pair('dgram');
  const [x, y] = Socket.pair('stream');
  try {
    const receiving = b.recvMsg({ maxFds: 4, timeout: 5000 });
    setTimeout(() => a.sendMsg({ data: Buffer.from('fd'), fds: [x.fd] }), 20);
    const msg = await receiving;
    assert.equal(msg.fds.length, 1);
    const passed = Socket.from(msg.fds[0]);
    try {
      await passed.send('through the passed fd');
      assert.equal((await y.recv(100, { timeout: 5000 })).toString(), 'through the passed fd');
    } finally { passed.close(); }
  } finally { a.close(); b.close(); x.close(); y.close(); }
});

scenario('toNodeSocket with node:http', async () => {
  const server = listen('127.0.0.1', 0);
  const web = http.createServer((req, res) => res.end(`hello ${req.url}`));
  try {
    const accepting = server.accept({ timeout: 5000 });
    const client = net.connect(server.localAddress().port, '127.0.0.1');
    const body = new Promise((resolve, reject) => {
      client.on('error', reject);
      let text = '';
      client.on('data', (d) => { text += d; if (text.includes('hello /x')) resolve(text); });
    });
    client.write('GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    const conn = await accepting;
    const ns = conn.toNodeSocket();
    assert.equal(ns.remoteAddress, '127.0.0.1');
    web.emit('connection', ns);
    assert.match(await body, /^HTTP\/1\.1 200/);
    client.destroy();
  } finally { server.close(); web.close(); }
});

scenario('toNodeSocket on a Unix stream keeps what receive() buffered', async () => {
  const [a, b] = Socket.pair('stream');
  try {
    await a.send('first\nsecond and more');
    assert.equal((await b.receive('line', undefined, { timeout: 5000 })).toString(), 'first');
    const ns = b.toNodeSocket();
    try {
      assert.equal((await new Promise((resolve) => ns.once('data', resolve))).toString(), 'second and more');
      ns.write('from node:net');
      assert.equal((await a.recv(100, { timeout: 5000 })).toString(), 'from node:net');
    } finally { ns.destroy(); }
  } finally { a.close(); }
});

scenario('fromNodeSocket: a berkeley Socket on a node:net connection', async () => {
  const server = net.createServer((c) => c.on('data', (d) => c.write(d)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect(server.address().port, '127.0.0.1');
  try {
    await new Promise((resolve, reject) => { client.on('connect', resolve); client.on('error', reject); });
    const s = Socket.fromNodeSocket(client);
    try {
      assert.equal(s.remoteAddress().port, server.address().port);
      s.setOption('tcp-nodelay', true);
      assert.equal(s.getOption('tcp-nodelay'), true);
    } finally { s.close(); }
  } finally { client.destroy(); server.close(); }
});

scenario('getaddrinfo on the thread pool', async () => {
  const found = await getaddrinfo('127.0.0.1', 80, { type: 'stream' });
  assert.ok(found.some((a) => a.address === '127.0.0.1' || a.address?.address === '127.0.0.1'));
});

scenario('worker threads: sockets in a worker, terminated while one waits', async () => {
  let Worker;
  try { ({ Worker } = await import('node:worker_threads')); } catch { skip('no node:worker_threads'); }
  if (typeof Worker !== 'function') skip('no Worker');
  const w = new Worker(new URL('./worker.mjs', import.meta.url));
  try {
    const first = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    assert.equal(first, 'pong');
    await w.terminate();
  } finally { await w.terminate(); }
});

scenario('a socket dropped while it waits is not collected under the wait', async () => {
  const gc = globalThis.gc ?? (globalThis.Bun ? () => globalThis.Bun.gc(true) : null);
  if (!gc) skip('no gc() (run with --expose-gc)');
  // Only the peer and the pending recv stay reachable, not the Socket.
  const start = () => { const [a, b] = Socket.pair('stream'); return { a, waiting: b.recv(10, { timeout: 5000 }) }; };
  const { a, waiting } = start();
  try {
    for (let i = 0; i < 4; i++) { gc(); await new Promise((resolve) => setTimeout(resolve, 10)); }
    await a.send('alive');
    assert.equal((await waiting).toString(), 'alive');
  } finally { a.close(); }
});

let passed = 0, failed = 0, skipped = 0;
for (const { name, fn } of scenarios) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timed out after 30 s')), 30000); });
  try {
    await Promise.race([fn(), timeout]).finally(() => clearTimeout(timer));
    passed++;
    console.log(`ok ${name}`);
  } catch (err) {
    if (err instanceof Skip) { skipped++; console.log(`skip ${name}: ${err.message}`); continue; }
    failed++;
    console.log(`not ok ${name}: ${String(err?.stack ?? err).split('\n').slice(0, 4).join(' | ')}`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed ? 1 : 0;
