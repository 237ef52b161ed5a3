// berkeley/systemd against systemd's own tools: listenFds() in a child node
// process started by systemd-socket-activate with two named listeners, the
// LISTEN_* rules in children handed fds by spawn, and notify()/notifySync()
// received by a test Unix datagram socket with SO_PASSCRED (path and abstract
// NOTIFY_SOCKET, fds, the kernel's credentials), byte for byte as
// systemd-notify sends the same state.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { Socket, listen } from '../src/index.ts';
import { listenFds, notify, notifySync } from '../src/systemd.ts';
import { abstractName, fdCount, isRoot, tmpPath } from './helpers.ts';

const T = { timeout: 60_000 };
const tsx = import.meta.resolve('tsx');
const systemdUrl = new URL('../src/systemd.ts', import.meta.url).href;

/** Debian's systemd tools, installed as root when missing. */
function haveTool(tool: string): boolean {
  const found = (): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (found()) return true;
  if (!isRoot) return false;
  spawnSync('apt-get', ['install', '-y', '-q', 'systemd'], { stdio: 'ignore', timeout: 300_000 });
  return found();
}
const socketActivate = haveTool('systemd-socket-activate');
const systemdNotify = haveTool('systemd-notify');

/** The node command line that runs `code` (an ES module with berkeley/systemd imported as S). */
const nodeArgs = (code: string): string[] =>
  ['--import', tsx, '--input-type=module', '-e', `import * as S from ${JSON.stringify(systemdUrl)};\n${code}`];

/** Runs a command to its end, collecting its output. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdio?: unknown[] } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: (opts.stdio ?? ['ignore', 'pipe', 'pipe']) as never });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { err += d; });
  const limit = setTimeout(() => p.kill('SIGKILL'), 40_000);
  return new Promise((resolve) => p.on('close', (code) => { clearTimeout(limit); resolve({ code, out, err }); }));
}

/** Connects, sends `line`, and reads the reply to its end; retried while the listener is not up yet. */
async function ask(to: net.NetConnectOpts, line: string): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const c = net.connect(to);
        let s = '';
        c.on('connect', () => c.write(line));
        c.on('data', (d) => { s += d; });
        c.on('end', () => resolve(s));
        c.on('error', reject);
      });
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A free loopback port (bound and released; systemd-socket-activate takes it next). */
function freePort(): number {
  const s = listen('127.0.0.1', 0);
  const { port } = s.localAddress();
  s.close();
  return port;
}

describe('listenFds()', () => {
  test('systemd-socket-activate with two named listeners: a child node process serves on both', { ...T, skip: !socketActivate && 'systemd-socket-activate unavailable' }, async () => {
    const port = freePort();
    const path = tmpPath('activate');
    const child = run('systemd-socket-activate', [
      '-l', `127.0.0.1:${port}`, '-l', path, '--fdname=web:control', '-E', 'PATH',
      process.execPath, ...nodeArgs(`
        const fds = S.listenFds();
        const left = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'].filter((v) => v in process.env);
        await Promise.all(fds.map(async ({ name, socket }) => {
          const conn = await socket.accept({ timeout: 20000 });
          const asked = (await conn.receive('line')).toString();
          await conn.sendAll(JSON.stringify({ name, asked, fd: socket.fd, family: socket.family, inheritable: socket.inheritable, left, again: S.listenFds().length }));
          conn.close();
          socket.close();
        }));
      `),
    ]);
    // systemd-socket-activate starts the child at the first connection.
    const web = JSON.parse(await ask({ port, host: '127.0.0.1' }, 'web?\n'));
    const control = JSON.parse(await ask({ path }, 'control?\n'));
    const r = await child;
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(web, { name: 'web', asked: 'web?', fd: 3, family: 'inet', inheritable: false, left: [], again: 0 });
    assert.deepEqual(control, { name: 'control', asked: 'control?', fd: 4, family: 'unix', inheritable: false, left: [], again: 0 });
  });

  /** Runs `code` in a child given `fds` at 3, 4, ... with LISTEN_* set for it (pid made inside), printing JSON. */
  async function inChild(fds: number[], env: Record<string, string>, code: string): Promise<unknown> {
    const setup = Object.entries(env).map(([k, v]) => `process.env.${k} = ${v === '$PID' ? 'String(process.pid)' : JSON.stringify(v)};`).join('\n');
    const r = await run(process.execPath, nodeArgs(`${setup}\n${code}`), { stdio: ['ignore', 'pipe', 'pipe', ...fds] });
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out);
  }

  test('the LISTEN_* rules, as sd_listen_fds_with_names applies them', T, async () => {
    const a = listen('127.0.0.1', 0);
    const b = new Socket('unix', 'dgram');
    const show = `const show = (f) => { try { const r = f(); return r.map(({ name, socket }) => [name, socket.fd, socket.type]); } catch (e) { return e.code; } };`;
    const env = `['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'].map((v) => process.env[v] ?? null)`;
    const rows: [Record<string, string>, string, unknown][] = [
      // names default to 'unknown'; the variables are unset afterwards
      [{ LISTEN_PID: '$PID', LISTEN_FDS: '2' }, `S.listenFds()`, [[['unknown', 3, 'stream'], ['unknown', 4, 'dgram']], [null, null, null]]],
      [{ LISTEN_PID: '$PID', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a:b' }, `S.listenFds()`, [[['a', 3, 'stream'], ['b', 4, 'dgram']], [null, null, null]]],
      // kept when asked
      [{ LISTEN_PID: '$PID', LISTEN_FDS: '1', LISTEN_FDNAMES: 'a' }, `S.listenFds({ unsetEnvironment: false })`, [[['a', 3, 'stream']], ['$PID', '1', 'a']]],
      // meant for another process, or not set: nothing, and the variables are still cleared
      [{ LISTEN_PID: '1', LISTEN_FDS: '2' }, `S.listenFds()`, [[], [null, null, null]]],
      [{}, `S.listenFds()`, [[], [null, null, null]]],
      [{ LISTEN_FDS: '2' }, `S.listenFds()`, [[], [null, null, null]]],
      // malformed
      [{ LISTEN_PID: 'x', LISTEN_FDS: '2' }, `S.listenFds()`, ['EINVAL', [null, null, null]]],
      [{ LISTEN_PID: '0', LISTEN_FDS: '2' }, `S.listenFds()`, ['EINVAL', [null, null, null]]],
      [{ LISTEN_PID: '$PID', LISTEN_FDS: '-1' }, `S.listenFds()`, ['EINVAL', [null, null, null]]],
      [{ LISTEN_PID: '$PID', LISTEN_FDS: 'two' }, `S.listenFds()`, ['EINVAL', [null, null, null]]],
      [{ LISTEN_PID: '$PID', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a' }, `S.listenFds()`, ['EINVAL', [null, null, null]]],
      [{ LISTEN_PID: '$PID', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a:b:c' }, `S.listenFds({ unsetEnvironment: false })`, ['EINVAL', ['$PID', '2', 'a:b:c']]],
    ];
    for (const [vars, call, expected] of rows) {
      const got = await inChild([a.fd, b.fd], vars, `${show}\nconsole.log(JSON.stringify([show(() => ${call}), ${env}]));`);
      const pidFixed = JSON.parse(JSON.stringify(expected)) as unknown[];
      const [, envGot] = got as [unknown, (string | null)[]];
      if (envGot[0] !== null && (pidFixed[1] as string[])[0] === '$PID') (pidFixed[1] as string[])[0] = envGot[0];
      assert.deepEqual(got, pidFixed, `${JSON.stringify(vars)} ${call}`);
    }
    a.close();
    b.close();
  });

  test('an fd that is not a socket is ENOTSOCK; sockets adopted before it are let go, not closed', T, async () => {
    const a = listen('127.0.0.1', 0);
    const path = tmpPath('not-a-socket');
    const file = openSync(path, 'w');
    const got = await inChild([a.fd, file], { LISTEN_PID: '$PID', LISTEN_FDS: '2' }, `
      const fs = await import('node:fs');
      let code;
      try { S.listenFds(); } catch (e) { code = e.code; }
      console.log(JSON.stringify([code, fs.fstatSync(3).isSocket(), fs.fstatSync(4).isFile()]));
    `);
    assert.deepEqual(got, ['ENOTSOCK', true, true]);
    closeSync(file);
    a.close();
  });

  test('bad options are TypeErrors, before anything is read or cleared', T, () => {
    process.env.LISTEN_PID = '1';
    try {
      for (const bad of [null, 1, 'x']) assert.throws(() => listenFds(bad as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      for (const bad of [1, 'no', null]) assert.throws(() => listenFds({ unsetEnvironment: bad as never }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      assert.equal(process.env.LISTEN_PID, '1', 'left as it was');
      assert.deepEqual(listenFds(), [], 'another process\'s fds');
      assert.equal(process.env.LISTEN_PID, undefined);
    } finally {
      delete process.env.LISTEN_PID;
    }
  });
});

/** A Unix datagram receiver with SO_PASSCRED on, as systemd's notify socket is. */
function receiver(path: string): Socket {
  const r = new Socket('unix', 'dgram');
  r.bind(path);
  r.setOption('passcred', true);
  return r;
}

/** Runs fn with NOTIFY_SOCKET set to `value`, restoring it after. */
async function withNotifySocket<T>(value: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  const old = process.env.NOTIFY_SOCKET;
  if (value === undefined) delete process.env.NOTIFY_SOCKET;
  else process.env.NOTIFY_SOCKET = value;
  try {
    return await fn();
  } finally {
    if (old === undefined) delete process.env.NOTIFY_SOCKET;
    else process.env.NOTIFY_SOCKET = old;
  }
}

describe('notify()', () => {
  test('a path NOTIFY_SOCKET receives the state, with the kernel\'s credentials naming this process', T, async () => {
    const path = tmpPath('notify');
    const r = receiver(path);
    await withNotifySocket(path, async () => {
      assert.equal(await notify({ READY: 1, STATUS: 'serving on :8080' }), true);
      const m = await r.recvMsg({ timeout: 5000 });
      assert.equal(m.data.toString(), 'READY=1\nSTATUS=serving on :8080');
      assert.equal(m.credentials?.pid, process.pid);
      assert.equal(m.credentials?.uid, process.getuid!());
      assert.equal(notifySync('WATCHDOG=1'), true);
      assert.equal((await r.recvMsg({ timeout: 5000 })).data.toString(), 'WATCHDOG=1');
      assert.equal(process.env.NOTIFY_SOCKET, path, 'kept by default');
    });
    r.close();
  });

  test('an @abstract NOTIFY_SOCKET; fds for the fd store arrive open; unsetEnvironment clears the variable', T, async () => {
    const name = abstractName('notify');
    const r = receiver(name);
    const [x, y] = Socket.pair('stream');
    await withNotifySocket(`@${name.slice(1)}`, async () => {
      assert.equal(await notify({ FDSTORE: 1, FDNAME: 'conn' }, { fds: [x.fd] }), true);
      const m = await r.recvMsg({ timeout: 5000 });
      assert.equal(m.data.toString(), 'FDSTORE=1\nFDNAME=conn');
      assert.equal(m.credentials?.pid, process.pid);
      assert.equal(m.fds.length, 1);
      const stored = Socket.from(m.fds[0]);
      await stored.sendAll('through the stored fd');
      assert.equal((await y.recv()).toString(), 'through the stored fd');
      stored.close();
      assert.equal(notifySync('STOPPING=1', { fds: [y.fd], unsetEnvironment: true }), true);
      const n = r.recvMsgSync({ timeout: 5000 });
      assert.equal(n.data.toString(), 'STOPPING=1');
      assert.equal(n.fds.length, 1);
      Socket.from(n.fds[0]).close();
      assert.equal(process.env.NOTIFY_SOCKET, undefined);
      assert.equal(await notify('READY=1'), false, 'now unset');
    });
    for (const s of [r, x, y]) s.close();
  });

  test('from another process: the credentials name that process', T, async () => {
    const path = tmpPath('notify-child');
    const r = receiver(path);
    const res = await run(process.execPath, nodeArgs(`console.log(process.pid, await S.notify({ READY: 1 }));`), { env: { ...process.env, NOTIFY_SOCKET: path } });
    assert.equal(res.code, 0, res.err);
    const [pid, sent] = res.out.trim().split(' ');
    assert.equal(sent, 'true');
    const m = await r.recvMsg({ timeout: 5000 });
    assert.equal(m.data.toString(), 'READY=1');
    assert.equal(m.credentials?.pid, Number(pid));
    r.close();
  });

  test('the same bytes as systemd-notify sends for the same state', { ...T, skip: !systemdNotify && 'systemd-notify unavailable' }, async () => {
    const path = tmpPath('notify-compare');
    const r = receiver(path);
    const cases: [string[], Parameters<typeof notify>[0]][] = [
      [['--ready', '--status=hello world'], { READY: 1, STATUS: 'hello world' }],
      [['READY=1', 'STATUS=two words', 'ERRNO=2'], { READY: 1, STATUS: 'two words', ERRNO: 2 }],
      [['WATCHDOG=1'], 'WATCHDOG=1'],
    ];
    for (const [args, state] of cases) {
      const res = await run('systemd-notify', ['--no-block', ...args], { env: { ...process.env, NOTIFY_SOCKET: path } });
      assert.equal(res.code, 0, res.err);
      const theirs = await r.recvMsg({ timeout: 5000 });
      await withNotifySocket(path, () => notify(state));
      const ours = await r.recvMsg({ timeout: 5000 });
      assert.equal(ours.data.toString(), theirs.data.toString(), args.join(' '));
      assert.equal(theirs.credentials?.pid !== undefined && ours.credentials?.pid === process.pid, true);
    }
    r.close();
  });

  test('false when NOTIFY_SOCKET is unset or empty, making no socket', T, async () => {
    const before = fdCount();
    await withNotifySocket(undefined, async () => {
      assert.equal(await notify('READY=1'), false);
      assert.equal(notifySync({ READY: 1 }), false);
    });
    await withNotifySocket('', async () => assert.equal(await notify('READY=1'), false));
    assert.equal(fdCount(), before);
  });

  test('bad states and options are refused before any system call (async: a rejected promise), leaving no fd', T, async () => {
    const path = tmpPath('notify-bad');
    const r = receiver(path);
    const rows: [unknown, unknown, string, string][] = [
      [123, undefined, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      [null, undefined, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['', undefined, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['READY=1\0', undefined, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      [{}, undefined, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      [{ 'A=B': 1 }, undefined, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      [{ 'READY\nMAINPID': 1 }, undefined, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      [{ STATUS: 'a\nMAINPID=1' }, undefined, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      [{ STATUS: NaN }, undefined, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      [{ STATUS: {} }, undefined, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      [{ STATUS: true }, undefined, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['READY=1', null, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['READY=1', { fds: 3 }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['READY=1', { fds: [-1] }, 'RangeError', 'ERR_OUT_OF_RANGE'],
      ['READY=1', { fds: [1.5] }, 'RangeError', 'ERR_OUT_OF_RANGE'],
      ['READY=1', { fds: ['3'] }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['READY=1', { fds: Array(254).fill(0) }, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['READY=1', { unsetEnvironment: 'yes' }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ];
    await withNotifySocket(path, async () => {
      const before = fdCount();
      for (const [state, opts, name, code] of rows) {
        const what = `${JSON.stringify(state)} ${JSON.stringify(opts)}`;
        let p: Promise<boolean> | undefined;
        assert.doesNotThrow(() => { p = notify(state as never, opts as never); }, what);
        await assert.rejects(p!, { name, code }, what);
        assert.throws(() => notifySync(state as never, opts as never), { name, code }, what);
      }
      assert.equal(fdCount(), before);
      assert.equal(process.env.NOTIFY_SOCKET, path);
    });
    await assert.rejects(r.recvMsg({ timeout: 0 }), { code: 'ETIMEDOUT' }, 'nothing was sent');
    // A NOTIFY_SOCKET of no known kind, and one nobody listens on.
    await withNotifySocket('relative/path', async () => {
      await assert.rejects(notify('READY=1'), { name: 'SocketError', code: 'EAFNOSUPPORT' });
    });
    await withNotifySocket(tmpPath('nobody'), async () => {
      await assert.rejects(notify('READY=1'), { name: 'SocketError', code: 'ENOENT' });
      assert.throws(() => notifySync('READY=1'), { name: 'SocketError', code: 'ENOENT' });
    });
    r.close();
  });
});
