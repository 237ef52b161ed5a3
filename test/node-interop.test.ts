// Interop with node:net, node:http and node:dgram via toNodeSocket/fromNodeSocket.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { Socket } from '../src/index.ts';

describe('node:net interop', () => {
  test('an HTTP request served by node:http over an accepted berkeley socket', { timeout: 10_000 }, async () => {
    const server = http.createServer((req, res) => res.end(`hello ${req.url}`));
    const l = new Socket('inet', 'stream');
    l.bind('127.0.0.1:0');
    l.listen();
    const port = (l.localAddress() as { port: number }).port;
    const response = fetch(`http://127.0.0.1:${port}/berkeley`).then((r) => r.text());
    const conn = await l.accept();
    server.emit('connection', conn.toNodeSocket());
    assert.equal(await response, 'hello /berkeley');
    assert.equal(conn.fd, -1, 'the berkeley socket gave its fd away');
    l.close();
    server.close();
  });

  test('toNodeSocket keeps data buffered by receive() and works for Unix streams', { timeout: 10_000 }, async () => {
    const [a, b] = Socket.pair('stream');
    await a.send('first\nsecond and more');
    assert.equal((await b.receive()).toString(), 'first');
    const ns = b.toNodeSocket();
    const chunks: Buffer[] = [];
    ns.on('data', (d) => chunks.push(d));
    const ended = new Promise((r) => ns.on('end', r));
    a.close();
    await ended;
    assert.equal(Buffer.concat(chunks).toString(), 'second and more');
    ns.destroy();
    const [d] = Socket.pair('dgram');
    assert.throws(() => d.toNodeSocket(), { code: 'ERR_INVALID_ARG_VALUE' });
    d.close();
  });

  test('fromNodeSocket duplicates node:net and node:dgram fds', { timeout: 10_000 }, async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const c = net.connect(port, '127.0.0.1');
    await new Promise((r) => c.on('connect', r));
    const b = Socket.fromNodeSocket(c);
    assert.notEqual(b.fd, (c as unknown as { _handle: { fd: number } })._handle.fd);
    b.setOption('tcp-keepcnt', 3); // an option node:net has no API for
    assert.equal(b.getOption('tcp-keepcnt'), 3);
    assert.deepEqual(b.remoteAddress(), { family: 'inet', address: '127.0.0.1', port });
    b.close();
    assert.equal(c.destroyed, false, 'closing the duplicate leaves node:net alone');
    c.destroy();
    srv.close();
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', r));
    const bu = Socket.fromNodeSocket(u);
    assert.equal((bu.localAddress() as { port: number }).port, u.address().port);
    bu.setOption('ip-multicast-ttl', 7);
    bu.close();
    u.close();
    assert.throws(() => Socket.fromNodeSocket({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
