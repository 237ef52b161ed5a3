// Runs examples/udp-responder.ts as a program inside a network namespace the
// test makes (its lo has 127.0.0.1 and 127.0.0.2; the responder binds
// 0.0.0.0 there and nowhere else), queries it on both addresses from a second
// process (fixtures/responder-query.ts) and checks each reply: sent from the
// address asked, with the TTL given on the command line and the DSCP class
// plus ECT(0) for an ECN-capable query, Not-ECT otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnSync } from './sync-child.ts';
import { createInterface } from 'node:readline';
import { isRoot } from './helpers.ts';

const haveIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;
const example = new URL('../examples/udp-responder.ts', import.meta.url).pathname;
const query = new URL('./fixtures/responder-query.ts', import.meta.url).pathname;

test('the UDP responder example answers from the address each query was sent to, with its TTL and ECN', { timeout: 60_000, skip: (!isRoot || !haveIp) && 'needs root and iproute2 (the responder binds 0.0.0.0 in a namespace of its own)' }, async (t) => {
  const ns = `berkeley-responder-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return t.skip('cannot create a network namespace here');
  try {
    assert.equal(spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']).status, 0);
    const responder = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', example, '0', '33'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    responder.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => responder.on('close', resolve));
    const kill = setTimeout(() => responder.kill('SIGKILL'), 50_000);
    try {
      const first = await createInterface({ input: responder.stdout })[Symbol.asyncIterator]().next();
      const port = /listening on 0\.0\.0\.0:(\d+)/.exec(String(first.value))?.[1];
      assert.ok(port, `the example said ${JSON.stringify(first.value)}; stderr: ${stderr}`);
      const q = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', query, port], { encoding: 'utf8', timeout: 40_000 });
      assert.equal(q.status, 0, q.stderr);
      const replies = JSON.parse(q.stdout.trim().split('\n').pop()!);
      const AF21 = 18 << 2;
      assert.deepEqual(replies, [
        { asked: '127.0.0.1', from: '127.0.0.1', text: 'query tos=0 (to 127.0.0.1)\n', ttl: 33, tos: AF21 },
        { asked: '127.0.0.1', from: '127.0.0.1', text: 'query tos=1 (to 127.0.0.1)\n', ttl: 33, tos: AF21 | 2 },
        { asked: '127.0.0.2', from: '127.0.0.2', text: 'query tos=0 (to 127.0.0.2)\n', ttl: 33, tos: AF21 },
        { asked: '127.0.0.2', from: '127.0.0.2', text: 'query tos=1 (to 127.0.0.2)\n', ttl: 33, tos: AF21 | 2 },
      ]);
      // Without pktinfo the reply to 127.0.0.2 would come from 127.0.0.1, the route's preferred source.
      responder.kill('SIGTERM');
      assert.equal(await exited, 0, `the example exits cleanly on SIGTERM: ${stderr}`);
    } finally {
      clearTimeout(kill);
      responder.kill('SIGKILL');
    }
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
