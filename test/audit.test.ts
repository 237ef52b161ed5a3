// The security rules of DESIGN.md checked on the system calls themselves:
// a workload touching every fd-creating and sending path of berkeley runs
// under strace, and every socket/socketpair/accept4 must carry CLOEXEC,
// every recvmsg/recvmmsg MSG_CMSG_CLOEXEC, every send MSG_NOSIGNAL, every
// dup F_DUPFD_CLOEXEC. Skipped where strace is missing or not permitted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
