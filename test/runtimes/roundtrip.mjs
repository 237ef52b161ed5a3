// A round trip through the addon as a user's first program would do it: a
// socketpair exchange and a UDP datagram each way on 127.0.0.1, then one
// JSON line saying what ran it: the machine, the runtime, which addon file
// was mapped and which C library (read from /proc/self/maps, which qemu-user
// also reports for its guest). Run by test/emulated-prebuilds.test.ts.
import fs from 'node:fs';
import { Socket, udp4 } from '../../dist/index.js';

const [a, b] = Socket.pair('stream');
await a.send('ping over a socketpair');
const pair = (await b.recv(100, { timeout: 10000 })).toString();
await b.send('pong');
const pairBack = (await a.recv(100, { timeout: 10000 })).toString();
a.close(); b.close();

const u = udp4(), v = udp4();
u.bind('127.0.0.1:0'); v.bind('127.0.0.1:0');
await u.sendTo('datagram over loopback', v.localAddress());
const got = await v.recvFrom(100, { timeout: 10000 });
await v.sendTo('reply', got.address);
const reply = await u.recvFrom(100, { timeout: 10000 });
const udpFrom = got.address.port === u.localAddress().port;
u.close(); v.close();

const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).filter(Boolean);
const addon = [...new Set(maps.filter((p) => p.endsWith('.node')))];
const libc = [...new Set(maps.filter((p) => /\/(ld-musl-[^/]*|libc\.so\.6|libc\.musl-[^/]*|[^/]*-linux-musl\/libc\.so)$/.test(p)))];
console.log(JSON.stringify({
  arch: process.arch, runtime: process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.version}`,
  addon, libc, pair, pairBack, udp: got.data.toString(), udpFrom, reply: reply.data.toString(),
}));
