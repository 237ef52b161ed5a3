// Several worker_threads using the addon at once (each its own environment:
// its scratch, its poll state, its fds), while the main thread uses it too;
// then workers started and ended one after another, some terminated while a
// wait is pending. Prints one JSON line; run by test/embedding.test.ts.
import { Worker } from 'node:worker_threads';

const dist = new URL('../../dist/index.js', import.meta.url).href;
const body = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { Socket, udp4, getaddrinfo } = await import(${JSON.stringify(dist)});
  const [a, b] = Socket.pair('stream');
  const waiting = b.recv(100, { timeout: 10000 });
  setTimeout(() => a.send('from worker ' + workerData.id), 5);
  const pair = (await waiting).toString();
  const u = udp4(), v = udp4();
  u.bind('127.0.0.1:0'); v.bind('127.0.0.1:0');
  const got = v.recvFrom(100, { timeout: 10000 });
  await u.sendTo('udp ' + workerData.id, v.localAddress());
  const udp = (await got).data.toString();
  const found = await getaddrinfo('127.0.0.1', 80, { type: 'stream' });
  a.close(); b.close(); u.close(); v.close();
  if (workerData.leaveWaiting) { const [c, d] = Socket.pair('dgram'); d.recv(10).catch(() => {}); void c; }
  parentPort.postMessage({ id: workerData.id, pair, udp, resolved: found.length > 0 });
})().catch((err) => parentPort.postMessage({ id: workerData.id, error: String(err && err.stack || err) }));
`;

function run(id, leaveWaiting) {
  const w = new Worker(body, { eval: true, workerData: { id, leaveWaiting } });
  return new Promise((resolve, reject) => {
    w.once('message', (m) => { resolve(m); if (leaveWaiting) w.terminate(); });
    w.once('error', reject);
  }).finally(() => w.terminate());
}

const { Socket } = await import(dist);
const [x, y] = Socket.pair('stream');
const mainWait = y.recv(100, { timeout: 20000 });
const concurrent = await Promise.all([1, 2, 3, 4].map((id) => run(id, false)));
await x.send('main thread');
const main = (await mainWait).toString();
x.close(); y.close();
const sequential = [];
for (let id = 5; id <= 10; id++) sequential.push(await run(id, id % 2 === 0));
console.log(JSON.stringify({ main, concurrent, sequential }));
