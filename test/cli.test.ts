// The berkeley command, run as a user would (spawned processes): cat against
// real socat and nc peers over TCP, UDP and Unix stream and datagram sockets
// in both directions with binary data, half-close; ping, resolve, demo,
// --version, help and exit codes. (End of stream: cli-eof; the syslog sink:
// cli-sink; ifaces: cli-ifaces; bad values and socat's keywords: cli-usage;
// backpressure: cli-relay.) socat and netcat-openbsd are installed when
// missing and allowed (root with apt), otherwise their tests skip.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { isRoot, tmpPath } from './helpers.ts';
import { BERKELEY, berkeley as run, berkeleyForOthers, freePort, othersCanRead, have, listening, needTools, tool as runTool, whenListening, type Run } from './cli-harness.ts';

// The shapes these tests were written with: (args, stdin, onStderr) and (cmd, args, stdin).
const berkeley = (args: string[], input?: Buffer, onStderr?: (line: string) => void) => run(args, { input, onStderr });
const tool = (cmd: string, args: string[], input?: Buffer) => runTool(cmd, args, { input: input ?? 'open' });

const T = { timeout: 60_000 };

function havePeers(): string | false {
  return needTools({ socat: 'socat', nc: 'netcat-openbsd' });
}

describe('berkeley cat against socat and nc', { skip: havePeers() }, () => {
  const data = randomBytes(1 << 20); // binary, with every byte value
  const small = randomBytes(1000);

  test('tcp: berkeley connects to a socat echo server; stdin EOF half-closes, the echo comes back intact', T, async () => {
    const port = freePort();
    const server = tool('socat', [`TCP-LISTEN:${port},reuseaddr,fork`, 'EXEC:cat']);
    await listening(port);
    const r = await berkeley(['cat', `tcp:127.0.0.1:${port}`], data).done;
    server.child.kill();
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(data), `echoed ${r.stdout.length} of ${data.length} bytes`);
  });

  test('tcp: socat connects to berkeley tcp-listen; both directions intact', T, async () => {
    const port = freePort();
    const w = whenListening();
    const b = berkeley(['cat', `tcp-listen:127.0.0.1:${port}`, '--verbose'], small, w.onStderr);
    await w.ready;
    const client = await tool('socat', ['-', `TCP:127.0.0.1:${port}`], data).done;
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(data), 'socat -> berkeley');
    assert.ok(client.stdout.equals(small), 'berkeley -> socat');
    assert.match(r.stderr, /bytes/, '--verbose reports the byte counts');
  });

  test('tcp: nc -N against berkeley tcp-listen (half-close)', T, async () => {
    const port = freePort();
    const w = whenListening();
    const b = berkeley(['cat', `tcp-listen:127.0.0.1:${port}`, '--verbose'], small, w.onStderr);
    await w.ready;
    const nc = await tool('nc', ['-N', '127.0.0.1', String(port)], data).done;
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(data));
    assert.ok(nc.stdout.equals(small));
  });

  test('tcp: berkeley connects to nc -l', T, async () => {
    const port = freePort();
    const l = tool('nc', ['-N', '-l', '127.0.0.1', String(port)], small);
    // nc -l serves one connection: poll for it by trying berkeley itself.
    let r: Run | undefined;
    for (let i = 0; i < 100; i++) {
      r = await berkeley(['cat', `tcp:127.0.0.1:${port}`], data).done;
      if (r.status === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(r!.status, 0, r!.stderr);
    assert.ok(r!.stdout.equals(small), 'nc -> berkeley');
    const nc = await l.done;
    assert.ok(nc.stdout.equals(data), 'berkeley -> nc');
  });

  test('udp: berkeley to a socat echo, and socat to berkeley udp-listen', T, async () => {
    const port = freePort('dgram');
    const echo = tool('socat', [`UDP-LISTEN:${port},reuseaddr`, 'EXEC:cat']);
    await new Promise((r) => setTimeout(r, 300));
    const r = await berkeley(['cat', `udp:127.0.0.1:${port}`, '--timeout', '2'], small).done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(small), `echoed ${r.stdout.length} bytes`);
    echo.child.kill();

    const port2 = freePort('dgram');
    const w = whenListening();
    const b = berkeley(['cat', `udp-listen:127.0.0.1:${port2}`, '--verbose', '--timeout', '2'], small, w.onStderr);
    await w.ready;
    const client = await tool('socat', ['-t', '2', '-', `UDP:127.0.0.1:${port2}`], small.subarray(0, 500)).done;
    const rb = await b.done;
    assert.equal(rb.status, 0, rb.stderr);
    assert.ok(rb.stdout.equals(small.subarray(0, 500)), 'socat -> berkeley');
    assert.ok(client.stdout.equals(small), 'berkeley -> socat');
  });

  test('unix stream: both directions against socat', T, async () => {
    const path = tmpPath('cli-unix');
    const server = tool('socat', [`UNIX-LISTEN:${path},fork`, 'EXEC:cat']);
    await listening(path);
    const r = await berkeley(['cat', `unix:${path}`], data).done;
    server.child.kill();
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(data));

    const path2 = tmpPath('cli-unix-listen');
    const w = whenListening();
    const b = berkeley(['cat', `unix-listen:${path2}`, '--verbose'], small, w.onStderr);
    await w.ready;
    const client = await tool('socat', ['-', `UNIX-CONNECT:${path2}`], data).done;
    const rb = await b.done;
    assert.equal(rb.status, 0, rb.stderr);
    assert.ok(rb.stdout.equals(data));
    assert.ok(client.stdout.equals(small));
  });

  test('unix datagrams: both directions against socat', T, async () => {
    const path = tmpPath('cli-dgram');
    const echo = tool('socat', [`UNIX-RECVFROM:${path}`, 'EXEC:cat']);
    await new Promise((r) => setTimeout(r, 300));
    const r = await berkeley(['cat', `unix-dgram:${path}`, '--timeout', '2'], small).done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.equals(small), `echoed ${r.stdout.length} bytes`);
    echo.child.kill();

    const path2 = tmpPath('cli-dgram-listen');
    const client = tmpPath('cli-dgram-client');
    const w = whenListening();
    const b = berkeley(['cat', `unix-dgram-listen:${path2}`, '--verbose', '--timeout', '2'], small, w.onStderr);
    await w.ready;
    const c = await tool('socat', ['-t', '2', '-', `UNIX-SENDTO:${path2},bind=${client}`], small.subarray(0, 300)).done;
    const rb = await b.done;
    assert.equal(rb.status, 0, rb.stderr);
    assert.ok(rb.stdout.equals(small.subarray(0, 300)));
    assert.ok(c.stdout.equals(small));
  });

  test('two addresses: --fork relays every connection to a second address', T, async () => {
    const target = freePort();
    const echo = tool('socat', [`TCP-LISTEN:${target},reuseaddr,fork`, 'EXEC:cat']);
    await listening(target);
    const front = freePort();
    const w = whenListening();
    const relay = berkeley(['cat', `tcp-listen:127.0.0.1:${front}`, `tcp:127.0.0.1:${target}`, '--fork', '--verbose'], undefined, w.onStderr);
    await w.ready;
    const results = await Promise.all([1, 2, 3].map(() => tool('socat', ['-', `TCP:127.0.0.1:${front}`], small).done));
    for (const r of results) assert.ok(r.stdout.equals(small));
    relay.child.kill('SIGTERM');
    echo.child.kill();
    await relay.done;
  });
});

describe('berkeley ping, resolve, demo, --version', () => {
  test('ping 127.0.0.1 -c 3', T, async (t) => {
    const r = await berkeley(['ping', '127.0.0.1', '-c', '3', '-i', '0.2']).done;
    if (r.status === 1 && /EPERM|EACCES/.test(r.stderr)) return t.skip('no ICMP socket allowed here');
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.toString();
    assert.equal(out.match(/bytes from 127\.0\.0\.1: icmp_seq=\d+ ttl=\d+ time=[\d.]+ ms/g)?.length, 3);
    assert.match(out, /3 packets transmitted, 3 received, 0% packet loss/);
    assert.match(out, /rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/);
  });

  test('ping refused unprivileged ICMP explains net.ipv4.ping_group_range (run as nobody)', T, async (t) => {
    const range = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().split(/\s+/).map(Number);
    if (!isRoot || !have('setpriv')) return t.skip('needs root and setpriv to run as nobody');
    if (range[0] <= 65534 && 65534 <= range[1]) return t.skip('ping_group_range allows nobody here');
    // nobody may not enter the clone (a 0700 temporary folder): it runs a readable copy of the build.
    const readable = berkeleyForOthers();
    const unreachable = readable.find((path) => !othersCanRead(path));
    if (unreachable) return t.skip(`nobody cannot reach ${unreachable}`);
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...readable];
    const r = await runTool(asNobody[0]!, [...asNobody.slice(1), 'ping', '127.0.0.1', '-c', '1'], { input: '' }).done;
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^berkeley ping: socket EACCES: unprivileged ICMP sockets are allowed only to the groups in net\.ipv4\.ping_group_range \(now '\d+ \d+', group 65534 not in it; .*CAP_NET_RAW/);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
  });

  test('resolve localhost, and --reverse', T, async () => {
    const r = await berkeley(['resolve', 'localhost', 'http']).done;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.toString(), /inet 127\.0\.0\.1 \w+ \w+ port 80/);
    const rev = await berkeley(['resolve', '--reverse', '127.0.0.1', '22', '--numeric-host']).done;
    assert.equal(rev.stdout.toString().trim(), '127.0.0.1 ssh');
    const rev6 = await berkeley(['resolve', '--reverse', '::1', '22', '--numeric-host']).done;
    assert.equal(rev6.stdout.toString().trim(), '::1 ssh');
    const bad = await berkeley(['resolve', 'no-such-host.invalid']).done;
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), 'berkeley resolve: getaddrinfo ENOTFOUND no-such-host.invalid');
  });

  test('demo exits 0 and prints each row as its step runs (strace: a row is written before the next steps open their sockets)', T, async (t) => {
    const r = await berkeley(['demo']).done;
    assert.equal(r.status, 0, r.stdout.toString() + r.stderr);
    const out = r.stdout.toString();
    for (const step of ['TCP over 127.0.0.1', 'Unix seqpacket', 'fd passing', 'netlink', 'ICMP echo']) assert.ok(out.includes(step), step);
    if (!have('strace', ['-V'])) return t.skip('strace is missing');
    const log = tmpPath('cli-demo-strace');
    const traced = spawnSync('strace', ['-f', '-e', 'trace=write,socket', '-o', log, ...BERKELEY, 'demo'], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(traced.status, 0, traced.stderr);
    const lines = readFileSync(log, 'utf8').split('\n');
    unlinkSync(log);
    const firstRow = lines.findIndex((l) => /write\(1, ".*ping\/pong via/.test(l));
    const netlinkSocket = lines.findIndex((l) => /socket\(AF_NETLINK/.test(l));
    assert.ok(firstRow >= 0 && netlinkSocket >= 0, 'both calls traced');
    assert.ok(firstRow < netlinkSocket, 'the first row is out before the netlink step starts');
  });

  test('--version prints the version in package.json', T, async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = await berkeley([flag]).done;
      assert.equal(r.status, 0);
      assert.equal(r.stdout.toString(), `berkeley ${version}\n`);
    }
  });

  test('--help on every command; exit codes 0, 1, 2; one-line errors', T, async () => {
    for (const cmd of ['cat', 'ping', 'ifaces', 'resolve', 'demo']) {
      const r = await berkeley([cmd, '--help']).done;
      assert.equal(r.status, 0, cmd);
      assert.match(r.stdout.toString(), new RegExp(`Usage: berkeley ${cmd}`));
    }
    assert.equal((await berkeley(['--help']).done).status, 0);
    assert.equal((await berkeley([]).done).status, 2);
    assert.equal((await berkeley(['frobnicate']).done).status, 2);
    const refused = await berkeley(['cat', `tcp:127.0.0.1:${freePort()}`]).done;
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^berkeley cat: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/);
  });
});
