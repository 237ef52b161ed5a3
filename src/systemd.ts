// berkeley/systemd: socket activation (sd_listen_fds_with_names) and
// readiness notification (sd_notify, sd_pid_notify_with_fds), written over
// the public Socket as users would write them by hand, following libsystemd's
// sd-daemon.c: the same variables, the same checks, the same wire format.
/**
 * systemd integration without libsystemd: {@link listenFds} for socket
 * activation (sd_listen_fds_with_names) and {@link notify} /
 * {@link notifySync} for readiness, status, watchdog and fd-store
 * notifications (sd_notify).
 *
 * @packageDocumentation
 */
import { invalidArgType, invalidArgValue, unavailableError } from './errors.js';
import { Socket } from './socket/socket.js';
import { validateBoolean, validateFd, validateObject } from './validate.js';
import { MAX_FDS } from './codec/message.js';
import { EAFNOSUPPORT, EINVAL } from './sys/errno.js';

export { SocketError } from './errors.js';

/** The first fd systemd passes (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;

/** A socket systemd passed, with the name its unit gave it (FileDescriptorName=, `--fdname`). */
export interface ListenFd {
  /** The fd's name from LISTEN_FDNAMES; 'unknown' when the variable is unset, as sd_listen_fds_with_names says. */
  name: string;
  /** The socket, adopted with Socket.from: non-blocking and close-on-exec. */
  socket: Socket;
}

/** listenFds()' options. */
export interface ListenFdsOptions {
  /** Unset LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES afterwards, so child processes do not see them (default true). */
  unsetEnvironment?: boolean;
}

/** notify()'s options. */
export interface NotifyOptions {
  /** fds to send along (SCM_RIGHTS), for the service manager's fd store with 'FDSTORE=1' (and 'FDNAME=...'). */
  fds?: number[];
  /** Unset NOTIFY_SOCKET afterwards (default false), as sd_notify's unset_environment. */
  unsetEnvironment?: boolean;
}

/** A notification state: 'READY=1' lines as they are sent, or a record of them ({ READY: 1, STATUS: 'serving' }). */
export type NotifyState = string | Record<string, string | number>;

/** A strict decimal, as systemd's parse_pid and safe_atoi read them; NaN otherwise. */
const decimal = (text: string | undefined): number => (text !== undefined && /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN);

/**
 * sd_listen_fds_with_names(3): the sockets systemd (or
 * `systemd-socket-activate`) passed to this process, from fd 3 on, each
 * with its name. Empty when LISTEN_PID is unset or names another process
 * (the variables were meant for a parent). Each fd is adopted as a Socket
 * (Socket.from: non-blocking) and made close-on-exec, as sd_listen_fds
 * does. Unless `unsetEnvironment` is false the variables are removed, even
 * on failure, so a second call (or a child) does not take the fds again.
 *
 * @throws {@link SocketError} `EINVAL` for malformed LISTEN_PID/LISTEN_FDS,
 * or LISTEN_FDNAMES with a different count of names; `ENOTSOCK` for a
 * passed fd that is not a socket, `EBADF` for one that is not open,
 * `EEXIST` for one a Socket already owns (a second call without
 * unsetting): no fd is closed then, and sockets adopted before are let go.
 * @throws TypeError for options that are not an object, or a non-boolean `unsetEnvironment`.
 * @example
 * import { listenFds } from 'berkeley/systemd';
 * const [http] = listenFds();            // ListenStream=8080 in app.socket
 * for await (const conn of http.socket.connections()) handle(conn);
 */
export function listenFds(opts: ListenFdsOptions = {}): ListenFd[] {
  const o = validateObject<ListenFdsOptions>(opts, 'options');
  const unset = o.unsetEnvironment === undefined || validateBoolean(o.unsetEnvironment, 'options.unsetEnvironment');
  const env = process.env;
  try {
    if (env.LISTEN_PID === undefined) return [];
    const pid = decimal(env.LISTEN_PID);
    if (!(pid > 0)) throw unavailableError(EINVAL, 'sd_listen_fds', `LISTEN_PID is not a process id: ${JSON.stringify(env.LISTEN_PID)}`);
    if (pid !== process.pid) return [];
    const count = decimal(env.LISTEN_FDS);
    if (!(count >= 0) || count > 0x7fffffff - LISTEN_FDS_START) {
      throw unavailableError(EINVAL, 'sd_listen_fds', `LISTEN_FDS is not a count: ${JSON.stringify(env.LISTEN_FDS)}`);
    }
    const names = env.LISTEN_FDNAMES === undefined ? Array<string>(count).fill('unknown') : env.LISTEN_FDNAMES.split(':');
    if (names.length !== count) {
      throw unavailableError(EINVAL, 'sd_listen_fds', `LISTEN_FDNAMES has ${names.length} names for ${count} fds`);
    }
    return adoptAll(names);
  } finally {
    if (unset) {
      delete env.LISTEN_PID;
      delete env.LISTEN_FDS;
      delete env.LISTEN_FDNAMES;
    }
  }
}

/** Socket.from for fds 3, 4, ...; on a failure the ones adopted so far are detached, not closed: they stay the process's. */
function adoptAll(names: string[]): ListenFd[] {
  const out: ListenFd[] = [];
  try {
    for (const [i, name] of names.entries()) {
      const socket = Socket.from(LISTEN_FDS_START + i);
      out.push({ name, socket });
      socket.inheritable = false;
    }
    return out;
  } catch (err) {
    for (const { socket } of out) socket.detach();
    throw err;
  }
}

/** The datagram a state stands for: a string as given, a record as 'KEY=value' lines. */
function encodeState(state: unknown): string {
  if (typeof state === 'string') {
    if (state.length === 0) throw invalidArgValue('state', state, 'must not be empty');
    if (state.includes('\0')) throw invalidArgValue('state', state, 'must not contain null bytes');
    return state;
  }
  const record = validateObject<Record<string, unknown>>(state, 'state');
  const lines: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    // sd_notify's variables are environment-style names; '=' or a newline would forge another assignment.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw invalidArgValue(`state.${key}`, key, 'must be a variable name (letters, digits, _)');
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else throw invalidArgType(`state.${key}`, 'of type string or a finite number', value);
    if (/[\n\0]/.test(text)) throw invalidArgValue(`state.${key}`, text, 'must not contain a newline or null byte');
    lines.push(`${key}=${text}`);
  }
  if (lines.length === 0) throw invalidArgValue('state', state, 'must hold at least one variable');
  // Newline-separated with no final newline, byte for byte what systemd-notify sends.
  return lines.join('\n');
}

/** Everything notify() checks before its first system call: the datagram, the fds and the flag. */
function notifyArgs(state: unknown, opts: unknown): { data: string; fds: number[] | undefined; unset: boolean } {
  const data = encodeState(state);
  const o = validateObject<NotifyOptions>(opts, 'options');
  const unset = o.unsetEnvironment !== undefined && validateBoolean(o.unsetEnvironment, 'options.unsetEnvironment');
  let fds: number[] | undefined;
  if (o.fds !== undefined) {
    if (!Array.isArray(o.fds)) throw invalidArgType('options.fds', 'an instance of Array', o.fds);
    if (o.fds.length > MAX_FDS) throw invalidArgValue('options.fds', `[${o.fds.length} fds]`, `must hold at most ${MAX_FDS} fds`);
    fds = o.fds.map((fd, i) => validateFd(fd, `options.fds[${i}]`));
  }
  return { data, fds, unset };
}

/** NOTIFY_SOCKET as a Unix address: '/path', or '@name' for an abstract name; null when unset or empty. */
function notifyAddress(): { family: 'unix'; path: string } | null {
  const e = process.env.NOTIFY_SOCKET;
  if (e === undefined || e === '') return null;
  if (e.startsWith('/')) return { family: 'unix', path: e };
  if (e.startsWith('@') && e.length > 1) return { family: 'unix', path: `\0${e.slice(1)}` };
  throw unavailableError(EAFNOSUPPORT, 'sd_notify', `NOTIFY_SOCKET is neither a path nor an @abstract name: ${JSON.stringify(e)}`);
}

/**
 * sd_notify(3) / sd_pid_notify_with_fds: sends `state` ('READY=1',
 * 'STATUS=...', 'WATCHDOG=1', 'RELOADING=1', 'STOPPING=1', 'FDSTORE=1', or
 * a record of such variables) to the service manager's NOTIFY_SOCKET (a
 * path, or '@name' for an abstract name) in one Unix datagram, with `fds`
 * (SCM_RIGHTS) for its fd store. The kernel attaches the sender's
 * credentials when the receiver has SO_PASSCRED on, as systemd's does; none
 * are forged here. Resolves false when NOTIFY_SOCKET is unset (not run by
 * systemd), true once sent.
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`) for an
 * empty state, a variable name that is not one, a value with a newline, bad
 * fds or options: before any system call (the promise rejects).
 * @throws {@link SocketError} `ECONNREFUSED`/`ENOENT` when nothing listens
 * at NOTIFY_SOCKET, `EAFNOSUPPORT` for a NOTIFY_SOCKET of another kind,
 * `ENAMETOOLONG`.
 * @example
 * import { notify } from 'berkeley/systemd';
 * await notify({ READY: 1, STATUS: 'serving on :8080' });
 * setInterval(() => notify('WATCHDOG=1'), 10_000).unref();
 */
export async function notify(state: NotifyState, opts: NotifyOptions = {}): Promise<boolean> {
  const { data, fds, unset } = notifyArgs(state, opts);
  try {
    const address = notifyAddress();
    if (address === null) return false;
    const sock = new Socket('unix', 'dgram');
    try {
      await sock.sendMsg({ data, address, fds });
    } finally {
      sock.close();
    }
    return true;
  } finally {
    if (unset) delete process.env.NOTIFY_SOCKET;
  }
}

/**
 * The blocking twin of {@link notify}: true once sent, false when
 * NOTIFY_SOCKET is unset. For code that must report before it yields, such
 * as a handler that exits right after.
 *
 * @throws TypeError as notify() rejects, before any system call.
 * @throws {@link SocketError} as notify() rejects: `ECONNREFUSED`, `ENOENT`, `EAFNOSUPPORT`, `ENAMETOOLONG`.
 * @example
 * import { notifySync } from 'berkeley/systemd';
 * process.once('SIGTERM', () => { notifySync('STOPPING=1'); process.exit(0); });
 */
export function notifySync(state: NotifyState, opts: NotifyOptions = {}): boolean {
  const { data, fds, unset } = notifyArgs(state, opts);
  try {
    const address = notifyAddress();
    if (address === null) return false;
    const sock = new Socket('unix', 'dgram');
    try {
      sock.sendMsgSync({ data, address, fds });
    } finally {
      sock.close();
    }
    return true;
  } finally {
    if (unset) delete process.env.NOTIFY_SOCKET;
  }
}
