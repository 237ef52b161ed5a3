// connect() with Happy Eyeballs: racing IPv6 and IPv4 attempts, fallbacks and aggregated errors.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Socket, connect, SocketError, type SocketAddress } from '../src/index.ts';
import { fdCount, fullBacklog, hasIPv6 } from './helpers.ts';

describe('Happy Eyeballs', () => {
  test('a name with ::1 and 127.0.0.1 and no IPv6 listener connects over IPv4', { timeout: 10_000 }, async () => {
    const l = new Socket('inet', 'stream');
    l.bind('127.0.0.1:0');
    l.listen();
    const port = (l.localAddress() as { port: number }).port;
    const lookup = (): SocketAddress[] => [
      { family: 'inet6', address: '::1', port },
      { family: 'inet', address: '127.0.0.1', port },
    ];
    const before = fdCount();
    const t0 = performance.now();
    const [c, conn] = await Promise.all([connect('localhost', port, { lookup }), l.accept()]);
    assert.equal(c.family, 'inet');
    assert.equal((c.remoteAddress() as { address: string }).address, '127.0.0.1');
    assert.ok(performance.now() - t0 < 5000);
    c.close();
    conn.close();
    assert.equal(fdCount(), before, 'the losing attempt was closed');
    // Sequential behaviour on request.
    const [d, conn2] = await Promise.all([connect('localhost', port, { lookup, happyEyeballs: false }), l.accept()]);
    assert.equal(d.family, 'inet');
    d.close();
    conn2.close();
    l.close();
  });

  test('a stalled IPv6 attempt is overtaken by IPv4 after attemptDelay', { skip: !hasIPv6 && 'no IPv6', timeout: 10_000 }, async () => {
    // IPv6 goes first and hangs (a listener with a full backlog); IPv4 connects at once.
    const { server: full, fillers } = await fullBacklog('inet6');
    const good = new Socket('inet', 'stream');
    good.bind('127.0.0.1:0');
    good.listen();
    const lookup = (): SocketAddress[] => [good.localAddress(), full.localAddress()];
    const before = fdCount();
    const t0 = performance.now();
    const [c, conn] = await Promise.all([connect('dual', 0, { lookup, attemptDelay: 100, timeout: 5000 }), good.accept()]);
    const took = performance.now() - t0;
    assert.equal(c.family, 'inet');
    assert.ok(took >= 80 && took < 3000, `connected after ${took} ms`);
    c.close();
    conn.close();
    assert.equal(fdCount(), before, 'the stalled IPv6 attempt was closed');
    [good, full, ...fillers].forEach((s) => s.close());
  });

  test('every attempt failing reports the last error with all of them', { timeout: 10_000 }, async () => {
    const probe = new Socket('inet', 'stream');
    probe.bind('127.0.0.1:0');
    const port = (probe.localAddress() as { port: number }).port;
    probe.close();
    const lookup = (): SocketAddress[] => [{ family: 'inet6', address: '::1', port }, { family: 'inet', address: '127.0.0.1', port }];
    await assert.rejects(connect('x', port, { lookup }), (err: SocketError & { errors?: Error[] }) => {
      assert.ok(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH'].includes(err.code));
      assert.equal(err.errors?.length, 2);
      return true;
    });
  });
});
