// A worker of the runtime matrix: sockets used inside a worker, then a wait
// left pending when the main thread terminates it (the environment's cleanup
// must stop the watcher and close the fds without a crash).
import { parentPort } from 'node:worker_threads';
import { Socket } from '../../dist/index.js';

const [a, b] = Socket.pair('stream');
const waiting = b.recv(10);
setTimeout(() => a.send('ping'), 10);
if ((await waiting).toString() === 'ping') parentPort.postMessage('pong');
const [c, d] = Socket.pair('dgram');
d.recv(10).catch(() => {});  // still waiting at terminate()
void c;
