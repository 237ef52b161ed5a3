// udp-flood: a live one-way flood of 64-byte datagrams, both directions
// against a C peer on the other core. Sending: the subject sends as fast as it
// can to a C recvmmsg receiver; the table's rate is what it sent per second
// (its own speed), beside what the receiver got. Receiving: a C sendmmsg
// flood, and the rate is what the subject received per second, beside what
// the flood sent. Loss is what was sent and never arrived: a receiver that
// cannot keep up rules the delivered rate, so both rates are shown.
import { COUNTERPART_CORE, SUBJECT_CORE, missing, pair, peers, type Program, type Report } from '../lib/harness.ts';
import { measure, type Case, type Group, type Sample, type Settings } from '../lib/suite.ts';

/**
 * Sent and delivered rates, each over its own program's interval; the
 * sample's rate is the measured side's (`measured` is `sent` or `received`),
 * and so is the CPU time per datagram; loss from both counts.
 */
export function flow(received: Report, sent: Report, measured: Report): Sample {
  const s = measure(measured, measured.ops);
  s.sent = sent.seconds > 0 ? sent.ops / sent.seconds : undefined;
  s.delivered = received.seconds > 0 ? received.ops / received.seconds : undefined;
  s.loss = sent.ops > 0 ? Math.max(0, 1 - received.ops / sent.ops) : undefined;
  return s;
}

export function sendCase(label: string, sink: Program, sender: (port: string) => Program, berkeley = false): Case {
  return {
    label,
    berkeley,
    run: async () => {
      const [received, sent] = await pair(sink, COUNTERPART_CORE, sender, SUBJECT_CORE, { waitFirst: true });
      return flow(received!, sent, sent);
    },
  };
}

export function recvCase(label: string, receiver: Program, flood: (port: string) => Program, berkeley = false): Case {
  return {
    label,
    berkeley,
    run: async () => {
      const [received, sent] = await pair(receiver, SUBJECT_CORE, flood, COUNTERPART_CORE, { waitFirst: true });
      return flow(received!, sent, received!);
    },
  };
}

const SIZE = 64;

/** sockperf's throughput client, its "Total of N messages sent in T sec" as a report (it gives no CPU time). */
function sockperfTp(port: string, seconds: number): Program {
  // sockperf takes whole seconds.
  const summary = `awk '/Total of [0-9]+ messages sent in/ { n = $4; t = $8 } END { if (n == "") exit 1; printf "{\\"ops\\":%d,\\"bytes\\":%d,\\"seconds\\":%s,\\"cpu\\":null}\\n", n, n * ${SIZE}, t }'`;
  return ['sh', '-c', `sockperf tp -i 127.0.0.1 -p ${port} -t ${Math.max(1, Math.round(seconds))} -m ${SIZE} 2>&1 | ${summary}`];
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
    send.push(sendCase('sockperf throughput', sink, (p) => sockperfTp(p, d)));
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
    { id: 'udp-flood-send', title: 'udp-flood, sending: 64-byte datagrams to a C recvmmsg receiver', unit: 'sent/s', op: 'datagram sent', measures: 'sender', cases: send, skipped: sendSkipped },
    { id: 'udp-flood-recv', title: 'udp-flood, receiving: a C sendmmsg flood of 64-byte datagrams', unit: 'received/s', op: 'datagram received', measures: 'receiver', cases: recv, skipped: recvSkipped },
  ];
}
