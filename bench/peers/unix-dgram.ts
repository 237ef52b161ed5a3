// The npm package unix-dgram's side of the unix-dgram benchmark (ud-recv,
// ud-send, as in bench/c/peer.c). bench/setup.sh installs it under
// bench/.peers; it is not a dependency of berkeley.
import { createRequire } from 'node:module';
import { unlinkSync } from 'node:fs';
import { args, cpu, now, ready, report, usage } from './common.ts';

interface UnixDgramSocket {
  bind(path: string): void;
  connect(path: string): void;
  send(buf: Buffer, callback?: (err?: Error) => void): void;
  close(): void;
  on(event: string, listener: (...a: never[]) => void): this;
}
const require = createRequire(new URL('../.peers/', import.meta.url));
const unix = require('unix-dgram') as { createSocket(type: 'unix_dgram', listener?: (buf: Buffer) => void): UnixDgramSocket };

const { mode, rest } = args();

if (mode === 'ud-recv') {
  const [path, countArg] = rest;
  const count = Number(countArg);
  let got = 0, bytes = 0, c0 = 0, t0 = 0;
  const s = unix.createSocket('unix_dgram', (buf) => {
    if (got++ === 0) { c0 = cpu(); t0 = now(); return; } // the first starts the clock
    bytes += buf.length;
    if (got === count) {
      report(got - 1, bytes, now() - t0, cpu() - c0);
      s.close();
      unlinkSync(path);
    }
  });
  s.bind(path);
  ready(path);
} else if (mode === 'ud-send') {
  const [path, countArg, size] = rest;
  const count = Number(countArg);
  const buf = Buffer.alloc(Number(size));
  const s = unix.createSocket('unix_dgram');
  s.on('error', (err: Error) => { throw err; });
  s.connect(path);
  let sent = 0;
  let congested = false;
  s.on('congestion', () => { congested = true; });
  const c0 = cpu(), t0 = now();
  // A congested send did not happen: wait for 'writable' and send it again.
  const pump = (): void => {
    congested = false;
    while (sent < count) {
      s.send(buf);
      if (congested) return;
      sent++;
    }
    report(count, count * buf.length, now() - t0, cpu() - c0);
    s.close();
  };
  s.on('writable', pump);
  pump();
} else usage(mode);
