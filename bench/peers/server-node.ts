// Node core's echo servers for the `servers` benchmarks (bench/README.md),
// written as a Node user writes them. Each binds 127.0.0.1:0, prints
// "ready PORT" and serves until it is killed; the C load generator measures
// it from outside. The runner starts it as plain JavaScript (not through a
// TypeScript loader, whose own thread would count in its memory).
//   server-node.ts tcp    node:net: socket.on('data', d => socket.write(d))
//   server-node.ts udp    node:dgram: on 'message', send it back to its sender
import net from 'node:net';
import dgram from 'node:dgram';

const ready = (port: number): void => { process.stdout.write(`ready ${port}\n`); };
const mode = process.argv[2];

if (mode === 'tcp') {
  const server = net.createServer((socket) => {
    socket.on('data', (d) => socket.write(d));
    socket.on('error', () => socket.destroy()); // a client reset ends its connection, not the server
  });
  server.listen(0, '127.0.0.1', () => ready((server.address() as net.AddressInfo).port));
} else if (mode === 'udp') {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, from) => s.send(m, from.port, from.address));
  s.bind(0, '127.0.0.1', () => ready(s.address().port));
} else {
  process.stderr.write(`server-node: unknown mode ${mode} (tcp, udp)\n`);
  process.exit(2);
}
