// berkeley's echo servers for the `servers` benchmarks (bench/README.md),
// written as the README's server idiom. Each binds 127.0.0.1:0, prints
// "ready PORT" and serves until it is killed; the C load generator measures
// it from outside. The runner starts it as plain JavaScript (not through a
// TypeScript loader, whose own thread would count in its memory).
//   server-berkeley.ts tcp            listen(), for await (conn of server.connections()) serve(conn),
//                                     serve: recv() until end of stream, each read sent back with sendAll()
//   server-berkeley.ts tcp-pool N     the same in N worker_threads, each with its own
//                                     listen(host, port, { reuseport: true }) on one port
//   server-berkeley.ts udp-recvfrom   one loop: await recvFrom(), await sendTo() to its sender
//   server-berkeley.ts udp-messages   for await (m of messages()), the replies queued and sent
//                                     with sendMany once per wake-up (when the loop has read all
//                                     there was: setImmediate), or at once when 256 are queued
import { bindUdp, listen, type Message, type Socket } from 'berkeley';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const ready = (port: number): void => { process.stdout.write(`ready ${port}\n`); };
const fail = (err: unknown): never => {
  process.stderr.write(`server-berkeley: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
};

async function serve(conn: Socket): Promise<void> {
  try {
    for (;;) {
      const d = await conn.recv();
      if (d.length === 0) break;
      await conn.sendAll(d);
    }
  } catch {
    // a client reset ends its connection, not the server
  } finally {
    conn.close();
  }
}

async function acceptLoop(server: Socket): Promise<void> {
  for await (const conn of server.connections()) void serve(conn);
}

async function tcp(): Promise<void> {
  const server = listen('127.0.0.1', 0, { family: 'inet' });
  ready(server.localAddress().port);
  await acceptLoop(server);
}

/** The main thread of tcp-pool: the first worker picks the port, the others join it; "ready" once all listen. */
async function pool(count: number): Promise<void> {
  const startWorker = (port: number): Promise<number> => new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { port } });
    w.once('message', resolve).once('error', reject).once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    w.on('error', fail);
  });
  const port = await startWorker(0);
  await Promise.all(Array.from({ length: count - 1 }, () => startWorker(port)));
  ready(port);
}

async function poolWorker(port: number): Promise<void> {
  const server = listen('127.0.0.1', port, { family: 'inet', reuseport: true });
  parentPort!.postMessage(server.localAddress().port);
  await acceptLoop(server);
}

async function udpRecvFrom(): Promise<void> {
  const s = bindUdp('127.0.0.1', 0, { family: 'inet' });
  ready(s.localAddress().port);
  for (;;) {
    const { data, address } = await s.recvFrom();
    await s.sendTo(data, address!);
  }
}

async function udpMessages(): Promise<void> {
  const s = bindUdp('127.0.0.1', 0, { family: 'inet' });
  ready(s.localAddress().port);
  let queued: Message[] = [];
  let scheduled = false;
  const sendEvery = async (batch: Message[]): Promise<void> => {
    for (let i = 0; i < batch.length;) i += await s.sendMany(i === 0 ? batch : batch.slice(i));
  };
  const flush = (): void => {
    scheduled = false;
    const batch = queued;
    queued = [];
    if (batch.length > 0) sendEvery(batch).catch(fail);
  };
  for await (const m of s.messages()) {
    queued.push({ data: m.data, address: m.address! });
    if (queued.length >= 256) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }
}

const mode = process.argv[2];
if (!isMainThread) await poolWorker((workerData as { port: number }).port).catch(fail);
else if (mode === 'tcp') await tcp().catch(fail);
else if (mode === 'tcp-pool') await pool(Number(process.argv[3])).catch(fail);
else if (mode === 'udp-recvfrom') await udpRecvFrom().catch(fail);
else if (mode === 'udp-messages') await udpMessages().catch(fail);
else {
  process.stderr.write(`server-berkeley: unknown mode ${mode} (tcp, tcp-pool N, udp-recvfrom, udp-messages)\n`);
  process.exit(2);
}
