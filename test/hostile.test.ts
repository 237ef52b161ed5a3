// Hostile values, table-driven: every public function and method, each
// argument position in turn replaced by each hostile value while the others
// stay sensible. The only acceptable outcomes are a result or a TypeError,
// RangeError, SocketError or AbortError (thrown or as a rejection); the
// process must survive and every fd must be closed afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket, SocketError, AbortError, select, selectSync, connect, listen, connectUnix, listenUnix, bindUdp, bindUnixDgram } from '../src/index.ts';
import * as posix from '../src/posix.ts';
import { fdCount, tmpPath } from './helpers.ts';

const evil = { toString(): string { throw new TypeError('toString is hostile'); } };
const hostile: [string, unknown][] = [
  ['undefined', undefined], ['null', null], ['NaN', NaN], ['Infinity', Infinity], ['-1', -1], ['2^31', 2 ** 31], ['2^53', 2 ** 53], ['1.5', 1.5],
  ['empty string', ''], ['long string', 'x'.repeat(100_000)], ['NUL', '\0'], ['object', {}], ['array', []], ['function', () => 1],
  ['symbol', Symbol('s')], ['bigint', 10n], ['true', true], ['empty buffer', Buffer.alloc(0)], ['1 MiB', new Uint8Array(1 << 20)],
  ['bad IPv4', { family: 'inet', address: '300.1.1.1', port: 1 }], ['long unix path', { family: 'unix', path: 'p'.repeat(300) }],
  ['port 99999', { family: 'inet6', address: '::1', port: 99999 }], ['hostile toString', evil], ['-5', -5],
];

function acceptable(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof SocketError || err instanceof AbortError;
}

/** Calls fn; a thrown or rejected error must be of an acceptable kind. Returns what the call produced. */
async function attempt(label: string, fn: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = fn();
    if (result instanceof Promise) result = await result;
  } catch (err) {
    assert.ok(acceptable(err), `${label}: ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    return undefined;
  }
  return result;
}

/** Every position of `args` replaced by every hostile value. */
async function table(name: string, args: unknown[], call: (a: unknown[]) => unknown, cleanup: (r: unknown) => void = () => {}, skip: (i: number, v: unknown) => boolean = () => false): Promise<number> {
  let calls = 0;
  for (let i = 0; i < Math.max(1, args.length); i++) {
    for (const [label, value] of hostile) {
      if (skip(i, value)) continue;
      const a = [...args];
      a[i] = value;
      cleanup(await attempt(`${name} arg ${i} = ${label}`, () => call(a)));
      calls++;
    }
  }
  return calls;
}

const close = (r: unknown): void => {
  if (r instanceof Socket) r.close();
  else if (Array.isArray(r)) for (const x of r) if (x instanceof Socket) x.close();
};

test('every Socket method and constructor refuses hostile arguments cleanly', async () => {
  const before = fdCount();
  const sock = (family: 'inet' | 'unix' = 'inet', type: 'stream' | 'dgram' = 'dgram'): Socket => {
    const s = new Socket(family, type);
    s.setTimeout(0); // a call that would wait fails at once instead
    return s;
  };
  const io = { timeout: 0 };
  let calls = 0;
  calls += await table('new Socket', ['inet', 'stream', 0], (a) => new Socket(a[0] as 'inet', a[1] as 'stream', a[2] as number), close);
  calls += await table('Socket.pair', ['stream', 'unix'], (a) => Socket.pair(a[0] as 'stream', a[1] as 'unix'), close);
  calls += await table('Socket.from', [-1], (a) => Socket.from(a[0] as number), close);
  const methods: [string, unknown[], (s: Socket, a: unknown[]) => unknown, ('stream' | 'dgram')?][] = [
    ['bind', ['127.0.0.1:0'], (s, a) => s.bind(a[0] as string)],
    ['listen', [8], (s, a) => s.listen(a[0] as number), 'stream'],
    ['connect', ['127.0.0.1:1', io], (s, a) => s.connect(a[0] as string, a[1] as object)],
    ['connectSync', ['127.0.0.1:1', io], (s, a) => s.connectSync(a[0] as string, a[1] as object)],
    ['accept', [io], (s, a) => s.accept(a[0] as object), 'stream'],
    ['acceptSync', [io], (s, a) => s.acceptSync(a[0] as object), 'stream'],
    ['send', ['x', io], (s, a) => s.send(a[0] as string, a[1] as object)],
    ['sendSync', ['x', io], (s, a) => s.sendSync(a[0] as string, a[1] as object)],
    ['sendAll', ['x', io], (s, a) => s.sendAll(a[0] as string, a[1] as object)],
    ['sendAllSync', ['x', io], (s, a) => s.sendAllSync(a[0] as string, a[1] as object)],
    ['sendTo', ['x', '127.0.0.1:9', io], (s, a) => s.sendTo(a[0] as string, a[1] as string, a[2] as object)],
    ['sendToSync', ['x', '127.0.0.1:9', io], (s, a) => s.sendToSync(a[0] as string, a[1] as string, a[2] as object)],
    ['sendMsg', [{ data: 'x', address: '127.0.0.1:9' }, io], (s, a) => s.sendMsg(a[0] as { data: string }, a[1] as object)],
    ['sendMsgSync', [{ data: ['a', 'b'], address: '127.0.0.1:9', fds: [] }, io], (s, a) => s.sendMsgSync(a[0] as { data: string }, a[1] as object)],
    ['sendMany', [[{ data: 'x', address: '127.0.0.1:9' }], io], (s, a) => s.sendMany(a[0] as string[], a[1] as object)],
    ['sendManySync', [[{ data: 'x', address: '127.0.0.1:9' }], io], (s, a) => s.sendManySync(a[0] as string[], a[1] as object)],
    ['recv', [16, io], (s, a) => s.recv(a[0] as number, a[1] as object)],
    ['recvSync', [16, io], (s, a) => s.recvSync(a[0] as number, a[1] as object)],
    ['recvInto', [Buffer.alloc(16), io], (s, a) => s.recvInto(a[0] as Buffer, a[1] as object)],
    ['recvIntoSync', [Buffer.alloc(16), io], (s, a) => s.recvIntoSync(a[0] as Buffer, a[1] as object)],
    ['recvFrom', [16, io], (s, a) => s.recvFrom(a[0] as number, a[1] as object)],
    ['recvFromSync', [16, io], (s, a) => s.recvFromSync(a[0] as number, a[1] as object)],
    ['recvMsg', [{ size: 16, maxFds: 2, timeout: 0 }], (s, a) => s.recvMsg(a[0] as object)],
    ['recvMsgSync', [{ size: 16, maxFds: 2, timeout: 0 }], (s, a) => s.recvMsgSync(a[0] as object)],
    ['recvMany', [{ maxMessages: 4, size: 16, timeout: 0 }], (s, a) => s.recvMany(a[0] as object)],
    ['recvManySync', [{ maxMessages: 4, size: 16, timeout: 0 }], (s, a) => s.recvManySync(a[0] as object)],
    ['receive', ['line', 'p', io], (s, a) => s.receive(a[0] as 'line', a[1] as string, a[2] as object), 'stream'],
    ['receiveSync', [10, undefined, io], (s, a) => s.receiveSync(a[0] as 'line', a[1] as string, a[2] as object), 'stream'],
    ['shutdown', ['send'], (s, a) => s.shutdown(a[0] as 'send'), 'stream'],
    ['setTimeout', [10, 'block'], (s, a) => s.setTimeout(a[0] as number, a[1] as 'block')],
    ['setBlocking', [false], (s, a) => s.setBlocking(a[0] as boolean)],
    ['setOption', ['rcvbuf', 8192], (s, a) => s.setOption(a[0] as 'rcvbuf', a[1] as number)],
    ['getOption', ['rcvbuf'], (s, a) => s.getOption(a[0] as 'rcvbuf')],
    ['setsockopt', ['socket', 'SO_RCVBUF', 8192], (s, a) => s.setsockopt(a[0] as 'socket', a[1] as string, a[2] as number)],
    ['getsockopt', ['socket', 'SO_TYPE', 'int'], (s, a) => s.getsockopt(a[0] as 'socket', a[1] as string, a[2] as 'int')],
    ['addMembership', ['239.1.2.3', 0], (s, a) => s.addMembership(a[0] as string, a[1] as number)],
    ['setMulticastTTL', [1], (s, a) => s.setMulticastTTL(a[0] as number)],
    ['setMulticastInterface', ['127.0.0.1'], (s, a) => s.setMulticastInterface(a[0] as string)],
    ['readable', [io], (s, a) => s.readable(a[0] as object)],
    ['writable', [io], (s, a) => s.writable(a[0] as object)],
  ];
  for (const [name, args, call, type] of methods) {
    for (const family of ['inet', 'unix'] as const) {
      for (let i = 0; i < Math.max(1, args.length); i++) {
        for (const [label, value] of hostile) {
          const s = sock(family, type ?? 'dgram');
          const a = [...args];
          a[i] = value;
          close(await attempt(`${family} ${name} arg ${i} = ${label}`, () => call(s, a)));
          s.close();
          calls++;
        }
      }
    }
  }
  // A long but valid timeout with nothing to wait for is a long sleep, not a hostile value.
  const longWait = (i: number, v: unknown): boolean => i === 2 && typeof v === 'number' && v > 1000 && v !== Infinity;
  calls += await table('select', [[], [], 0], (a) => select(a[0] as Socket[], a[1] as Socket[], a[2] as number), undefined, longWait);
  calls += await table('selectSync', [[], [], 0], (a) => selectSync(a[0] as Socket[], a[1] as Socket[], a[2] as number), undefined, longWait);
  assert.ok(calls > 3000, `${calls} calls`);
  assert.equal(fdCount(), before);
});

test('the convenience constructors refuse hostile arguments cleanly', async () => {
  const before = fdCount();
  const io = { timeout: 50 };
  await table('connect', ['127.0.0.1', 1, io], (a) => connect(a[0] as string, a[1] as number, a[2] as object), close);
  await table('listen', ['127.0.0.1', 0, { backlog: 4 }], (a) => listen(a[0] as string, a[1] as number, a[2] as object), close);
  await table('connectUnix', [tmpPath('nobody'), io], (a) => connectUnix(a[0] as string, a[1] as object), close);
  await table('listenUnix', [tmpPath('hostile'), { backlog: 2 }], (a) => listenUnix(a[0] as string, a[1] as object), close);
  await table('bindUdp', ['127.0.0.1', 0, { reuseaddr: true }], (a) => bindUdp(a[0] as string, a[1] as number, a[2] as object), close);
  await table('bindUnixDgram', [tmpPath('hostile-dgram')], (a) => bindUnixDgram(a[0] as string), close);
  assert.equal(fdCount(), before);
});

test('every posix function refuses hostile arguments cleanly', async () => {
  const before = fdCount();
  const [a, b] = Socket.pair('dgram');
  const fd = a.fd;
  const addr = posix.getsockname(fd);
  const closeFd = (r: unknown): void => {
    if (typeof r === 'number' && r > 2 && r !== fd && r !== b.fd) posix.close(r);
    if (Array.isArray(r)) for (const x of r) if (typeof x === 'number' && x > 2) posix.close(x);
    if (r && typeof r === 'object' && 'fd' in r && typeof (r as { fd: unknown }).fd === 'number') posix.close((r as { fd: number }).fd);
    for (const x of (r as { fds?: number[] })?.fds ?? []) posix.close(x);
  };
  const p = posix as unknown as Record<string, (...x: unknown[]) => unknown>;
  const fns: [string, unknown[]][] = [
    ['socket', [posix.AF_INET, posix.SOCK_DGRAM, 0]],
    ['socketpair', [posix.AF_UNIX, posix.SOCK_STREAM, 0]],
    ['bind', [fd, addr]],
    ['listen', [fd, 1]],
    ['accept', [fd]],
    ['connect', [fd, { family: 'inet', address: '127.0.0.1', port: 9 }]],
    ['send', [fd, Buffer.from('x'), posix.MSG_DONTWAIT]],
    ['recv', [fd, 16, posix.MSG_DONTWAIT]],
    ['sendto', [fd, Buffer.from('x'), posix.MSG_DONTWAIT, addr]],
    ['recvfrom', [fd, 16, posix.MSG_DONTWAIT]],
    ['sendmsg', [fd, { data: [Buffer.from('x')], fds: [] }, posix.MSG_DONTWAIT]],
    ['recvmsg', [fd, { size: 16, maxFds: 2 }, posix.MSG_DONTWAIT]],
    ['shutdown', [fd, posix.SHUT_RD]],
    ['getsockname', [fd]],
    ['getpeername', [fd]],
    ['getsockopt', [fd, posix.SOL_SOCKET, posix.SO_TYPE]],
    ['setsockopt', [fd, posix.SOL_SOCKET, posix.SO_RCVBUF, 8192]],
    ['setblocking', [fd, false]],
    ['getaddrinfo', ['localhost', '80', {}]],
    ['getnameinfo', [{ family: 'inet', address: '127.0.0.1', port: 80 }, 0]],
    ['if_nametoindex', ['lo']],
    ['if_indextoname', [1]],
    ['if_nameindex', []],
    ['inet_pton', [posix.AF_INET, '127.0.0.1']],
    ['inet_ntop', [posix.AF_INET, Buffer.from([127, 0, 0, 1])]],
    ['close', [-1]],
  ];
  let calls = 0;
  // Only these make fds; the others return counts and values that must not be taken for fds.
  const makesFds = new Set(['socket', 'socketpair', 'accept', 'recvmsg']);
  for (const [name, args] of fns) {
    assert.equal(typeof p[name], 'function', name);
    calls += await table(`posix.${name}`, args, (x) => p[name](...x), makesFds.has(name) ? closeFd : undefined);
  }
  a.close();
  b.close();
  assert.ok(calls > 500, `${calls} calls`);
  assert.equal(fdCount(), before);
});
