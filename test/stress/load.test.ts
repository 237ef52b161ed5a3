// Load (npm run test:stress): 10,000 concurrent connections in one process,
// 1 GiB through berkeley sockets with checksums, Unix datagram and seqpacket
// floods with nothing lost or reordered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from '../sync-child.ts';
import { createHash } from 'node:crypto';
import { Socket } from '../../src/index.ts';
import { isRoot } from '../helpers.ts';

test('10,000 concurrent TCP connections held by one process', () => {
  // The other ends live in a second process, so each needs about 10,000 fds.
  // Raise the fd limit where allowed; scale down (and say so) where not.
  const soak = new URL('./fixtures/soak.ts', import.meta.url).pathname;
  const limit = isRoot ? 'ulimit -n 20000 2>/dev/null || true; ' : '';
  const r = spawnSync('bash', ['-c', `${limit}n=$(ulimit -n); want=10000; [ "$n" -lt 10200 ] && want=$(( n - 200 )); exec "$0" --import tsx "$1" "$want"`, process.execPath, soak], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout.trim().split('\n').pop()!);
  console.log(`# soak: ${JSON.stringify(s)}`);
  if (s.connections < 10_000) console.log(`# soak scaled down to ${s.connections} connections: the fd limit could not be raised`);
  assert.ok(s.held >= s.connections, `held ${s.held} fds for ${s.connections} connections`);
  assert.equal(s.ok, true, 'every connection answered its own line');
  assert.equal(s.after, s.before, 'every fd was released');
});

test('1 GiB through a TCP connection, byte-exact (SHA-256 on both ends)', async () => {
  const l = new Socket('inet', 'stream');
  l.bind('127.0.0.1:0');
  l.listen();
  const c = new Socket('inet', 'stream');
  const [conn] = await Promise.all([l.accept(), c.connect(l.localAddress())]);
  const total = 1 << 30;
  const chunk = Buffer.alloc(1 << 20);
  const sent = createHash('sha256');
  const got = createHash('sha256');
  const sending = (async () => {
    for (let off = 0, n = 0; off < total; off += chunk.length, n++) {
      for (let i = 0; i < chunk.length; i += 4096) chunk.writeUInt32LE((n * 256 + i / 4096) >>> 0, i);
      sent.update(chunk);
      await c.sendAll(chunk);
    }
    c.shutdown('send');
  })();
  const into = Buffer.alloc(1 << 20);
  let received = 0;
  const t0 = performance.now();
  for (;;) {
    const n = await conn.recvInto(into);
    if (n === 0) break;
    got.update(into.subarray(0, n));
    received += n;
  }
  await sending;
  const secs = (performance.now() - t0) / 1000;
  console.log(`# 1 GiB in ${secs.toFixed(2)} s (${(total / secs / 1e6).toFixed(0)} MB/s, hashing included)`);
  assert.equal(received, total);
  assert.equal(got.digest('hex'), sent.digest('hex'));
  [l, c, conn].forEach((s) => s.close());
});

for (const type of ['dgram', 'seqpacket'] as const) {
  test(`a Unix ${type} flood of 200,000 messages: none lost, none reordered`, async () => {
    const [a, b] = Socket.pair(type);
    const total = 200_000;
    const sending = (async () => {
      for (let i = 0; i < total; i += 250) {
        await a.sendMany(Array.from({ length: Math.min(250, total - i) }, (_, j) => { const m = Buffer.alloc(16); m.writeUInt32LE(i + j); return m; }));
      }
    })();
    let expect = 0;
    const buffer = Buffer.alloc(256 * 16);
    while (expect < total) {
      for (const m of await b.recvMany({ maxMessages: 256, size: 16, buffer, timeout: 10_000 })) {
        assert.equal(m.data.readUInt32LE(0), expect, 'in order');
        expect++;
      }
    }
    await sending;
    assert.equal(expect, total);
    a.close();
    b.close();
  });
}
