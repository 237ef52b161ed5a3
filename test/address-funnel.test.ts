// The address funnel (src/codec/address.ts): one port rule and one host rule
// for every spelling of an address, as tables; then end to end through the
// public API, that an out-of-range port is refused the same way in every
// spelling, is never wrapped to (port & 0xffff), and leaks no fd.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addressDetails, addressTarget, destinationKey, hostOf, hostPort, isHostPort, portOf } from '../src/codec/address.ts';
import { AF } from '../src/codec/names.ts';
import { bindUdp, connect, listen, Socket, tcp, udp } from '../src/index.ts';
import { fdCount, hasIPv6 } from './helpers.ts';

const T = { timeout: 10_000 };

type Refusal = { name: 'RangeError' | 'TypeError'; code: string };
const RANGE: Refusal = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };
const VALUE: Refusal = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };
const TYPE: Refusal = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };

const show = (v: unknown): string => typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : Object.is(v, -0) ? '-0' : String(v);

describe('portOf', () => {
  test('accepts integers 0..65535 and canonical decimal strings', T, () => {
    const ok: [unknown, number][] = [[0, 0], [1, 1], [80, 80], [65535, 65535], ['80', 80], ['0', 0], ['65535', 65535], ['1', 1]];
    for (const [v, want] of ok) {
      const r = portOf(v);
      assert.equal(typeof r, 'number', show(v));
      assert.equal(r, want, show(v));
    }
  });

  test('-0 is the integer 0 in JS: accepted as port 0 (returned as given)', T, () => {
    const r = portOf(-0);
    assert.equal(typeof r, 'number');
    assert.ok(r === 0, 'port 0');
    // portOf does not normalise it: -0 comes back as -0, which every consumer treats as 0.
    assert.ok(Object.is(r, -0));
    assert.equal(destinationKey({ family: 'inet', address: '127.0.0.1', port: -0 }), '4|127.0.0.1|0');
  });

  test('refuses out-of-range numbers and numeric strings with RangeError ERR_OUT_OF_RANGE', T, () => {
    for (const v of [65536, 70000, 99999, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 32, 2 ** 16 + 80, Number.MAX_SAFE_INTEGER, '65536', '99999', '70000', '4294967376', '99999999999999999999999']) {
      assert.throws(() => portOf(v), RANGE, show(v));
    }
  });

  test('refuses malformed strings with TypeError ERR_INVALID_ARG_VALUE', T, () => {
    for (const v of ['080', '00', '0000', ' 80', '80 ', '+80', '-1', '0x50', '', '1e3', '8 0', '80.0', '1_000', '\u0038\u0030\0', '٨٠', '.http', '9http', 'a'.repeat(64)]) {
      assert.throws(() => portOf(v), VALUE, show(v));
    }
  });

  test('refuses wrong types with TypeError ERR_INVALID_ARG_TYPE', T, () => {
    for (const v of [null, undefined, true, false, {}, [], 80n, new Number(80), () => 80, Symbol('80')]) {
      assert.throws(() => portOf(v), TYPE, show(typeof v === 'symbol' ? 'symbol' : v));
    }
  });

  test('service names pass through as strings for the resolver', T, () => {
    for (const v of ['http', 'x11', 'z39.50', 'https', 'ntp', 'iso-tsap', 'a', 'a'.repeat(63), 'foo+bar', 'foo_bar']) {
      const r = portOf(v);
      assert.equal(r, v, show(v));
    }
  });

  test('names the argument in the error', T, () => {
    assert.throws(() => portOf(70000, 'options.port'), (err: Error) => err.message.includes('"options.port"'));
    assert.throws(() => portOf('x y', 'address.port'), (err: Error) => err.message.includes("'address.port'"));
  });
});

describe('hostOf and hostPort', () => {
  test("'*' and '' are the wildcard (null); other strings pass as given", T, () => {
    assert.equal(hostOf('*'), null);
    assert.equal(hostOf(''), null);
    assert.equal(hostOf('localhost'), 'localhost');
    assert.equal(hostOf('::1'), '::1');
    assert.equal(hostOf('**'), '**');
    assert.equal(hostOf('a'.repeat(1024)), 'a'.repeat(1024));
  });

  test('refuses NUL, names longer than 1024 and non-strings', T, () => {
    assert.throws(() => hostOf('local\0host'), VALUE);
    assert.throws(() => hostOf('\0'), VALUE);
    assert.throws(() => hostOf('a'.repeat(1025)), VALUE);
    for (const v of [null, undefined, 127, {}, ['localhost'], true]) assert.throws(() => hostOf(v), TYPE, show(v));
  });

  test('hostPort checks both and keeps the spelling for messages', T, () => {
    assert.deepEqual(hostPort('*', '80'), { host: null, port: 80, hostname: '*' });
    assert.deepEqual(hostPort('example.com', 'http'), { host: 'example.com', port: 'http', hostname: 'example.com' });
    assert.throws(() => hostPort('h', 70000), RANGE);
    assert.throws(() => hostPort('h\0', 80), VALUE);
  });
});

describe('addressTarget', () => {
  test('every string spelling', T, () => {
    const cases: [string, number, unknown][] = [
      ['127.0.0.1:80', AF.inet, { host: '127.0.0.1', port: 80, hostname: '127.0.0.1' }],
      ['localhost:http', AF.inet, { host: 'localhost', port: 'http', hostname: 'localhost' }],
      ['[::1]:80', AF.inet6, { host: '::1', port: 80, hostname: '::1' }],
      ['[fe80::1%lo]:443', AF.inet6, { host: 'fe80::1%lo', port: 443, hostname: 'fe80::1%lo' }],
      ['*:80', AF.inet, { host: null, port: 80, hostname: '*' }],
      [':80', AF.inet, { host: null, port: 80, hostname: '' }],
      ['*:0', -1, { host: null, port: 0, hostname: '*' }],
      ['/path/to/sock', AF.inet, { family: 'unix', path: '/path/to/sock' }],
      ['relative/sock', -1, { family: 'unix', path: 'relative/sock' }],
      ['\0abstract', AF.inet, { family: 'unix', path: '\0abstract' }],
      // On a Unix socket any string is a path, even one that looks like host:port.
      ['sock', AF.unix, { family: 'unix', path: 'sock' }],
      ['host:80', AF.unix, { family: 'unix', path: 'host:80' }],
      ['[::1]:80', AF.unix, { family: 'unix', path: '[::1]:80' }],
      ['', AF.unix, { family: 'unix', path: '' }],
    ];
    for (const [s, af, want] of cases) assert.deepEqual(addressTarget(s, af), want, `${JSON.stringify(s)} on af ${af}`);
  });

  test('refuses malformed strings, and out-of-range ports in strings', T, () => {
    for (const s of ['a:b:c', '[::1]', 'host', '::1:80', '[::1]:', 'h:', '[::1]80', '[::1]:80:90', '[]:80', 'h:0x50', 'h:080', 'h: 80', '']) {
      assert.throws(() => addressTarget(s, AF.inet), VALUE, JSON.stringify(s));
    }
    for (const s of ['h:70000', '127.0.0.1:65536', '[::1]:99999']) assert.throws(() => addressTarget(s, AF.inet), RANGE, s);
  });

  test('{ host, port } objects go through the same rules, named by field', T, () => {
    assert.deepEqual(addressTarget({ host: '127.0.0.1', port: 80 }, AF.inet), { host: '127.0.0.1', port: 80, hostname: '127.0.0.1' });
    assert.deepEqual(addressTarget({ host: '*', port: '8080' }, AF.inet), { host: null, port: 8080, hostname: '*' });
    assert.deepEqual(addressTarget({ host: 'h', port: 'http' }, -1), { host: 'h', port: 'http', hostname: 'h' });
    assert.throws(() => addressTarget({ host: 'h', port: 70000 }, AF.inet), (err: Error & { code: string }) => {
      assert.equal(err.name, 'RangeError');
      assert.equal(err.code, 'ERR_OUT_OF_RANGE');
      assert.ok(err.message.includes('"address.port"'), err.message);
      return true;
    });
    assert.throws(() => addressTarget({ host: 'h', port: '70000' }, AF.inet), RANGE);
    assert.throws(() => addressTarget({ host: 'h', port: '080' }, AF.inet), VALUE);
    assert.throws(() => addressTarget({ host: 'h' }, AF.inet), TYPE);
    assert.throws(() => addressTarget({ port: 80 }, AF.inet), TYPE);
    assert.throws(() => addressTarget({ host: 5, port: 80 }, AF.inet), (err: Error) => err.message.includes('"address.host"'));
    for (const v of [null, undefined, 42, true, ['127.0.0.1', 80]]) assert.throws(() => addressTarget(v, AF.inet), TYPE, show(v));
  });

  test('SocketAddress objects are copied, each field read once', T, () => {
    const a = { family: 'inet', address: '127.0.0.1', port: 80 };
    const r = addressTarget(a, AF.inet);
    assert.notEqual(r, a);
    assert.deepEqual(r, a);
    assert.equal(isHostPort(r), false);
    // Changing the caller's object afterwards does not change what was taken.
    a.port = 81;
    assert.equal((r as { port: number }).port, 80);

    let reads = 0;
    const tricky = {
      family: 'inet',
      address: '127.0.0.1',
      get port() { reads++; return reads === 1 ? 80 : 70000; },
    };
    const t = addressTarget(tricky, AF.inet) as { port: number };
    assert.equal(reads, 1);
    assert.equal(t.port, 80);
    assert.equal(t.port, 80);
    assert.equal(reads, 1, 'reading the result does not call the getter again');
    // Not validated here (encodeAddress does): the copy is taken as is.
    assert.deepEqual(addressTarget({ family: 'unix', path: '/x' }, AF.inet), { family: 'unix', path: '/x' });
  });
});

describe('destinationKey', () => {
  test('a key only when every field is a valid primitive', T, () => {
    const cases: [object, string | null][] = [
      [{ family: 'inet', address: '1.2.3.4', port: 80 }, '4|1.2.3.4|80'],
      [{ family: 'inet', address: '1.2.3.4', port: 0 }, '4|1.2.3.4|0'],
      [{ family: 'inet', address: '1.2.3.4', port: 65535 }, '4|1.2.3.4|65535'],
      [{ family: 'inet6', address: '::1', port: 80 }, '6|::1|80|0|0'],
      [{ family: 'inet6', address: '::1', port: 80, flowinfo: 1, scopeId: 2 }, '6|::1|80|1|2'],
      [{ family: 'unix', path: '/tmp/x' }, 'u|/tmp/x'],
      [{ family: 'unix', path: '' }, 'u|'],
      [{ family: 'inet', address: '1.2.3.4', port: '80' }, null],
      [{ family: 'inet', address: '1.2.3.4', port: 70000 }, null],
      [{ family: 'inet', address: '1.2.3.4', port: 65536 + 80 }, null],
      [{ family: 'inet', address: '1.2.3.4', port: -1 }, null],
      [{ family: 'inet', address: '1.2.3.4', port: 1.5 }, null],
      [{ family: 'inet', address: '1.2.3.4', port: NaN }, null],
      [{ family: 'inet', address: '1.2.3.4' }, null],
      [{ family: 'inet', address: 0x01020304, port: 80 }, null],
      [{ family: 'inet', address: new String('1.2.3.4'), port: 80 }, null],
      [{ family: 'inet6', address: '::1', port: 80, flowinfo: -1 }, null],
      [{ family: 'inet6', address: '::1', port: 80, scopeId: 2 ** 32 }, null],
      [{ family: 'inet6', address: '::1', port: 80, scopeId: '1' }, null],
      [{ family: 'unix', path: 5 }, null],
      [{ family: 'netlink', pid: 0, groups: 0 }, null],
      [{ family: 2, bytes: Buffer.alloc(14) }, null],
      [{ host: '1.2.3.4', port: 80 }, null],
      [{}, null],
    ];
    for (const [a, want] of cases) assert.equal(destinationKey(a), want, JSON.stringify(a));
  });

  test('a getter returning different values is read once: the key is made of what was checked', T, () => {
    let reads = 0;
    const a = { family: 'inet', address: '1.2.3.4', get port() { reads++; return reads === 1 ? 80 : 'evil'; } };
    assert.equal(destinationKey(a), '4|1.2.3.4|80');
    assert.equal(reads, 1);
    let fam = 0;
    const b = { get family() { fam++; return fam === 1 ? 'inet' : 'unix'; }, address: '1.2.3.4', port: 80, path: '/x' };
    assert.equal(destinationKey(b), '4|1.2.3.4|80');
    assert.equal(fam, 1);
    let bad = 0;
    const c = { family: 'inet', address: '1.2.3.4', get port() { bad++; return bad === 1 ? 70000 : 80; } };
    assert.equal(destinationKey(c), null);
    assert.equal(bad, 1);
  });
});

describe('addressDetails', () => {
  test('where an address points, for error messages', T, () => {
    assert.deepEqual(addressDetails(null), {});
    assert.deepEqual(addressDetails(undefined), {});
    assert.deepEqual(addressDetails(hostPort('example.com', 80)), { hostname: 'example.com', port: 80 });
    assert.deepEqual(addressDetails(hostPort('example.com', 'http')), { hostname: 'example.com' });
    assert.deepEqual(addressDetails(hostPort('*', 80)), { hostname: '*', port: 80 });
    assert.deepEqual(addressDetails({ family: 'inet', address: '1.2.3.4', port: 9 }), { address: '1.2.3.4', port: 9 });
    assert.deepEqual(addressDetails({ family: 'inet6', address: '::1', port: 9, scopeId: 3 }), { address: '::1', port: 9 });
    assert.deepEqual(addressDetails({ family: 'unix', path: '/tmp/s' }), { path: '/tmp/s' });
    assert.deepEqual(addressDetails({ family: 'netlink', pid: 0, groups: 0 }), {});
  });
});

describe('ports are never wrapped, through the public API', () => {
  /** Runs fn, asserts it throws or rejects `want`, and that the fd count is the same after as before. */
  async function refused(what: string, want: Refusal, fn: () => unknown): Promise<void> {
    const before = fdCount();
    let threw: unknown = null;
    try {
      await fn();
    } catch (err) {
      threw = err;
    }
    assert.ok(threw !== null, `${what} was not refused`);
    assert.equal((threw as Error).name, want.name, `${what}: ${String(threw)}`);
    assert.equal((threw as { code?: string }).code, want.code, `${what}: ${String(threw)}`);
    assert.equal(fdCount(), before, `${what} leaked an fd`);
  }

  test('bind: string, { host, port } with number and string ports, SocketAddress; the socket stays unbound and usable', T, async () => {
    const s = new Socket('inet', 'stream');
    for (const port of [70000, 65536, 99999, 65536 + 80]) {
      await refused(`bind('127.0.0.1:${port}')`, RANGE, () => s.bind(`127.0.0.1:${port}`));
      await refused(`bind({ port: ${port} })`, RANGE, () => s.bind({ host: '127.0.0.1', port }));
      await refused(`bind({ port: '${port}' })`, RANGE, () => s.bind({ host: '127.0.0.1', port: String(port) }));
      await refused(`bind(SocketAddress port ${port})`, RANGE, () => s.bind({ family: 'inet', address: '127.0.0.1', port }));
    }
    // Nothing was bound by any of them (a wrapped port would have bound here).
    assert.equal((s.localAddress() as { port: number }).port, 0);
    s.bind({ host: '127.0.0.1', port: -0 });
    assert.ok((s.localAddress() as { port: number }).port > 0, 'port -0 is port 0: an ephemeral port');
    s.close();
    // A tcp() socket without a family makes no fd for a refused bind.
    const d = tcp();
    await refused("tcp().bind('127.0.0.1:70000')", RANGE, () => d.bind('127.0.0.1:70000'));
    assert.equal(d.fd, -1);
    d.close();
  });

  test('listen() and bindUdp() refuse before making a socket', T, async () => {
    await refused("listen('127.0.0.1', 70000)", RANGE, () => listen('127.0.0.1', 70000));
    await refused("listen('127.0.0.1', '70000')", RANGE, () => listen('127.0.0.1', '70000'));
    await refused("listen('127.0.0.1', '080')", VALUE, () => listen('127.0.0.1', '080'));
    await refused("bindUdp('127.0.0.1', '70000')", RANGE, () => bindUdp('127.0.0.1', '70000'));
    await refused("bindUdp('127.0.0.1', 99999)", RANGE, () => bindUdp('127.0.0.1', 99999));
    await refused("bindUdp('127.0.0.1', 1.5)", RANGE, () => bindUdp('127.0.0.1', 1.5));
  });

  test('connect() to 65536 + P does not reach the listener on P', T, async () => {
    const server = listen('127.0.0.1', 0);
    const p = (server.localAddress() as { port: number }).port;
    const wrapped = 65536 + p;
    await refused(`connect('127.0.0.1', ${wrapped})`, RANGE, () => connect('127.0.0.1', wrapped));
    await refused(`connect('127.0.0.1', '${wrapped}')`, RANGE, () => connect('127.0.0.1', String(wrapped)));
    const s = new Socket('inet', 'stream');
    await refused(`s.connect('127.0.0.1:${wrapped}')`, RANGE, () => s.connect(`127.0.0.1:${wrapped}`));
    await refused(`s.connect({ host, port: ${wrapped} })`, RANGE, () => s.connect({ host: '127.0.0.1', port: wrapped }));
    await refused(`s.connect(SocketAddress port ${wrapped})`, RANGE, () => s.connect({ family: 'inet', address: '127.0.0.1', port: wrapped }));
    await refused(`s.connectSync('127.0.0.1:${wrapped}')`, RANGE, () => s.connectSync(`127.0.0.1:${wrapped}`));
    // The listener saw no connection: nothing to accept.
    await assert.rejects(server.accept({ timeout: 50 }), { code: 'ETIMEDOUT' });
    // And the socket is still unconnected and usable.
    await s.connect(server.localAddress());
    const conn = await server.accept({ timeout: 2000 });
    conn.close(); s.close(); server.close();
  });

  test("udp sendTo('127.0.0.1:99999') and to 65536 + P send nothing", T, async () => {
    const rx = bindUdp('127.0.0.1', 0);
    const p = (rx.localAddress() as { port: number }).port;
    const u = udp();
    await refused("sendTo(x, '127.0.0.1:99999')", RANGE, () => u.sendTo('x', '127.0.0.1:99999'));
    assert.equal(u.fd, -1, 'a refused sendTo gives a udp() socket no fd');
    const tx = new Socket('inet', 'dgram');
    await refused(`sendTo(x, '127.0.0.1:${65536 + p}')`, RANGE, () => tx.sendTo('x', `127.0.0.1:${65536 + p}`));
    await refused(`sendTo(x, { host, port: ${65536 + p} })`, RANGE, () => tx.sendTo('x', { host: '127.0.0.1', port: 65536 + p }));
    await refused(`sendToSync(x, SocketAddress port ${65536 + p})`, RANGE, () => tx.sendToSync('x', { family: 'inet', address: '127.0.0.1', port: 65536 + p }));
    await assert.rejects(rx.recvFrom(16, { timeout: 50 }), { code: 'ETIMEDOUT' }, 'a wrapped port delivered a datagram');
    // The right port does deliver.
    await tx.sendTo('y', `127.0.0.1:${p}`);
    assert.equal((await rx.recvFrom(16, { timeout: 2000 })).data.toString(), 'y');
    u.close(); tx.close(); rx.close();
  });

  test("s.connect('[::1]:99999') is refused before any system call", T, async () => {
    const d = tcp();
    await refused("tcp().connect('[::1]:99999')", RANGE, () => d.connect('[::1]:99999'));
    assert.equal(d.fd, -1);
    d.close();
    if (hasIPv6) {
      const s = new Socket('inet6', 'stream');
      await refused("inet6 connect('[::1]:99999')", RANGE, () => s.connect('[::1]:99999'));
      await refused("inet6 connect('[::1]:65616')", RANGE, () => s.connect('[::1]:65616'));
      await refused("inet6 connect('[::1]:080')", VALUE, () => s.connect('[::1]:080'));
      s.close();
    }
  });
});

describe('a received address sent back', () => {
  // Addresses decoded from received messages are frozen and remember their
  // sockaddr bytes, which a reply reuses; on any socket the outcome must be
  // the one a fresh copy of the address gets through the funnel.
  const outcome = async (send: () => Promise<unknown>): Promise<string> => {
    try { await send(); return 'sent'; } catch (err) { return `${(err as Error).name} ${(err as { code?: string }).code}`; }
  };
  test('recvFrom, recvMany and messages() addresses: the same answer as a copy, on every kind of socket', { timeout: 20_000 }, async () => {
    const server = bindUdp('127.0.0.1', 0);
    const client = bindUdp('127.0.0.1', 0);
    const port = server.localAddress().port;
    const sockets = [bindUdp('127.0.0.1', 0), ...(hasIPv6 ? [bindUdp('::1', 0)] : []), Socket.pair('dgram')[0], udp()];
    try {
      for (let i = 0; i < 3; i++) await client.sendTo(`q${i}`, { family: 'inet', address: '127.0.0.1', port });
      const fromRecvFrom = (await server.recvFrom()).address!;
      const fromRecvMany = (await server.recvMany({ maxMessages: 1 }))[0]!.address!;
      const it = server.messages();
      const fromMessages = (await it.next()).value!.address!;
      await it.return!();
      for (const address of [fromRecvFrom, fromRecvMany, fromMessages]) {
        assert.ok(Object.isFrozen(address));
        assert.deepEqual(address, client.localAddress());
        for (const s of sockets) {
          assert.equal(await outcome(() => s.sendTo('r', address)), await outcome(() => s.sendTo('r', { ...address })), `${s.family} socket`);
        }
        // The reply goes to the sender (after what the sockets above sent it).
        await server.sendTo('reply', address);
        const got: string[] = [];
        while (got.at(-1) !== 'reply') got.push((await client.recv(100, { timeout: 2000 })).toString());
        assert.ok(got.slice(0, -1).every((d) => d === 'r'), got.join());
      }
    } finally {
      for (const s of [server, client, ...sockets]) s.close();
    }
  });
});
