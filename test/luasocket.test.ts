// Scenarios from LuaSocket's own test suite (testclnt.lua), at its sizes,
// against two peers: berkeley itself (in a worker thread) and a real
// LuaSocket (Debian's lua5.4 + lua-socket; installed here when possible as
// root, skipped otherwise). Each scenario runs with the async and the sync API.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { Worker } from 'node:worker_threads';
import { Socket, select, selectSync, SocketError } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { ascii, raw } from './fixtures/strings.ts';
import { isRoot } from './helpers.ts';

/** An error of sendAll(data, i, j): LuaSocket's third result is `lastIndex`. */
type SendError = SocketError & { lastIndex?: number };

function haveLuaSocket(): boolean {
  return spawnSync('lua5.4', ['-e', 'require("socket")'], { stdio: 'ignore' }).status === 0;
}

/** Installs Debian's lua5.4 and lua-socket when missing and allowed; the reason to skip otherwise. */
function luaSocketUnavailable(): string | false {
  if (haveLuaSocket()) return false;
  if (!isRoot || spawnSync('which', ['apt-get']).status !== 0) return 'lua5.4 with lua-socket is not installed (apt-get install lua5.4 lua-socket)';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 300_000 });
  spawnSync('apt-get', ['install', '-y', '-qq', 'lua5.4', 'lua-socket'], { stdio: 'ignore', env, timeout: 300_000 });
  return haveLuaSocket() ? false : 'installing lua5.4 and lua-socket failed';
}

interface Peer {
  control: Socket;
  port: number;
  stop(): Promise<void>;
}

async function startPeer(kind: 'berkeley' | 'luasocket'): Promise<Peer> {
  let port: number;
  let stop: () => Promise<void>;
  if (kind === 'berkeley') {
    const url = new URL('./fixtures/peer.ts', import.meta.url).href;
    const w = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); })`, { eval: true });
    port = await new Promise<number>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    stop = async () => { await new Promise((r) => { w.once('exit', r); setTimeout(() => void w.terminate(), 5000).unref(); }); };
  } else {
    const child: ChildProcess = spawn('lua5.4', [new URL('./fixtures/peer.lua', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
      child.once('error', reject);
    });
    stop = async () => { await new Promise((r) => { child.once('exit', r); setTimeout(() => child.kill(), 5000).unref(); }); };
  }
  const control = new Socket('inet', 'stream');
  await control.connect({ family: 'inet', address: '127.0.0.1', port });
  return { control, port, stop: async () => { control.close(); await stop(); } };
}

for (const kind of ['berkeley', 'luasocket'] as const) {
  const unavailable = kind === 'luasocket' ? luaSocketUnavailable() : false;
  describe(`receive patterns against a ${kind} peer`, { skip: unavailable }, () => {
    let peer: Peer;
    before(async () => { peer = await startPeer(kind); });
    after(async () => { await peer?.stop(); });

    const cmd = (line: string) => peer.control.sendAll(`${line}\n`);
    /** A fresh data connection, as LuaSocket's reconnect(). */
    async function reconnect(): Promise<Socket> {
      // Wait until the peer finished the previous scenario's commands.
      await cmd('ping');
      assert.equal((await peer.control.receive('line')).toString(), 'pong');
      await cmd('accept');
      const s = new Socket('inet', 'stream');
      await s.connect({ family: 'inet', address: '127.0.0.1', port: peer.port });
      s.setTimeout(30_000);
      return s;
    }

    for (const form of ['async', 'sync'] as const) {
      const receive = (s: Socket, p?: 'line' | 'all' | '*l' | '*a' | number, prefix?: string | Uint8Array) =>
        form === 'async' ? s.receive(p, prefix) : Promise.resolve().then(() => s.receiveSync(p, prefix));

      for (const len of [1, 17, 200, 4091, 80199, 8000000]) {
        test(`${form}: lines of ${len} bytes, ASCII and binary with NULs`, { timeout: 120_000 }, async () => {
          const s = await reconnect();
          await cmd(`line ascii ${len}`);
          assert.ok((await receive(s, '*l')).equals(ascii(len)));
          await cmd(`line raw ${len}`);
          const got = await receive(s);
          assert.equal(got.length, len);
          assert.ok(got.equals(raw(len)));
          s.close();
        });
      }

      test(`${form}: counted blocks sent in two halves`, { timeout: 120_000 }, async () => {
        const s = await reconnect();
        for (const len of [1, 17, 200, 4091, 80199, 800000]) {
          await cmd(`halves ${len} 10`);
          assert.ok((await receive(s, len)).equals(raw(len)), `block of ${len}`);
        }
        s.close();
      });

      test(`${form}: mixed patterns on one connection, then '*a' until close`, { timeout: 120_000 }, async () => {
        const s = await reconnect();
        await cmd(`hex ${Buffer.from('line one\nline two\r\n0123456789the rest\r\nof it').toString('hex')}`);
        await cmd('close');
        assert.equal((await receive(s, '*l')).toString(), 'line one');
        assert.equal((await receive(s, '*l')).toString(), 'line two', 'CRLF: LF and every CR stripped');
        assert.equal((await receive(s, 10)).toString(), '0123456789');
        assert.equal((await receive(s, '*a')).toString(), 'the rest\r\nof it', "'*a' keeps CRs");
        s.close();
      });

      test(`${form}: prefixes`, { timeout: 120_000 }, async () => {
        const s = await reconnect();
        await cmd(`hex ${Buffer.from('body\nxyz123').toString('hex')}`);
        assert.equal((await receive(s, 'line', 'pre-')).toString(), 'pre-body');
        assert.equal((await receive(s, 5, 'ab')).toString(), 'abxyz', 'a prefix counts toward n');
        assert.equal((await receive(s, 2, 'abcd')).toString(), 'abcd', 'a prefix as long as n is returned without reading');
        assert.equal((await receive(s, 3)).toString(), '123', 'nothing was consumed by that');
        s.close();
      });

      test(`${form}: partial data on close, and '*a' at EOF twice`, { timeout: 120_000 }, async () => {
        let s = await reconnect();
        await cmd(`hex ${Buffer.from('abc').toString('hex')}`);
        await cmd('close');
        await assert.rejects(receive(s, 10), (err: SocketError) => {
          assert.equal(err.code, 'EOF');
          assert.equal(err.partial!.toString(), 'abc');
          return true;
        });
        s.close();
        s = await reconnect();
        await cmd(`hex ${Buffer.from('no newline').toString('hex')}`);
        await cmd('close');
        await assert.rejects(receive(s, 'line', '>'), (err: SocketError) => err.code === 'EOF' && err.partial!.toString() === '>no newline');
        s.close();
        s = await reconnect();
        await cmd(`hex ${Buffer.from('everything').toString('hex')}`);
        await cmd('close');
        assert.equal((await receive(s, '*a')).toString(), 'everything');
        await assert.rejects(receive(s, '*a'), (err: SocketError) => err.code === 'EOF' && err.partial!.length === 0);
        assert.equal((await s.recv()).length, 0, 'a plain recv at EOF returns an empty Buffer');
        s.close();
      });

      test(`${form}: block versus total timeouts (reduced scale)`, { timeout: 120_000 }, async () => {
        // [timeout ms, pause ms]: LuaSocket's (1,3) (2,3) (5,2) (3,1) matrix, in tenths of seconds.
        for (const mode of ['total', 'block'] as const) {
          for (const [tm, sl] of [[100, 300], [200, 300], [500, 200], [300, 100]]) {
            const s = await reconnect();
            s.setTimeout(null);
            s.setTimeout(tm, mode);
            const len = 80009;
            await cmd(`halves ${2 * len} ${sl}`);
            const t0 = performance.now();
            if (tm < sl) {
              await assert.rejects(receive(s, 2 * len), (err: SocketError) => {
                assert.equal(err.code, 'ETIMEDOUT', `${mode} ${tm}/${sl}`);
                assert.ok(err.partial!.length < 2 * len);
                return true;
              });
              assert.ok(performance.now() - t0 >= tm * 0.8);
              // The rest arrives later: resume from the partial result.
              s.setTimeout(null, mode);
            } else {
              assert.ok((await receive(s, 2 * len)).equals(raw(2 * len)), `${mode} ${tm}/${sl}`);
            }
            s.close();
          }
        }
        // Where they differ: bytes every 60 ms pass a 300 ms block timeout but not a 250 ms total.
        let s = await reconnect();
        s.setTimeout(300, 'block');
        await cmd('trickle 8 60');
        assert.equal((await receive(s, 8)).toString(), 'tttttttt');
        s.close();
        s = await reconnect();
        s.setTimeout(null);
        s.setTimeout(250, 'total');
        await cmd('trickle 8 60');
        await assert.rejects(receive(s, 8), (err: SocketError) => err.code === 'ETIMEDOUT' && err.partial!.length > 0 && err.partial!.length < 8);
        s.close();
      });
    }

    test('a send resumed after timeout-0 partial sends until a^n b^n arrive intact', { timeout: 120_000 }, async () => {
      const s = await reconnect();
      const n = 800_000;
      const str = Buffer.concat([Buffer.alloc(n, 'a'), Buffer.alloc(n, 'b')]);
      s.setOption('sndbuf', 16384); // make the kernel buffer fill quickly
      s.setTimeout(0);
      let off = 0;
      let partials = 0;
      // The peer starts reading only when told, after the first send: that
      // one fills both ends' buffers and stops short, however fast or slow
      // either process runs.
      let told = false;
      while (off < str.length) {
        try {
          await s.sendAll(str.subarray(off));
          off = str.length;
        } catch (err) {
          assert.equal((err as SocketError).code, 'ETIMEDOUT');
          off += (err as SocketError).sent!;
          partials++;
          if (!told) { await cmd(`expect-ab ${n}`); told = true; }
          await select([], [s], 10_000); // as LuaSocket would: the socket itself never waits
        }
      }
      if (!told) await cmd(`expect-ab ${n}`);
      assert.equal((await peer.control.receive('line')).toString(), 'ok');
      assert.ok(partials > 0, 'the socket buffer filled at least once');
      s.close();
    });

    test('a send resumed from err.lastIndex + 1 (LuaSocket: "You might want to try again from the byte following that")', { timeout: 120_000 }, async () => {
      const s = await reconnect();
      const n = 800_000;
      const str = Buffer.concat([Buffer.alloc(n, 'a'), Buffer.alloc(n, 'b')]);
      s.setOption('sndbuf', 16384);
      s.setTimeout(0);
      let i = 1;
      let partials = 0;
      let told = false; // the peer reads only after the first send stopped short (see above)
      for (;;) {
        try {
          assert.equal(await s.sendAll(str, i), str.length, 'the last index of a complete send is the length');
          break;
        } catch (err) {
          const e = err as SendError;
          assert.equal(e.code, 'ETIMEDOUT');
          assert.equal(e.lastIndex, i - 1 + e.sent!, 'lastIndex is i - 1 plus the bytes sent');
          i = e.lastIndex! + 1;
          partials++;
          if (!told) { await cmd(`expect-ab ${n}`); told = true; }
          await select([], [s], 10_000);
        }
      }
      if (!told) await cmd(`expect-ab ${n}`);
      assert.equal((await peer.control.receive('line')).toString(), 'ok');
      assert.ok(partials > 0, 'the socket buffer filled at least once');
      s.close();
    });

    test('non-blocking line reassembly with a prefix (timeout 0)', { timeout: 120_000 }, async () => {
      const s = await reconnect();
      s.setTimeout(0);
      await cmd('lineslow 200000 50');
      let partial: Buffer = Buffer.alloc(0);
      let line: Buffer | null = null;
      let rounds = 0;
      while (!line) {
        try {
          line = await s.receive('line', partial);
        } catch (err) {
          assert.equal((err as SocketError).code, 'ETIMEDOUT');
          partial = (err as SocketError).partial!;
          rounds++;
          await select([s], [], 10_000);
        }
      }
      assert.ok(rounds > 0);
      assert.ok(line.equals(ascii(200000)));
      s.close();
    });

    test('stats over 25 echo rounds', { timeout: 120_000 }, async () => {
      const s = await reconnect();
      let t = 0;
      for (let i = 0; i < 25; i++) {
        const c = 1 + ((i * 37) % 100);
        await cmd(`echo ${c}`);
        await s.sendAll(Buffer.alloc(c, 'a'));
        assert.equal((await s.receive(c)).length, c);
        t += c;
        const { received, sent, age } = s.stats();
        assert.equal(received, t);
        assert.equal(sent, t);
        assert.ok(age >= 0 && age < 60);
      }
      s.setStats(10, 20, 30);
      const st = s.stats();
      assert.deepEqual([st.received, st.sent], [10, 20]);
      assert.ok(st.age >= 30 && st.age < 31);
      s.close();
    });

    test('select returns sockets with buffered data as readable', { timeout: 120_000 }, async () => {
      const s = await reconnect();
      await cmd(`hex ${Buffer.from('first\nsecond\n').toString('hex')}`);
      assert.equal((await s.receive()).toString(), 'first');
      assert.equal(s.dirty(), true);
      assert.deepEqual((await select([s], [], 0)).readable, [s]);
      assert.deepEqual(selectSync([s], [], 0).readable, [s]);
      assert.equal((await s.receive()).toString(), 'second');
      assert.equal(s.dirty(), false);
      s.close();
    });
  });
}

/** Lua's string.sub(s, i, j) on bytes, from the Lua 5.4 manual: negative indices count from the end, then i < 1 is 1 and j > #s is #s. */
function luaSub(s: Buffer, i: number, j = -1): Buffer {
  const first = Math.max(i < 0 ? s.length + i + 1 : i, 1);
  const last = Math.min(j < 0 ? s.length + j + 1 : j, s.length);
  return first > last ? Buffer.alloc(0) : s.subarray(first - 1, last);
}
/** LuaSocket's result: "the index of the last byte within [i, j] that has been sent" (i - 1 when nothing is). */
const lastIndex = (s: Buffer, i: number, j = -1): number => Math.max(i < 0 ? s.length + i + 1 : i, 1) - 1 + luaSub(s, i, j).length;

describe('send(data, i, j) and linger between berkeley and a real LuaSocket', { skip: luaSocketUnavailable() }, () => {
  let peer: Peer;
  before(async () => { peer = await startPeer('luasocket'); });
  after(async () => { await peer?.stop(); });

  const cmd = (line: string) => peer.control.sendAll(`${line}\n`);
  const reply = async () => (await peer.control.receive('line')).toString();
  async function reconnect(): Promise<Socket> {
    await cmd('ping');
    assert.equal(await reply(), 'pong');
    await cmd('accept');
    const s = new Socket('inet', 'stream');
    await s.connect({ family: 'inet', address: '127.0.0.1', port: peer.port });
    s.setTimeout(30_000);
    return s;
  }

  // UTF-8: LuaSocket counts bytes, and so does berkeley for strings.
  const text = 'h\u00e9llo, w\u00f6rld';
  const bytes = Buffer.from(text);
  const is = [-20, -14, -5, -1, 0, 1, 2, 13, 14, 15];
  const js = [undefined, -20, -14, -2, -1, 0, 1, 5, 14, 20];

  test('LuaSocket sends with i and j; berkeley receives string.sub(data, i, j) and both agree on the last index', { timeout: 60_000 }, async () => {
    const s = await reconnect();
    for (const i of is) {
      for (const j of js) {
        await cmd(`sendij ${bytes.toString('hex')} ${i} ${j ?? '-'}`);
        const want = luaSub(bytes, i, j);
        assert.equal(await reply(), `last ${lastIndex(bytes, i, j)}`, `LuaSocket send(data, ${i}, ${j})`);
        if (want.length > 0) assert.deepEqual(await s.receive(want.length), want, `bytes of (${i}, ${j})`);
      }
    }
    await cmd('sendij 21 1 -');
    assert.equal(await reply(), 'last 1');
    assert.equal((await s.receive(1)).toString(), '!', 'nothing but the selected bytes was sent');
    s.close();
  });

  test('berkeley sends with i and j (async and sync); LuaSocket receives string.sub(data, i, j)', { timeout: 60_000 }, async () => {
    const s = await reconnect();
    let sync = false;
    for (const i of is) {
      for (const j of js) {
        const data = (sync = !sync) ? text : bytes;
        const last: number = sync ? s.sendAllSync(data, i, j) : await s.sendAll(data, i, j);
        assert.equal(last, lastIndex(bytes, i, j), `sendAll(data, ${i}, ${j})`);
        const want = luaSub(bytes, i, j);
        if (want.length === 0) continue; // LuaSocket's receive(0) waits for data: the next case and the sentinel show nothing went out
        await cmd(`recvn ${want.length}`);
        assert.equal(await reply(), `got ${want.toString('hex')}`, `LuaSocket received (${i}, ${j})`);
      }
    }
    assert.equal(await s.sendAll('!', 1), 1);
    await cmd('recvn 1');
    assert.equal(await reply(), 'got 21', 'nothing but the selected bytes was sent');
    s.close();
  });

  test('linger on both ends: LuaSocket setoption/getoption, berkeley setsockopt/getsockopt by number; linger 0 closes with a RST', { timeout: 30_000 }, async () => {
    // LuaSocket: "If the 'on' field is set to true, the system will block the process on the
    // close attempt until it is able to transmit the data or until 'timeout' has passed."
    let s = await reconnect();
    await cmd('linger true 0');
    assert.equal(await reply(), 'linger true 0');
    await cmd('close');
    await assert.rejects(s.recv(16), { code: 'ECONNRESET' }, 'LuaSocket closed with linger { on = true, timeout = 0 }: a reset');
    s.close();

    s = await reconnect();
    await cmd('linger false 0');
    assert.equal(await reply(), 'linger false 0');
    await cmd('close');
    assert.equal((await s.recv(16)).length, 0, 'linger off: an orderly end of stream');
    s.close();

    // berkeley's end, as S-Lang sets it: struct { l_onoff, l_linger } at SOL_SOCKET/SO_LINGER.
    s = await reconnect();
    s.setsockopt(posix.SOL_SOCKET, posix.SO_LINGER, { l_onoff: 1, l_linger: 0 });
    assert.deepEqual(s.getsockopt(posix.SOL_SOCKET, posix.SO_LINGER), { l_onoff: 1, l_linger: 0 });
    assert.deepEqual(s.getOption('linger'), { on: true, timeout: 0 });
    await s.sendAll('x');
    await cmd('recvn 1');
    assert.equal(await reply(), 'got 78', 'data still flows');
    await cmd('recvwait');
    s.close();
    assert.equal(await reply(), 'error closed', 'LuaSocket reports the reset as closed');
  });

  test('LuaSocket on an inherited fd reads the linger berkeley set by number, and sets one berkeley reads back', { timeout: 30_000 }, async () => {
    const s = new Socket('inet', 'stream');
    s.setsockopt(posix.SOL_SOCKET, posix.SO_LINGER, { l_onoff: 1, l_linger: 7 });
    const script = [
      'local socket = require("socket")',
      'local t = socket.tcp()',
      't:setfd(3)', // LuaSocket's setfd: the fd berkeley passed as fd 3
      'local l = assert(t:getoption("linger"))',
      'io.write(string.format("%s %d\\n", tostring(l.on), l.timeout))',
      'assert(t:setoption("linger", { on = true, timeout = 3 }))',
      't:setfd(-1)',
    ].join('\n');
    const child = spawnSync('lua5.4', ['-e', script], { stdio: ['ignore', 'pipe', 'pipe', s.fd], encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'true 7\n', 'LuaSocket getoption("linger") of what berkeley set');
    assert.deepEqual(s.getsockopt(posix.SOL_SOCKET, posix.SO_LINGER), { l_onoff: 1, l_linger: 3 }, 'what LuaSocket set, by number');
    assert.deepEqual(s.getOption('linger'), { on: true, timeout: 3 });
    s.close();
  });
});
