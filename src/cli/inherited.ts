// The addresses of sockets this process was given rather than made: fd:N
// (an fd its parent left open, as inetd or a spawn stdio mapping does) and
// systemd:NAME (socket activation: LISTEN_FDS/LISTEN_FDNAMES through
// berkeley/systemd). Each is adopted with Socket.from and its role read from
// the kernel, so the rest of `cat` treats it like the address it stands for.
import { Socket } from '../index.js';
import { listenFds } from '../systemd.js';
import type { Spec, SpecType } from './address.js';
import { UsageError } from './usage.js';

const code = (err: unknown) => (err as { code?: string }).code;

/** Socket.from(fd), its refusals as usage errors: the fd came from the command line. */
function adoptFd(fd: number, text: string): Socket {
  try {
    return Socket.from(fd);
  } catch (err) {
    if (code(err) === 'EBADF') throw new UsageError(`bad address '${text}': fd ${fd} is not open`);
    if (code(err) === 'ENOTSOCK') throw new UsageError(`bad address '${text}': fd ${fd} is not a socket`);
    throw err;
  }
}

/** The socket systemd passed under `name` ('' for the first one); the others are let go, not closed. */
function passedSocket(name: string, text: string): Socket {
  let passed;
  try {
    passed = listenFds();
  } catch (err) {
    throw new UsageError(`bad address '${text}': the sockets passed by systemd: ${(err as Error).message}`);
  }
  if (passed.length === 0) {
    throw new UsageError(`bad address '${text}': no sockets were passed (LISTEN_FDS unset or for another process: run under systemd or systemd-socket-activate)`);
  }
  const chosen = name === '' ? passed[0] : passed.find((p) => p.name === name);
  for (const p of passed) if (p !== chosen) p.socket.detach();
  if (!chosen) {
    throw new UsageError(`bad address '${text}': no socket named '${name}' was passed (names: ${passed.map((p) => p.name).join(', ')})`);
  }
  return chosen.socket;
}

/** Whether an adopted socket has a peer (a connected stream, a connected datagram socket). */
function connected(s: Socket): boolean {
  try {
    s.remoteAddress();
    return true;
  } catch {
    return false;
  }
}

/**
 * Adopts the socket of an fd:/systemd: address and fills in its role: a
 * listening stream or seqpacket socket (SO_ACCEPTCONN) is accepted from
 * like a *-listen: address, an unconnected datagram socket is a datagram
 * listener, a connected socket of any type is relayed as it is.
 */
export function inherit(spec: Spec): Spec {
  if (spec.kind !== 'inherited') return spec;
  const socket = spec.fd !== undefined ? adoptFd(spec.fd, spec.text) : passedSocket(spec.fdName ?? '', spec.text);
  const type: SpecType = socket.type === 'seqpacket' ? 'seqpacket' : socket.type === 'stream' ? 'stream' : 'dgram';
  const listen = type === 'dgram' ? !connected(socket) : socket.getOption('acceptconn') === true;
  const family = socket.family === 'inet' || socket.family === 'inet6' ? socket.family : undefined;
  return { ...spec, type, listen, family, socket };
}
