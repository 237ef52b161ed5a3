// berkeley demo: a short tour that exercises every family and type this
// machine offers and prints, as each step runs, what it did and how long it took.
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { features, Socket, interfaces, getaddrinfo } from '../index.js';
import { parse, type Command } from './usage.js';
import { readInterfaces } from './netlink.js';

const usage = `Usage: berkeley demo

A tour of berkeley on this machine: TCP over IPv4 and IPv6, UDP, Unix
stream, datagram and seqpacket sockets, abstract names, socketpair, fd
passing, batched datagrams, netlink and ICMP echo to 127.0.0.1. Prints what
each step did and how long it took, a row as each step runs. Exits 1 if a
step that should work here failed.`;

type Step = { what: string; run: () => Promise<string> };

async function streamEcho(family: 'inet' | 'inet6' | 'unix', type: 'stream' | 'seqpacket', address: string): Promise<string> {
  const server = new Socket(family, type);
  try {
    server.bind(address);
    server.listen();
    const client = new Socket(family, type);
    const [conn] = await Promise.all([server.accept(), client.connect(server.localAddress())]);
    await client.sendAll('ping');
    const got = (await conn.recv()).toString();
    await conn.sendAll('pong');
    const back = (await client.recv()).toString();
    conn.close();
    client.close();
    return `${got}/${back} via ${JSON.stringify(server.localAddress()).replace(/\\u0000/g, '@')}`;
  } finally {
    server.close();
  }
}

const steps: Step[] = [
  { what: 'TCP over 127.0.0.1', run: () => streamEcho('inet', 'stream', '127.0.0.1:0') },
  { what: 'TCP over ::1', run: () => streamEcho('inet6', 'stream', '[::1]:0') },
  {
    what: 'UDP over 127.0.0.1',
    run: async () => {
      const a = new Socket('inet', 'dgram');
      const b = new Socket('inet', 'dgram');
      b.bind('127.0.0.1:0');
      await a.sendTo('datagram', b.localAddress());
      const r = await b.recvFrom();
      a.close();
      b.close();
      return `"${r.data}" from port ${(r.address as { port: number }).port}`;
    },
  },
  { what: 'Unix stream, abstract name', run: () => streamEcho('unix', 'stream', `\0berkeley-demo-${process.pid}`) },
  { what: 'Unix seqpacket, abstract name', run: () => streamEcho('unix', 'seqpacket', `\0berkeley-demo-seq-${process.pid}`) },
  {
    what: 'Unix datagrams, abstract names',
    run: async () => {
      const a = new Socket('unix', 'dgram');
      const b = new Socket('unix', 'dgram');
      a.bind('');
      b.bind(`\0berkeley-demo-dgram-${process.pid}`);
      await a.sendTo('hello', b.localAddress());
      const r = await b.recvFrom();
      a.close();
      b.close();
      return `"${r.data}" from @${(r.address as { path: string }).path.slice(1)}`;
    },
  },
  {
    what: 'socketpair (stream, dgram, seqpacket)',
    run: async () => {
      const got: string[] = [];
      for (const type of ['stream', 'dgram', 'seqpacket'] as const) {
        const [a, b] = Socket.pair(type);
        await a.send(type);
        got.push((await b.recv()).toString());
        a.close();
        b.close();
      }
      return got.join(', ');
    },
  },
  {
    what: 'fd passing (SCM_RIGHTS)',
    run: async () => {
      const [a, b] = Socket.pair('stream');
      const [x, y] = Socket.pair('dgram');
      await a.sendMsg({ data: 'fd', fds: [x.fd] });
      const m = await b.recvMsg();
      const passed = Socket.from(m.fds[0]);
      await passed.send('through the passed fd');
      const got = (await y.recv()).toString();
      [a, b, x, y, passed].forEach((s) => s.close());
      return `"${got}"`;
    },
  },
  {
    what: 'sendmmsg / recvmmsg, 1000 datagrams',
    run: async () => {
      const [a, b] = Socket.pair('dgram');
      const sending = a.sendMany(Array.from({ length: 1000 }, (_, i) => `#${i}`));
      let n = 0;
      while (n < 1000) n += (await b.recvMany({ maxMessages: 256, size: 16 })).length;
      await sending;
      a.close();
      b.close();
      return `${n} datagrams in batches (recvmmsg: ${features.recvmmsg})`;
    },
  },
  {
    what: 'netlink (NETLINK_ROUTE dump)',
    run: async () => {
      const { links, addrs } = await readInterfaces();
      return `${links.length} links (${links.map((l) => l.name).join(', ')}), ${addrs.length} addresses`;
    },
  },
  {
    what: 'ICMP echo to 127.0.0.1',
    run: async () => {
      let s: Socket;
      try { s = new Socket('inet', 'dgram', 'icmp'); } catch { s = new Socket('inet', 'raw', 'icmp'); }
      const echo = Buffer.from([8, 0, 0, 0, 0, 1, 0, 1, ...Buffer.from('berkeley')]);
      let sum = 0;
      for (let i = 0; i < echo.length; i += 2) sum += (echo[i] << 8) | echo[i + 1];
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      echo.writeUInt16BE(~sum & 0xffff, 2);
      const t0 = performance.now();
      await s.sendTo(echo, { family: 'inet', address: '127.0.0.1', port: 0 });
      for (;;) {
        const r = await s.recvFrom(1500, { timeout: 2000 });
        const icmp = s.type === 'raw' ? r.data.subarray((r.data[0] & 0x0f) * 4) : r.data;
        if (icmp[0] !== 0) continue;
        s.close();
        return `echo reply over a ${s.type} socket in ${(performance.now() - t0).toFixed(3)} ms`;
      }
    },
  },
  {
    what: 'getaddrinfo("localhost")',
    run: async () => (await getaddrinfo('localhost', 'http', { type: 'stream' })).map((a) => JSON.stringify(a.address)).join(' '),
  },
];

export const demo: Command = {
  name: 'demo',
  summary: 'a tour of every socket family and type on this machine',
  usage,
  async run(argv) {
    if (!parse(argv, {}, usage, false)) return 0;
    const w0 = Math.max(...steps.map((s) => s.what.length));
    let failed = 0;
    process.stdout.write(`berkeley demo: BSD sockets from TypeScript on ${process.platform}, Node ${process.version}\n\n`);
    for (const step of steps) {
      // Each row as it runs: the step's name first, so a step that hangs is seen hanging.
      process.stdout.write(`${step.what.padEnd(w0)}  `);
      const t0 = performance.now();
      let result: string;
      try {
        result = await step.run();
      } catch (err) {
        const code = (err as { code?: string }).code;
        // Missing kernel support is reported, not failed: IPv6 off, ICMP not permitted.
        const skip = ['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPERM', 'EACCES', 'EPROTONOSUPPORT'].includes(code ?? '');
        if (!skip) failed++;
        result = `${skip ? 'skipped' : 'FAILED'}: ${(err as Error).message}`;
      }
      process.stdout.write(`${`${(performance.now() - t0).toFixed(2)} ms`.padStart(11)}  ${result}\n`);
    }
    process.stdout.write(`\n${interfaces().length} interfaces; features: ${Object.entries(features).filter(([, v]) => v).map(([n]) => n).join(', ')}\n`);
    return failed ? 1 : 0;
  },
};
