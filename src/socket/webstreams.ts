// Web Streams over a stream socket, as Deno's and Bun's connections offer
// them: a byte ReadableStream whose reads are recvInto() straight into the
// reader's buffer (BYOB, no copy), and a WritableStream whose writes are
// sendAll() calls. Both pull: nothing is read before a reader asks and a
// writer waits while a chunk is on its way, so a slow side on either end
// never makes memory grow.
import { ReadableStream, WritableStream } from 'node:stream/web';
import { invalidArgValue } from '../errors.js';
import { familyName, typeName } from '../codec/names.js';
import { SOCK_STREAM } from '../sys/constants.js';
import type { SocketState } from './state.js';

/** The pair toWebStreams() returns. */
export interface WebStreams {
  /** The bytes the peer sends, ending at end of stream; supports BYOB readers (`getReader({ mode: 'byob' })`). */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to send; close() shuts the sending half down (the peer reads end of stream), abort() closes the socket. */
  writable: WritableStream<Uint8Array>;
}

/** What the streams use of the socket: its public I/O methods. */
interface StreamSocket {
  recvInto(buffer: Uint8Array): Promise<number>;
  sendAll(data: Uint8Array | string): Promise<void>;
  shutdown(how: 'send' | 'receive'): void;
  close(): void;
}

/** Bytes each read of a default (non-BYOB) reader asks for. */
const CHUNK = 64 * 1024;

/**
 * The Web Streams of a stream socket. Throws at the call (not in the
 * streams) for a socket that is closed, not a stream socket, or listening.
 */
export function toWebStreams(s: SocketState, sock: StreamSocket): WebStreams {
  s.open('toWebStreams');
  if (s.type !== SOCK_STREAM) {
    throw invalidArgValue('socket', `${familyName(s.family)} ${typeName(s.type)}`, 'must be a stream socket to have Web Streams');
  }
  if (s.listening) throw invalidArgValue('socket', 'a listening socket', 'must be connected to have Web Streams (use connections())');
  return { readable: readable(sock), writable: writable(sock) };
}

function readable(sock: StreamSocket): ReadableStream<Uint8Array> {
  let cancelled = false;
  return new ReadableStream({
    type: 'bytes',
    // A default reader's read() gets a buffer of this size to receive into, so
    // every read, BYOB or not, is one recvInto() into the stream's own memory.
    autoAllocateChunkSize: CHUNK,
    async pull(controller) {
      const request = controller.byobRequest!;
      const view = request.view!;
      const n = await sock.recvInto(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      // A cancel while the receive waited has released the request already.
      if (cancelled) return;
      if (n === 0) {
        controller.close();
        request.respond(0);
      } else {
        request.respond(n);
      }
    },
    cancel() {
      cancelled = true;
      // Shutting the receiving half down ends a receive still waiting (it reads
      // end of stream) and tells the kernel nothing more will be read; a socket
      // already closed or never connected has nothing to shut.
      try { sock.shutdown('receive'); } catch { /* closed or not connected: nothing to end */ }
    },
  }, { highWaterMark: 0 }); // read only when a reader asks: no read-ahead into memory
}

function writable(sock: StreamSocket): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write(chunk) { return sock.sendAll(chunk); },
    close() { sock.shutdown('send'); },
    abort() { sock.close(); },
  }, { highWaterMark: 1 }); // one chunk queued behind the one being sent; writer.ready waits past that
}
