// Servers at scale, with the README's idiom (listen(), for await over
// connections(), per connection recv() + sendAll()) against node:net clients
// in another process: 10,000 connections held at once with every fd given
// back; a burst of 2,000 connects accepted with none lost; one port served
// by a pool of worker threads with SO_REUSEPORT, each with its own
// readiness set, and a worker's exit closing what it owned.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { listen, type Socket } from '../src/index.ts';
import { fdCount, fdTargets } from './fds.ts';
import { sleep } from './helpers.ts';

const clients = new URL('./fixtures/clients.cjs', import.meta.url).pathname;
const dist = new URL('../dist/index.js', import.meta.url).href;

/** The README's server: echo what each connection sends until it ends, then close it. */
function serve(server: Socket, served: Set<Socket>): Promise<void> {
  return (async () => {
    for await (const conn of server.connections()) {
      served.add(conn);
      void (async () => {
        try {
          for (;;) {
            const data = await conn.recv();
            if (data.length === 0) break;
            await conn.sendAll(data);
          }
        } catch { /* a reset connection ends like a closed one */ }
        conn.close();
        served.delete(conn);
      })();
    }
  })();
}

/** The first line a child prints; the rest of its output is read and dropped, so its pipe ends (and closes) when it exits. */
async function firstLine(child: ChildProcess): Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  const [line] = (await once(rl, 'line')) as [string];
  rl.close();
  child.stdout!.resume();
  return line;
}

/** Ends a child and waits until its pipes are closed: counting fds before that would count them. */
async function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill();
  if (child.stdout?.closed === false || child.stdin?.closed === false || child.exitCode === null) await once(child, 'close');
}

/** How many fds this process may open (the soft limit, which Node raises to the hard one at start). */
function fdLimit(): number {
  const r = spawnSync('sh', ['-c', `grep 'Max open files' /proc/${process.pid}/limits`], { encoding: 'utf8' });
  return Number(/Max open files\s+(\d+)/.exec(r.stdout)?.[1] ?? 1024);
}

/** The sockets among this process's fds (the children's pipes come and go with them). */
const socketCount = (): number => fdTargets().filter((t) => t.includes(':socket:')).length;

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

describe('servers', () => {
  test('10,000 connections held at once, each echoed, then every fd given back', { timeout: 600_000 }, async (t) => {
    // Both ends need about one fd per connection, each in its own process.
    const n = Math.min(10_000, fdLimit() - 200);
    if (n < 10_000) t.diagnostic(`scaled down to ${n} connections: the fd limit is ${fdLimit()}`);
    const before = fdCount();
    const server = listen('127.0.0.1', 0, { backlog: 4096 });
    const served = new Set<Socket>();
    const serving = serve(server, served);
    const child = spawn(process.execPath, [clients, String(server.localAddress().port), String(n), 'hold'], { stdio: ['pipe', 'pipe', 'inherit'] });
    // Counted with the listener and the child's stdio (socketpairs), before any client can connect.
    const sockets = socketCount();
    try {
      assert.equal(await firstLine(child), `ready ${n}`, 'every client got its own line back');
      assert.equal(served.size, n, 'every connection is open at once');
      assert.equal(socketCount(), sockets + n, 'one fd per connection');
      const exited = once(child, 'exit');
      child.stdin!.end();  // the clients close: each server connection reads its end and closes
      await until('every connection has closed', () => served.size === 0);
      assert.equal((await exited)[0], 0);
    } finally {
      await ended(child);
      server.close();
      for (const conn of served) conn.close();
      await serving;
    }
    assert.equal(fdCount(), before, 'every fd given back');
  });

  test('a burst of 2,000 connects at once: every one accepted and served, none lost', { timeout: 120_000 }, async () => {
    const before = fdCount();
    const server = listen('127.0.0.1', 0);  // the default backlog, SOMAXCONN
    const served = new Set<Socket>();
    const serving = serve(server, served);
    const child = spawn(process.execPath, [clients, String(server.localAddress().port), '2000', 'burst'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      assert.equal(await firstLine(child), 'done 2000 0');
      await until('every connection has closed', () => served.size === 0);
    } finally {
      await ended(child);
      server.close();
      for (const conn of served) conn.close();
      await serving;
    }
    assert.equal(fdCount(), before);
  });

  test('a pool of worker threads serves one port with reuseport; a worker that exits closes what it owned', { timeout: 120_000 }, async () => {
    const before = fdCount();
    // Each worker loads berkeley (its own readiness set), listens on the
    // shared port and answers "<line> <its threadId>" per connection.
    const code = `
      const { parentPort, workerData, threadId } = require('node:worker_threads');
      import(workerData.dist).then(async ({ listen }) => {
        const server = listen('127.0.0.1', workerData.port, { reuseport: true });
        parentPort.postMessage(server.localAddress().port);
        for await (const conn of server.connections()) {
          (async () => {
            for (;;) {
              const data = await conn.recv();
              if (data.length === 0) break;
              await conn.sendAll(data.toString().trim() + ' ' + threadId + '\\n');
            }
            conn.close();
          })().catch(() => {});
        }
      });`;
    const start = (port: number) => new Worker(code, { eval: true, workerData: { dist, port } });
    const first = start(0);
    const [port] = (await once(first, 'message')) as [number];
    const second = start(port);
    await once(second, 'message');
    const pool = [first, second];
    try {
      const r = spawn(process.execPath, [clients, String(port), '200', 'tag'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines = JSON.parse(await firstLine(r)) as (string | null)[];
      await ended(r);
      const threads = new Set<string>();
      lines.forEach((line, i) => {
        const [echo, thread] = (line ?? '').split(' ');
        assert.equal(echo, String(i), `client ${i} got ${JSON.stringify(line)}`);
        threads.add(thread!);
      });
      assert.deepEqual([...threads].sort(), pool.map((w) => String(w.threadId)).sort(), 'both workers served connections');
    } finally {
      // Terminated with their listeners and connections open: the environment's teardown closes them.
      await Promise.all(pool.map((w) => w.terminate()));
    }
    await until('the workers\' fds are closed', () => fdCount() === before, 10_000);
  });
});
