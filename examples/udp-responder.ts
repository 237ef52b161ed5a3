// A UDP responder for a host with several addresses (DNS, NTP, syslog and
// game servers have this problem): bound to the wildcard address, it answers
// each query from the address the query was sent to, so a client that asked
// 127.0.0.2 hears back from 127.0.0.2 and not from whichever address the
// routing table prefers. The arrival address comes from IP_PKTINFO
// ('ip-pktinfo' on: ReceivedMessage.pktinfo) and goes back as the reply's
// source (Message.pktinfo). Each reply also gets its own TTL and ECN field:
// a query that arrived ECN-capable (TOS & 3 != 0, read with 'ip-recvtos')
// is answered ECT(0), any other Not-ECT, in the DSCP class chosen here.
//
// Run: node --import tsx examples/udp-responder.ts [port] [ttl]
// (in a project of your own, import from 'berkeley' instead of ../src/index.ts)
// Then: echo hi | socat - udp:127.0.0.2:PORT   -> "hi (to 127.0.0.2)"
import { pathToFileURL } from 'node:url';
import { Socket, type ReceivedMessage } from '../src/index.ts';

/** DSCP AF21 (low-latency data), in the high six bits of the TOS byte. */
const DSCP = 18 << 2;
/** The ECN field, the TOS byte's low two bits (RFC 3168). */
const NOT_ECT = 0;
const ECT0 = 2;

export interface Responder {
  socket: Socket<'inet'>;
  port: number;
  /** Resolves when the socket is closed (the loop ends). */
  done: Promise<void>;
}

/** The reply to one query: its text, and where it goes back from, with which TTL and TOS. */
function reply(q: ReceivedMessage, ttl: number) {
  const to = q.pktinfo!.address;   // the address the query was sent to
  return {
    data: `${q.data.toString().trim()} (to ${to})\n`,
    address: q.address!,
    pktinfo: { address: to },      // reply from that address
    ttl,
    tos: DSCP | (q.tos !== undefined && (q.tos & 3) !== 0 ? ECT0 : NOT_ECT),
  };
}

/** Binds 0.0.0.0:`port` and answers every query until the socket is closed. */
export function startResponder(port = 0, ttl = 64): Responder {
  const socket = new Socket('inet', 'dgram');
  socket.bind({ host: '0.0.0.0', port });
  socket.setOption('ip-pktinfo', true);   // where each query arrived
  socket.setOption('ip-recvtos', true);   // whether it was ECN-capable
  const done = (async () => {
    for await (const q of socket.messages({ size: 1500 })) {
      if (q.address === null || q.pktinfo === undefined) continue;
      await socket.sendMsg(reply(q, ttl));
    }
  })();
  return { socket, port: socket.localAddress().port, done };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = startResponder(Number(process.argv[2] ?? 0), Number(process.argv[3] ?? 64));
  console.log(`listening on 0.0.0.0:${r.port}`);
  const stop = () => r.socket.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await r.done;
}
