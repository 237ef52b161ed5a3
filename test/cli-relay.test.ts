// Backpressure end to end: berkeley cat relays 64 MiB between two TCP
// sockets from a fast Python sender to a Python reader slowed on purpose;
// the bytes arrive intact (SHA-256) and berkeley's resident memory stays
// bounded, far below what buffering the 64 MiB would take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { berkeley, freePort, have, python, rss, sleep, whenListening } from './cli-harness.ts';

const SIZE = 64 << 20;

const SLOW_READER = `
import hashlib, socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    r = c.recv(65536)
    if not r: break
    h.update(r); n += len(r)
    time.sleep(0.002)            # about 30 MB/s at most: far slower than the sender
print(n, h.hexdigest(), flush=True)
`;

const FAST_SENDER = `
import hashlib, os, socket, sys
block = os.urandom(1 << 20)
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
h = hashlib.sha256()
for i in range(int(sys.argv[2]) >> 20):
    c.sendall(block); h.update(block)
c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
print(h.hexdigest(), flush=True)
`;

test('64 MiB relayed between two TCP sockets to a slowed reader: intact, with berkeley\'s memory bounded', { timeout: 180_000, skip: !have('python3') && 'python3 is missing' }, async () => {
  const sinkPort = freePort();
  const reader = python(SLOW_READER, [String(sinkPort)], { input: 'open', killAfter: 170_000 });
  await new Promise<void>((resolve) => { let s = ''; reader.child.stdout!.on('data', (d) => { s += d; if (s.includes('ready')) resolve(); }); });
  const front = freePort();
  const w = whenListening();
  const relay = berkeley(['cat', `tcp-listen:127.0.0.1:${front}`, `tcp:127.0.0.1:${sinkPort}`, '--verbose'], { onStderr: w.onStderr, killAfter: 170_000 });
  await w.ready;
  const pid = relay.child.pid!;
  const baseline = rss(pid);
  let peak = baseline;
  let exited = false;
  const sampling = (async () => {
    while (!exited) {
      try { peak = Math.max(peak, rss(pid)); } catch { break; }
      await sleep(50);
    }
  })();
  const sender = python(FAST_SENDER, [String(front), String(SIZE)], { killAfter: 170_000 });
  const [sent, relayed, read] = await Promise.all([sender.done, relay.done.finally(() => { exited = true; }), reader.done]);
  await sampling;
  const grew = peak - baseline;
  // Buffering what the reader has not taken yet would need tens of MiB; the relay holds a chunk.
  assert.ok(grew < 16 << 20, `berkeley's RSS grew by ${(grew / 2 ** 20).toFixed(1)} MiB (from ${(baseline / 2 ** 20).toFixed(1)} MiB)`);
  assert.equal(relayed.status, 0, relayed.stderr);
  assert.equal(sent.status, 0, sent.stderr);
  const [bytes, digest] = read.stdout.toString().trim().split('\n').at(-1)!.split(' ');
  assert.equal(Number(bytes), SIZE, 'every byte arrived');
  assert.equal(digest, sent.stdout.toString().trim(), 'in order and intact');
});
