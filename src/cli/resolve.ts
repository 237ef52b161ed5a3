// berkeley resolve: getaddrinfo (and getnameinfo with --reverse).
import { isIP } from 'node:net';
import { portOf } from '../codec/address.js';
import { constants as k, getaddrinfo, getnameinfo, type Family, type SocketType } from '../index.js';
import { parse, UsageError, type Command } from './usage.js';

const usage = `Usage: berkeley resolve NAME [SERVICE] [options]
       berkeley resolve --reverse ADDRESS [PORT]

Looks a name up with getaddrinfo(3) and prints one address per line, or an
address up with getnameinfo(3).

  -4, -6             IPv4 or IPv6 only
  --type TYPE        stream, dgram or raw
  --canonical        ask for the canonical name (AI_CANONNAME)
  --numeric          NAME must be a numeric address (AI_NUMERICHOST)
  --passive          addresses to bind to (AI_PASSIVE)
  --reverse          getnameinfo: ADDRESS [PORT] to a name and service
  --numeric-host     with --reverse: do not look the name up (NI_NUMERICHOST)
  -h, --help`;

const PROTOCOLS: Record<number, string> = { [k.IPPROTO_TCP]: 'tcp', [k.IPPROTO_UDP]: 'udp', [k.IPPROTO_IP]: 'ip', [k.IPPROTO_RAW]: 'raw' };
const TYPES: Record<number, string> = { [k.SOCK_STREAM]: 'stream', [k.SOCK_DGRAM]: 'dgram', [k.SOCK_RAW]: 'raw' };

/** A port for getnameinfo: 0..65535 by the library's port rule, and numeric. */
function numericPort(text: string): number {
  let port;
  try { port = portOf(text); } catch { port = null; }
  if (typeof port !== 'number') throw new UsageError(`the port must be a number from 0 to 65535, not '${text}'`);
  return port;
}

export const resolve: Command = {
  name: 'resolve',
  summary: 'getaddrinfo / getnameinfo',
  usage,
  async run(argv) {
    const args = parse(argv, {
      4: { type: 'boolean', short: '4' }, 6: { type: 'boolean', short: '6' }, type: { type: 'string' },
      canonical: { type: 'boolean' }, numeric: { type: 'boolean' }, passive: { type: 'boolean' },
      reverse: { type: 'boolean' }, 'numeric-host': { type: 'boolean' },
    }, usage);
    if (!args) return 0;
    const [name, service, extra] = args.positionals;
    if (name === undefined || extra !== undefined) throw new UsageError('expected NAME [SERVICE]');
    const v = args.values;
    if (v[4] && v[6]) throw new UsageError('-4 and -6 exclude each other');
    if (v.reverse) {
      const port = service === undefined ? 0 : numericPort(service);
      const version = isIP(name);
      if (version === 0) throw new UsageError(`--reverse needs a numeric IPv4 or IPv6 address, not '${name}'`);
      const family = version === 6 ? 'inet6' : 'inet';
      const r = await getnameinfo({ family, address: name, port }, v['numeric-host'] ? k.NI_NUMERICHOST : 0);
      process.stdout.write(`${r.host} ${r.service}\n`);
      return 0;
    }
    const type = v.type as SocketType | undefined;
    if (type !== undefined && !['stream', 'dgram', 'raw'].includes(type)) throw new UsageError(`--type must be stream, dgram or raw, not '${type}'`);
    const family: Family | undefined = v[4] ? 'inet' : v[6] ? 'inet6' : undefined;
    const flags = (v.canonical ? k.AI_CANONNAME : 0) | (v.numeric ? k.AI_NUMERICHOST : 0) | (v.passive ? k.AI_PASSIVE : 0);
    const list = await getaddrinfo(name, service ?? null, { family, type, flags });
    for (const ai of list) {
      const a = ai.address as { family: string; address: string; port: number; scopeId?: number };
      const scope = a.scopeId ? `%${a.scopeId}` : '';
      const canon = ai.canonname ? ` canonical ${ai.canonname}` : '';
      process.stdout.write(`${a.family} ${a.address}${scope} ${TYPES[ai.socktype] ?? ai.socktype} ${PROTOCOLS[ai.protocol] ?? ai.protocol} port ${a.port}${canon}\n`);
    }
    return 0;
  },
};
