// Two copies of the package, at the two directories given, imported by one
// process: each loads its own addon file; sockets of both are used at once,
// with waits pending in both, and a datagram goes from one copy's socket to
// the other's. Prints one JSON line; run by test/embedding.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dirA, dirB] = process.argv.slice(2);
const A = await import(pathToFileURL(path.join(dirA, 'dist', 'index.js')).href);
const B = await import(pathToFileURL(path.join(dirB, 'dist', 'index.js')).href);

const [a1, a2] = A.Socket.pair('stream');
const [b1, b2] = B.Socket.pair('stream');
const waitA = a2.recv(100, { timeout: 10000 });
const waitB = b2.recv(100, { timeout: 10000 });
setTimeout(() => { b1.send('to copy B'); a1.send('to copy A'); }, 10);
const pairs = [(await waitA).toString(), (await waitB).toString()];

const u = A.udp4(), v = B.udp4();
u.bind('127.0.0.1:0'); v.bind('127.0.0.1:0');
const got = v.recvFrom(100, { timeout: 10000 });
await u.sendTo('from copy A to copy B', v.localAddress());
const across = (await got).data.toString();
for (const s of [a1, a2, b1, b2, u, v]) s.close();

const addons = [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).filter((p) => p && p.endsWith('.node')))];
console.log(JSON.stringify({ pairs, across, addons, sameClass: A.Socket === B.Socket }));
