// gso-gro: 1400-byte segments sent with UDP_SEGMENT (GSO) and received with
// UDP_GRO, each side against the C GSO/GRO reference on the other core.
// node:dgram has neither: it sends and receives one 1400-byte datagram at a time.
import { missing, peers } from '../lib/harness.ts';
import { type Group, type Settings } from '../lib/suite.ts';
import { recvCase, sendCase } from './udp-flood.ts';
import { features } from 'berkeley';

const SEG = 1400;

export function gsoGro(cfg: Settings): Group[] {
  const d = cfg.duration;
  if (!features.gso || !features.gro) {
    return [{ id: 'gso-gro', title: 'gso-gro', unit: 'segments/s', op: 'segment', cases: [], skipped: [`this kernel lacks ${features.gso ? 'UDP_GRO' : 'UDP_SEGMENT'}`] }];
  }
  const groSink = peers.c('udp-recv', 'gro');
  const gsoFlood = (p: string) => peers.c('udp-send', p, d, SEG, 'gso');
  return [
    {
      id: 'gso-gro-send',
      title: 'gso-gro, sending 1400-byte segments (GSO, 45 per call) to a C GRO receiver',
      unit: 'segments sent/s',
      op: 'segment sent',
      measures: 'sender',
      cases: [
        sendCase('C sendmmsg + GSO', groSink, (p) => peers.c('udp-send', p, d, SEG, 'gso')),
        sendCase('node:dgram (no GSO)', groSink, (p) => peers.node('udp-send', p, d, SEG)),
        ...(missing.python() ? [] : [sendCase('Python sendmsg + GSO', groSink, (p) => peers.python('udp-send', p, d, SEG, 'gso'))]),
        sendCase('berkeley sendMany + GSO', groSink, (p) => peers.berkeley('udp-send', p, d, SEG, 'gso'), true),
      ],
      skipped: missing.python() ? [`Python: ${missing.python()}`] : [],
      targets: [{ subject: 'berkeley sendMany + GSO', peer: 'C sendmmsg + GSO', min: 0.9 }],
    },
    {
      id: 'gso-gro-recv',
      title: 'gso-gro, receiving a C GSO flood of 1400-byte segments (GRO)',
      unit: 'segments received/s',
      op: 'segment received',
      measures: 'receiver',
      cases: [
        recvCase('C recvmmsg + GRO', groSink, gsoFlood),
        recvCase('node:dgram (no GRO)', peers.node('udp-recv'), gsoFlood),
        ...(missing.python() ? [] : [recvCase('Python recvmsg_into + GRO', peers.python('udp-recv', 'gro'), gsoFlood)]),
        recvCase('berkeley recvMany + GRO', peers.berkeley('udp-recv', 'gro'), gsoFlood, true),
      ],
      skipped: missing.python() ? [`Python: ${missing.python()}`] : [],
      targets: [{ subject: 'berkeley recvMany + GRO', peer: 'C recvmmsg + GRO', min: 0.9 }],
    },
  ];
}
