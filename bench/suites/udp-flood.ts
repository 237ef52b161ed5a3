// udp-flood: a live one-way flood of 64-byte datagrams, both directions
// against a C peer on the other core. Sending: the C receiver counts what is
// delivered. Receiving: a C sendmmsg flood, the library counts what it gets.
// Rates are delivered datagrams/s; loss is what was sent and never arrived.
import { COUNTERPART_CORE, SUBJECT_CORE, missing, pair, peers, type Program, type Report } from '../lib/harness.ts';
import { measure, type Case, type Group, type Sample, type Settings } from '../lib/suite.ts';

/** Delivered rate from the receiver, CPU per datagram from `measured`, loss from both. */
export function delivered(received: Report, sent: Report, measured: Report, perOp = 1): Sample {
  const s = measure(received, received.ops);
  s.cpuPerOp = measured.cpu === null ? null : (measured.cpu / measured.ops) * 1e6 * perOp;
  s.loss = sent.ops > 0 ? Math.max(0, 1 - received.ops / sent.ops) : undefined;
  return s;
}

export function sendCase(label: string, sink: Program, sender: (port: string) => Program, berkeley = false): Case {
  return {
    label,
    berkeley,
    run: async () => {
      const [received, sent] = await pair(sink, COUNTERPART_CORE, sender, SUBJECT_CORE, { waitFirst: true });
      return delivered(received!, sent, sent);
    },
  };
}

export function recvCase(label: string, receiver: Program, flood: (port: string) => Program, berkeley = false): Case {
  return {
    label,
    berkeley,
    run: async () => {
      const [received, sent] = await pair(receiver, SUBJECT_CORE, flood, COUNTERPART_CORE, { waitFirst: true });
      return delivered(received!, sent, received!);
    },
  };
}

const SIZE = 64;

/** sockperf's throughput client: it prints its own message rate; the C receiver counts. */
function sockperfTp(port: string, seconds: number): Program {
  // sockperf takes whole seconds.
  return ['sh', '-c', `sockperf tp -i 127.0.0.1 -p ${port} -t ${Math.max(1, Math.round(seconds))} -m ${SIZE} >/dev/null 2>&1; echo '{"ops":0,"bytes":0,"seconds":${seconds},"cpu":null}'`];
}

export function udpFlood(cfg: Settings): Group[] {
  const d = cfg.duration;
  const sink = peers.c('udp-recv', 'recvmmsg');
  const sendSkipped: string[] = [];
  const send: Case[] = [
    sendCase('C send', sink, (p) => peers.c('udp-send', p, d, SIZE, 'send')),
    sendCase('C sendmmsg', sink, (p) => peers.c('udp-send', p, d, SIZE, 'sendmmsg')),
    sendCase('node:dgram', sink, (p) => peers.node('udp-send', p, d, SIZE)),
  ];
  if (missing.sockperf()) sendSkipped.push(`sockperf: ${missing.sockperf()}`);
  else {
    // sockperf reports no totals on a pipe: loss and CPU are unknown, delivered is what the C receiver counted.
    send.push({ label: 'sockperf throughput', run: async () => { const [received] = await pair(sink, COUNTERPART_CORE, (p) => sockperfTp(p, d), SUBJECT_CORE, { waitFirst: true }); return { ...measure(received!, received!.ops), cpuPerOp: null }; } });
  }
  if (missing.python()) sendSkipped.push(`Python: ${missing.python()}`);
  else send.push(sendCase('Python send', sink, (p) => peers.python('udp-send', p, d, SIZE)));
  send.push(
    sendCase('berkeley send (async)', sink, (p) => peers.berkeley('udp-send', p, d, SIZE, 'send'), true),
    sendCase('berkeley sendSync', sink, (p) => peers.berkeley('udp-send', p, d, SIZE, 'sendSync'), true),
    sendCase('berkeley sendMany (async)', sink, (p) => peers.berkeley('udp-send', p, d, SIZE, 'sendMany'), true),
  );

  const flood = (p: string) => peers.c('udp-send', p, d, SIZE, 'sendmmsg');
  const recvSkipped: string[] = [];
  const recv: Case[] = [
    recvCase('C recvfrom', peers.c('udp-recv', 'recvfrom'), flood),
    recvCase('C recvmmsg', peers.c('udp-recv', 'recvmmsg'), flood),
    recvCase('node:dgram', peers.node('udp-recv'), flood),
  ];
  if (missing.python()) recvSkipped.push(`Python: ${missing.python()}`);
  else recv.push(recvCase('Python recv_into', peers.python('udp-recv'), flood));
  recv.push(
    recvCase('berkeley recvFrom (async)', peers.berkeley('udp-recv', 'recvFrom'), flood, true),
    recvCase('berkeley recvFromSync', peers.berkeley('udp-recv', 'recvFromSync'), flood, true),
    recvCase('berkeley recvMany (async)', peers.berkeley('udp-recv', 'recvMany'), flood, true),
  );
  return [
    { id: 'udp-flood-send', title: 'udp-flood, sending: 64-byte datagrams to a C recvmmsg receiver', unit: 'delivered/s', op: 'datagram sent', cases: send, skipped: sendSkipped },
    { id: 'udp-flood-recv', title: 'udp-flood, receiving: a C sendmmsg flood of 64-byte datagrams', unit: 'delivered/s', op: 'datagram received', cases: recv, skipped: recvSkipped },
  ];
}
