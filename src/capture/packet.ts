// One captured packet as users get it, read from a TPACKET_V3 block in
// place: `data` is a view into the ring (no copy unless asked), with the
// VLAN tag the kernel took out put back in front of the payload, and for a
// cooked capture a Linux SLL header written in the room the kernel leaves
// before it, so that the bytes are what tcpdump would show and save.
import { Buffer } from 'node:buffer';
import { layout, setU16be, u16 } from '../sys/struct.js';
import type { CaptureLayout } from '../sys/binding.js';

/** Where a packet was going, from the capturing host's point of view (sll_pkttype). */
export type Direction = 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'outgoing';
const DIRECTIONS: Direction[] = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing'];

/** One packet a capture delivered. */
export interface CapturedPacket {
  /**
   * The captured bytes, starting with the link-layer header of the
   * capture's link type. From the ring this is a view of the kernel's
   * memory, valid until the iterator moves past the packet's block (it
   * then reads as empty): copy it (`Buffer.from(p.data)`, or the capture's
   * `copy` option) to keep it.
   */
  data: Buffer;
  /** The packet's length on the wire, of which `data` may hold less (the snapshot length). */
  length: number;
  /** When the kernel received it: nanoseconds since the epoch. */
  timestamp: bigint;
  /** The interface it was captured on. */
  ifindex: number;
  /** Its ethertype (ETH_P_IP, ETH_P_ARP, ...) as the kernel saw it. */
  protocol: number;
  direction: Direction;
}

/** PACKET_OUTGOING: a packet this host sent. */
export const PACKET_OUTGOING = 4;

/** sll_pkttype as a direction. */
export const direction = (pkttype: number): Direction => DIRECTIONS[pkttype] ?? 'host';

const VLAN_TAG = 4;
const MAC_PAIR = 12;
const ETH_P_8021Q = 0x8100;
const SLL_HEADER = 16;

/** How a block's packets are turned into what users see. */
export interface BlockReader {
  L: CaptureLayout;
  /** 'ethernet': put stripped VLAN tags back; 'cooked': write a Linux SLL header before each packet. */
  framing: 'ethernet' | 'cooked' | 'none';
  /** Copy each packet's bytes out of the ring. */
  copy: boolean;
  /** The loopback interface's index, whose outgoing packets are skipped (each would be seen twice); -1 for none. */
  loopback: number;
}

/**
 * The packets of one TPACKET_V3 block, in order. The kernel's offsets are
 * checked against the block before any view is made: a packet that does
 * not fit is skipped, a chain that leaves the block ends the walk. The
 * block's fields are read through typed arrays over it (host byte order,
 * the kernel's: every field is aligned to its size), the timestamps' whole
 * seconds made a bigint once per second, not per packet.
 */
export function readBlock(block: Buffer, r: BlockReader, out: CapturedPacket[]): void {
  const { L } = r;
  if (block.length < L.blockDescSize) return;   // detached: the capture was closed
  const words = new Uint32Array(block.buffer, block.byteOffset, block.length >>> 2);
  const halves = new Uint16Array(block.buffer, block.byteOffset, block.length >>> 1);
  const count = words[L.blockPackets >>> 2];
  let off = words[L.blockFirst >>> 2];
  const end = Math.min(block.length, words[L.blockLength >>> 2] || block.length);
  const ll = L.hdrLlOffset;
  let lastSec = -1;
  let secNs = 0n;
  for (let i = 0; i < count; i++) {
    if (off < L.blockDescSize || off + L.hdrSize > end || off & 3) return;
    const w = off >>> 2;
    const h = off >>> 1;
    const snaplen = words[w + (L.hdrSnaplen >>> 2)];
    let start = off + halves[h + (L.hdrMac >>> 1)];
    if (start < off + L.hdrSize || start + snaplen > end) break;
    const next = words[w + (L.hdrNext >>> 2)];
    const pkttype = block[off + ll + layout.llPkttype!];
    const ifindex = words[((off + ll + layout.llIfindex!) >>> 2)] | 0;
    if (pkttype === PACKET_OUTGOING && ifindex === r.loopback) {
      if (next === 0) break;
      off += next;
      continue;
    }
    const protocol = (block[off + ll + layout.llProtocol!] << 8) | block[off + ll + layout.llProtocol! + 1];
    let caplen = snaplen;
    let length = words[w + (L.hdrLen >>> 2)];
    const status = words[w + (L.hdrStatus >>> 2)];
    const tci = words[w + (L.hdrVlanTci >>> 2)] & 0xffff;
    if (r.framing === 'ethernet' && (status & L.TP_STATUS_VLAN_VALID || tci) && snaplen >= MAC_PAIR && start - VLAN_TAG >= off + L.hdrSize) {
      // libpcap's reinsertion: the MAC addresses move 4 bytes forward, the tag goes after them.
      const tpidValid = L.TP_STATUS_VLAN_TPID_VALID !== undefined && (status & L.TP_STATUS_VLAN_TPID_VALID) !== 0;
      const tpid = tpidValid ? halves[h + (L.hdrVlanTpid >>> 1)] : ETH_P_8021Q;
      block.copyWithin(start - VLAN_TAG, start, start + MAC_PAIR);
      start -= VLAN_TAG;
      setU16be(block, start + MAC_PAIR, tpid);
      setU16be(block, start + MAC_PAIR + 2, tci);
      caplen += VLAN_TAG;
      length += VLAN_TAG;
    } else if (r.framing === 'cooked' && start - SLL_HEADER >= off + L.hdrSize) {
      const sll = start - SLL_HEADER;
      const halen = Math.min(block[off + ll + layout.llHalen!], 8);
      setU16be(block, sll, pkttype);
      setU16be(block, sll + 2, u16(block, off + ll + layout.llHatype!));
      setU16be(block, sll + 4, halen);
      block.fill(0, sll + 6, sll + 14);
      block.copy(block, sll + 6, off + ll + layout.llAddr!, off + ll + layout.llAddr! + halen);
      setU16be(block, sll + 14, protocol);
      start = sll;
      caplen += SLL_HEADER;
      length += SLL_HEADER;
    }
    const sec = words[w + (L.hdrSec >>> 2)];
    if (sec !== lastSec) { lastSec = sec; secNs = BigInt(sec) * 1_000_000_000n; }
    const view = block.subarray(start, start + caplen);
    out.push({
      data: r.copy ? Buffer.from(view) : view,
      length,
      timestamp: secNs + BigInt(words[w + (L.hdrNsec >>> 2)]),
      ifindex,
      protocol,
      direction: direction(pkttype),
    });
    if (next === 0) break;
    off += next;
  }
}
