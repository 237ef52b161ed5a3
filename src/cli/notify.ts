// berkeley notify: systemd-notify over berkeley/systemd's notifySync. The
// same arguments, the same datagram ('READY=1', 'STATUS=...', 'MAINPID=...'
// first, then the VARIABLE=VALUE arguments in order, newline-separated),
// and the same failure when NOTIFY_SOCKET is unset.
import { notifySync } from '../systemd.js';
import { parse, UsageError, type Command } from './usage.js';

const usage = `Usage: berkeley notify [options] [VARIABLE=VALUE...]

Sends a notification to the service manager's NOTIFY_SOCKET (a path, or
@NAME for an abstract name) in one Unix datagram, as systemd-notify does:
READY=1, STATUS=..., MAINPID=... from the options first, then the
VARIABLE=VALUE arguments in order, one per line.

  berkeley notify --ready --status='serving on :8080'
  berkeley notify READY=1 STATUS=x       # the same datagram as systemd-notify's
  berkeley notify WATCHDOG=1

Options:
  --ready          READY=1: start-up is complete
  --status=TEXT    STATUS=TEXT: a line for systemctl status
  --pid[=PID]      MAINPID=PID: the service's main process; without PID the
                   parent of this command (the shell calling it); 'self' and
                   'parent' are also accepted
  --no-block       accepted for systemd-notify's sake: berkeley never waits
  -h, --help

Exit status: 0 when sent; 1 when NOTIFY_SOCKET is unset (not run by systemd)
or nothing listens there; 2 on a usage error (nothing to send, an argument
that is not VARIABLE=VALUE, a newline in a value).`;

/** An environment-style name, as systemd's notification variables are; '=' or a newline would forge another. */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** parseArgs has no optional values: a bare --pid becomes --pid=parent, as systemd-notify reads it. */
const withPidValue = (argv: string[]) => {
  const end = argv.indexOf('--');
  return argv.map((a, i) => (a === '--pid' && (end < 0 || i < end) ? '--pid=parent' : a));
};

function mainPid(value: string): number {
  if (value === 'parent') return process.ppid;
  if (value === 'self') return process.pid;
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 0x7fffffff) {
    throw new UsageError(`--pid must be a process id (a whole number from 1 to ${0x7fffffff}), 'self' or 'parent', not '${value}'`);
  }
  return Number(value);
}

/** The datagram's lines, options first; every mistake is a usage error. */
function lines(argv: string[]): string[] | null {
  const args = parse(withPidValue(argv), {
    ready: { type: 'boolean' }, status: { type: 'string' }, pid: { type: 'string' }, 'no-block': { type: 'boolean' },
  }, usage);
  if (!args) return null;
  const v = args.values;
  const out: string[] = [];
  if (v.ready) out.push('READY=1');
  if (typeof v.status === 'string') {
    if (/[\n\0]/.test(v.status)) throw new UsageError('--status must not contain a newline');
    out.push(`STATUS=${v.status}`);
  }
  if (typeof v.pid === 'string') out.push(`MAINPID=${mainPid(v.pid)}`);
  for (const a of args.positionals) {
    if (!VARIABLE.test(a)) throw new UsageError(`expected VARIABLE=VALUE (letters, digits, _ before '='), not '${a}'`);
    if (a.includes('\n')) throw new UsageError(`'${a.slice(0, a.indexOf('='))}=...' must not contain a newline`);
    out.push(a);
  }
  if (out.length === 0) throw new UsageError('nothing to send: give VARIABLE=VALUE arguments, --ready, --status or --pid');
  return out;
}

export const notify: Command = {
  name: 'notify',
  summary: 'tell systemd a service is ready, its status, ... (systemd-notify)',
  usage,
  async run(argv) {
    const state = lines(argv);
    if (!state) return 0;
    if (!notifySync(state.join('\n'))) {
      process.stderr.write('berkeley notify: NOTIFY_SOCKET is not set (not run by systemd): nothing was sent\n');
      return 1;
    }
    return 0;
  },
};
