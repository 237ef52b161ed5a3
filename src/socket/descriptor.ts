// The socket as a file descriptor: Python's dup() and get/set_inheritable.
// A duplicate is a second fd on the same open socket (one kernel object, one
// O_NONBLOCK flag, shared options and queues) owned by a new state; FD_CLOEXEC
// is the one flag that belongs to the fd itself, so each decides alone
// whether a child process inherits it.
import { systemError } from '../errors.js';
import { validateBoolean } from '../validate.js';
import * as sys from '../sys/fd.js';
import { SocketState } from './state.js';

/** fdflags()'s FD_CLOEXEC bit. */
const CLOEXEC_BIT = 2;

/**
 * fcntl(F_DUPFD_CLOEXEC): a new state owning a close-on-exec duplicate of
 * `s`'s fd, with its family, type, protocol, listening flag, timeouts and
 * ref. Buffered receive() input and read-ahead datagrams stay with `s`:
 * they were read from the kernel already, and a duplicate reads the
 * kernel's queue.
 */
export function dupState(s: SocketState): SocketState {
  const fd = sys.dup(s.open('fcntl'));
  if (fd < 0) throw systemError(fd, 'fcntl');
  const d = new SocketState(s.family, s.type, s.protocol);
  d.block = s.block;
  d.total = s.total;
  d.listening = s.listening;
  if (!s.ref) d.setRef(false);
  d.ownMade(fd);
  return d;
}

/** Whether the fd survives execve (FD_CLOEXEC clear). */
export function inheritable(s: SocketState): boolean {
  const flags = sys.fdflags(s.open('fcntl'));
  if (flags < 0) throw systemError(flags, 'fcntl');
  return (flags & CLOEXEC_BIT) === 0;
}

/** Clears (true) or sets (false) FD_CLOEXEC. */
export function setInheritable(s: SocketState, value: unknown): void {
  const on = validateBoolean(value, 'inheritable');
  const rc = sys.setcloexec(s.open('fcntl'), !on);
  if (rc < 0) throw systemError(rc, 'fcntl');
}
