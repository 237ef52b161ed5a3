// A short tour of berkeley/posix: one socket of each family and type this
// machine offers, each doing one real exchange, and a table of what happened.
// Run: node --import tsx examples/posix-tour.ts
import * as posix from 'berkeley/posix';

type Row = { what: string; result: string; ms: string };
const rows: Row[] = [];

function step(what: string, fn: () => string): void {
  const t0 = process.hrtime.bigint();
  let result: string;
  try {
    result = fn();
  } catch (err) {
    result = `skipped: ${(err as Error).message}`;
  }
  rows.push({ what, result, ms: (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2) });
}

function streamEcho(family: 'inet' | 'inet6', address: string): string {
  const af = family === 'inet' ? posix.AF_INET : posix.AF_INET6;
  const server = posix.socket(af, posix.SOCK_STREAM);
  posix.bind(server, { family, address, port: 0 });
  posix.listen(server);
  const client = posix.socket(af, posix.SOCK_STREAM);
  posix.connect(client, posix.getsockname(server));
  const [conn, peer] = posix.accept(server);
  posix.send(client, 'hello');
  const got = posix.recv(conn, 16).toString();
  [conn, client, server].forEach((fd) => posix.close(fd));
  return `"${got}" from ${JSON.stringify(peer)}`;
}

step('TCP over 127.0.0.1', () => streamEcho('inet', '127.0.0.1'));
step('TCP over ::1', () => streamEcho('inet6', '::1'));

step('UDP over 127.0.0.1', () => {
  const a = posix.socket(posix.AF_INET, posix.SOCK_DGRAM);
  const b = posix.socket(posix.AF_INET, posix.SOCK_DGRAM);
  posix.bind(b, { family: 'inet', address: '127.0.0.1', port: 0 });
  posix.sendto(a, 'datagram', posix.getsockname(b));
  const [data, from] = posix.recvfrom(b, 64);
  posix.close(a);
  posix.close(b);
  return `"${data}" from port ${(from as { port: number }).port}`;
});

for (const [name, type] of [['stream', posix.SOCK_STREAM], ['seqpacket', posix.SOCK_SEQPACKET]] as const) {
  step(`Unix ${name}, abstract name`, () => {
    const path = `\0berkeley-demo-${name}-${process.pid}`;
    const server = posix.socket(posix.AF_UNIX, type);
    posix.bind(server, { family: 'unix', path });
    posix.listen(server);
    const client = posix.socket(posix.AF_UNIX, type);
    posix.connect(client, { family: 'unix', path });
    const [conn] = posix.accept(server);
    posix.send(client, `over ${name}`);
    const got = posix.recv(conn, 64).toString();
    [conn, client, server].forEach((fd) => posix.close(fd));
    return `"${got}"`;
  });
}

step('Unix datagram socketpair', () => {
  const [a, b] = posix.socketpair(posix.AF_UNIX, posix.SOCK_DGRAM);
  posix.send(a, 'one');
  posix.send(a, 'two');
  const got = `${posix.recv(b, 64)} ${posix.recv(b, 64)}`;
  posix.close(a);
  posix.close(b);
  return `two datagrams: "${got}"`;
});

step('fd passing (SCM_RIGHTS)', () => {
  const [a, b] = posix.socketpair(posix.AF_UNIX, posix.SOCK_STREAM);
  const [x, y] = posix.socketpair(posix.AF_UNIX, posix.SOCK_STREAM);
  posix.sendmsg(a, { data: 'fd', fds: [x] });
  const msg = posix.recvmsg(b, 16);
  posix.send(msg.fds[0], 'through the passed fd');
  const got = posix.recv(y, 64).toString();
  [a, b, x, y, ...msg.fds].forEach((fd) => posix.close(fd));
  return `"${got}"`;
});

step('netlink (NETLINK_ROUTE)', () => {
  const fd = posix.socket(posix.AF_NETLINK!, posix.SOCK_RAW, posix.NETLINK_ROUTE);
  posix.bind(fd, { family: 'netlink', pid: 0, groups: 0 });
  const addr = posix.getsockname(fd) as { pid: number };
  posix.close(fd);
  return `bound, port id ${addr.pid}; interfaces: ${posix.if_nameindex().map((i) => i.name).join(', ')}`;
});

step('getaddrinfo("localhost")', () =>
  posix.getaddrinfo('localhost', 'http', { socktype: posix.SOCK_STREAM })
    .map((ai) => JSON.stringify(ai.address)).join(' '));

const width = Math.max(...rows.map((r) => r.what.length));
console.log('berkeley demo: one socket of each kind on this machine\n');
for (const r of rows) console.log(`${r.what.padEnd(width)}  ${r.ms.padStart(7)} ms  ${r.result}`);
