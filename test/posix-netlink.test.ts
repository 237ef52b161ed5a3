// Netlink and packet sockets through berkeley/posix: a real RTM_GETLINK dump,
// and (as root) an AF_PACKET socket that sees loopback traffic.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as p from '../src/posix.ts';
import { isCloexec, isRoot, timeval } from './helpers.ts';

/** nlmsghdr + ifinfomsg asking for every link. */
function getlinkRequest(seq: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(32, 0);
  b.writeUInt16LE(p.RTM_GETLINK!, 4);
  b.writeUInt16LE(p.NLM_F_REQUEST! | p.NLM_F_DUMP!, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(0, 12);
  b[16] = p.AF_UNSPEC;
  return b;
}

/** Reads a dump to NLMSG_DONE and returns each link's index and name. */
function readLinks(fd: number, seq: number): { index: number; name: string }[] {
  const links: { index: number; name: string }[] = [];
  for (;;) {
    const buf = p.recv(fd, 65536);
    for (let off = 0; off + 16 <= buf.length;) {
      const len = buf.readUInt32LE(off);
      const type = buf.readUInt16LE(off + 4);
      assert.equal(buf.readUInt32LE(off + 8), seq);
      if (type === p.NLMSG_DONE) return links;
      assert.notEqual(type, p.NLMSG_ERROR, 'the kernel answered with an error');
      if (type === p.RTM_NEWLINK) {
        const index = buf.readInt32LE(off + 16 + 4);
        let name = '';
        for (let a = off + 32; a + 4 <= off + len;) {
          const alen = buf.readUInt16LE(a);
          if (alen < 4) break;
          if (buf.readUInt16LE(a + 2) === p.IFLA_IFNAME) name = buf.toString('utf8', a + 4, a + alen).replace(/\0.*$/, '');
          a += (alen + 3) & ~3;
        }
        links.push({ index, name });
      }
      off += (len + 3) & ~3;
    }
  }
}

describe('netlink', { skip: p.AF_NETLINK === undefined && 'no netlink here' }, () => {
  test('bind assigns a port id that getsockname reads back', () => {
    const fd = p.socket(p.AF_NETLINK!, p.SOCK_RAW, p.NETLINK_ROUTE);
    assert.ok(isCloexec(fd));
    p.bind(fd, { family: 'netlink', pid: 0, groups: 0 });
    const addr = p.getsockname(fd);
    assert.equal(addr.family, 'netlink');
    assert.ok((addr as { pid: number }).pid > 0, 'the kernel assigned a port id');
    assert.equal((addr as { groups: number }).groups, 0);
    p.close(fd);
  });

  test('an RTM_GETLINK dump finds lo, matching if_nameindex', () => {
    const fd = p.socket(p.AF_NETLINK!, p.SOCK_RAW, p.NETLINK_ROUTE);
    p.setsockopt(fd, p.SOL_SOCKET, p.SO_RCVTIMEO, timeval(5000));
    p.bind(fd, { family: 'netlink', pid: 0, groups: 0 });
    p.sendto(fd, getlinkRequest(42), { family: 'netlink', pid: 0, groups: 0 });
    const links = readLinks(fd, 42);
    const lo = links.find((l) => l.name === 'lo');
    assert.ok(lo, `lo among ${links.map((l) => l.name).join(', ')}`);
    assert.equal(lo.index, p.if_nametoindex('lo'));
    assert.deepEqual(links.map((l) => l.name).sort(), p.if_nameindex().map((l) => l.name).sort());
    p.close(fd);
  });

  test('a message from the kernel reports the kernel as sender (pid 0)', () => {
    const fd = p.socket(p.AF_NETLINK!, p.SOCK_RAW, p.NETLINK_ROUTE);
    p.setsockopt(fd, p.SOL_SOCKET, p.SO_RCVTIMEO, timeval(5000));
    p.sendto(fd, getlinkRequest(7), { family: 'netlink', pid: 0, groups: 0 });
    const [, from] = p.recvfrom(fd, 65536);
    assert.deepEqual(from, { family: 'netlink', pid: 0, groups: 0 });
    p.close(fd);
  });
});

describe('packet sockets', { skip: (!isRoot || p.AF_PACKET === undefined) && 'needs root and AF_PACKET' }, () => {
  test('an AF_PACKET socket bound to lo sees a UDP datagram sent to 127.0.0.1', () => {
    const lo = p.if_nametoindex('lo');
    const htons = (v: number) => ((v & 0xff) << 8) | (v >> 8);
    const fd = p.socket(p.AF_PACKET!, p.SOCK_DGRAM, htons(p.ETH_P_IP!));
    p.setsockopt(fd, p.SOL_SOCKET, p.SO_RCVTIMEO, timeval(5000));
    p.bind(fd, { family: 'packet', protocol: p.ETH_P_IP!, ifindex: lo });
    const bound = p.getsockname(fd) as { family: string; ifindex: number; protocol: number };
    assert.equal(bound.family, 'packet');
    assert.equal(bound.ifindex, lo);
    assert.equal(bound.protocol, p.ETH_P_IP);

    const a = p.socket(p.AF_INET, p.SOCK_DGRAM);
    const b = p.socket(p.AF_INET, p.SOCK_DGRAM);
    p.bind(b, { family: 'inet', address: '127.0.0.1', port: 0 });
    const marker = `berkeley-packet-${process.pid}`;
    p.sendto(a, marker, p.getsockname(b));
    for (let i = 0; i < 1000; i++) {
      const [data, from] = p.recvfrom(fd, 65536);
      if (!data.includes(marker)) continue;
      assert.equal(data[0] >> 4, 4, 'an IPv4 header');
      assert.equal(data[9], p.IPPROTO_UDP);
      const f = from as { family: string; ifindex: number; protocol: number; pkttype: number };
      assert.equal(f.family, 'packet');
      assert.equal(f.ifindex, lo);
      assert.equal(f.protocol, p.ETH_P_IP);
      break;
    }
    [a, b, fd].forEach((x) => p.close(x));
  });
});
