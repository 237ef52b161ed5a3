// The security rules of DESIGN.md checked on the system calls themselves:
// a workload touching every fd-creating and sending path of berkeley runs
// under strace, and every socket/socketpair/accept4 must carry CLOEXEC,
// every recvmsg/recvmmsg MSG_CMSG_CLOEXEC, every send MSG_NOSIGNAL, every
// dup F_DUPFD_CLOEXEC. Skipped where strace is missing or not permitted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './sync-child.ts';
import { readFileSync } from 'node:fs';
import { tmpPath } from './helpers.ts';

const haveStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

test('CLOEXEC on every fd, MSG_NOSIGNAL on every send (strace)', { skip: !haveStrace && 'strace is not installed' }, (t) => {
  const out = tmpPath('strace');
  const workload = new URL('./fixtures/syscall-workload.ts', import.meta.url).pathname;
  const r = spawnSync('strace', ['-f', '-qq', '-o', out, '-e', 'trace=socket,socketpair,accept,accept4,recvmsg,recvmmsg,sendto,sendmsg,sendmmsg,fcntl,dup,dup2,dup3',
    process.execPath, '--import', 'tsx', workload], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0 && /ptrace|Operation not permitted/.test(r.stderr)) return t.skip(`strace cannot trace here: ${r.stderr.trim()}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /done/);
  // Calls as they were entered (an interrupted call's arguments are on its first line).
  const calls = readFileSync(out, 'utf8').split('\n').filter((l) => /^\d+\s+\w+\(/.test(l));
  const named = (name: string) => calls.filter((l) => new RegExp(`^\\d+\\s+${name}\\(`).test(l));
  const lacking = (list: string[], flag: string) => list.filter((l) => !l.includes(flag));

  const created = [...named('socket'), ...named('socketpair'), ...named('accept4')];
  assert.ok(named('socket').length >= 8 && named('socketpair').length >= 3 && named('accept4').length >= 2, `traced ${created.length} fd-creating calls`);
  assert.deepEqual(lacking(created, 'SOCK_CLOEXEC'), [], 'every socket, socketpair and accept4 is close-on-exec');
  assert.deepEqual(named('accept'), [], 'plain accept(2), which cannot set CLOEXEC atomically, is never used');
  const received = [...named('recvmsg'), ...named('recvmmsg')];
  assert.ok(received.length >= 3);
  assert.deepEqual(lacking(received, 'MSG_CMSG_CLOEXEC'), [], 'received fds are close-on-exec');
  const sends = [...named('sendto'), ...named('sendmsg'), ...named('sendmmsg')];
  assert.ok(sends.length >= 10, `traced ${sends.length} sends`);
  assert.deepEqual(lacking(sends, 'MSG_NOSIGNAL'), [], 'no send can raise SIGPIPE');
  // Node itself may dup2 onto fds 0-2 when it sets up stdio (they must stay inheritable); any other duplicate must be close-on-exec.
  const dups = [...named('dup'), ...named('dup2'), ...named('dup3')].filter((l) => !/^\d+\s+dup[23]?\(\d+, [012]\b/.test(l))
    .concat(named('fcntl').filter((l) => /F_DUPFD[,)]/.test(l)));
  assert.deepEqual(dups, [], 'fds are duplicated only with F_DUPFD_CLOEXEC');
  assert.ok(named('fcntl').some((l) => l.includes('F_DUPFD_CLOEXEC')), 'fromNodeSocket duplicated with F_DUPFD_CLOEXEC');
});

// Bad input never reaches the kernel: the whole rejected-input table of
// test/fixtures/input-rules.ts runs under strace, each row between two marker
// writes, and no socket system call may appear between a row's markers.
const SOCKET_CALLS = ['socket', 'socketpair', 'bind', 'connect', 'listen', 'accept', 'accept4', 'sendto', 'sendmsg', 'sendmmsg',
  'recvfrom', 'recvmsg', 'recvmmsg', 'setsockopt', 'getsockopt', 'shutdown', 'getsockname', 'getpeername'];

interface TableRun { skipped?: string; rows: { label: string }[]; failures: string[]; calls: Map<number, string[]> }
let tableRun: Promise<TableRun> | null = null;

/** Runs the table once under strace; both tests below read the result. */
function runTable(): Promise<TableRun> {
  tableRun ??= new Promise((resolve) => {
    const out = tmpPath('strace-rules');
    const child = new URL('./fixtures/input-rules-child.ts', import.meta.url).pathname;
    const r = spawnSync('strace', ['-f', '-qq', '--seccomp-bpf', '-s', '32', '-o', out, '-e', `trace=${SOCKET_CALLS.join(',')},write`,
      process.execPath, '--import', 'tsx', child], { encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20 });
    if (r.status !== 0 && /ptrace|Operation not permitted|seccomp/.test(r.stderr)) {
      resolve({ skipped: `strace cannot trace here: ${r.stderr.trim().slice(0, 200)}`, rows: [], failures: [], calls: new Map() });
      return;
    }
    assert.equal(r.status, 0, r.stderr.slice(-4000));
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: { label: string }[]; failures: string[] };
    // Which socket calls each row made, in trace order (one file: every thread's calls as they were entered).
    const calls = new Map<number, string[]>();
    const socketCall = new RegExp(`^\\d+\\s+(${SOCKET_CALLS.join('|')})\\(`);
    let open: number | null = null;
    let seen = 0;
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const m = /^\d+\s+write\(\d+, "<(\/?)r(\d+)>"/.exec(line);
      if (m) {
        open = m[1] === '/' ? null : Number(m[2]);
        if (m[1] === '/') seen++;
        continue;
      }
      const c = socketCall.exec(line);
      if (c && open !== null) calls.set(open, [...(calls.get(open) ?? []), line.replace(/^\d+\s+/, '').slice(0, 120)]);
    }
    assert.equal(seen, report.rows.length, 'every row was traced between its markers');
    resolve({ rows: report.rows, failures: report.failures, calls });
  });
  return tableRun;
}

const reached = (run: TableRun): string[] => [...run.calls].map(([i, list]) => `${run.rows[i].label}: ${list.join(' | ')}`);

test('rejected input never reaches the kernel: no socket system call for any row of the input-rules table (strace)',
  { skip: !haveStrace && 'strace is not installed', timeout: 300_000 }, async (t) => {
    const run = await runTable();
    if (run.skipped) return t.skip(run.skipped);
    assert.ok(run.rows.length > 2500, `${run.rows.length} rows`);
    assert.deepEqual(run.failures.slice(0, 40), [], 'every row refused as the in-process table says (test/input-rules.test.ts)');
    assert.deepEqual(reached(run).slice(0, 40), []);
  });

// A read that follows a send waits first when the last such read had to
// wait (engine.ts): with a peer that answers each request 3 ms later, only
// the first of 20 round trips may try a recv that fails with EAGAIN, in
// either driver.
for (const mode of ['async', 'sync']) {
  test(`${mode} round trips wait first for a reply: no recv that fails with EAGAIN after the first (strace)`, { skip: !haveStrace && 'strace is not installed', timeout: 60_000 }, (t) => {
    const out = tmpPath(`strace-reply-${mode}`);
    const child = new URL('./fixtures/reply-wait.ts', import.meta.url).pathname;
    const r = spawnSync('strace', ['-qq', '-o', out, '-e', 'trace=recvfrom,epoll_wait', process.execPath, '--import', 'tsx', child, mode], { encoding: 'utf8', timeout: 50_000 });
    if (r.status !== 0 && /ptrace|Operation not permitted/.test(r.stderr)) return t.skip(`strace cannot trace here: ${r.stderr.trim()}`);
    assert.equal(r.status, 0, r.stderr);
    const fd = /^fd (\d+)$/m.exec(r.stdout)?.[1];
    assert.ok(fd && /^done$/m.test(r.stdout), r.stdout);
    const recvs = readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith(`recvfrom(${fd},`));
    assert.ok(recvs.length >= 20, `traced ${recvs.length} recvs on the client`);
    assert.ok(recvs.filter((l) => l.includes('EAGAIN')).length <= 1, recvs.join('\n'));
    // The readiness set's only member is the one that woke it: the async
    // waits cost no epoll_wait of the set's own (libuv's loop polls with
    // epoll_pwait, its thread is the one traced).
    const harvests = readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('epoll_wait('));
    assert.deepEqual(harvests, [], 'no epoll_wait of the readiness set while one socket waits');
  });
}
