// unix-dgram: floods of 64-byte Unix datagrams from one process to another,
// the receiver measured. A Unix datagram sender blocks while the receiver's
// queue is full, so nothing is lost and the slower end sets the pace. Two
// groups: "receiving", a C sendmmsg sender feeding each library's receiver
// (the receive path alone: C outpaces every receiver), and "pair", both ends
// the same library.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { COUNTERPART_CORE, SUBJECT_CORE, missing, pair, peers, socketPath, type Program } from '../lib/harness.ts';
import { measure, type Case, type Group, type Settings } from '../lib/suite.ts';

const SIZE = 64;
type Make = (...a: (string | number)[]) => Program;

/**
 * How many datagrams a receiver's queue holds: net.unix.max_dgram_qlen of the
 * network namespace the socket is made in. The kernel's default is 10, which
 * systemd raises to 512 (its sysctl.d/50-default.conf). With 10, a sender
 * blocks every 10 datagrams and the flood measures wake-ups more than the
 * receive path (C recvmmsg 922 k/s, berkeley recvMany 449 k/s; with 512: 956
 * and 782 k/s). Each receiver therefore runs in a network namespace of its
 * own with the queue at 512 where that can be made (root, unshare(1)); the
 * host's setting is left alone. The group's title says which applied.
 */
const QUEUE = 512;
const hostQueue = Number(readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8'));
const SET_QUEUE = ['unshare', '--net', 'sh', '-c', `sysctl -qw net.unix.max_dgram_qlen=${QUEUE} && exec "$@"`, 'sh'];
const canSetQueue = hostQueue !== QUEUE && spawnSync(SET_QUEUE[0], [...SET_QUEUE.slice(1), 'true']).status === 0;
const withQueue = (program: Program): Program => (canSetQueue ? [...SET_QUEUE, ...program] : program);
const queueNote = canSetQueue
  ? `receive queue ${QUEUE} (net.unix.max_dgram_qlen in the receiver's own network namespace; this host's is ${hostQueue})`
  : `receive queue ${hostQueue} (this host's net.unix.max_dgram_qlen)`;

export function unixDgram(cfg: Settings): Group[] {
  const count = cfg.count * 4; // a flood long enough to reach a steady state
  const flood = (label: string, receiver: Make, variant: string, sender: ((path: string) => Program) | null, berkeley = false): Case => ({
    label,
    berkeley,
    run: async () => {
      const send = sender ?? ((path: string) => receiver('ud-send', path, count, SIZE, variant));
      const [received] = await pair(withQueue(receiver('ud-recv', socketPath(), count, variant)), SUBJECT_CORE, send, COUNTERPART_CORE, { waitFirst: true });
      if (received!.ops !== count - 1) throw new Error(`${label} received ${received!.ops + 1} of ${count}`);
      return measure(received!, received!.ops);
    },
  });
  const cSender = (path: string) => peers.c('ud-send', path, count, SIZE, 'mmsg');

  const groups = (['recv', 'pair'] as const).map((kind): Group => {
    const sender = kind === 'recv' ? cSender : null;
    const skipped: string[] = [];
    const cases: Case[] = [flood('C recv', peers.c, '', sender), flood(kind === 'recv' ? 'C recvmmsg' : 'C sendmmsg/recvmmsg', peers.c, 'mmsg', sender)];
    if (missing.unixDgram()) skipped.push(`npm unix-dgram: ${missing.unixDgram()}`); else cases.push(flood('npm unix-dgram', peers.unixDgram, '', sender));
    if (missing.python()) skipped.push(`Python: ${missing.python()}`); else cases.push(flood('Python recv_into', peers.python, '', sender));
    // The floors (see bench/README.md): recv(2) through the addon, without and with an await per datagram.
    if (kind === 'recv') cases.push(flood('Node + addon, bare recv', peers.berkeley, 'bare', sender), flood('Node + addon, bare recv + await', peers.berkeley, 'bare-await', sender));
    cases.push(
      flood('berkeley recvInto (async)', peers.berkeley, 'async', sender, true),
      flood('berkeley recv (async)', peers.berkeley, 'recv', sender, true),
      flood('berkeley for await', peers.berkeley, 'iterator', sender, true),
      flood('berkeley recvIntoSync', peers.berkeley, 'sync', sender, true),
      flood(kind === 'recv' ? 'berkeley recvMany (async)' : 'berkeley sendMany/recvMany', peers.berkeley, 'batch', sender, true),
    );
    return kind === 'recv'
      ? {
        id: 'unix-dgram-recv',
        title: `unix-dgram, receiving: ${count} datagrams of 64 bytes from a C sendmmsg sender, ${queueNote}`,
        unit: 'datagrams/s',
        op: 'datagram received',
        cases,
        skipped,
        targets: [
          { subject: 'berkeley recvInto (async)', peer: 'Python recv_into', min: 1.0 },
          { subject: 'berkeley recv (async)', peer: 'Python recv_into', min: 1.0 },
          { subject: 'berkeley recvMany (async)', peer: 'C recvmmsg', min: 0.9 },
        ],
      }
      : {
        id: 'unix-dgram-pair',
        title: `unix-dgram, pair: ${count} datagrams of 64 bytes, both ends the same library, ${queueNote}`,
        unit: 'datagrams/s',
        op: 'datagram received',
        cases,
        skipped,
        targets: [{ subject: 'berkeley recvInto (async)', peer: 'npm unix-dgram', min: 2.5 }],
      };
  });
  return groups;
}
