// node:net interop: a stream socket handed over to node:net (and so to
// node:tls and node:http), and a berkeley Socket on a duplicate of the fd
// under a node:net or node:dgram socket, to set what Node cannot.
import net from 'node:net';
import { invalidArgType, invalidArgValue, systemError } from '../errors.js';
import { AF, familyName, typeName } from '../codec/names.js';
import { SOCK_STREAM } from '../sys/constants.js';
import * as sys from '../sys/fd.js';
import type { SocketState } from './state.js';

/** A net.Socket owning the fd of a TCP or Unix stream socket; data receive() buffered comes first. */
export function toNodeSocket(s: SocketState, detach: () => number): net.Socket {
  s.open('toNodeSocket');
  if (s.type !== SOCK_STREAM || (s.family !== AF.inet && s.family !== AF.inet6 && s.family !== AF.unix)) {
    throw invalidArgValue('socket', `${familyName(s.family)} ${typeName(s.type)}`, 'must be a TCP or Unix stream socket to become a net.Socket');
  }
  // node:net takes the fd as a connected stream: a listening or unconnected
  // socket would fail inside it later, as an unhandled 'error' event.
  if (s.listening) throw invalidArgValue('socket', 'a listening socket', 'must be connected to become a net.Socket');
  const rc = sys.getpeername(s.fd);
  if (rc < 0) throw systemError(rc, 'toNodeSocket');
  const buffered = s.input.length > 0 ? s.input.take(s.input.length) : null;
  const fd = detach();
  // Bun's `new net.Socket({ fd })` makes a socket that is not attached to
  // the fd (remoteAddress undefined, every write ERR_SOCKET_CLOSED); its
  // net.connect({ fd }) attaches it. Node's net.connect({ fd }) would try
  // to connect again, so Node and Deno take the constructor.
  const n = isBun
    ? net.connect({ fd, readable: true, writable: true } as unknown as net.NetConnectOpts)
    : new net.Socket({ fd, readable: true, writable: true });
  if (buffered) n.unshift(buffered);
  return n;
}

const isBun = 'bun' in process.versions;

/** A close-on-exec duplicate of the fd under a node:net or node:dgram socket, for `adopt` to own. */
export function fromNodeSocket<S>(node: unknown, adopt: (fd: number) => S): S {
  const found = nodeFd(node);
  const dup = found.duplicate ? found.fd : sys.dup(found.fd);
  if (dup < 0) throw systemError(dup, 'fcntl');
  if (found.duplicate) sys.setcloexec(dup, true);
  try {
    return adopt(dup);
  } catch (err) {
    sys.close(dup);
    throw err;
  }
}

/**
 * The fd under a node:net or node:dgram socket (Unix). Node and Bun show it
 * as the handle's `fd`; Deno's handles have none, but their fdForIpc()
 * (what child_process uses to pass a socket on) returns a new duplicate,
 * which is then ours (`duplicate`).
 */
function nodeFd(s: unknown): { fd: number; duplicate: boolean } {
  const handleFd = (h: unknown): { fd: number; duplicate: boolean } | null => {
    const handle = h as { fd?: unknown; fdForIpc?: unknown } | null | undefined;
    if (handle && typeof handle.fd === 'number' && handle.fd >= 0) return { fd: handle.fd, duplicate: false };
    if (handle && typeof handle.fdForIpc === 'function') {
      const fd: unknown = (handle.fdForIpc as () => unknown).call(handle);
      if (typeof fd === 'number' && Number.isInteger(fd) && fd >= 0) return { fd, duplicate: true };
    }
    return null;
  };
  if (s instanceof net.Socket) {
    const fd = handleFd((s as unknown as { _handle?: unknown })._handle);
    if (fd) return fd;
    throw invalidArgValue('socket', 'net.Socket', 'has no fd (not connected yet, or destroyed)');
  }
  if (s && typeof s === 'object' && typeof (s as { address?: unknown }).address === 'function' && typeof (s as { send?: unknown }).send === 'function') {
    // node:dgram keeps its handle under a private symbol; find it without the deprecated _handle getter.
    for (const sym of Object.getOwnPropertySymbols(s)) {
      const state = (s as Record<symbol, unknown>)[sym] as { handle?: unknown } | undefined;
      const fd = handleFd(state?.handle);
      if (fd) return fd;
    }
    throw invalidArgValue('socket', 'dgram.Socket', 'has no fd (bind it first)');
  }
  throw invalidArgType('socket', 'an instance of net.Socket or dgram.Socket', s);
}
