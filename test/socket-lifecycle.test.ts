// Lifecycle: worker threads terminated with operations pending, sockets
// closed by the garbage collector, fd accounting over 10,000 connections,
// ref/unref, async context, explicit resource management.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from './sync-child.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { existsSync } from 'node:fs';
import { Socket } from '../src/index.ts';
import { fdCount, sleep } from './helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function startWorker(file: string): Worker {
  const url = new URL(file, import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); })`, { eval: true });
}

// Under valgrind (scripts/valgrind.sh) a worker cannot load tsx: WebAssembly
// cannot reserve its address space there.
const workerSkip = process.env.BERKELEY_VALGRIND ? 'workers cannot instantiate WebAssembly under valgrind' : false;

test('5 workers terminated with operations pending: no crash, their fds closed', { skip: workerSkip }, async () => {
  const before = fdCount();
  const workers = Array.from({ length: 5 }, () => startWorker('./fixtures/pending-worker.ts'));
  let fds: number[][];
  try {
    fds = await Promise.all(workers.map((w) => new Promise<number[]>((resolve, reject) => {
      w.once('message', (m: { fds: number[] }) => resolve(m.fds));
      w.once('error', reject);
    })));
  } finally {
    // A worker that failed to start must not keep the test process alive.
    if (!fds!) await Promise.all(workers.map((w) => w.terminate()));
  }
  for (const list of fds) for (const fd of list) assert.ok(existsSync(`/proc/self/fd/${fd}`));
  await Promise.all(workers.map((w) => w.terminate()));
  await sleep(50);
  assert.ok(fdCount() <= before, `fds after termination: ${fdCount()} (before: ${before})`);
  // The main thread's own sockets still work.
  const [a, b] = Socket.pair();
  await a.send('alive');
  assert.equal((await b.recv()).toString(), 'alive');
  a.close();
  b.close();
});

test('sockets dropped without close() are closed when garbage-collected', async () => {
  const before = fdCount();
  (() => {
    for (let i = 0; i < 50; i++) {
      const s = new Socket('inet', 'dgram');
      s.bind('127.0.0.1:0');
    }
    const [a, b] = Socket.pair();
    void a.recv(1, { timeout: 1 }).catch(() => {}); // had a poll handle once
    void b;
  })();
  assert.ok(fdCount() >= before + 50);
  for (let i = 0; i < 10 && fdCount() > before; i++) {
    gc();
    await sleep(20);
  }
  assert.equal(fdCount(), before);
});

test('10,000 connect/accept/close cycles leave the fd count where it started', async () => {
  const server = new Socket('inet', 'stream');
  server.bind('127.0.0.1:0');
  server.listen();
  const address = server.localAddress();
  const before = fdCount();
  for (let i = 0; i < 10_000; i++) {
    const c = new Socket('inet', 'stream');
    const [conn] = await Promise.all([server.accept(), c.connect(address)]);
    if (i % 100 === 0) {
      await c.send('x');
      assert.equal((await conn.recv()).toString(), 'x');
    }
    conn.close();
    c.close();
  }
  assert.equal(fdCount(), before);
  server.close();
});

test('unref(): a pending accept does not keep the process alive; ref() does', () => {
  const code = (ref: boolean) => `
    import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)}); })
      .then(({ Socket }) => {
        const s = new Socket('inet', 'stream');
        s.bind('127.0.0.1:0');
        s.listen();
        ${ref ? '' : 's.unref();'}
        s.accept({ timeout: 1500 }).then(() => {}, (e) => console.log(e.code));
      });`;
  const unref = spawnSync(process.execPath, ['-e', code(false)], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(unref.status, 0);
  assert.equal(unref.stdout.trim(), '', 'the process exited before the accept timed out');
  const ref = spawnSync(process.execPath, ['-e', code(true)], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(ref.stdout.trim(), 'ETIMEDOUT', 'the process waited for the accept');
});

test('a socket with data always ready does not starve timers (yields every 32 calls)', async () => {
  for (const method of ['recv', 'recvFrom', 'recvInto', 'send'] as const) {
    const r = new Socket('inet', 'dgram');
    r.setOption('rcvbuf', 4 << 20);
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    const queued = 3000;
    for (let i = 0; i < queued; i += 250) s.sendManySync(Array.from({ length: 250 }, () => ({ data: 'x', address: r.localAddress() })));
    s.connectSync(r.localAddress());
    const into = Buffer.alloc(16);
    const one = Buffer.from('y');
    let fired = false;
    setTimeout(() => { fired = true; }, 0);
    let count = 0;
    while (!fired && count < queued) {
      if (method === 'recv') await r.recv(16, { timeout: 5000 });
      else if (method === 'recvFrom') await r.recvFrom(16);
      else if (method === 'recvInto') await r.recvInto(into);
      else await s.send(one); // always writable: the kernel takes each datagram at once
      count++;
    }
    assert.ok(fired, `${method}: the timer fired while datagrams were still queued`);
    assert.ok(count < 200, `${method}: it fired after ${count} calls`);
    r.close();
    s.close();
  }
});

test('AsyncLocalStorage context survives a wait for readiness', async () => {
  const als = new AsyncLocalStorage<string>();
  const [a, b] = Socket.pair();
  const got = als.run('request-42', async () => {
    const data = await b.recv();
    return [als.getStore(), data.toString()];
  });
  await sleep(10);
  await a.send('ctx');
  assert.deepEqual(await got, ['request-42', 'ctx']);
  a.close();
  b.close();
});

test('using / await using close the socket', async () => {
  let outer: Socket;
  const before = fdCount();
  {
    using s = new Socket('inet', 'dgram');
    outer = s;
    assert.equal(fdCount(), before + 1);
  }
  assert.equal(outer.closed, true);
  assert.equal(fdCount(), before);
  const s2 = new Socket('unix', 'dgram');
  {
    await using t = s2;
    void t;
  }
  assert.equal(s2.closed, true);
});
