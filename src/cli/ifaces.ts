// berkeley ifaces: interfaces, indices, flags, MTU and addresses from an
// rtnetlink dump over a netlink socket (no shelling out).
import { parse, type Command } from './usage.js';
import { flagNames, operstateName, readInterfaces } from './netlink.js';

const usage = `Usage: berkeley ifaces [--brief] [--json]

Lists the network interfaces from an rtnetlink dump: index, name, state,
MTU, flags and addresses.

  --brief   one line per interface, as 'ip -br addr' prints it
  --json    the dump as JSON
  -h, --help`;

export const ifaces: Command = {
  name: 'ifaces',
  summary: 'interfaces, flags, MTU and addresses over rtnetlink',
  usage,
  async run(argv) {
    const args = parse(argv, { brief: { type: 'boolean' }, json: { type: 'boolean' } }, usage, false);
    if (!args) return 0;
    const { links, addrs } = await readInterfaces();
    links.sort((a, b) => a.index - b.index);
    const of = (index: number) => addrs.filter((a) => a.index === index).map((a) => `${a.address}/${a.prefixlen}`);
    if (args.values.json) {
      process.stdout.write(`${JSON.stringify(links.map((l) => ({ ...l, state: operstateName(l.operstate), flagNames: flagNames(l.flags), addresses: addrs.filter((a) => a.index === l.index) })), null, 2)}\n`);
      return 0;
    }
    if (args.values.brief) {
      for (const l of links) process.stdout.write(`${l.name.padEnd(16)} ${operstateName(l.operstate).padEnd(14)} ${of(l.index).join(' ')}\n`.replace(/ +\n$/, '\n'));
      return 0;
    }
    const rows = links.map((l) => [String(l.index), l.name, operstateName(l.operstate), String(l.mtu ?? ''), flagNames(l.flags).join(','), of(l.index).join(' ')]);
    const head = ['INDEX', 'NAME', 'STATE', 'MTU', 'FLAGS', 'ADDRESSES'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows]) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`);
    return 0;
  },
};
