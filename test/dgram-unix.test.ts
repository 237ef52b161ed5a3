// createSocket('unix_dgram'): the npm unix-dgram package's interface
// (synchronous events and callbacks, its error shape), the in-order queue
// behind 'congestion' and 'writable' with a receiver that stops reading,
// and which sockets keep a process alive: each lifetime case runs in a
// child process, for udp4 side by side with node:dgram.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { constants as os } from 'node:os';
import { Socket } from '../src/index.ts';
import { createSocket, UnixDgramSocket } from '../src/dgram/index.ts';
import { tmpPath } from './helpers.ts';
import { fdCount } from './fds.ts';

const T = { timeout: 30_000 };
const errno = (name: keyof typeof os.errno): number => -os.errno[name];

describe('unix-dgram interface', () => {
  test('bind and connect are synchronous; rinfo names a bound sender by path and an unnamed one as ""', T, async () => {
    const path = tmpPath('ud');
    const events: string[] = [];
    const got: [string, unknown][] = [];
    const server = createSocket('unix_dgram', (msg, rinfo) => got.push([msg.toString(), rinfo]));
    assert.ok(server instanceof UnixDgramSocket);
    server.on('listening', () => events.push('listening'));
    server.bind(path);
    events.push('bind returned');
    const named = createSocket('unix_dgram');
    const namedPath = tmpPath('ud-named');
    named.bind(namedPath);
    named.on('connect', () => events.push('connect'));
    named.connect(path);
    events.push('connect returned');
    let calledBack = false;
    named.send(Buffer.from('from a named socket'), (err) => { assert.equal(err, undefined); calledBack = true; });
    assert.ok(calledBack, 'the callback ran before send() returned');
    const unnamed = createSocket('unix_dgram');
    unnamed.send(Buffer.from('xxfrom an unnamed socketxx'), 2, 22, path);
    while (got.length < 2) await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['listening', 'bind returned', 'connect', 'connect returned']);
    assert.deepEqual(got, [
      ['from a named socket', { size: 19, address: namedPath, path: namedPath }],
      ['from an unnamed socket', { size: 22, address: '', path: null }],
    ]);
    assert.deepEqual(server.address(), { path });
    for (const s of [server, named, unnamed]) s.close();
    server.close(); // again: nothing
    assert.equal(server.fd, -1);
  });

  test("errors have unix-dgram's shape and come as events (or to the callback) before the call returns", T, () => {
    const path = tmpPath('ud-err');
    const taken = createSocket('unix_dgram');
    taken.bind(path);
    const s = createSocket('unix_dgram');
    const seen: { message: string; code: unknown; errno: unknown; syscall: unknown }[] = [];
    s.on('error', (e: Error & { code: unknown; errno: unknown; syscall: unknown }) => seen.push({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall }));
    s.bind(path);
    s.connect(`${path}-missing`);
    s.send(Buffer.from('x'), 0, 1, `${path}-missing`);
    let viaCallback: unknown;
    s.send(Buffer.from('x'), 0, 1, `${path}-missing`, (err) => { viaCallback = err; });
    const e = (n: number, syscall: string) => ({ message: `${syscall} ${n}`, code: n, errno: n, syscall });
    assert.deepEqual(seen, [e(errno('EADDRINUSE'), 'bind'), e(errno('ENOENT'), 'connect'), e(errno('ENOENT'), 'send')]);
    assert.equal((viaCallback as { code: number }).code, errno('ENOENT'));
    assert.equal(s.connected, false);
    assert.throws(() => s.send('not a buffer' as never, 0, 1, 5 as never), { name: 'TypeError' });
    assert.throws(() => s.send(Buffer.from('ab'), 1, 5, path), { name: 'RangeError', code: 'ERR_BUFFER_OUT_OF_BOUNDS' });
    assert.throws(() => s.bind(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    taken.close();
    s.close();
  });

  test("offset and length outside the buffer: node:dgram's RangeError ERR_BUFFER_OUT_OF_BOUNDS, nothing sent; inside it, just that slice goes", T, async () => {
    const before = fdCount();
    const path = tmpPath('ud-bounds');
    const got: string[] = [];
    const server = createSocket('unix_dgram', (msg) => got.push(msg.toString()));
    server.bind(path);
    const s = createSocket('unix_dgram');
    const cases: [number, number, string][] = [[1, 5, 'length'], [3, 0, 'offset'], [-1, 1, 'offset'], [0, -1, 'length'], [0.5, 1, 'offset'], [0, 1.5, 'length']];
    for (const [offset, length, name] of cases) {
      assert.throws(() => s.send(Buffer.from('ab'), offset, length, path), {
        name: 'RangeError', code: 'ERR_BUFFER_OUT_OF_BOUNDS', message: `"${name}" is outside of buffer bounds`,
      }, `offset ${offset}, length ${length}`);
    }
    const sent = new Promise<unknown>((r) => s.send(Buffer.from('xxhelloxx'), 2, 5, path, r));
    assert.equal(await sent, undefined);
    while (got.length === 0) await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, ['hello'], 'only the in-bounds send arrived');
    s.close();
    server.close();
    assert.equal(fdCount(), before);
  });

  for (const how of ['connected', 'unconnected'] as const) {
    test(`a ${how} sender to a receiver that stops reading: 'congestion', the queue kept in order, 'writable' once it drains`, T, async () => {
      const before = fdCount();
      const path = tmpPath('ud-full');
      const receiver = new Socket('unix', 'dgram');
      receiver.bind(path);
      const client = createSocket('unix_dgram');
      if (how === 'connected') client.connect(path);
      const events: string[] = [];
      const callbacks: number[] = [];
      let congested = 0;
      let sentAtOnce = -1;
      client.on('congestion', () => {
        if (congested++ === 0) sentAtOnce = callbacks.length;
        if (events.at(-1) !== 'congestion') events.push('congestion');
      });
      client.on('writable', () => events.push('writable'));
      const N = 200;
      for (let i = 0; i < N; i++) {
        const data = Buffer.from(`datagram ${i}`);
        const cb = (err?: Error): void => { assert.equal(err, undefined); callbacks.push(i); };
        if (how === 'connected') client.send(data, cb);
        else client.send(data, 0, data.length, path, cb);
      }
      assert.ok(congested > 0, 'the receiver queue filled up');
      assert.ok(callbacks.length < N, 'some datagrams wait');
      const received: string[] = [];
      while (received.length < N) received.push((await receiver.recv()).toString());
      while (!events.includes('writable')) await new Promise((r) => setImmediate(r));
      assert.deepEqual(received, Array.from({ length: N }, (_, i) => `datagram ${i}`));
      assert.deepEqual(callbacks, Array.from({ length: N }, (_, i) => i));
      assert.deepEqual(events, ['congestion', 'writable']);
      assert.equal(congested, N - sentAtOnce, 'one congestion event per datagram queued: every one after the first that met a full receiver');
      client.close();
      receiver.close();
      assert.equal(fdCount(), before);
    });
  }

  test('close() drops what is queued, calling each callback with ECANCELED', T, () => {
    const path = tmpPath('ud-drop');
    const receiver = new Socket('unix', 'dgram');
    receiver.bind(path);
    const client = createSocket('unix_dgram');
    client.connect(path);
    const results: unknown[] = [];
    for (let i = 0; i < 100; i++) client.send(Buffer.from('x'), (err) => results.push(err === undefined ? 'sent' : (err as unknown as { code: number }).code));
    const sent = results.length;
    assert.ok(sent < 100);
    client.close();
    assert.equal(results.length, 100);
    assert.deepEqual(results.slice(sent), Array(100 - sent).fill(errno('ECANCELED')));
    receiver.close();
  });
});

const DGRAM = fileURLToPath(new URL('../src/dgram/index.ts', import.meta.url));

/** Runs a CommonJS script with `dgram` bound to node:dgram or berkeley/dgram; its output once it exits. */
async function lifetime(script: string, impl: 'node' | 'berkeley', path: string): Promise<string> {
  const load = impl === 'node' ? "require('node:dgram')" : `require(${JSON.stringify(DGRAM)})`;
  const p = spawn(process.execPath, ['--import', 'tsx', '-e', `const dgram = ${load};\n${script}`, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  p.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  // A child that waits for a datagram says so; it gets one from here.
  p.stdout.on('data', () => {
    const m = /waiting on (\d+)/.exec(out);
    if (m && !out.includes('sent')) {
      out += 'sent\n';
      const s = new Socket('inet', 'dgram');
      s.sendToSync('wake', { family: 'inet', address: '127.0.0.1', port: Number(m[1]) });
      s.close();
    }
  });
  await once(p, 'exit');
  return out;
}

const LIFETIMES: Record<string, string> = {
  'a bound udp4 socket keeps the process alive until a datagram closes it': `
    const s = dgram.createSocket('udp4', (m) => { console.log('got', String(m)); s.close(); });
    s.bind(0, '127.0.0.1', () => console.log('waiting on ' + s.address().port));
    process.on('exit', () => console.log('exit'));`,
  'an unref()ed bound udp4 socket lets the process exit': `
    const s = dgram.createSocket('udp4', () => console.log('got'));
    s.bind(0, '127.0.0.1', () => { s.unref(); console.log('bound'); });
    process.on('exit', () => console.log('exit'));`,
  'an unbound udp4 socket does not keep the process alive': `
    const s = dgram.createSocket('udp4');
    process.on('exit', () => console.log('exit'));`,
  'unref() before bind carries over to the bound socket': `
    const s = dgram.createSocket('udp4').unref();
    s.bind(0, '127.0.0.1', () => console.log('bound'));
    process.on('exit', () => console.log('exit'));`,
};

describe('which sockets keep the process alive', () => {
  for (const [name, script] of Object.entries(LIFETIMES)) {
    test(`${name} (as with node:dgram)`, T, async () => {
      const port = (out: string): string => out.replace(/waiting on \d+/, 'waiting on PORT');
      const want = port(await lifetime(script, 'node', ''));
      assert.equal(port(await lifetime(script, 'berkeley', '')), want);
      assert.match(want, /exit/);
    });
  }

  test('unix_dgram: a bound socket waits for a datagram; unref()ed, or a client with nothing pending, it does not', T, async () => {
    const path = tmpPath('ud-life');
    const bound = await lifetime(`
      const s = dgram.createSocket('unix_dgram', (m) => { console.log('got', String(m)); s.close(); });
      s.bind(process.argv[1]);
      const w = dgram.createSocket('udp4', () => { w.close(); const c = dgram.createSocket('unix_dgram'); c.send(Buffer.from('hi'), 0, 2, process.argv[1]); c.close(); });
      w.bind(0, '127.0.0.1', () => console.log('waiting on ' + w.address().port));
      process.on('exit', () => console.log('exit'));`, 'berkeley', path);
    assert.match(bound, /sent\ngot hi\nexit/);
    const unrefd = await lifetime(`
      const s = dgram.createSocket('unix_dgram', () => console.log('got'));
      s.bind(process.argv[1] + '-2');
      s.unref();
      const c = dgram.createSocket('unix_dgram');
      c.connect(process.argv[1] + '-2');
      process.on('exit', () => console.log('exit'));`, 'berkeley', path);
    assert.equal(unrefd, 'exit\n');
    assert.ok(existsSync(`${path}-2`), 'close() leaves the socket file, as unix-dgram does');
  });
});
