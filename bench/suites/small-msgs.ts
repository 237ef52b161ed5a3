// small-msgs: 64-byte messages pipelined on one TCP stream, one write call per
// message, to a C reader on the other core that counts what arrives.
import { COUNTERPART_CORE, SUBJECT_CORE, freePort, missing, pair, peers, start, startServer, type Program } from '../lib/harness.ts';
import { measure, type Case, type Group, type Settings } from '../lib/suite.ts';

const SIZE = 64;

export function smallMsgs(cfg: Settings): Group[] {
  const skipped: string[] = [];
  const writer = (label: string, make: (...a: (string | number)[]) => Program, variant: string, berkeley = false): Case => ({
    label,
    berkeley,
    run: async () => {
      const [sent, received] = await pair(make('source', 'tcp', '-', SIZE, variant), SUBJECT_CORE, (port) => peers.c('sink', 'tcp', port, cfg.duration), COUNTERPART_CORE, { waitFirst: true });
      const s = measure(received, received.bytes / SIZE);
      s.cpuPerOp = sent!.cpu === null ? null : (sent!.cpu / sent!.ops) * 1e6;
      return s;
    },
  });
  const cases: Case[] = [writer('C write', peers.c, ''), writer('node:net write', peers.node, '')];
  if (missing.sockperf()) skipped.push(`sockperf: ${missing.sockperf()}`);
  else {
    cases.push({
      label: 'sockperf throughput --tcp',
      run: async () => {
        // sockperf talks to its own server and prints the rate it sent at.
        const port = freePort();
        const server = await startServer(['sockperf', 'sr', '--tcp', '-i', '127.0.0.1', '-p', String(port)], COUNTERPART_CORE);
        try {
          const seconds = Math.max(1, Math.round(cfg.duration)); // sockperf takes whole seconds
          const r = await start(['sockperf', 'tp', '--tcp', '-i', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-m', String(SIZE)], SUBJECT_CORE, {
            parse: (out) => {
              const rate = Number(/Message Rate is (\d+)/.exec(out)?.[1]);
              if (!rate) throw new Error('no sockperf summary');
              return { ops: rate * seconds, bytes: rate * seconds * SIZE, seconds, cpu: null };
            },
          }).result;
          return measure(r, r.ops);
        } finally {
          server.kill();
        }
      },
    });
  }
  if (missing.python()) skipped.push(`Python: ${missing.python()}`); else cases.push(writer('Python sendall', peers.python, ''));
  cases.push(writer('berkeley send (async)', peers.berkeley, 'async', true), writer('berkeley sendSync', peers.berkeley, 'sync', true));
  return [{ id: 'small-msgs', title: 'small-msgs: 64-byte messages on one TCP stream, one write per message', unit: 'messages/s', op: 'message written', cases, skipped }];
}
