// berkeley ifaces: interfaces, indices, flags, MTU and addresses from an
// rtnetlink dump over a netlink socket (no shelling out). --brief prints
// exactly what `ip -br addr` prints; --json uses `ip -j addr`'s field names
// and values for the fields it has.
import { constants } from '../index.js';
import { parse, type Command } from './usage.js';
import { flagNames, operstateName, readInterfaces, scopeName, type Addr, type Link } from './netlink.js';

const usage = `Usage: berkeley ifaces [--brief | --json]

Lists the network interfaces from an rtnetlink dump: index, name, state,
MTU, flags and addresses.

  --brief   one line per interface, byte for byte what 'ip -br addr' prints
            (NAME@LINK for a link on another one, 'peer' for point-to-point
            addresses)
  --json    an array with 'ip -j addr''s fields: ifindex, ifname, link (or
            link_index), flags, mtu, operstate, address, and addr_info with
            family, local, address (the peer), prefixlen, broadcast, scope,
            label and metric
  -h, --help`;

/** What ip shows after a link's name: '@' and the link it sits on, by name here or by index in another namespace. */
function linkSuffix(l: Link, byIndex: Map<number, Link>): string {
  if (l.link === undefined) return '';
  if (l.link === 0) return '@NONE';
  if (l.linkNetnsid !== undefined) return `@if${l.link}`;
  return `@${byIndex.get(l.link)?.name ?? `if${l.link}`}`;
}

/** ip's M-DOWN: the link this one sits on, in this namespace, is down (or unknown). */
function lowerDown(l: Link, byIndex: Map<number, Link>): boolean {
  if (!l.link || l.linkNetnsid !== undefined) return false;
  return !((byIndex.get(l.link)?.flags ?? 0) & constants.IFF_UP!);
}

/** One address as ip -br prints it: 'LOCAL[ peer ADDRESS]/PREFIX '. */
function briefAddress(a: Addr): string {
  const peer = a.address !== a.local ? ` peer ${a.address}` : '';
  return `${a.local}${peer}/${a.prefixlen} ${a.metric !== undefined ? `metric ${a.metric} ` : ''}`;
}

/** ip's print_linkinfo_brief and print_selected_addrinfo: '%-16s ' name, '%-14s ' state, the addresses, '\n'. */
function briefLine(l: Link, addrs: Addr[], byIndex: Map<number, Link>): string {
  const state = l.operstate === undefined ? '' : l.operstate < 7 ? `${operstateName(l.operstate)!.padEnd(14)} ` : `state 0x${l.operstate.toString(16)}`;
  return `${`${l.name}${linkSuffix(l, byIndex)}`.padEnd(16)} ${state}${addrs.map(briefAddress).join('')}\n`;
}

/** A link as ip -j addr has it, for the fields we read. */
function jsonLink(l: Link, addrs: Addr[], byIndex: Map<number, Link>): Record<string, unknown> {
  const o: Record<string, unknown> = { ifindex: l.index };
  if (l.link !== undefined) {
    if (l.link === 0) o.link = null;
    else if (l.linkNetnsid !== undefined) o.link_index = l.link;
    else o.link = byIndex.get(l.link)?.name ?? `if${l.link}`;
  }
  Object.assign(o, { ifname: l.name, flags: flagNames(l.flags, lowerDown(l, byIndex)) });
  if (l.mtu !== undefined) o.mtu = l.mtu;
  if (l.operstate !== undefined) o[l.operstate < 7 ? 'operstate' : 'operstate_index'] = operstateName(l.operstate) ?? l.operstate;
  if (l.mac !== undefined) o.address = l.mac;
  o.addr_info = addrs.map((a) => {
    const info: Record<string, unknown> = { family: a.family, local: a.local };
    if (a.address !== a.local) info.address = a.address;
    info.prefixlen = a.prefixlen;
    if (a.metric !== undefined) info.metric = a.metric;
    if (a.broadcast !== undefined) info.broadcast = a.broadcast;
    info.scope = scopeName(a.scope);
    if (a.label !== undefined) info.label = a.label;
    return info;
  });
  return o;
}

export const ifaces: Command = {
  name: 'ifaces',
  summary: 'interfaces, flags, MTU and addresses over rtnetlink (as ip addr)',
  usage,
  async run(argv) {
    const args = parse(argv, { brief: { type: 'boolean' }, json: { type: 'boolean' } }, usage, false);
    if (!args) return 0;
    // Links and addresses stay in the kernel's dump order, which is the order ip prints.
    const { links, addrs } = await readInterfaces();
    const byIndex = new Map(links.map((l) => [l.index, l]));
    const of = (l: Link) => addrs.filter((a) => a.index === l.index);
    if (args.values.json) {
      process.stdout.write(`${JSON.stringify(links.map((l) => jsonLink(l, of(l), byIndex)), null, 2)}\n`);
      return 0;
    }
    if (args.values.brief) {
      process.stdout.write(links.map((l) => briefLine(l, of(l), byIndex)).join(''));
      return 0;
    }
    const rows = links.map((l) => [
      String(l.index), `${l.name}${linkSuffix(l, byIndex)}`, operstateName(l.operstate) ?? '', String(l.mtu ?? ''),
      flagNames(l.flags, lowerDown(l, byIndex)).join(','), of(l).map((a) => briefAddress(a).trim()).join(' '),
    ]);
    const head = ['INDEX', 'NAME', 'STATE', 'MTU', 'FLAGS', 'ADDRESSES'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows]) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`.replace(/ +\n$/, '\n'));
    return 0;
  },
};
