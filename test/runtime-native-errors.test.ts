// The addon's own argument checks (the layer under the TypeScript
// validation): every TypeError/RangeError names the function and the
// argument, with Node's codes, and is thrown before any system call. Called
// on the raw binding, as only a bug in the library above could. Also the
// readiness backend switch (BERKELEY_READINESS).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { fileURLToPath } from 'node:url';
import { binding } from '../src/sys/binding.ts';
import { fdCount } from './helpers.ts';

const b = binding as unknown as Record<string, (...args: unknown[]) => unknown>;
const buf = new Uint8Array(16);
const storage = new Uint8Array(binding.layout.storage);
// A control buffer whose first header claims more bytes than the buffer has.
const badControl = new Uint8Array(binding.layout.cmsgSpace0 + 8);
badControl[binding.layout.cmsgLen] = 0xff;

// [call, args, error class, code, message]
const rows: [string, unknown[], ErrorConstructor, string, RegExp][] = [
  ['send', [1], TypeError, 'ERR_INVALID_ARG_TYPE', /^send: 5 arguments expected \(fd,buf,off,len,flags\), 1 given$/],
  ['send', ['1', buf, 0, 1, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^send: argument 1 \(fd\) must be a number$/],
  ['send', [1.5, buf, 0, 1, 0], RangeError, 'ERR_OUT_OF_RANGE', /^send: argument 1 \(fd\) must be a 32-bit integer$/],
  ['send', [1, 'text', 0, 1, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^send: argument 2 \(buf\) must be a Uint8Array$/],
  ['send', [1, buf, 10, 7, 0], RangeError, 'ERR_OUT_OF_RANGE', /^send: argument 3 \(off\) and argument 4 \(len\) must give a region inside argument 2 \(buf\)$/],
  ['recv', [1, buf, 0, 2 ** 53, 0], RangeError, 'ERR_OUT_OF_RANGE', /^recv: argument 4 \(len\) must be a safe integer$/],
  ['recvfrom', [1, buf, 0, 1], TypeError, 'ERR_INVALID_ARG_TYPE', /^recvfrom: 5 arguments expected \(fd,buf,off,len,flags\), 4 given$/],
  ['recvScratch', [1, 32769, 0], RangeError, 'ERR_OUT_OF_RANGE', /^recvScratch: argument 2 \(len\) must be at most 32768$/],
  ['recvfromScratch', [1, -1, 0], RangeError, 'ERR_OUT_OF_RANGE', /^recvfromScratch: argument 2 \(len\) must be an unsigned 32-bit integer$/],
  ['recvfromScratch', [1, buf, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^recvfromScratch: argument 2 \(len\) must be a number$/],
  ['recvmsgv', [1, [buf, 'x'], 0, null], TypeError, 'ERR_INVALID_ARG_TYPE', /^recvmsgv: argument 2 \(buffers\) element 1 must be a Uint8Array$/],
  ['sendfile', [1, 2, -2, 1], RangeError, 'ERR_OUT_OF_RANGE', /^sendfile: argument 3 \(offset\) must be >= -1$/],
  ['lseek', [1, 0.5], RangeError, 'ERR_OUT_OF_RANGE', /^lseek: argument 2 \(offset\) must be a safe integer$/],
  ['sendto', [1, buf, 0, 1, 0, storage, storage.length + 1], RangeError, 'ERR_OUT_OF_RANGE', /^sendto: argument 7 \(addrlen\) must be a valid sockaddr length/],
  ['sendmsg', [1, [buf, 'x'], null, 0, null, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^sendmsg: argument 2 \(data\) element 1 must be a Uint8Array$/],
  ['sendmsg', [1, buf, null, 0, badControl, 0], RangeError, 'ERR_OUT_OF_RANGE', /^sendmsg: argument 5 \(control\) is malformed control data$/],
  ['sendmmsg', [1, 'x', null, null, null, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^sendmmsg: argument 2 \(datas\) must be an array of Uint8Arrays$/],
  ['sendmmsg', [1, [], null, null, null, 0], RangeError, 'ERR_OUT_OF_RANGE', /^sendmmsg: argument 2 \(datas\) must hold 1 to 256 messages$/],
  ['sendmmsg', [1, [buf, 7], null, null, null, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^sendmmsg: argument 2 \(datas\) element 1 must be a Uint8Array$/],
  ['setsockopt', [1, 1, 1, new Uint8Array(65537)], RangeError, 'ERR_OUT_OF_RANGE', /^setsockopt: argument 4 \(buf\) must be at most 65536 bytes$/],
  ['setblocking', [1, 'yes'], TypeError, 'ERR_INVALID_ARG_TYPE', /^setblocking: argument 2 \(blocking\) must be a boolean$/],
  ['bind', [1, null, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^bind: argument 2 \(addr\) must be a Uint8Array$/],
  ['if_nametoindex', ['x'.repeat(300)], RangeError, 'ERR_OUT_OF_RANGE', /^if_nametoindex: argument 1 \(name\) is too long$/],
  ['if_nametoindex', [42], TypeError, 'ERR_INVALID_ARG_TYPE', /^if_nametoindex: argument 1 \(name\) must be a string$/],
  ['inet_pton', [2, '1.2.3.4', new Uint8Array(4)], RangeError, 'ERR_OUT_OF_RANGE', /^inet_pton: argument 3 \(out\) must hold 16 bytes$/],
  ['inet_ntop', [2, new Uint8Array(5)], RangeError, 'ERR_OUT_OF_RANGE', /^inet_ntop: argument 2 \(bytes\) must be 4 bytes/],
  ['getnameinfo', [null, 0, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^getnameinfo: argument 1 \(addr\) must be a Uint8Array$/],
  ['pollWait', [1, 1, 'soon'], TypeError, 'ERR_INVALID_ARG_TYPE', /^pollWait: argument 3 \(timeoutMs\) must be a number$/],
  ['pollMany', [new Int32Array(1), new Uint8Array(1), 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^pollMany: argument 2 \(events\) must be an Int32Array$/],
  ['pollMany', [new Int32Array(1), new Int32Array(2), 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^pollMany: argument 2 \(events\) must be as long as argument 1$/],
  ['readinessArm', [-1, 1, false], RangeError, 'ERR_OUT_OF_RANGE', /^readinessArm: argument 1 \(fd\) must not be negative$/],
  ['readinessArm', [1, 'r', false], TypeError, 'ERR_INVALID_ARG_TYPE', /^readinessArm: argument 2 \(events\) must be a number$/],
  ['readinessRef', ['yes'], TypeError, 'ERR_INVALID_ARG_TYPE', /^readinessRef: argument 1 \(ref\) must be a boolean$/],
  ['readinessNextGeneration', [0], RangeError, 'ERR_OUT_OF_RANGE', /^readinessNextGeneration: argument 1 \(generation\) must be positive$/],
  ['own', [-3], RangeError, 'ERR_OUT_OF_RANGE', /^own: argument 1 \(fd\) must not be negative$/],
  ['readinessArm', [1, 1, 0], TypeError, 'ERR_INVALID_ARG_TYPE', /^readinessArm: argument 3 \(edge\) must be a boolean$/],
  ['edgeSet', [1, 'r'], TypeError, 'ERR_INVALID_ARG_TYPE', /^edgeSet: argument 2 \(events\) must be a number$/],
  ['edgeWait', [3, 'soon'], TypeError, 'ERR_INVALID_ARG_TYPE', /^edgeWait: argument 2 \(timeoutMs\) must be a number$/],
  ['readinessSetup', ['f', true, false], TypeError, 'ERR_INVALID_ARG_TYPE', /^readinessSetup: argument 1 \(dispatch\) must be a function$/],
  ['socket', [2, 1, 2 ** 31], RangeError, 'ERR_OUT_OF_RANGE', /^socket: argument 3 \(protocol\) must be a 32-bit integer$/],
];

describe('native argument errors name the function and the argument', () => {
  for (const [fn, args, cls, code, message] of rows) {
    test(`${fn}: ${message.source.slice(1, 60)}`, { timeout: 5_000 }, () => {
      const before = fdCount();
      assert.throws(() => b[fn]!(...args), (err: unknown) => {
        assert.ok(err instanceof cls, `${String(err)} is not a ${cls.name}`);
        assert.equal((err as { code?: string }).code, code);
        assert.match((err as Error).message, message);
        return true;
      });
      assert.equal(fdCount(), before, 'no fd left behind');
    });
  }

  test('getsockopt, whose integers come through scratch.args, checks the size there too', { timeout: 5_000 }, () => {
    const args = binding.scratch.args;
    args.set([1, 1, 1, 65537]);  // fd 1, SOL_SOCKET, SO_DEBUG, one byte more than the option scratch holds
    assert.throws(() => binding.getsockopt(), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: 'getsockopt: size (scratch.args[3]) must be at most 65536' });
    args.set([-1, 1, 3, 4]);  // a bad fd reaches the kernel: the call itself has nothing to refuse
    assert.equal(binding.getsockopt(), -9, 'EBADF');
  });

  test('every exported function names its arguments (except the netdb/file exports without names)', { timeout: 5_000 }, () => {
    // A call with no arguments at all reports how many it expects and their names.
    for (const [name, fn] of Object.entries(b)) {
      if (typeof fn !== 'function' || name === 'if_nameindex') continue;
      let message = '';
      try { fn(); } catch (err) { message = (err as Error).message; }
      if (message === '') continue;  // takes no required argument
      assert.match(message, new RegExp(`^${name}: `), `${name}: ${message}`);
    }
  });
});

describe('BERKELEY_READINESS', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const backendOf = (value: string) => spawnSync(process.execPath, ['--import', 'tsx', '-e',
    "import('./src/io/readiness.ts').then((m) => console.log(m.readinessBackend), (e) => console.log(e.code, e.message))"],
  { cwd: root, encoding: 'utf8', timeout: 30_000, env: { ...process.env, BERKELEY_READINESS: value } }).stdout.trim();

  test("Node defaults to the loop-watched epoll set; 'epoll' and 'epoll-thread' are chosen by name; anything else is refused at load", { timeout: 60_000 }, () => {
    assert.equal(backendOf(''), 'epoll');
    assert.equal(backendOf('epoll'), 'epoll');
    assert.equal(backendOf('epoll-thread'), 'epoll-thread');
    assert.match(backendOf('uv'), /^ERR_INVALID_ARG_VALUE .*BERKELEY_READINESS.*must be 'epoll' or 'epoll-thread'/);
    assert.match(backendOf('kqueue'), /^ERR_INVALID_ARG_VALUE .*BERKELEY_READINESS.*must be 'epoll' or 'epoll-thread'/);
  });
});
