// berkeley cat's inherited addresses (fd:N, systemd:NAME) and berkeley
// notify, as spawned processes: under a real systemd-socket-activate with a
// Python client, with sockets mapped into the child by spawn's stdio, and
// notifications compared byte for byte with what systemd-notify sends to
// the same receiving socket.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Socket, connect, listen } from '../src/index.ts';
import { tmpPath } from './helpers.ts';
import { assertUsageError, BERKELEY, berkeley, freePort, needTools, python, tool, type Run } from './cli-harness.ts';

const T = { timeout: 120_000 };

/** A Python client: connects (retrying until the listener is there), sends argv[3], shuts its sending half, prints what came back. */
const CLIENT = `
import socket, sys, time
for i in range(200):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
        break
    except ConnectionRefusedError:
        time.sleep(0.025)
s.sendall(sys.argv[3].encode())
s.shutdown(socket.SHUT_WR)
out = b''
while True:
    d = s.recv(65536)
    if not d: break
    out += d
sys.stdout.write(out.decode())
`;

/** Runs `berkeley ARGS` with `fds` mapped to fd 3, 4, ... of the child (spawn's stdio), stdin given. */
function berkeleyWithFds(args: string[], fds: number[], input: string): Promise<Run> {
  const child = spawn(BERKELEY[0], [...BERKELEY.slice(1), ...args], { stdio: ['pipe', 'pipe', 'pipe', ...fds] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d) => out.push(d));
  child.stderr!.on('data', (d) => { err += d; });
  child.stdin!.end(input);
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => child.on('close', (status, signal) => {
    clearTimeout(kill);
    resolve({ status, signal, stdout: Buffer.concat(out), stderr: err });
  }));
}

/** Resolves once `text` appeared on a spawned tool's stderr. */
function stderrSays(text: string): { onStderr: (l: string) => void; seen: Promise<void> } {
  let resolve!: () => void;
  const seen = new Promise<void>((r) => { resolve = r; });
  let all = '';
  return { onStderr: (l) => { all += l; if (all.includes(text)) resolve(); }, seen };
}

const activate = needTools({ 'systemd-socket-activate': 'systemd' });

describe('berkeley cat systemd:NAME under systemd-socket-activate', { skip: activate }, () => {
  test('two named listeners: systemd:two serves the second, a Python client talks through it', T, async () => {
    const [p1, p2] = [freePort(), freePort()];
    const listening = stderrSays(`Listening on 127.0.0.1:${p2}`);
    const act = tool('systemd-socket-activate', ['-l', `127.0.0.1:${p1}`, '-l', `127.0.0.1:${p2}`, '--fdname=one:two',
      ...BERKELEY, 'cat', 'systemd:two', '-', '-v'], { input: 'pong\n', onStderr: listening.onStderr });
    await listening.seen;
    const client = await python(CLIENT, ['127.0.0.1', String(p2), 'ping\n']).done;
    const r = await act.done;
    assert.equal(client.stdout.toString(), 'pong\n', client.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'ping\n');
    assert.match(r.stderr, new RegExp(`berkeley cat: listening on 127\\.0\\.0\\.1:${p2}\\n`));
  });

  test('systemd: alone takes the first socket', T, async () => {
    const port = freePort();
    const listening = stderrSays(`Listening on 127.0.0.1:${port}`);
    const act = tool('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, ...BERKELEY, 'cat', 'systemd:', '-'],
      { input: 'first\n', onStderr: listening.onStderr });
    await listening.seen;
    const client = await python(CLIENT, ['127.0.0.1', String(port), 'hello\n']).done;
    const r = await act.done;
    assert.equal(client.stdout.toString(), 'first\n', client.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'hello\n');
  });

  test('--accept: each connection is passed connected, and systemd: relays it like tcp:', T, async () => {
    const port = freePort();
    const listening = stderrSays(`Listening on 127.0.0.1:${port}`);
    const act = tool('systemd-socket-activate', ['-a', '-l', `127.0.0.1:${port}`, ...BERKELEY, 'cat', 'systemd:', '-'],
      { input: 'accepted\n', onStderr: listening.onStderr });
    try {
      await listening.seen;
      const client = await python(CLIENT, ['127.0.0.1', String(port), 'one connection\n']).done;
      assert.equal(client.stdout.toString(), 'accepted\n', client.stderr);
    } finally {
      act.child.kill('SIGTERM'); // it accepts forever
    }
    const r = await act.done;
    assert.equal(r.stdout.toString(), 'one connection\n', r.stderr);
  });

  test('an unknown name: exit 2, one line naming the names passed', T, async () => {
    const port = freePort();
    const listening = stderrSays(`Listening on 127.0.0.1:${port}`);
    const act = tool('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, '-l', `127.0.0.1:${freePort()}`, '--fdname=web:admin',
      ...BERKELEY, 'cat', 'systemd:api', '-'], { onStderr: listening.onStderr });
    await listening.seen;
    const poke = await connect('127.0.0.1', port); // it execs the command on the first connection attempt
    const r = await act.done;
    poke.close();
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^berkeley cat: bad address 'systemd:api': no socket named 'api' was passed \(names: web, admin\)\nRun 'berkeley cat --help' for usage\.\n$/m);
  });
});

describe('berkeley cat fd:N with sockets mapped by spawn', () => {
  test('a listening TCP socket at fd 3 is accepted from', T, async () => {
    const server = new Socket('inet', 'stream');
    server.bind('127.0.0.1:0');
    server.listen();
    const { port } = server.localAddress() as { port: number };
    const run = berkeleyWithFds(['cat', 'fd:3', '-'], [server.fd], 'from stdin\n');
    server.close(); // the child has its own copy
    const client = await python(CLIENT, ['127.0.0.1', String(port), 'from client\n']).done;
    const r = await run;
    assert.equal(client.stdout.toString(), 'from stdin\n', client.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'from client\n');
  });

  test('--fork serves every connection of an inherited listener, SIGTERM ends it', T, async () => {
    const echo = listen('127.0.0.1', 0);
    const echoing = (async () => {
      for await (const conn of echo.connections()) {
        void (async () => {
          for (let d = await conn.recv(); d.length > 0; d = await conn.recv()) await conn.sendAll(d);
          conn.close();
        })();
      }
    })().catch(() => { /* closed at the end */ });
    const server = new Socket('inet', 'stream');
    server.bind('127.0.0.1:0');
    server.listen();
    const { port } = server.localAddress() as { port: number };
    const child = spawn(BERKELEY[0], [...BERKELEY.slice(1), 'cat', 'fd:3', `tcp:127.0.0.1:${(echo.localAddress() as { port: number }).port}`, '--fork'],
      { stdio: ['ignore', 'pipe', 'pipe', server.fd] });
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    server.close();
    try {
      for (const text of ['first\n', 'second\n', 'third\n']) {
        const client = await python(CLIENT, ['127.0.0.1', String(port), text]).done;
        assert.equal(client.stdout.toString(), text, client.stderr);
      }
    } finally {
      child.kill('SIGTERM');
      echo.close();
    }
    assert.equal(await exited, 0, err);
    await echoing;
  });

  test('a connected Unix stream at fd 3 is relayed; its end ends cat', T, async () => {
    const [mine, theirs] = Socket.pair('stream');
    const run = berkeleyWithFds(['cat', 'fd:3', '-'], [theirs.fd], 'to the pair\n');
    theirs.close();
    await mine.sendAll('to stdout\n');
    mine.shutdown('send');
    let got = '';
    for (;;) {
      const d = await mine.recv(1024, { timeout: 20_000 });
      if (d.length === 0) break;
      got += d;
    }
    mine.close();
    const r = await run;
    assert.equal(got, 'to the pair\n');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'to stdout\n');
  });

  test('an unconnected UDP socket at fd 4 is a datagram listener: the first sender is answered', T, async () => {
    const udp = new Socket('inet', 'dgram');
    udp.bind('127.0.0.1:0');
    const spare = new Socket('unix', 'dgram'); // fd 3 of the child is something else
    const run = berkeleyWithFds(['cat', 'fd:4', '-'], [spare.fd, udp.fd], 'reply\n');
    const client = new Socket('inet', 'dgram');
    try {
      await client.sendTo('datagram\n', udp.localAddress());
      udp.close();
      spare.close();
      const { data } = await client.recvFrom(1024, { timeout: 20_000 });
      assert.equal(data.toString(), 'reply\n');
    } finally {
      client.close();
    }
    const r = await run;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'datagram\n');
  });
});

/** A Unix datagram socket standing in for systemd's notification socket; receive() gives the next datagram. */
function receiver(abstract: boolean): { env: string; sock: Socket; receive: () => Promise<Buffer> } {
  const name = tmpPath('notify');
  const sock = new Socket('unix', 'dgram');
  sock.bind(abstract ? `\0${name.slice(1)}` : name);
  return { env: abstract ? `@${name.slice(1)}` : name, sock, receive: async () => (await sock.recv(4096, { timeout: 20_000 })) };
}

const notifyTool = needTools({ 'systemd-notify': 'systemd' });

describe('berkeley notify', () => {
  for (const abstract of [false, true]) {
    test(`sends what systemd-notify sends (${abstract ? 'abstract @name' : 'path'})`, { ...T, skip: notifyTool }, async () => {
      const r = receiver(abstract);
      try {
        for (const args of [['READY=1', 'STATUS=x'], ['--ready', '--status=serving on :8080', '--pid=4242', 'WATCHDOG=1', 'X_CUSTOM=a=b']]) {
          const ours = await berkeley(['notify', ...args], { prefix: ['env', `NOTIFY_SOCKET=${r.env}`] }).done;
          assert.equal(ours.status, 0, ours.stderr);
          assert.equal(ours.stdout.length + ours.stderr.length, 0);
          const sent = await r.receive();
          const theirs = await tool('env', [`NOTIFY_SOCKET=${r.env}`, 'systemd-notify', '--no-block', ...args], { input: '' }).done;
          assert.equal(theirs.status, 0, theirs.stderr);
          assert.deepEqual(sent, await r.receive(), args.join(' '));
        }
      } finally {
        r.sock.close();
      }
    });
  }

  test('a bare --pid is the parent of the command, as systemd-notify takes it', T, async () => {
    const r = receiver(false);
    try {
      // env execs berkeley, so the parent is this test process.
      const run = await berkeley(['notify', '--pid'], { prefix: ['env', `NOTIFY_SOCKET=${r.env}`] }).done;
      assert.equal(run.status, 0, run.stderr);
      assert.equal((await r.receive()).toString(), `MAINPID=${process.pid}`);
    } finally {
      r.sock.close();
    }
  });

  test('NOTIFY_SOCKET unset: exit 1 and one line, as systemd-notify', T, async () => {
    const r = await berkeley(['notify', 'READY=1'], { prefix: ['env', '-u', 'NOTIFY_SOCKET'] }).done;
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'berkeley notify: NOTIFY_SOCKET is not set (not run by systemd): nothing was sent\n');
    if (!notifyTool) {
      const theirs = await tool('env', ['-u', 'NOTIFY_SOCKET', 'systemd-notify', 'READY=1'], { input: '' }).done;
      assert.equal(theirs.status, 1, 'systemd-notify fails the same way');
    }
  });

  test('nothing listening at NOTIFY_SOCKET: exit 1 with the system error', T, async () => {
    const r = await berkeley(['notify', 'READY=1'], { prefix: ['env', `NOTIFY_SOCKET=${tmpPath('nobody')}`] }).done;
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^berkeley notify: .*ENOENT.*\n$/);
  });
});

// [arguments, environment additions, what the one line says]
const BAD: [string[], string[], RegExp][] = [
  [['cat', 'fd:x'], [], /bad address 'fd:x': the fd must be a whole number from 0 to 2147483647$/],
  [['cat', 'fd:-1'], [], /the fd must be a whole number from 0 to 2147483647$/],
  [['cat', 'fd:03'], [], /the fd must be a whole number/],
  [['cat', 'fd:'], [], /the fd must be a whole number/],
  [['cat', 'fd:2147483648'], [], /the fd must be a whole number from 0 to 2147483647$/],
  [['cat', 'fd:1.5'], [], /the fd must be a whole number/],
  [['cat', 'fd:0'], [], /bad address 'fd:0': fd 0 is not a socket$/], // stdin is /dev/null here
  [['cat', 'fd:987654'], [], /bad address 'fd:987654': fd 987654 is not open$/],
  [['cat', '-l', 'fd:3'], [], /-l, -u and -U apply to addresses without a KIND: prefix/],
  [['cat', 'systemd:'], ['-u', 'LISTEN_PID'], /bad address 'systemd:': no sockets were passed/],
  [['cat', 'systemd:web'], ['LISTEN_PID=1', 'LISTEN_FDS=1'], /bad address 'systemd:web': no sockets were passed \(LISTEN_FDS unset or for another process/],
  [['cat', 'systemd:web'], ['LISTEN_PID=abc', 'LISTEN_FDS=1'], /bad address 'systemd:web': the sockets passed by systemd: .*LISTEN_PID is not a process id/],
  [['cat', 'systemd:a:b'], [], /a systemd socket name has no ':'$/],
  [['notify'], [], /nothing to send: give VARIABLE=VALUE arguments, --ready, --status or --pid$/],
  [['notify', 'READY'], [], /expected VARIABLE=VALUE \(letters, digits, _ before '='\), not 'READY'$/],
  [['notify', '=1'], [], /expected VARIABLE=VALUE/],
  [['notify', '1X=1'], [], /expected VARIABLE=VALUE/],
  [['notify', 'A B=1'], [], /expected VARIABLE=VALUE/],
  [['notify', 'STATUS=a\nb'], [], /'STATUS=\.\.\.' must not contain a newline$/],
  [['notify', '--status=a\nb'], [], /--status must not contain a newline$/],
  [['notify', '--pid=0'], [], /--pid must be a process id \(a whole number from 1 to 2147483647\), 'self' or 'parent', not '0'$/],
  [['notify', '--pid=x'], [], /--pid must be a process id/],
  [['notify', '--pid=2147483648'], [], /--pid must be a process id/],
  [['notify', '--ready=yes'], [], /option '--ready' takes no value$/],
  [['notify', '--booted'], [], /unknown option '--booted'$/],
];

describe('berkeley cat fd:/systemd: and notify: bad values are usage errors', () => {
  test('each bad value: exit 2, one line of ours and the hint, nothing on stdout', T, async () => {
    for (const [args, env, says] of BAD) {
      const r = await berkeley(args, { stdin: 'ignore', prefix: ['env', ...env, 'NOTIFY_SOCKET=/nonexistent'] }).done;
      assertUsageError(r, args[0], says, JSON.stringify([...env, ...args]));
    }
  });
});

describe('--help', () => {
  test('berkeley --help lists notify; notify --help and cat --help describe the new parts', T, async () => {
    const top = await berkeley(['--help']).done;
    assert.match(top.stdout.toString(), /^ {2}notify +tell systemd/m);
    const notify = await berkeley(['notify', '--help']).done;
    assert.equal(notify.status, 0);
    for (const option of ['--ready', '--status=TEXT', '--pid[=PID]', '--no-block', 'NOTIFY_SOCKET']) assert.ok(notify.stdout.includes(option), option);
    const cat = await berkeley(['cat', '--help']).done;
    assert.equal(cat.status, 0);
    assert.match(cat.stdout.toString(), /^ {2}fd:N +a socket inherited at fd N/m);
    assert.match(cat.stdout.toString(), /^ {2}systemd:\[NAME\] +the socket systemd passed/m);
  });
});
