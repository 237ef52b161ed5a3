// One TCP echo server on every core: N worker_threads, each with a listening
// socket of its own on the same port (SO_REUSEPORT), so the kernel spreads
// the connections across the workers and each worker's event loop serves its
// share. Every worker serves with the README's server idiom.
//
// Run: node --import tsx examples/reuseport-workers.ts [port] [workers]
//      (port 0 or none: the first worker picks a free port; workers default to the cores)
// Try: printf 'hello\n' | nc -q1 127.0.0.1 PORT     (Ctrl-C stops the server)
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { listen, type Socket } from 'berkeley';

const HOST = '127.0.0.1';

/** What a worker tells the main thread: its port once it listens, how many connections it took when it stops. */
type FromWorker = { listening: number } | { served: number };

/** Echoes what arrives until the client ends its side (recv() gives an empty Buffer) or fails. */
async function serve(conn: Socket): Promise<void> {
  try {
    for (;;) {
      const d = await conn.recv();
      if (d.length === 0) break;
      await conn.sendAll(d);
    }
  } catch {
    // A reset client, or close() at shutdown: the connection is over, the server is not.
  } finally {
    conn.close();
  }
}

/** A worker: its own listener on the shared port, and the accept loop. */
async function worker(port: number): Promise<void> {
  // Each listener sets SO_REUSEPORT before bind: the same port, many sockets, one process or many.
  const server = listen(HOST, port, { family: 'inet', reuseport: true });
  const open = new Set<Socket>();
  let served = 0;
  // 'stop' from the main thread: closing the listener ends connections() below;
  // closing the connections ends their serve() loops.
  parentPort!.on('message', (m: unknown) => {
    if (m !== 'stop') return;
    server.close();
    for (const conn of open) conn.close();
    parentPort!.postMessage({ served } satisfies FromWorker);
    parentPort!.close(); // nothing else keeps the worker alive: it exits once the loops end
  });
  parentPort!.postMessage({ listening: server.localAddress().port } satisfies FromWorker);
  for await (const conn of server.connections()) {
    served++;
    open.add(conn);
    void serve(conn).finally(() => open.delete(conn));
  }
}

/**
 * A worker running this file. Compiled to JavaScript it is just that; run as
 * TypeScript (node --import tsx), the worker registers tsx itself first,
 * because Node 20 does not hand a loader's hooks on to worker threads.
 */
function newWorker(data: { port: number }): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL(self), { workerData: data });
  const code = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(self)}); })`;
  return new Worker(code, { eval: true, workerData: data });
}

/** Starts one worker on `port` and resolves with the port it listens on. */
function startWorker(workers: Worker[], port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = newWorker({ port });
    workers.push(w);
    w.on('message', (m: FromWorker) => {
      if ('listening' in m) resolve(m.listening);
      else console.log(`worker ${w.threadId} served ${m.served} connection${m.served === 1 ? '' : 's'}`);
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`worker exited with ${code} before it listened`)));
  });
}

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 0);
  const count = Number(process.argv[3] ?? availableParallelism());
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(count) || count < 1) {
    throw new RangeError('usage: reuseport-workers.ts [port 0-65535] [workers >= 1]');
  }
  const workers: Worker[] = [];
  // With port 0 the kernel picks one: the first worker binds it, and the
  // others join that port (a reuseport group needs every member's port).
  const chosen = await startWorker(workers, port);
  await Promise.all(Array.from({ length: count - 1 }, () => startWorker(workers, chosen)));
  console.log(`echo server on ${HOST}:${chosen}, ${count} worker${count === 1 ? '' : 's'} (Ctrl-C stops it)`);

  process.once('SIGINT', () => {
    console.log('stopping');
    for (const w of workers) w.postMessage('stop');
    // Each worker exits once its listener and connections are closed; a stuck one is terminated.
    const deadline = setTimeout(() => { for (const w of workers) void w.terminate(); }, 2000);
    Promise.all(workers.map((w) => new Promise((done) => w.once('exit', done)))).then(() => {
      clearTimeout(deadline);
      console.log('stopped');
    });
  });
}

if (isMainThread) await main();
else await worker((workerData as { port: number }).port);
