// select/selectSync over mixed sockets, the async resolver and interface helpers.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Socket, select, selectSync, getaddrinfo, getaddrinfoSync, getnameinfo, getnameinfoSync, interfaces, ifNameToIndex,
  ifIndexToName, SocketError, constants,
} from '../src/index.ts';
import { sleep } from './helpers.ts';

describe('select', () => {
  test('reports readable and writable sockets across families, async and sync', async () => {
    const [a, b] = Socket.pair('stream');
    const u = new Socket('inet', 'dgram');
    u.bind('127.0.0.1:0');
    const v = new Socket('inet', 'dgram');
    let r = await select([b, u], [], 0);
    assert.deepEqual(r, { readable: [], writable: [] });
    await v.sendTo('dgram', u.localAddress());
    await a.send('stream');
    await sleep(10);
    r = await select([b, u], [a], 1000);
    assert.deepEqual(new Set(r.readable), new Set([b, u]));
    assert.deepEqual(r.writable, [a]);
    const rs = selectSync([b, u], [a], 1000);
    assert.equal(rs.readable.length, 2);
    [a, b, u, v].forEach((s) => s.close());
  });

  test('waits until a socket becomes readable', async () => {
    const [a, b] = Socket.pair('dgram');
    setTimeout(() => void a.send('wake'), 40);
    const t0 = performance.now();
    const r = await select([b], [], 5000);
    assert.deepEqual(r.readable, [b]);
    assert.ok(performance.now() - t0 >= 30);
    a.close();
    b.close();
  });

  test('a timeout returns empty lists (no throw); closed sockets are ignored', async () => {
    const [a, b] = Socket.pair();
    const c = new Socket('inet', 'dgram');
    c.close();
    const t0 = performance.now();
    assert.deepEqual(await select([a, c], [], 60), { readable: [], writable: [] });
    assert.ok(performance.now() - t0 >= 50);
    assert.deepEqual(selectSync([a, c], [c], 20), { readable: [], writable: [] });
    a.close();
    b.close();
  });

  test('nothing to wait for and no timeout: select and selectSync return at once instead of blocking forever', async () => {
    const c = new Socket('inet', 'dgram');
    c.close();
    assert.deepEqual(selectSync([], [], null), { readable: [], writable: [] });
    assert.deepEqual(selectSync([c], [c]), { readable: [], writable: [] });
    assert.deepEqual(await select([], [], null), { readable: [], writable: [] });
    assert.deepEqual(await select([c], []), { readable: [], writable: [] });
  });

  test('sockets with buffered receive() data count as readable', async () => {
    const [a, b] = Socket.pair();
    await a.send('one\ntwo\n');
    assert.equal((await b.receive()).toString(), 'one');
    assert.equal(b.dirty(), true);
    assert.deepEqual((await select([b], [], 0)).readable, [b]);
    assert.deepEqual(selectSync([b], [], 0).readable, [b]);
    assert.equal((await b.receive()).toString(), 'two');
    assert.equal(b.dirty(), false);
    assert.deepEqual(selectSync([b], [], 0).readable, []);
    a.close();
    b.close();
  });

  test('bad arguments are TypeErrors', async () => {
    await assert.rejects(select('x' as never, []), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => selectSync([1 as never], []), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => selectSync([], [], NaN), { code: 'ERR_OUT_OF_RANGE' }); // -5 is no limit now (LuaSocket's negative timeouts)
  });
});

describe('resolver', () => {
  test('getaddrinfo on the thread pool, with family/type names', async () => {
    const r = await getaddrinfo('localhost', 'http', { family: 'inet', type: 'stream' });
    assert.deepEqual(r[0].address, { family: 'inet', address: '127.0.0.1', port: 80 });
    assert.equal(r[0].socktype, constants.SOCK_STREAM);
    const s = getaddrinfoSync('127.0.0.1', 53, { type: 'dgram', protocol: 'udp' });
    assert.equal(s[0].protocol, constants.IPPROTO_UDP);
  });

  test('unknown names reject with ENOTFOUND, syscall getaddrinfo', async () => {
    await assert.rejects(getaddrinfo('no-such-host.invalid', 80), (err: SocketError) => {
      assert.ok(err instanceof SocketError);
      assert.equal(err.code, 'ENOTFOUND');
      assert.equal(err.syscall, 'getaddrinfo');
      assert.equal(err.hostname, 'no-such-host.invalid');
      return true;
    });
    assert.throws(() => getaddrinfoSync('no-such-host.invalid', null), { code: 'ENOTFOUND' });
  });

  test('getnameinfo, async and sync', async () => {
    const flags = constants.NI_NUMERICHOST | constants.NI_NUMERICSERV;
    assert.deepEqual(await getnameinfo({ family: 'inet', address: '127.0.0.1', port: 80 }, flags), { host: '127.0.0.1', service: '80' });
    assert.deepEqual(getnameinfoSync({ family: 'inet', address: '127.0.0.1', port: 80 }), { host: 'localhost', service: 'http' });
  });

  test('interfaces, ifNameToIndex, ifIndexToName', () => {
    const list = interfaces();
    const lo = list.find((i) => i.name === 'lo')!;
    assert.ok(lo);
    assert.equal(ifNameToIndex('lo'), lo.index);
    assert.equal(ifIndexToName(lo.index), 'lo');
    assert.throws(() => ifNameToIndex('nosuchif0'), { code: 'ENODEV' });
  });

  test('Socket.connect resolves host names and tries each address in turn', async () => {
    const server = new Socket('inet', 'stream');
    server.bind({ host: 'localhost', port: 0 });
    server.listen();
    const port = (server.localAddress() as { port: number }).port;
    const c = new Socket('inet', 'stream');
    const [conn] = await Promise.all([server.accept(), c.connect({ host: 'localhost', port })]);
    assert.equal((c.remoteAddress() as { port: number }).port, port);
    const d = new Socket('inet', 'stream');
    d.connectSync(`localhost:${port}`);
    const conn2 = server.acceptSync();
    [server, c, conn, d, conn2].forEach((s) => s.close());
  });

  test("bind('*:port') binds the wildcard address", () => {
    const s = new Socket('inet', 'dgram');
    s.bind('*:0');
    assert.equal((s.localAddress() as { address: string }).address, '0.0.0.0');
    s.close();
  });
});
