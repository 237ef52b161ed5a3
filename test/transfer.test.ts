// transfer() and Socket.from(transferable): datagrams a loop read ahead
// and bytes receive() buffered travel with the fd, to the same thread or a
// worker, and arrive first and in order; a worker's exit closes the sockets
// it owns (checked in /proc/self/fd).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Socket, bindUdp, type QueuedError, type ReceivedMessage, type TransferableSocket } from '../src/index.ts';
import { fdCount, sleep } from './helpers.ts';

const T = { timeout: 30_000 };
const workerSkip = process.env.BERKELEY_VALGRIND ? 'workers cannot instantiate WebAssembly under valgrind' : false;

function startWorker(file: string): Worker {
  const url = new URL(file, import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); })`, { eval: true });
}

/** A bound UDP socket with `n` datagrams waiting, of which a `for await` loop read one and read ahead more before it was left. */
async function readAhead(n: number): Promise<{ sock: Socket; first: string; sender: Socket }> {
  const sock = bindUdp('127.0.0.1', 0, { family: 'inet' });
  const sender = new Socket('inet', 'dgram');
  for (let i = 0; i < n; i++) sender.sendToSync(`datagram ${i}`, sock.localAddress());
  let first = '';
  for await (const m of sock.messages()) { first = m.data.toString(); break; }
  assert.ok(sock.dirty(), 'the loop left datagrams read ahead');
  return { sock, first, sender };
}

const names = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `datagram ${from + i}`);

describe('transfer', () => {
  test('in the same thread: the datagrams read ahead come first, then the kernel\'s, in order', T, async () => {
    const { sock, first, sender } = await readAhead(40);
    assert.equal(first, 'datagram 0');
    const t = sock.transfer();
    assert.equal(sock.closed, true);
    assert.ok(t.ahead && t.ahead.length > 0 && t.ahead.length < 39, `${t.ahead?.length} read ahead`);
    assert.deepEqual([t.family, t.type], [2, 2]);
    const again = Socket.from(structuredClone(t));
    const got: string[] = [];
    while (got.length < 39) got.push((await again.recv()).toString());
    assert.deepEqual(got, names(1, 40));
    again.close();
    sender.close();
  });

  test('to a worker after postMessage: nothing lost; the worker\'s exit closes the fd it owned', { ...T, skip: workerSkip }, async () => {
    const before = fdCount();
    const { sock, sender } = await readAhead(60);
    const t: TransferableSocket = sock.transfer();
    const worker = startWorker('./fixtures/transfer-worker.ts');
    const exited = new Promise((r) => worker.once('exit', r));
    const reply = new Promise<{ got: string[]; fd: number; family: string; type: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    worker.postMessage({ transferable: t, count: 59 });
    const r = await reply;
    assert.deepEqual(r.got, names(1, 60));
    assert.deepEqual([r.family, r.type], ['inet', 'dgram']);
    assert.equal(r.fd, t.fd, 'the same fd number, owned by the worker');
    assert.ok(existsSync(`/proc/self/fd/${r.fd}`), 'open while the worker runs');
    await exited;
    for (let i = 0; i < 50 && existsSync(`/proc/self/fd/${r.fd}`); i++) await sleep(10);
    assert.equal(existsSync(`/proc/self/fd/${r.fd}`), false, "the worker's exit closed it");
    sender.close();
    assert.equal(fdCount(), before);
  });

  test('four workers at once, each with a socket of its own: every datagram served, every fd closed when they exit', { ...T, skip: workerSkip }, async () => {
    const before = fdCount();
    const jobs = await Promise.all(Array.from({ length: 4 }, () => readAhead(30)));
    const workers = jobs.map(() => startWorker('./fixtures/transfer-worker.ts'));
    const exits = workers.map((w) => new Promise((r) => w.once('exit', r)));
    const replies = workers.map((w) => new Promise<{ got: string[]; fd: number }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    }));
    jobs.forEach((j, i) => workers[i].postMessage({ transferable: j.sock.transfer(), count: 29 }));
    const results = await Promise.all(replies);
    for (const r of results) assert.deepEqual(r.got, names(1, 30));
    assert.equal(new Set(results.map((r) => r.fd)).size, 4, 'four sockets');
    await Promise.all(exits);
    for (const r of results) {
      for (let i = 0; i < 50 && existsSync(`/proc/self/fd/${r.fd}`); i++) await sleep(10);
      assert.equal(existsSync(`/proc/self/fd/${r.fd}`), false, `fd ${r.fd} closed at its worker's exit`);
    }
    for (const j of jobs) j.sender.close();
    assert.equal(fdCount(), before);
  });

  test('a stream socket carries the bytes receive() buffered', T, async () => {
    const [a, b] = Socket.pair('stream');
    await a.sendAll('first line\nand the rest');
    assert.equal((await b.receive('line')).toString(), 'first line');
    const t = b.transfer();
    assert.equal(Buffer.from(t.input!).toString(), 'and the rest');
    const c = Socket.from(structuredClone(t));
    a.close();
    assert.equal((await c.receive('all')).toString(), 'and the rest');
    c.close();
  });

  test('fds carried by datagrams read ahead travel too, and a socket with nothing read ahead transfers bare', T, async () => {
    const [a, b] = Socket.pair('dgram');
    const [x, y] = Socket.pair('stream');
    await a.sendMsg({ data: 'one', fds: [x.fd] });
    await a.sendMsg({ data: 'two' });
    for await (const m of b.messages()) { m.fds.forEach((fd) => Socket.from(fd).close()); break; }
    await a.sendMsg({ data: 'three', fds: [y.fd] });
    const t = b.transfer();
    const c = Socket.from(t);
    assert.equal((await c.recvMsg()).data.toString(), 'two');
    const third = await c.recvMsg();
    assert.equal(third.data.toString(), 'three');
    assert.equal(third.fds.length, 1);
    Socket.from(third.fds[0]).close();
    const bare = a.transfer();
    assert.deepEqual(Object.keys(bare).sort(), ['family', 'fd', 'protocol', 'type']);
    for (const s of [Socket.from(bare), c, x, y]) s.close();
  });

  test('datagrams read ahead keep every field a direct receive gives: tos, ttl, originalDestination, pktinfo, timestamp', T, async () => {
    const before = fdCount();
    const r = bindUdp('127.0.0.1', 0, { family: 'inet' });
    for (const name of ['ip-recvtos', 'ip-recvttl', 'ip-recvorigdstaddr', 'ip-pktinfo', 'timestamp'] as const) r.setOption(name, true);
    const sender = new Socket('inet', 'dgram');
    for (let i = 0; i < 8; i++) await sender.sendMsg({ data: `datagram ${i}`, address: r.localAddress(), tos: 0x28, ttl: 9 });
    let first: ReceivedMessage | undefined;
    for await (const m of r.messages()) { first = m; break; }
    assert.ok(first && r.dirty(), 'the loop read ahead');
    assert.deepEqual([first.tos, first.ttl, first.originalDestination, first.address], [0x28, 9, r.localAddress(), { ...sender.localAddress(), address: '127.0.0.1' }], 'a direct receive has them');
    assert.equal(typeof first.timestamp, 'number');
    assert.equal(first.pktinfo?.address, '127.0.0.1');
    const t = r.transfer();
    const again = Socket.from(structuredClone(t));
    for (let i = 1; i < 8; i++) {
      const m = await again.recvMsg();
      assert.equal(m.data.toString(), `datagram ${i}`);
      // A loop's message decodes its address on first use (a getter), so that key is named explicitly.
      const fields = (x: ReceivedMessage) => ({ ...x, address: x.address, data: x.data.toString(), timestamp: typeof x.timestamp });
      assert.deepEqual(fields(m), { ...fields(first), data: `datagram ${i}` }, 'the same fields, with the same values');
    }
    again.close();
    sender.close();
    assert.equal(fdCount(), before);
  });

  test("a datagram's extendedError, its offender an address, crosses two transfers and structuredClone in the shape recvErrors() gives", T, async () => {
    const closed = bindUdp('127.0.0.1', 0, { family: 'inet' });
    const to = closed.localAddress();
    closed.close();
    const s = new Socket('inet', 'dgram');
    s.setOption('ip-recverr', true);
    await s.sendTo('x', to);
    let errors: QueuedError[] = [];
    while (errors.length === 0) { // loopback's ICMP error is queued at once, but recvErrors() never waits for one
      errors = await s.recvErrors();
      if (errors.length === 0) await sleep(10);
    }
    const { extendedError } = errors[0];
    assert.deepEqual(extendedError.offender, { family: 'inet', address: '127.0.0.1', port: 0 });
    const t = s.transfer();
    t.ahead = [{ data: Buffer.from('with an error'), address: to, flags: 0, fds: [], control: [], truncated: false, controlTruncated: false, extendedError }];
    const middle = Socket.from(structuredClone(t));
    const last = Socket.from(structuredClone(middle.transfer()));
    const m = await last.recvMsg();
    assert.equal(m.data.toString(), 'with an error');
    assert.deepEqual(m.address, to);
    assert.deepEqual(m.extendedError, extendedError);
    last.close();
  });

  test('bad transferables are refused before anything is owned; a closed socket cannot transfer', T, () => {
    const before = fdCount();
    for (const bad of [null, 'x', {}, { fd: -1, family: 1, type: 1, protocol: 0 }, { fd: 1.5, family: 1, type: 1, protocol: 0 },
      { fd: 0, family: 'unix', type: 1, protocol: 0 }, { fd: 0, family: 1, type: 1, protocol: 0, input: 'bytes' },
      { fd: 0, family: 1, type: 1, protocol: 0, ahead: {} }, { fd: 0, family: 1, type: 1, protocol: 0, ahead: [{ data: 'x' }] }]) {
      assert.throws(() => Socket.from(bad as never), (e: Error & { code?: string }) => e instanceof TypeError || e instanceof RangeError, JSON.stringify(bad));
    }
    const s = new Socket('unix', 'dgram');
    s.close();
    assert.throws(() => s.transfer(), { code: 'ERR_SOCKET_CLOSED' });
    assert.equal(fdCount(), before);
  });
});
