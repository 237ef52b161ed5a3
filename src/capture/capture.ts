// capture(): an AF_PACKET socket set up the way libpcap sets one up, read
// through a TPACKET_V3 ring (or one recvmsg per packet), as an async
// iterable of packets. Setup order matters: the socket is made with
// protocol 0, so nothing is queued until it is bound with ETH_P_ALL, and
// the filter is attached before that bind; with fanout, a reject-all
// filter holds packets off until the socket has joined its group (joining
// needs a bound socket), then the real filter replaces it.
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { abortError, invalidArgType, invalidArgValue, outOfRange, systemError } from '../errors.js';
import { validateBoolean, validateCString, validateInteger, validateObject } from '../validate.js';
import { ETH_P_ALL, IFNAMSIZ, PACKET_ADD_MEMBERSHIP, PACKET_FANOUT, PACKET_MR_PROMISC, PACKET_STATISTICS, SOL_PACKET, SOL_SOCKET, SO_ERROR, SO_RCVBUFFORCE } from '../sys/constants.js';
import { EAGAIN, EOPNOTSUPP } from '../sys/errno.js';
import { setI32, setU16, u32 } from '../sys/struct.js';
import type { CaptureLayout } from '../sys/binding.js';
import { ifNameToIndex } from '../resolver.js';
import { Socket } from '../socket/socket.js';
import { ABS, acceptAll, B as BYTE, JEQ, JMP, K, LD, MAX_INSTRUCTIONS, rejectAll, RET, SKF_AD_IFINDEX, SKF_AD_OFF, SKF_AD_PKTTYPE, validateProgram, W, type BpfInstruction } from './bpf.js';
import { compileFor, validateSnaplen } from './compile.js';
import { linkTypeOf, type LinkType } from './link.js';
import { captureLayout, META, packetrecv } from './native.js';
import { direction, PACKET_OUTGOING, readBlock, type BlockReader, type CapturedPacket } from './packet.js';
import type { Target } from './primitives.js';
import { Ring, type RingGeometry } from './ring.js';

/** How a fanout group spreads packets over its sockets (PACKET_FANOUT_*). */
export type FanoutMode = 'hash' | 'lb' | 'cpu' | 'rollover' | 'random' | 'qm';

/** capture()'s options. */
export interface CaptureOptions {
  /** The interface to capture on (its name); all interfaces when left out (then packets are cooked: linux-sll). */
  interface?: string;
  /** A pcap-filter expression ({@link compileFilter}) or BPF instructions, attached before any packet is read. */
  filter?: string | BpfInstruction[];
  /** Bytes kept of each packet (1 to 262144, default 262144). */
  snaplen?: number;
  /** PACKET_MR_PROMISC on the interface while capturing (default true when an interface is named; never for all interfaces). */
  promiscuous?: boolean;
  /**
   * The TPACKET_V3 ring (default true): `blockSize` bytes per block (a
   * multiple of the page size, default 1 MiB), `blocks` blocks (default
   * 4), and `timeout`, the ms after which a partly filled block is handed
   * over (default 100). false reads one packet per recvmsg(2) instead.
   */
  ring?: boolean | { blockSize?: number; blocks?: number; timeout?: number };
  /** PACKET_FANOUT: join group `group` (0-65535), whose sockets share the packets; `defrag` reassembles IP fragments first. */
  fanout?: { group: number; mode: FanoutMode; defrag?: boolean };
  /** Ends the iteration (without an error) when aborted. */
  signal?: AbortSignal;
  /** Ends the iteration after this many packets. */
  count?: number;
  /** Copy each packet's bytes out of the ring, so they stay valid after the iterator moves on (default false). */
  copy?: boolean;
}

/** The kernel's counts for a capture (PACKET_STATISTICS, added up over its life). */
export interface CaptureStats {
  /** Packets the filter passed (libpcap's ps_recv: "received by filter"), dropped ones included. */
  received: number;
  /** Packets dropped because the ring or queue was full ("dropped by kernel"). */
  dropped: number;
}

const FANOUT: Record<FanoutMode, keyof CaptureLayout> = {
  hash: 'PACKET_FANOUT_HASH', lb: 'PACKET_FANOUT_LB', cpu: 'PACKET_FANOUT_CPU',
  rollover: 'PACKET_FANOUT_ROLLOVER', random: 'PACKET_FANOUT_RND', qm: 'PACKET_FANOUT_QM',
};
const DEFAULT_RING = { blockSize: 1 << 20, blocks: 4, timeout: 100 };
const MAX_RING = 2 ** 31;
/** What stays 0 for the iteration's count: no limit. */
const UNLIMITED = Infinity;
const VLAN_ROOM = 4;
const SLL_HEADER = 16;
/** Room left before each packet received by recvmsg, for the header put in front of it (a VLAN tag, a cooked header). */
const FRONT_ROOM = 16;
/** The memory recvmsg'd packets share (each packet keeps its slab alive). */
const SLAB = 1 << 20;
/** Packets (or blocks) read without waiting before the loop lets other events run. */
const BURST = 64;

interface Settings {
  ifname: string | null;
  /** The link type the interface was found to have before any socket was made (null: unknown, sysfs unreadable). */
  link: LinkType | null;
  filter: string | BpfInstruction[] | null;
  /** A string filter compiled for `link` (null when `link` is unknown or the filter is a program). */
  program: BpfInstruction[] | null;
  snaplen: number;
  promiscuous: boolean;
  ring: RingGeometry | null;
  fanout: { group: number; mode: FanoutMode; defrag: boolean } | null;
  signal: AbortSignal | undefined;
  count: number;
  copy: boolean;
}

function intBytes(v: number): Buffer {
  const b = Buffer.alloc(4);
  setI32(b, 0, v);
  return b;
}

function ringSettings(v: unknown, pageSize: number): RingGeometry | null {
  if (v === undefined || v === true) return { ...DEFAULT_RING };
  if (v === false) return null;
  const o = validateObject<Record<string, unknown>>(v, 'options.ring');
  const blockSize = o.blockSize === undefined ? DEFAULT_RING.blockSize : validateInteger(o.blockSize, 'options.ring.blockSize', pageSize, MAX_RING);
  if (blockSize % pageSize !== 0) throw invalidArgValue('options.ring.blockSize', blockSize, `must be a multiple of the page size (${pageSize})`);
  const blocks = o.blocks === undefined ? DEFAULT_RING.blocks : validateInteger(o.blocks, 'options.ring.blocks', 1, 65536);
  if (blockSize * blocks > MAX_RING) throw outOfRange('options.ring', 'at most 2 GiB in all blocks', blockSize * blocks);
  const timeout = o.timeout === undefined ? DEFAULT_RING.timeout : validateInteger(o.timeout, 'options.ring.timeout', 1, 60000);
  return { blockSize, blocks, timeout };
}

/** A name the kernel could give an interface (dev_valid_name): only such a name is looked up in sysfs. */
const validIfname = (name: string): boolean =>
  name !== '' && name !== '.' && name !== '..' && Buffer.byteLength(name) < IFNAMSIZ && !/[/:\s]/.test(name);

/**
 * The link type interface `name` captures as, from its hardware type
 * (ARPHRD_*) in /sys/class/net/NAME/type: the number getsockname(2) reports
 * as sll_hatype once a socket is bound to it, read from a file, so that a
 * filter is checked for it before any socket is made. null when sysfs does
 * not say (no such interface there, sysfs not mounted, a name no interface
 * can have): the bound socket then tells.
 */
function sysfsLinkType(name: string): LinkType | null {
  if (!validIfname(name)) return null;
  let text: string;
  try { text = readFileSync(`/sys/class/net/${name}/type`, 'latin1'); } catch { return null; }
  const hatype = Number(text.trim());
  return Number.isInteger(hatype) && text.trim() !== '' ? linkTypeOf(hatype) : null;
}

/** Every option checked before any system call. */
function settings(opts: unknown, L: CaptureLayout): Settings {
  const o = opts === undefined ? {} : validateObject<Record<string, unknown>>(opts, 'options');
  const ifname = o.interface === undefined ? null : validateCString(o.interface, 'options.interface');
  const snaplen = validateSnaplen(o.snaplen, 'options.snaplen');
  const link = ifname === null ? 'linux-sll' : sysfsLinkType(ifname);
  let filter: Settings['filter'] = null;
  let program: BpfInstruction[] | null = null;
  if (typeof o.filter === 'string') {
    // For the link type the interface reports in sysfs; without sysfs, the
    // syntax now and the program once the bound socket tells the type.
    if (link === null) compileFor(o.filter, 'ethernet', snaplen);
    else program = compileFor(o.filter, targetOf(link), snaplen);
    filter = o.filter;
  } else if (o.filter !== undefined) {
    if (!Array.isArray(o.filter)) throw invalidArgType('options.filter', 'of type string or an instance of Array', o.filter);
    filter = validateProgram(o.filter, 'options.filter');
  }
  const promiscuous = o.promiscuous === undefined ? ifname !== null : validateBoolean(o.promiscuous, 'options.promiscuous');
  if (promiscuous && ifname === null) throw invalidArgValue('options.promiscuous', true, 'needs options.interface (all interfaces are never made promiscuous)');
  let fanout: Settings['fanout'] = null;
  if (o.fanout !== undefined) {
    const f = validateObject<Record<string, unknown>>(o.fanout, 'options.fanout');
    const group = validateInteger(f.group, 'options.fanout.group', 0, 0xffff);
    if (typeof f.mode !== 'string' || !Object.hasOwn(FANOUT, f.mode)) {
      throw invalidArgValue('options.fanout.mode', f.mode, `must be one of ${Object.keys(FANOUT).map((m) => `'${m}'`).join(', ')}`);
    }
    fanout = { group, mode: f.mode as FanoutMode, defrag: f.defrag === undefined ? false : validateBoolean(f.defrag, 'options.fanout.defrag') };
  }
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  if (signal?.aborted) throw abortError(signal);
  const count = o.count === undefined ? UNLIMITED : validateInteger(o.count, 'options.count', 1);
  const copy = o.copy === undefined ? false : validateBoolean(o.copy, 'options.copy');
  return { ifname, link, filter, program, snaplen, promiscuous, ring: ringSettings(o.ring, L.pageSize), fanout, signal, count, copy };
}

/** Where the kernel runs the filter on a socket capturing `link`. */
const targetOf = (link: LinkType): Target => (link === 'ethernet' ? 'ethernet-live' : link === 'raw' ? 'raw' : 'cooked-live');

/**
 * A running capture: an async iterable of {@link CapturedPacket}s (iterate
 * it once; leaving the loop, `count`, the signal or close() end it and
 * release the ring and the socket), with the kernel's counts.
 */
export class Capture implements AsyncIterable<CapturedPacket> {
  /** The link-layer header every packet's `data` starts with (for PcapWriter). */
  readonly linkType: LinkType;
  /** The most bytes kept of each packet (before a VLAN tag or cooked header is put in front). */
  readonly snaplen: number;
  /** The interface captured on; null for all interfaces. */
  readonly interface: string | null;
  /** Its index; 0 for all interfaces. */
  readonly ifindex: number;
  readonly #L: CaptureLayout;
  readonly #socket: Socket;
  readonly #ring: Ring | null;
  readonly #s: Settings;
  #delivered = 0;
  #closed = false;
  #iterating = false;
  #stats: CaptureStats = { received: 0, dropped: 0 };
  /** The loopback interface, whose outgoing copies are skipped as libpcap skips them (-1: none here). */
  readonly #loopback: number;

  /** @internal Made by capture(). */
  constructor(s: Settings, L: CaptureLayout, socket: Socket, ring: Ring | null, link: LinkType, ifindex: number, loopback: number) {
    this.#s = s;
    this.#loopback = loopback;
    this.#L = L;
    this.#socket = socket;
    this.#ring = ring;
    this.linkType = link;
    this.snaplen = s.snaplen;
    this.interface = s.ifname;
    this.ifindex = ifindex;
  }

  /** Whether the ring is in use (false: one recvmsg per packet). */
  get ring(): boolean { return this.#ring !== null; }
  /** Whether close() ran (or the iteration ended). */
  get closed(): boolean { return this.#closed; }

  /**
   * PACKET_STATISTICS, added up: the kernel resets its counts at each read,
   * so the totals are kept here, and the last ones stay readable after close().
   */
  stats(): CaptureStats {
    if (!this.#closed) {
      const raw = this.#socket.getsockopt(SOL_PACKET!, PACKET_STATISTICS!, this.#L.statsSize) as Buffer;
      this.#stats = {
        received: this.#stats.received + u32(raw, this.#L.statsPackets),
        dropped: this.#stats.dropped + u32(raw, this.#L.statsDrops),
      };
    }
    return { ...this.#stats };
  }

  /** Ends the capture: a pending iteration ends, the ring is unmapped (packet views read as empty) and the socket closed. Idempotent. */
  close(): void {
    if (this.#closed) return;
    try { this.stats(); } catch { /* the counts so far stay */ }
    this.#closed = true;
    this.#ring?.close();
    this.#socket.close();
  }

  /** close(), for `using cap = capture(...)`. */
  [Symbol.dispose](): void { this.close(); }

  /** The packets, in the order the kernel captured them. Iterate once. */
  [Symbol.asyncIterator](): AsyncIterator<CapturedPacket> {
    if (this.#iterating) throw invalidArgValue('capture', 'an iterated capture', 'is iterated once (it is already being iterated)');
    this.#iterating = true;
    return this.#ring ? this.#fromRing(this.#ring) : this.#fromSocket();
  }

  #done(): boolean { return this.#closed || this.#delivered >= this.#s.count || this.#s.signal?.aborted === true; }

  /** Waits until the socket is readable; false when the capture ended meanwhile (closed, aborted). */
  async #readable(): Promise<boolean> {
    try {
      await this.#socket.readable({ signal: this.#s.signal });
      return !this.#done();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ABORT_ERR' || code === 'ERR_SOCKET_CLOSED') return false;
      throw err;
    }
  }

  /** A pending socket error (ENETDOWN when the interface goes away) ends the capture with it. */
  #checkError(): void {
    const raw = this.#socket.getsockopt(SOL_SOCKET, SO_ERROR, 'int') as number;
    if (raw) throw systemError(-raw, 'recvmsg');
  }

  /**
   * The ring's packets, a block at a time: the packets of the block in hand
   * are handed out without an async frame each (one resolved promise per
   * packet, as for-await needs); the block goes back to the kernel when the
   * next packet is asked for after its last, and then the next block is
   * taken, or waited for.
   */
  #fromRing(ring: Ring): AsyncIterator<CapturedPacket> {
    const reader: BlockReader = { L: this.#L, framing: this.linkType === 'ethernet' ? 'ethernet' : this.linkType === 'linux-sll' ? 'cooked' : 'none', copy: this.#s.copy, loopback: this.#loopback };
    const batch: CapturedPacket[] = [];
    let next = 0;
    let holding = false;
    let idle = 0;
    let burst = 0;
    const end = (): IteratorResult<CapturedPacket> => { this.close(); return { done: true, value: undefined }; };
    const refill = async (): Promise<IteratorResult<CapturedPacket>> => {
      try {
        for (;;) {
          if (holding) {
            holding = false;
            if (!this.#closed) ring.release();
          }
          if (this.#done()) return end();
          let block = ring.take();
          if (block && ++burst % (BURST / 8) === 0) {
            await new Promise((r) => setImmediate(r));   // a flood must not starve the event loop
            if (this.#done()) return end();
          }
          if (!block) {
            burst = 0;
            // POLLIN on a TPACKET_V3 socket: a block was handed over (full, or its timeout passed).
            if (!(await this.#readable())) return end();
            block = ring.take(true);
            if (!block) {
              this.#checkError();
              // Readable with no block to read: never wait again at once (no spin); give the ring its timeout.
              if (++idle > 1) await new Promise((r) => setTimeout(r, ring.geometry.timeout));
              continue;
            }
          }
          idle = 0;
          holding = true;
          batch.length = 0;
          next = 0;
          readBlock(block, reader, batch);
          if (next < batch.length) {
            this.#delivered++;
            return { done: false, value: batch[next++] };
          }
        }
      } catch (err) {
        this.close();
        throw err;
      }
    };
    return {
      next: () => {
        if (next < batch.length && !this.#done()) {
          this.#delivered++;
          return Promise.resolve({ done: false, value: batch[next++] });
        }
        return refill();
      },
      return: () => Promise.resolve(end()),
    };
  }

  /** One recvmsg(2) per packet into slabs of memory shared by the packets received into them (one copy: the kernel's). */
  async *#fromSocket(): AsyncGenerator<CapturedPacket, void, undefined> {
    try {
      yield* this.#received();
    } finally {
      this.close();
    }
  }

  async *#received(): AsyncGenerator<CapturedPacket, void, undefined> {
    const L = this.#L;
    const meta = new Int32Array(META.count);
    const need = FRONT_ROOM + this.snaplen;
    let slab = Buffer.allocUnsafe(Math.max(SLAB, need));
    let used = 0;
    let burst = 0;
    while (!this.#done()) {
      if (slab.length - used < need) { slab = Buffer.allocUnsafe(Math.max(SLAB, need)); used = 0; }
      const at = used + FRONT_ROOM;
      const n = packetrecv(this.#socket.fd, slab.subarray(at, at + this.snaplen), meta);
      if (n === EAGAIN) {
        burst = 0;
        if (!(await this.#readable())) return;
        continue;
      }
      if (n < 0) throw systemError(n, 'recvmsg');
      if (meta[META.pkttype] === PACKET_OUTGOING && meta[META.ifindex] === this.#loopback) continue;
      if (++burst % BURST === 0) {
        await new Promise((r) => setImmediate(r));   // a flood must not starve the event loop
        if (this.#done()) return;
      }
      let start = at;
      let caplen = n;
      let length = meta[META.len];
      const status = meta[META.status];
      if (this.linkType === 'ethernet' && (meta[META.vlanTci] || status & L.TP_STATUS_VLAN_VALID) && caplen >= 12) {
        const tpidValid = L.TP_STATUS_VLAN_TPID_VALID !== undefined && (status & L.TP_STATUS_VLAN_TPID_VALID) !== 0;
        slab.copyWithin(start - VLAN_ROOM, start, start + 12);
        start -= VLAN_ROOM;
        slab.writeUInt16BE(tpidValid ? meta[META.vlanTpid] & 0xffff : 0x8100, start + 12);
        slab.writeUInt16BE(meta[META.vlanTci] & 0xffff, start + 14);
        caplen += VLAN_ROOM;
        length += VLAN_ROOM;
      } else if (this.linkType === 'linux-sll') {
        start -= SLL_HEADER;
        const halen = meta[META.halen];
        slab.writeUInt16BE(meta[META.pkttype], start);
        slab.writeUInt16BE(meta[META.hatype] & 0xffff, start + 2);
        slab.writeUInt16BE(halen, start + 4);
        slab.fill(0, start + 6, start + 14);
        Buffer.from(meta.buffer, meta.byteOffset + META.addr * 4, halen).copy(slab, start + 6);
        slab.writeUInt16BE(meta[META.protocol], start + 14);
        caplen += SLL_HEADER;
        length += SLL_HEADER;
      }
      used = (start + caplen + 7) & ~7;
      this.#delivered++;
      yield {
        data: slab.subarray(start, start + caplen),
        length,
        timestamp: (BigInt(meta[META.secLo] >>> 0) + (BigInt(meta[META.secHi] >>> 0) << 32n)) * 1_000_000_000n + BigInt(meta[META.nsec] >>> 0),
        ifindex: meta[META.ifindex],
        protocol: meta[META.protocol],
        direction: direction(meta[META.pkttype]),
      };
    }
  }
}

/**
 * `program` behind a test that drops, in the kernel, the copy of each
 * packet leaving the loopback interface (which is then seen arriving): on
 * lo itself by its packet type, on all interfaces by packet type and
 * interface. Without this the ring would hold every lo packet twice.
 */
function skipLoopbackCopies(program: BpfInstruction[], ifindex: number, loopback: number): BpfInstruction[] {
  if (loopback < 0 || (ifindex !== 0 && ifindex !== loopback)) return program;
  const i = (code: number, k: number, jt = 0, jf = 0): BpfInstruction => ({ code, jt, jf, k: k >>> 0 });
  const prefix = ifindex === loopback
    ? [i(LD | BYTE | ABS, SKF_AD_OFF + SKF_AD_PKTTYPE), i(JMP | JEQ | K, PACKET_OUTGOING, 0, 1), i(RET | K, 0)]
    : [i(LD | BYTE | ABS, SKF_AD_OFF + SKF_AD_PKTTYPE), i(JMP | JEQ | K, PACKET_OUTGOING, 0, 3), i(LD | W | ABS, SKF_AD_OFF + SKF_AD_IFINDEX),
      i(JMP | JEQ | K, loopback, 0, 1), i(RET | K, 0)];
  return program.length + prefix.length > MAX_INSTRUCTIONS ? program : [...prefix, ...program];
}

/** lo's index (-1 when there is none): on it every packet is seen leaving and arriving, and libpcap keeps only the arrival. */
function loopbackIndex(): number {
  try { return ifNameToIndex('lo'); } catch { return -1; }
}

/**
 * Captures packets: an AF_PACKET socket (ETH_P_ALL) on one interface or on
 * all, the filter attached before any packet is read, the interface made
 * promiscuous (PACKET_MR_PROMISC) while the capture lasts, a TPACKET_V3
 * ring mapped into this process (packets are views of it: no copy, no
 * system call per packet), and optionally a PACKET_FANOUT group shared
 * with other readers. Needs CAP_NET_RAW (root).
 *
 * On the loopback interface each packet passes twice (sent, then
 * received); as libpcap does, only the received copy is delivered. The
 * other is dropped by the kernel filter, so stats() does not count it
 * (libpcap drops it later, and its "received by filter" does).
 *
 * The iterator never spins: it waits for the socket to become readable on
 * the event loop (POLLIN: the kernel handed a block over, because it
 * filled or because its timeout passed).
 *
 * @throws TypeError / RangeError for bad options (a filter outside the
 * subset names the token), before any system call; AbortError when the
 * signal is already aborted.
 * @throws `SocketError` `EPERM` without CAP_NET_RAW, `ENODEV` for an
 * unknown interface, `EINVAL`/`ENOMEM` for a ring the kernel refuses.
 * @example
 * // needs root
 * const cap = capture({ interface: 'eth0', filter: 'tcp port 443', count: 10 });
 * for await (const p of cap) console.log(p.timestamp, p.length, p.data.subarray(0, 14));
 * console.log(cap.stats());   // { received, dropped }
 */
export function capture(opts?: CaptureOptions): Capture {
  const L = captureLayout;
  if (!L || SOL_PACKET === undefined || ETH_P_ALL === undefined) throw systemError(EOPNOTSUPP, 'socket');
  const s = settings(opts, L);
  const ifindex = s.ifname === null ? 0 : ifNameToIndex(s.ifname);
  let socket = new Socket('packet', s.ifname === null ? 'dgram' : 'raw', 0);
  let ring: Ring | null = null;
  try {
    let link: LinkType = 'linux-sll';
    if (ifindex) {
      // Bound with protocol 0 nothing is received yet; the bound address tells the interface's type.
      socket.bind({ family: 'packet', protocol: 0, ifindex });
      link = linkTypeOf((socket.localAddress() as { hatype?: number }).hatype ?? 0);
      if (link === 'linux-sll') {
        socket.close();
        socket = new Socket('packet', 'dgram', 0);
        socket.bind({ family: 'packet', protocol: 0, ifindex });
      }
    }
    const loopback = loopbackIndex();
    // The filter was compiled, before any system call, for the link type sysfs gave. The bound
    // socket's own type differs only if sysfs could not say, or shows another network namespace,
    // or the interface was replaced meanwhile: then it is compiled again, and if the filter does not
    // fit this link type, the socket is closed (below) and the same TypeError thrown.
    const filter = s.filter === null ? acceptAll(s.snaplen)
      : typeof s.filter !== 'string' ? s.filter
        : s.program !== null && s.link === link ? s.program
          : compileFor(s.filter, targetOf(link), s.snaplen);
    const program = skipLoopbackCopies(filter, ifindex, loopback);
    if (s.ring) ring = new Ring(socket.fd, L, s.ring, link === 'ethernet' ? VLAN_ROOM : 0);
    else {
      socket.setsockopt(SOL_PACKET!, L.PACKET_AUXDATA, intBytes(1));
      socket.setOption('timestampns', true);
      // A queue as large as the ring would be (root lifts rmem_max with SO_RCVBUFFORCE; the kernel doubles it).
      const queue = (DEFAULT_RING.blockSize * DEFAULT_RING.blocks) / 2;
      try { socket.setsockopt(SOL_SOCKET, SO_RCVBUFFORCE ?? -1, intBytes(queue)); } catch { socket.setOption('rcvbuf', queue); }
    }
    socket.attachFilter(s.fanout ? rejectAll() : program);
    socket.bind({ family: 'packet', protocol: ETH_P_ALL, ifindex });
    if (s.fanout) {
      const mode = (L[FANOUT[s.fanout.mode]] as number) | (s.fanout.defrag ? L.PACKET_FANOUT_FLAG_DEFRAG : 0);
      socket.setsockopt(SOL_PACKET, PACKET_FANOUT!, intBytes((s.fanout.group & 0xffff) | (mode << 16)));
      socket.attachFilter(program);
    }
    if (s.promiscuous) {
      const mreq = Buffer.alloc(L.mreqSize);
      setI32(mreq, L.mreqIfindex, ifindex);
      setU16(mreq, L.mreqType, PACKET_MR_PROMISC!);
      socket.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP!, mreq);
    }
    return new Capture(s, L, socket, ring, link, ifindex, loopback);
  } catch (err) {
    ring?.close();
    socket.close();
    throw err;
  }
}
