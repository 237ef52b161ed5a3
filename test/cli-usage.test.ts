// How berkeley is called: every bad value is a usage error (exit 2) in one
// line of our own, before any socket is made (ports over 65535 refused, not
// wrapped; empty numbers; Node's parseArgs texts replaced); and socat's
// address keywords (any case) and nc's -l/-u/-U shortcuts, each tried
// against a real socat or Python peer.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { tmpPath } from './helpers.ts';
import { assertUsageError, berkeley, freePort, listening, needTools, python, tool, whenListening } from './cli-harness.ts';

const T = { timeout: 120_000 };

// [arguments, what the one line says]
const BAD: [string[], RegExp][] = [
  [['cat', 'tcp:127.0.0.1:99999'], /bad address 'tcp:127\.0\.0\.1:99999': the port must be from 0 to 65535$/],
  [['cat', 'tcp-listen:70000'], /bad address 'tcp-listen:70000': the port must be from 0 to 65535$/],
  [['cat', 'udp:[::1]:65536'], /the port must be from 0 to 65535$/],
  [['cat', 'TCP4-LISTEN:65536'], /the port must be from 0 to 65535$/],
  [['cat', '-l', '99999'], /bad address '99999': the port must be from 0 to 65535$/],
  [['cat', 'tcp:127.0.0.1:080'], /without leading zeros$/],
  [['cat', 'tcp:127.0.0.1:-1'], /the port must be from 0 to 65535 or a service name$/],
  [['cat', 'tcp:127.0.0.1:'], /the port must be from 0 to 65535 or a service name$/],
  [['cat', 'tcp:127.0.0.1'], /bad address 'tcp:127\.0\.0\.1'/],
  [['cat', 'tcp::80'], /a connecting address needs a HOST$/],
  [['cat', 'TCP-LISTEN:8080,reuseaddr,fork'], /address options in the socat manner \(',reuseaddr'\) are not supported/],
  [['cat', 'unix:'], /the path is empty$/],
  [['cat', 'carrier-pigeon:x'], /unknown address kind 'carrier-pigeon' in 'carrier-pigeon:x'/],
  [['cat', '8080'], /bad address '8080': expected KIND:/],
  [['cat', '-l', 'tcp:127.0.0.1:1'], /-l, -u and -U apply to addresses without a KIND: prefix/],
  [['cat', '-', 'stdio'], /at least one address must be a socket$/],
  [['cat', 'tcp:127.0.0.1:1', 'tcp-listen:2'], /put the listening address first$/],
  [['cat', 'tcp-listen:1', 'udp-listen:2'], /only one address may listen$/],
  [['cat', 'tcp-listen:1', '--recv-only'], /--recv-only is for a datagram listener/],
  [['cat', 'udp-listen:1', 'tcp:127.0.0.1:1', '--fork'], /--fork needs a stream listener/],
  [['cat', 'tcp:127.0.0.1:1', '--timeout', ''], /--timeout must be a number >= 0, not ''$/],
  [['cat', 'tcp:127.0.0.1:1', '--timeout=-1'], /--timeout must be a number >= 0, not '-1'$/],
  [['cat', 'tcp:127.0.0.1:1', '-w', '-1'], /option '-w' needs a value \(join one that starts with '-': -wVALUE\)$/],
  [['cat', 'tcp:127.0.0.1:1', '--timeout', '1e3'], /--timeout must be a number >= 0, not '1e3'$/],
  [['cat', 'tcp:127.0.0.1:1', '--timeout', '0x10'], /--timeout must be a number >= 0, not '0x10'$/],
  [['cat', 'tcp:127.0.0.1:1', '--timeout'], /option '--timeout' needs a value$/],
  [['cat', 'tcp:127.0.0.1:1', '--bogus'], /unknown option '--bogus'$/],
  [['cat', 'tcp:127.0.0.1:1', '-Z'], /unknown option '-Z'$/],
  [['cat', 'tcp:127.0.0.1:1', '--fork=yes'], /option '--fork' takes no value$/],
  [['cat'], /expected ADDRESS \[ADDRESS\]$/],
  [['ping', '127.0.0.1', '-s', ''], /--size must be a whole number from 0 to 65000, not ''$/],
  [['ping', '127.0.0.1', '-c', '0'], /--count must be a whole number from 1 to \d+, not '0'$/],
  [['ping', '127.0.0.1', '-c', '1.5'], /--count must be a whole number/],
  [['ping', '127.0.0.1', '-i', 'soon'], /--interval must be a number >= 0, not 'soon'$/],
  [['ping', '127.0.0.1', '-4', '-6'], /-4 and -6 exclude each other$/],
  [['ping'], /expected one HOST$/],
  [['resolve', '--reverse', '999.1.1.1'], /--reverse needs a numeric IPv4 or IPv6 address, not '999\.1\.1\.1'$/],
  [['resolve', '--reverse', '127.0.0.1', '99999'], /the port must be a number from 0 to 65535, not '99999'$/],
  [['resolve', '--reverse', '127.0.0.1', 'http'], /the port must be a number from 0 to 65535, not 'http'$/],
  [['resolve', 'localhost', '--type', 'carrier'], /--type must be stream, dgram or raw, not 'carrier'$/],
  [['resolve', 'localhost', 'http', 'extra'], /expected NAME \[SERVICE\]$/],
  [['ifaces', 'extra'], /unexpected argument 'extra'$/],
  [['ifaces', '--bogus'], /unknown option '--bogus'$/],
  [['demo', '--fast'], /unknown option '--fast'$/],
];

describe('berkeley: bad values are usage errors', () => {
  test('each bad value: exit 2, one line of ours and the hint, nothing on stdout, no parseArgs text', T, async () => {
    for (const [args, says] of BAD) {
      const r = await berkeley(args, { input: 'open' }).done;
      const what = args.join(' ');
      const line = assertUsageError(r, args[0], says, what);
      assert.equal((line.match(/'/g)?.length ?? 0) % 2, 0, `${what}: balanced quotes: ${line}`);
      assert.doesNotMatch(r.stderr, /To specify a positional argument|TypeError|RangeError|ERR_/, what);
    }
  });
});

describe("berkeley cat: socat's keywords and nc's shortcuts against real peers", { skip: needTools({ socat: 'socat' }) }, () => {
  test('TCP-CONNECT:, TCP4:, tcp-connect: and Tcp: reach a socat echo', T, async () => {
    const port = freePort();
    const echo = tool('socat', [`TCP-LISTEN:${port},reuseaddr,fork`, 'EXEC:cat']);
    try {
      await listening(port);
      for (const kw of ['TCP-CONNECT', 'TCP4', 'tcp-connect', 'Tcp']) {
        const r = await berkeley(['cat', `${kw}:127.0.0.1:${port}`], { input: kw }).done;
        assert.equal(r.status, 0, `${kw}: ${r.stderr}`);
        assert.equal(r.stdout.toString(), kw);
      }
    } finally {
      echo.child.kill();
    }
  });

  test('TCP-L: and -l PORT listen for socat clients', T, async () => {
    for (const args of [(p: number) => [`TCP-L:127.0.0.1:${p}`], (p: number) => ['-l', `127.0.0.1:${p}`], (p: number) => ['-l', String(p)]]) {
      const port = freePort();
      const w = whenListening();
      const b = berkeley(['cat', ...args(port), '-v'], { input: 'from berkeley', onStderr: w.onStderr });
      await w.ready;
      const c = await tool('socat', ['-', `TCP:127.0.0.1:${port}`], { input: 'from socat' }).done;
      const r = await b.done;
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.toString(), 'from socat');
      assert.equal(c.stdout.toString(), 'from berkeley');
    }
  });

  test('UDP-SENDTO: and -u HOST:PORT reach a UDP echo; -lu PORT and UDP-RECVFROM: answer socat', T, async () => {
    const port = freePort('dgram');
    // A Python echo: socat's UDP-LISTEN with fork leaves children behind that outlive the test.
    const echo = python(`
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', int(sys.argv[1])))
print('ready', flush=True)
while True:
    d, peer = s.recvfrom(65536); s.sendto(d, peer)
`, [String(port)], { input: 'open' });
    try {
      await new Promise<void>((resolve) => echo.child.stdout!.on('data', () => resolve()));
      for (const args of [[`UDP-SENDTO:127.0.0.1:${port}`], ['-u', `127.0.0.1:${port}`]]) {
        const r = await berkeley(['cat', ...args, '--timeout', '2'], { input: 'udp!' }).done;
        assert.equal(r.status, 0, `${args}: ${r.stderr}`);
        assert.equal(r.stdout.toString(), 'udp!', args.join(' '));
      }
    } finally {
      echo.child.kill();
    }
    for (const args of [(p: number) => ['-lu', `127.0.0.1:${p}`], (p: number) => [`UDP-RECVFROM:127.0.0.1:${p}`]]) {
      const p = freePort('dgram');
      const w = whenListening();
      const b = berkeley(['cat', ...args(p), '-v'], { input: 'answer', onStderr: w.onStderr });
      await w.ready;
      const c = await tool('socat', ['-t', '2', '-', `UDP:127.0.0.1:${p}`], { input: 'ask' }).done;
      const r = await b.done;
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.toString(), 'ask');
      assert.equal(c.stdout.toString(), 'answer');
    }
  });

  test('UNIX-CONNECT:, UNIX-CLIENT:, a bare path and -U PATH reach a socat Unix echo; UNIX-CLIENT: and a bare path also a datagram one', T, async () => {
    const path = tmpPath('cli-kw-unix');
    const echo = tool('socat', [`UNIX-LISTEN:${path},fork`, 'EXEC:cat']);
    try {
      await listening(path);
      for (const args of [[`UNIX-CONNECT:${path}`], [`unix-client:${path}`], [path], ['-U', path]]) {
        const r = await berkeley(['cat', ...args], { input: 'unix!' }).done;
        assert.equal(r.status, 0, `${args}: ${r.stderr}`);
        assert.equal(r.stdout.toString(), 'unix!', args.join(' '));
      }
    } finally {
      echo.child.kill();
    }
    const dpath = tmpPath('cli-kw-dgram');
    const decho = python(`
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
print('ready', flush=True)
while True:
    d, peer = s.recvfrom(65536); s.sendto(d, peer)
`, [dpath], { input: 'open' });
    try {
      await new Promise<void>((resolve) => decho.child.stdout!.on('data', () => resolve()));
      for (const args of [[`UNIX-CLIENT:${dpath}`], [dpath], [`UNIX-SENDTO:${dpath}`], ['-U', '-u', dpath]]) {
        const r = await berkeley(['cat', ...args], { input: 'dgram!' }).done;
        assert.equal(r.status, 0, `${args}: ${r.stderr}`);
        assert.equal(r.stdout.toString(), 'dgram!', args.join(' '));
      }
    } finally {
      decho.child.kill();
    }
  });

  test('UNIX-LISTEN: and UNIX-RECVFROM: serve socat clients; STDIO works as either address', T, async () => {
    const path = tmpPath('cli-kw-ulisten');
    const w = whenListening();
    const b = berkeley(['cat', 'STDIO', `UNIX-LISTEN:${path}`, '-v'], { input: 'hi socat', onStderr: w.onStderr });
    await w.ready;
    const c = await tool('socat', ['-', `UNIX-CONNECT:${path}`], { input: 'hi berkeley' }).done;
    const r = await b.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'hi berkeley');
    assert.equal(c.stdout.toString(), 'hi socat');

    const dpath = tmpPath('cli-kw-recvfrom');
    const client = tmpPath('cli-kw-recvfrom-client');
    const w2 = whenListening();
    const b2 = berkeley(['cat', `UNIX-RECVFROM:${dpath}`, '-v'], { input: 'pong', onStderr: w2.onStderr });
    await w2.ready;
    const c2 = await tool('socat', ['-t', '2', '-', `UNIX-SENDTO:${dpath},bind=${client}`], { input: 'ping' }).done;
    const r2 = await b2.done;
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(r2.stdout.toString(), 'ping');
    assert.equal(c2.stdout.toString(), 'pong');
  });
});
