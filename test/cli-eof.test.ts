// berkeley cat's end of stream, run as a user would (spawned processes)
// against Python and socat peers: UDP and seqpacket in both directions, the
// quiet period measured from the last datagram (a read already waiting
// included), a seqpacket hang-up that must neither spin nor hang, listeners
// giving up under --timeout (exit 1), and SIGTERM ending a listener cleanly.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpPath } from './helpers.ts';
import { berkeley, cpuTicks, freePort, have, python, sleep, tool, whenListening } from './cli-harness.ts';

const T = { timeout: 60_000 };

/** A UDP echo on 127.0.0.1:PORT that answers each datagram `times` times, `gap` seconds apart. */
const UDP_ECHO = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', int(sys.argv[1])))
print('ready', flush=True)
times, gap = int(sys.argv[2]), float(sys.argv[3])
while True:
    data, peer = s.recvfrom(65536)
    for i in range(times):
        if i: time.sleep(gap)
        s.sendto(data, peer)
`;

/** Resolves when a peer printed 'ready' on stdout. */
function ready(p: ReturnType<typeof python>): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    p.child.stdout!.on('data', (d) => { seen += d; if (seen.includes('ready')) resolve(); });
  });
}

describe('berkeley cat: UDP end of stream', { skip: !have('python3') && 'python3 is missing' }, () => {
  test('printf x | berkeley cat udp:HOST:PORT exits after the echo (the read was already waiting when stdin ended)', T, async () => {
    const port = freePort('dgram');
    const echo = python(UDP_ECHO, [String(port), '1', '0'], { input: 'open' });
    try {
      await ready(echo);
      const r = await berkeley(['cat', `udp:127.0.0.1:${port}`], { input: 'x\n' }).done;
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.toString(), 'x\n');
    } finally {
      echo.child.kill();
    }
  });

  test('a UDP peer that never answers: berkeley exits half a second after stdin ended', T, async () => {
    const port = freePort('dgram');
    const sink = python(UDP_ECHO, [String(port), '0', '0'], { input: 'open' });
    try {
      await ready(sink);
      const r = await berkeley(['cat', `udp:127.0.0.1:${port}`], { input: 'x\n' }).done;
      assert.equal(r.status, 0, r.stderr); // before the fix: the waiting read had no limit, so no exit (killed: null)
      assert.equal(r.stdout.length, 0);
    } finally {
      sink.child.kill();
    }
  });

  test('the quiet period runs from the last datagram either way, not from the end of stdin', T, async () => {
    const port = freePort('dgram');
    // Five answers 0.5 s apart: 2 s in all, longer than the 1.5 s of quiet, but no gap is.
    const echo = python(UDP_ECHO, [String(port), '5', '0.5'], { input: 'open' });
    try {
      await ready(echo);
      const r = await berkeley(['cat', `udp:127.0.0.1:${port}`, '--timeout', '1.5'], { input: 'ab' }).done;
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.toString(), 'ababababab');
    } finally {
      echo.child.kill();
    }
  });

  test('against a socat UDP echo', T, async () => {
    const port = freePort('dgram');
    const echo = tool('socat', [`UDP-LISTEN:${port},reuseaddr`, 'EXEC:cat']);
    try {
      await sleep(300);
      const r = await berkeley(['cat', `udp:127.0.0.1:${port}`], { input: 'over socat\n' }).done;
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.toString(), 'over socat\n');
    } finally {
      echo.child.kill();
    }
  });

  test('udp-listen answers the first sender and exits once stdin ended and the datagrams stopped', T, async () => {
    const port = freePort('dgram');
    const w = whenListening();
    const b = berkeley(['cat', `udp-listen:127.0.0.1:${port}`, '--verbose'], { input: 'back\n', onStderr: w.onStderr });
    await w.ready;
    const client = await python(`
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(20)
s.sendto(b'hello\\n', ('127.0.0.1', int(sys.argv[1])))
print(s.recv(100).decode(), end='')
`, [String(port)]).done;
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'hello\n');
    assert.equal(client.stdout.toString(), 'back\n', client.stderr);
  });

  test('a listener with --timeout and no peer reports ETIMEDOUT and exits 1 (stdin left open)', T, async () => {
    for (const address of [`udp-listen:127.0.0.1:${freePort('dgram')}`, `tcp-listen:127.0.0.1:${freePort()}`, `unix-dgram-listen:${tmpPath('cli-to')}`]) {
      const r = await berkeley(['cat', address, '--timeout', '0.3'], { input: 'open' }).done;
      assert.equal(r.status, 1, `${address}: ${r.stderr}`);
      assert.match(r.stderr, /^berkeley cat: \w+ ETIMEDOUT/, address);
    }
  });
});

const SEQPACKET_SERVER = `
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(path); s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
records = []
while True:
    r = c.recv(65536)
    if not r: break          # berkeley shut its sending half: the empty record
    records.append(r)
c.send(b'got %d records: %s' % (len(records), b'|'.join(records)))
c.close(); os.unlink(path)
`;

describe('berkeley cat: seqpacket end of stream', { skip: !have('python3') && 'python3 is missing' }, () => {
  test('cat seqpacket:PATH tells the peer stdin ended (an empty record), then ends at the peer\'s hang-up', T, async () => {
    const path = tmpPath('cli-seq');
    const server = python(SEQPACKET_SERVER, [path], { input: 'open' });
    await ready(server);
    const r = await berkeley(['cat', `seqpacket:${path}`], { input: 'one record' }).done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'got 1 records: one record');
    assert.equal((await server.done).status, 0);
  });

  test('cat seqpacket-listen:PATH: records both ways, an empty record to the peer at stdin\'s end', T, async () => {
    const path = tmpPath('cli-seq-listen');
    const w = whenListening();
    const b = berkeley(['cat', `seqpacket-listen:${path}`, '--verbose'], { input: 'to-client', onStderr: w.onStderr });
    await w.ready;
    const client = await python(`
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b'rec1'); s.send(b'rec2')
got = []
while True:
    r = s.recv(100)
    if not r: break
    got.append(r.decode())
print(','.join(got)); s.close()
`, [path]).done;
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'rec1rec2');
    assert.equal(client.stdout.toString(), 'to-client\n', client.stderr);
    assert.ok(!existsSync(path), 'the socket file is removed');
  });

  test('a seqpacket peer that hangs up ends the relay: no spinning on the empty read, stdin still open', T, async () => {
    const path = tmpPath('cli-seq-hup');
    const w = whenListening();
    const b = berkeley(['cat', `seqpacket-listen:${path}`, '--verbose'], { input: 'open', onStderr: w.onStderr });
    await w.ready;
    await python(`
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.send(b'last words'); s.close()
`, [path]).done;
    const r = await b.done; // before the fix: 100% CPU, forever (killed after 30 s: status null)
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'last words');
  });

  test('relaying a hung-up seqpacket peer to a stream that stays open: berkeley waits idle, not spinning', T, async () => {
    const seq = tmpPath('cli-seq-relay');
    const stream = tmpPath('cli-stream-relay');
    // The stream peer reads to the end berkeley passes on, says so, stays open 1.5 s, then closes.
    const peer = python(`
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
data = b''
while True:
    r = c.recv(65536)
    if not r: break
    data += r
print('eof', data.decode(), flush=True)
time.sleep(1.5)
c.close()
`, [stream], { input: 'open' });
    await ready(peer);
    const w = whenListening();
    const b = berkeley(['cat', `seqpacket-listen:${seq}`, `unix:${stream}`, '--verbose'], { onStderr: w.onStderr });
    await w.ready;
    const eof = new Promise<void>((resolve) => { let s = ''; peer.child.stdout!.on('data', (d) => { s += d; if (s.includes('eof')) resolve(); }); });
    await python(`
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.send(b'bye'); s.close()
`, [seq]).done;
    await eof;
    const before = cpuTicks(b.child.pid!);
    await sleep(1000);
    const used = cpuTicks(b.child.pid!) - before;
    // A spin would use about 100 ticks (one second of CPU) here; waiting uses next to none.
    assert.ok(used < 30, `berkeley used ${used} ticks of CPU in a second of waiting`);
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.match((await peer.done).stdout.toString(), /eof bye/);
  });
});

describe('berkeley cat: signals', () => {
  test('SIGTERM ends a waiting listener: exit 0, its socket file removed', T, async () => {
    const path = tmpPath('cli-term');
    const w = whenListening();
    const b = berkeley(['cat', `unix-listen:${path}`, '--verbose'], { input: 'open', onStderr: w.onStderr });
    await w.ready;
    assert.ok(existsSync(path));
    b.child.kill('SIGTERM');
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(path), 'the socket file is removed');
  });
});
