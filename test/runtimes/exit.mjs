// Natural exit under each runtime: sockets left open after waits that timed
// out or were aborted must not keep the process alive, and the environment's
// teardown (the addon's cleanup hook, which closes what Sockets still own)
// must not crash. The runner checks the exit code and the last line.
import { Socket, listen } from '../../dist/index.js';

const [a, b] = Socket.pair('stream');
const server = listen('127.0.0.1', 0);
await b.recv(10, { timeout: 30 }).catch((e) => { if (e.code !== 'ETIMEDOUT') throw e; });
await server.accept({ timeout: 30 }).catch((e) => { if (e.code !== 'ETIMEDOUT') throw e; });
await b.readable({ timeout: 30 }).catch((e) => { if (e.code !== 'ETIMEDOUT') throw e; });
try { b.recvSync(10, { timeout: 30 }); } catch (e) { if (e.code !== 'ETIMEDOUT') throw e; }
const ac = new AbortController();
const aborted = a.recv(10, { signal: ac.signal }).catch((e) => e.name);
ac.abort();
if ((await aborted) !== 'AbortError') throw new Error('abort did not reject with AbortError');
// A write wait left armed, then satisfied: the watcher must be disarmed again.
const [c, d] = Socket.pair('stream');
const sending = c.sendAll(Buffer.alloc(4 << 20));
let got = 0;
while (got < 4 << 20) got += (await d.recv(1 << 20)).length;
await sending;
console.log('done: sockets left open');
