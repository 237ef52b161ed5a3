// berkeley cat as a syslog sink: a datagram listener in receive-only mode
// takes datagrams from unnamed senders (logger -u, Python), automatically
// when stdin is /dev/null or closed, with --recv-only, with socat's
// UNIX-RECV: keyword, and as a fallback when the first sender is unnamed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpPath } from './helpers.ts';
import { BERKELEY, berkeley, have, python, tool, whenListening, type Spawned } from './cli-harness.ts';
import { spawn } from 'node:child_process';

const T = { timeout: 60_000 };

/** Resolves once the process's stdout holds every one of `texts`. */
function output(p: Spawned, texts: string[]): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    p.child.stdout!.on('data', (d) => { seen += d; if (texts.every((t) => seen.includes(t))) resolve(seen); });
  });
}

/** An unnamed Unix datagram socket sends each argument to the path. */
const UNNAMED_SENDER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for m in sys.argv[2:]: s.sendto(m.encode(), sys.argv[1])
`;

/**
 * A Python sender started and ready before the listener it sends to: it
 * sends once `go(line)` hands it a line (a port), with `line` in scope. A
 * listener's --timeout runs from its start to the first datagram, and on a
 * loaded machine Python's own start-up took longer than that.
 */
async function primedSender(body: string, args: string[] = []): Promise<(line?: string) => Promise<unknown>> {
  const p = python(`import socket, sys\nprint('ready', flush=True)\nline = sys.stdin.readline().strip()\n${body}`, args, { input: 'open' });
  await output(p, ['ready']);
  return (line = '') => {
    p.child.stdin!.end(`${line}\n`);
    return p.done;
  };
}

describe('berkeley cat: a receive-only datagram listener (syslog sink)', { skip: !have('logger') && 'logger (bsdutils) is missing' }, () => {
  test('unix-dgram-listen with stdin /dev/null takes logger -u messages; SIGTERM exits 0 and removes the socket', T, async () => {
    const path = tmpPath('cli-log');
    const w = whenListening();
    const b = berkeley(['cat', `unix-dgram-listen:${path}`, '--verbose'], { stdin: 'ignore', onStderr: w.onStderr });
    await w.ready;
    const seen = output(b, ['first message', 'second message']);
    for (const m of ['first message', 'second message']) {
      const l = await tool('logger', ['-u', path, '-t', 'berkeley-test', m], { input: '' }).done;
      assert.equal(l.status, 0, l.stderr);
    }
    const text = await seen;
    assert.match(text, /^<\d+>.*berkeley-test: first message/);
    assert.match(text, /<\d+>.*berkeley-test: second message/);
    b.child.kill('SIGTERM');
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /\(receive only\)/);
    assert.ok(!existsSync(path), 'the socket file is removed');
  });

  test('with stdin closed (<&-), the same', T, async () => {
    const path = tmpPath('cli-log-closed');
    // exec with <&- : fd 0 is not open at all.
    const child = spawn('sh', ['-c', 'exec "$@" <&-', 'sh', ...BERKELEY, 'cat', `unix-dgram-listen:${path}`, '-v'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const b: Spawned = { child, done: new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.alloc(0), stderr: '' }))) };
    let err = '';
    const listening = new Promise<void>((resolve) => child.stderr.on('data', (d) => { err += d; if (err.includes('listening on')) resolve(); }));
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await listening;
    const seen = output(b, ['closed-stdin']);
    await tool('logger', ['-u', path, 'closed-stdin'], { input: '' }).done;
    await seen;
    child.kill('SIGTERM');
    const r = await b.done;
    clearTimeout(kill);
    assert.equal(r.status, 0, err);
    assert.match(err, /\(receive only\)/);
  });

  test("socat's UNIX-RECV: is receive-only whatever stdin is", T, async () => {
    const path = tmpPath('cli-unix-recv');
    const w = whenListening();
    const b = berkeley(['cat', `UNIX-RECV:${path}`, '--timeout', '3', '-v'], { input: 'open', onStderr: w.onStderr });
    await w.ready;
    assert.ok(existsSync(path));
    await tool('logger', ['-u', path, 'via UNIX-RECV'], { input: '' }).done;
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.toString(), /via UNIX-RECV$/);
    assert.match(r.stderr, /\(receive only\)/);
  });

  test('--recv-only with stdin readable; --timeout ends it after the quiet period (exit 0)', T, async () => {
    const path = tmpPath('cli-recv-only');
    const send = await primedSender(UNNAMED_SENDER, [path, 'a;', 'b;', 'c;']);
    const w = whenListening();
    const b = berkeley(['cat', `unix-dgram-listen:${path}`, '--recv-only', '--timeout', '3', '-v'], { input: 'open', onStderr: w.onStderr });
    await w.ready;
    await send();
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'a;b;c;');
  });

  test('udp-listen with --recv-only takes datagrams from several senders', T, async () => {
    const send = await primedSender(`
for m in (b'one;', b'two;'):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(m, ('127.0.0.1', int(line))); s.close()
`);
    const w = whenListening();
    const b = berkeley(['cat', 'UDP-LISTEN:0', '--recv-only', '--timeout', '3', '-v'], { input: 'open', onStderr: w.onStderr });
    let port = 0;
    b.child.stderr!.on('data', (d) => { const m = /listening on [^:]+:(\d+)/.exec(String(d)); if (m) port = Number(m[1]); });
    await w.ready;
    await send(String(port));
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'one;two;');
  });

  test('an unnamed first sender with stdin readable: its datagram is kept, receive-only from there on', T, async () => {
    const path = tmpPath('cli-unnamed');
    const send = await primedSender(UNNAMED_SENDER, [path, 'kept']);
    const w = whenListening();
    const b = berkeley(['cat', `unix-dgram-listen:${path}`, '--timeout', '3', '-v'], { input: 'open', onStderr: w.onStderr });
    await w.ready;
    await send();
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'kept');
    assert.match(r.stderr, /unnamed socket, which cannot be answered: receiving only/);
  });
});
