// The error queue (API.md, "Datagram control messages in both directions,
// and the error queue"): 'ip-recverr' / 'ipv6-recverr', recvErrors() and
// recvErrorsSync(), and extendedError on a message read with MSG_ERRQUEUE.
// ICMP port unreachable comes from the kernel itself on loopback (127.0.0.1
// and ::1); host, net and administratively unreachable, "fragmentation
// needed" / "packet too big" and local EMSGSIZE errors come from two network
// namespaces the test makes (a sender and a router joined by a veth pair with
// MTU 1300), with the sender in a child process (fixtures/errqueue-child.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { constants as osConstants } from 'node:os';
import { Socket, constants, type QueuedError, type SocketAddress } from '../src/index.ts';
import { hasIPv6, isRoot, noFdLeak } from './helpers.ts';

const T = { timeout: 30_000 };

/** A UDP port on `host` that nobody listens on (bound, then closed). */
function closedPort(family: 'inet' | 'inet6'): number {
  const s = new Socket(family, 'dgram');
  s.bind(family === 'inet' ? '127.0.0.1:0' : '[::1]:0');
  const { port } = s.localAddress() as { port: number };
  s.close();
  return port;
}

/** recvErrors until the ICMP error has arrived (loopback answers at once, but not necessarily before sendto returns) or 5 s pass. */
async function queued(s: Socket): Promise<QueuedError[]> {
  for (let i = 0; i < 500; i++) {
    const got = await s.recvErrors();
    if (got.length > 0) return got;
    await new Promise((r) => setTimeout(r, 10));
  }
  return [];
}

describe('ICMP port unreachable on loopback', () => {
  for (const family of ['inet', 'inet6'] as const) {
    const v6 = family === 'inet6';
    test(`${family}: recvErrors() decodes the error, its offender, the destination and the payload; then the queue is empty`, { ...T, skip: v6 && !hasIPv6 && 'no IPv6' }, async () => {
      const host = v6 ? '::1' : '127.0.0.1';
      const port = closedPort(family);
      const s = new Socket(family, 'dgram');
      assert.deepEqual(s.recvErrorsSync(), [], 'an empty queue: [] without waiting');
      assert.deepEqual(await s.recvErrors({ timeout: null }), [], 'async too, even with no timeout');
      s.setOption(v6 ? 'ipv6-recverr' : 'ip-recverr', true);
      const to = { family, address: host, port } as SocketAddress;
      await s.sendTo('first', to);
      // The ICMP error is also the socket's pending error, which the next send would fail with: read it (SO_ERROR) once it is there.
      await s.readable({ timeout: 5000 });
      assert.equal(s.getOption('error'), 'ECONNREFUSED');
      await s.sendTo('second', to);
      const got = await queued(s);
      if (got.length < 2) got.push(...await queued(s));
      assert.equal(got.length, 2, JSON.stringify(got));
      const [a, b] = got;
      assert.deepEqual({ ...a, extendedError: undefined, data: a.data.toString() }, {
        code: 'ECONNREFUSED', errno: osConstants.errno.ECONNREFUSED, origin: v6 ? 'icmp6' : 'icmp',
        type: v6 ? 1 : 3, icmpCode: v6 ? 4 : 3, info: 0,
        offender: { family, address: host, port: 0 },
        address: to, data: 'first', extendedError: undefined,
      });
      assert.equal(a.extendedError.data, 0, 'ee_data, kept on extendedError');
      assert.equal(a.extendedError.code, 'ECONNREFUSED');
      assert.equal(b.data.toString(), 'second', 'oldest first');
      assert.deepEqual(s.recvErrorsSync(), []);
      // Without SO_ERROR in between, reading the queue is what clears the pending error: the next send goes out.
      await s.sendTo('third', to);
      assert.deepEqual((await queued(s)).map((e) => [e.code, e.data.toString()]), [['ECONNREFUSED', 'third']]);
      assert.equal(s.getOption('error'), null, 'reading the queue cleared the pending error');
      await s.sendTo('fourth', to);
      assert.deepEqual((await queued(s)).map((e) => e.data.toString()), ['fourth']);
      s.close();
    });
  }

  test('recvMsg with MSG_ERRQUEUE decodes extendedError; recvMany too; the datagram queue is left alone', T, async () => {
    const port = closedPort('inet');
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    s.setOption('ip-recverr', true);
    s.bind('127.0.0.1:0');
    await r.sendTo('queued datagram', s.localAddress());
    await s.sendTo('lost', { family: 'inet', address: '127.0.0.1', port });
    let m = null;
    for (let i = 0; i < 500 && m === null; i++) {
      try {
        m = s.recvMsgSync({ flags: constants.MSG_ERRQUEUE, timeout: 0 });
      } catch (err) {
        if ((err as { code?: string }).code !== 'ETIMEDOUT') throw err;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    assert.ok(m, 'the error arrived');
    assert.equal(m.data.toString(), 'lost');
    assert.equal(m.extendedError?.code, 'ECONNREFUSED');
    assert.deepEqual(m.extendedError?.offender, { family: 'inet', address: '127.0.0.1', port: 0 });
    assert.ok(m.flags & constants.MSG_ERRQUEUE!, 'msg_flags has MSG_ERRQUEUE');
    await s.sendTo('lost again', { family: 'inet', address: '127.0.0.1', port });
    let list: { extendedError?: { code: string }; data: Buffer }[] = [];
    for (let i = 0; i < 500 && list.length === 0; i++) {
      try {
        list = await s.recvMany({ flags: constants.MSG_ERRQUEUE, timeout: 0 });
      } catch (err) {
        if ((err as { code?: string }).code !== 'ETIMEDOUT') throw err;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    assert.deepEqual(list.map((x) => [x.data.toString(), x.extendedError?.code]), [['lost again', 'ECONNREFUSED']]);
    assert.equal((await s.recvFrom(100, { timeout: 2000 })).data.toString(), 'queued datagram');
    r.close();
    s.close();
  });

  test('a read of the error queue is not served from what receive() buffered', T, async () => {
    const [a, b] = Socket.pair('stream');
    await a.send('line\nrest');
    assert.equal((await b.receive('line', undefined, { timeout: 2000 })).toString(), 'line');
    await assert.rejects(b.recvMsg({ flags: constants.MSG_ERRQUEUE, timeout: 0 }), { code: 'ETIMEDOUT' }, 'the error queue is empty');
    assert.throws(() => b.recvSync(16, { flags: constants.MSG_ERRQUEUE, timeout: 0 }), { code: 'ETIMEDOUT' });
    assert.equal((await b.recv(16)).toString(), 'rest', 'the buffered bytes are still there');
    a.close();
    b.close();
  });

  test('recvErrors on a closed socket: ERR_SOCKET_CLOSED; bad options: before any system call, no fd left', T, async () => {
    const s = new Socket('inet', 'dgram');
    await noFdLeak(async () => {
      await assert.rejects(s.recvErrors({ timeout: 'soon' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(s.recvErrors({ timeout: NaN }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => s.recvErrorsSync(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(s.recvErrors({ signal: AbortSignal.abort() }), { name: 'AbortError' });
    });
    s.close();
    await assert.rejects(s.recvErrors(), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => s.recvErrorsSync(), { code: 'ERR_SOCKET_CLOSED' });
  });
});

const haveIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;

/** Runs `ip` with `args`; throws with its stderr when it fails. */
function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}
const sysctl = (ns: string, setting: string): void => ip('netns', 'exec', ns, 'sysctl', '-qw', setting);

test('ICMP and ICMPv6 errors from a router, and local EMSGSIZE with the path MTU, inside test namespaces', { timeout: 60_000, skip: (!isRoot || !haveIp) && 'needs root and iproute2' }, (t) => {
  const sender = `berkeley-eq-s-${process.pid}`;
  const router = `berkeley-eq-r-${process.pid}`;
  try {
    ip('netns', 'add', sender);
  } catch (err) {
    return t.skip(`cannot create a network namespace here: ${(err as Error).message}`);
  }
  try {
    ip('netns', 'add', router);
    for (const ns of [sender, router]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      sysctl(ns, 'net.ipv6.conf.all.accept_dad=0');
      sysctl(ns, 'net.ipv6.conf.default.accept_dad=0');
    }
    ip('link', 'add', 'bk-eq0', 'netns', sender, 'type', 'veth', 'peer', 'name', 'bk-eq1', 'netns', router);
    ip('-n', sender, 'link', 'set', 'bk-eq0', 'mtu', '1300', 'up');
    ip('-n', router, 'link', 'set', 'bk-eq1', 'mtu', '1300', 'up');
    ip('-n', sender, 'addr', 'add', '10.77.1.1/24', 'dev', 'bk-eq0');
    ip('-n', router, 'addr', 'add', '10.77.1.2/24', 'dev', 'bk-eq1');
    ip('-n', sender, 'addr', 'add', 'fd77:1::1/64', 'dev', 'bk-eq0', 'nodad');
    ip('-n', router, 'addr', 'add', 'fd77:1::2/64', 'dev', 'bk-eq1', 'nodad');
    ip('-n', sender, 'route', 'add', 'default', 'via', '10.77.1.2');
    ip('-n', sender, '-6', 'route', 'add', 'default', 'via', 'fd77:1::2');
    sysctl(router, 'net.ipv4.ip_forward=1');
    sysctl(router, 'net.ipv6.conf.all.forwarding=1');
    sysctl(router, 'net.ipv4.icmp_ratelimit=0');
    sysctl(router, 'net.ipv6.icmp.ratelimit=0');
    // The router's answers: 10.77.2/24 unreachable (host unreachable), 10.77.3/24 no route at all
    // (net unreachable), 10.77.4/24 prohibited, 10.77.5/24 behind a route of MTU 1000 (fragmentation
    // needed); fd77:2::/64 unreachable (no route), fd77:3::/64 prohibited, fd77:5::/64 on a link with no neighbours and MTU 1280.
    ip('-n', router, 'route', 'add', 'unreachable', '10.77.2.0/24');
    ip('-n', router, 'route', 'add', 'prohibit', '10.77.4.0/24');
    ip('link', 'add', 'bk-eq2', 'netns', router, 'type', 'veth', 'peer', 'name', 'bk-eq3', 'netns', router);
    ip('-n', router, 'link', 'set', 'bk-eq2', 'mtu', '1280', 'up');
    ip('-n', router, 'link', 'set', 'bk-eq3', 'mtu', '1280', 'up');
    ip('-n', router, 'route', 'add', '10.77.5.0/24', 'dev', 'bk-eq2', 'mtu', 'lock', '1000');
    ip('-n', router, '-6', 'route', 'add', 'unreachable', 'fd77:2::/64');
    ip('-n', router, '-6', 'route', 'add', 'prohibit', 'fd77:3::/64');
    ip('-n', router, '-6', 'route', 'add', 'fd77:5::/64', 'dev', 'bk-eq2');
    const v4 = { host: '10.77.2.5', net: '10.77.3.5', prohibited: '10.77.4.5', frag: '10.77.5.5' };
    const v6 = { noroute: 'fd77:2::5', prohibited: 'fd77:3::5', frag6: 'fd77:5::6', addr: 'fd77:5::5' };
    const child = spawnSync('ip', ['netns', 'exec', sender, process.execPath, '--import', 'tsx', new URL('./fixtures/errqueue-child.ts', import.meta.url).pathname], {
      encoding: 'utf8', timeout: 40_000, env: { ...process.env, BERKELEY_ERRQ_V4: JSON.stringify(v4), BERKELEY_ERRQ_V6: JSON.stringify(v6) },
    });
    assert.equal(child.status, 0, child.stderr);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, (QueuedError & { data: { data: number[] } })[] | string>;
    const one = (key: string): Omit<QueuedError, 'data' | 'extendedError'> & { size: number } => {
      const list = r[key] as (QueuedError & { data: { data: number[] } })[];
      // One error per datagram sent: more than one only where the child sent again, each the same.
      assert.ok(list.length >= 1, `${key}: ${JSON.stringify(list)}`);
      assert.deepEqual(new Set(list.map((e) => JSON.stringify(e))).size, 1, `${key}: ${JSON.stringify(list)}`);
      const { data, extendedError, ...rest } = list[0];
      assert.equal(extendedError.errno, rest.errno, key);
      return { ...rest, size: data.data.length };
    };
    const router4 = { family: 'inet', address: '10.77.1.2', port: 0 };
    const router6 = { family: 'inet6', address: 'fd77:1::2', port: 0 };
    const E = osConstants.errno;
    const want4 = (code: 'EHOSTUNREACH' | 'ENETUNREACH' | 'EMSGSIZE', icmpCode: number, info: number, address: string, size: number) =>
      ({ code, errno: E[code], origin: 'icmp', type: 3, icmpCode, info, offender: router4, address: { family: 'inet', address, port: 9 }, size });
    const want6 = (code: 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EMSGSIZE', type: number, icmpCode: number, info: number, address: string, size: number) =>
      ({ code, errno: E[code], origin: 'icmp6', type, icmpCode, info, offender: router6, address: { family: 'inet6', address, port: 9 }, size });
    assert.deepEqual(one('inet host'), want4('EHOSTUNREACH', 1, 0, v4.host, 8), 'host unreachable');
    assert.deepEqual(one('inet net'), want4('ENETUNREACH', 0, 0, v4.net, 8), 'net unreachable');
    assert.deepEqual(one('inet prohibited'), want4('EHOSTUNREACH', 13, 0, v4.prohibited, 8), 'communication administratively prohibited (the kernel names it EHOSTUNREACH)');
    // ICMP quotes what fits a 576-byte error (520 bytes of payload), ICMPv6 what fits 1280 bytes (1184).
    assert.deepEqual(one('inet frag'), want4('EMSGSIZE', 4, 1000, v4.frag, 576 - 20 - 8 - 20 - 8), 'fragmentation needed, with the next hop MTU');
    assert.deepEqual(one('inet6 noroute'), want6('ENETUNREACH', 1, 0, 0, v6.noroute, 8), 'no route to destination');
    assert.deepEqual(one('inet6 prohibited'), want6('EACCES', 1, 1, 0, v6.prohibited, 8), 'administratively prohibited');
    assert.deepEqual(one('inet6 addr'), want6('EHOSTUNREACH', 1, 3, 0, v6.addr, 8), 'address unreachable (neighbour discovery failed behind the router)');
    assert.deepEqual(one('inet6 frag6'), want6('EMSGSIZE', 2, 0, 1280, v6.frag6, 1280 - 40 - 8 - 40 - 8), 'packet too big, with the MTU');
    for (const family of ['inet', 'inet6']) {
      assert.equal(r[`${family} local send`], 'EMSGSIZE', `${family}: the send itself fails`);
      const { address, ...rest } = one(`${family} local`);
      assert.deepEqual(rest, { code: 'EMSGSIZE', errno: E.EMSGSIZE, origin: 'local', type: 0, icmpCode: 0, info: 1300, offender: null, size: 0 }, `${family}: local EMSGSIZE with the path MTU`);
      assert.equal((address as { address: string }).address, family === 'inet' ? v4.host : v6.noroute);
      assert.deepEqual(r[`${family} local again`], [], 'read once');
    }
  } finally {
    spawnSync('ip', ['netns', 'del', sender]);
    spawnSync('ip', ['netns', 'del', router]);
  }
});
