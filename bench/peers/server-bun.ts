// Bun's echo servers for the `servers` benchmarks (bench/README.md), written
// as a Bun user writes them; run by the Bun of the devDependencies
// (node_modules/.bin/bun). Each binds 127.0.0.1:0, prints "ready PORT" and
// serves until it is killed; the C load generator measures it from outside.
//   server-bun.ts tcp    Bun.listen: data(socket, d) writes d back (what write() does not
//                        take waits for drain)
//   server-bun.ts udp    Bun.udpSocket: data(socket, buf, port, address) sends buf back
// The types are the few this file uses (the project does not depend on bun-types).
interface BunTcpSocket { data: { pending: Uint8Array | null }; write(d: Uint8Array): number }
interface BunUdpSocket { port: number; send(d: Uint8Array, port: number, address: string): boolean }
declare const Bun: {
  listen(o: { hostname: string; port: number; socket: {
    open(s: BunTcpSocket): void; data(s: BunTcpSocket, d: Uint8Array): void; drain(s: BunTcpSocket): void; error(s: BunTcpSocket, e: Error): void;
  } }): { port: number };
  udpSocket(o: { hostname: string; port: number; socket: { data(s: BunUdpSocket, d: Uint8Array, port: number, address: string): void } }): Promise<BunUdpSocket>;
};

const ready = (port: number): void => { process.stdout.write(`ready ${port}\n`); };

/** Writes what it can; the rest (a copy: Bun may reuse `d`) waits for drain. */
function write(s: BunTcpSocket, d: Uint8Array): void {
  const n = s.write(d);
  if (n >= 0 && n < d.length) s.data.pending = d.slice(n);
}

const mode = process.argv[2];
if (mode === 'tcp') {
  const server = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(s) { s.data = { pending: null }; },
      data(s, d) {
        const p = s.data.pending;
        if (p === null) write(s, d);
        else {
          const both = new Uint8Array(p.length + d.length);
          both.set(p);
          both.set(d, p.length);
          s.data.pending = both;
        }
      },
      drain(s) {
        const p = s.data.pending;
        s.data.pending = null;
        if (p !== null) write(s, p);
      },
      error() { /* a client reset ends its connection, not the server */ },
    },
  });
  ready(server.port);
} else if (mode === 'udp') {
  const s = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0, socket: { data(sock, d, port, address) { sock.send(d, port, address); } } });
  ready(s.port);
} else {
  process.stderr.write(`server-bun: unknown mode ${mode} (tcp, udp)\n`);
  process.exit(2);
}
