// PcapWriter: captured packets as a pcap file (the nanosecond variant,
// magic 0xa1b23c4d) or a pcapng file (one section; an interface block per
// interface seen, nanosecond resolution; an enhanced packet block per
// packet), as tcpdump -r, tshark and Wireshark read them. Written little
// endian with the byte-order mark each format has, through a buffer that
// is flushed when full, on flush() and on close().
import { Buffer } from 'node:buffer';
import { closeSync, openSync, writeSync } from 'node:fs';
import { closedError, invalidArgType, invalidArgValue, outOfRange } from '../errors.js';
import { isBytes, notDetached, validateFd, validateObject, validateString } from '../validate.js';
import * as sys from '../sys/fd.js';
import { ifIndexToName } from '../resolver.js';
import { compileOptions } from './compile.js';
import { LINKTYPE, type LinkType } from './link.js';
import type { CapturedPacket } from './packet.js';

export interface PcapWriterOptions {
  /** 'pcap' (the default) or 'pcapng'. */
  format?: 'pcap' | 'pcapng';
  /** The link-layer header the packets start with: a capture's `linkType` (default 'ethernet'). */
  linkType?: LinkType;
  /** The snapshot length recorded in the file, and the most bytes kept of each packet (default 262144). */
  snaplen?: number;
}

const CHUNK = 1 << 16;
const NS = 1_000_000_000n;
const WRITE = 2;

/** pcapng block types and option codes. */
const SHB = 0x0a0d0d0a, IDB = 1, EPB = 6;
const IF_NAME = 2, IF_TSRESOL = 9, SHB_USERAPPL = 4;

const pad4 = (n: number): number => (n + 3) & ~3;

function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

/**
 * Writes captured packets to a pcap or pcapng file that tcpdump -r and
 * tshark read unchanged: nanosecond timestamps, the capture's link type and
 * snapshot length. `file` is a path (created or truncated, closed by
 * close()) or an open fd (written to, never closed here).
 *
 * @throws TypeError / RangeError for a bad path, fd or option.
 * @example
 * const cap = capture({ interface: 'eth0', count: 100 });     // needs root
 * const out = new PcapWriter('/tmp/eth0.pcapng', { format: 'pcapng', linkType: cap.linkType, snaplen: cap.snaplen });
 * for await (const p of cap) out.write(p);
 * out.close();
 */
export class PcapWriter {
  /** The file format written. */
  readonly format: 'pcap' | 'pcapng';
  /** The link type recorded (every packet's data starts with this header). */
  readonly linkType: LinkType;
  /** The snapshot length recorded; longer packets are cut to it. */
  readonly snaplen: number;
  #fd: number;
  readonly #owned: boolean;
  #buf = Buffer.alloc(CHUNK);
  #used = 0;
  /** pcapng: the interface id given to each ifindex. */
  readonly #interfaces = new Map<number, number>();

  /**
   * Opens (creates or truncates) `file`, or takes an open fd, and writes the
   * file header: the pcap global header, or the pcapng section header.
   */
  constructor(file: string | number, opts?: PcapWriterOptions) {
    const o = opts === undefined ? {} : validateObject<Record<string, unknown>>(opts, 'options');
    const format = o.format ?? 'pcap';
    if (format !== 'pcap' && format !== 'pcapng') throw invalidArgValue('options.format', format, "must be 'pcap' or 'pcapng'");
    const { linkType, snaplen } = compileOptions({ linkType: o.linkType, snaplen: o.snaplen });
    this.format = format;
    this.linkType = linkType;
    this.snaplen = snaplen;
    if (typeof file === 'number') {
      this.#fd = validateFd(file, 'file');
      this.#owned = false;
    } else {
      validateString(file, 'file');
      if (file === '' || file.includes('\0')) throw invalidArgValue('file', file, 'must be a path or an fd');
      this.#fd = openSync(file, 'w');
      this.#owned = true;
    }
    this.#push(format === 'pcap' ? this.#pcapHeader() : this.#sectionHeader());
  }

  #pcapHeader(): Buffer {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b23c4d, 0);     // nanosecond-resolution pcap
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(this.snaplen, 16);
    h.writeUInt32LE(LINKTYPE[this.linkType], 20);
    return h;
  }

  #sectionHeader(): Buffer {
    const body = Buffer.alloc(16);
    body.writeUInt32LE(0x1a2b3c4d, 0);
    body.writeUInt16LE(1, 4);
    body.writeUInt16LE(0, 6);
    body.writeBigInt64LE(-1n, 8);        // section length unknown
    return block(SHB, Buffer.concat([body, option(SHB_USERAPPL, Buffer.from('berkeley')), Buffer.alloc(4)]));
  }

  /** The pcapng interface id of `ifindex`, writing its interface block the first time. */
  #interfaceId(ifindex: number): number {
    let id = this.#interfaces.get(ifindex);
    if (id !== undefined) return id;
    id = this.#interfaces.size;
    this.#interfaces.set(ifindex, id);
    const head = Buffer.alloc(8);
    head.writeUInt16LE(LINKTYPE[this.linkType], 0);
    head.writeUInt32LE(this.snaplen, 4);
    const opts: Buffer[] = [];
    if (ifindex > 0) {
      try { opts.push(option(IF_NAME, Buffer.from(ifIndexToName(ifindex)))); } catch { /* gone since: no name */ }
    }
    opts.push(option(IF_TSRESOL, Buffer.from([9])), Buffer.alloc(4));   // then opt_endofopt
    this.#push(block(IDB, Buffer.concat([head, ...opts])));
    return id;
  }

  /**
   * Appends one packet: at most `snaplen` bytes of `p.data`, its length on
   * the wire and its timestamp (ns); pcapng also records its interface.
   *
   * @throws TypeError for a packet whose data is not bytes or was detached
   * (a ring packet kept past its block: copy it first); RangeError for a
   * length shorter than the data, a negative or too large timestamp.
   */
  write(p: CapturedPacket): void {
    if (this.#fd < 0) throw closedError('write');
    const o = validateObject<Record<string, unknown>>(p, 'packet');
    const data = o.data;
    if (!isBytes(data)) throw invalidArgType('packet.data', 'an instance of Buffer or Uint8Array', data);
    notDetached(data, 'packet.data');
    const length = o.length;
    if (typeof length !== 'number') throw invalidArgType('packet.length', 'of type number', length);
    if (!Number.isInteger(length) || length < data.length || length > 0xffffffff) {
      throw outOfRange('packet.length', `an integer >= ${data.length} (the data's length) && <= 4294967295`, length);
    }
    const ts = o.timestamp;
    if (typeof ts !== 'bigint') throw invalidArgType('packet.timestamp', 'of type bigint', ts);
    const max = this.format === 'pcap' ? 0x100000000n * NS : 1n << 64n;
    if (ts < 0n || ts >= max) throw outOfRange('packet.timestamp', `>= 0n && < ${max}n`, ts);
    const ifindex = o.ifindex === undefined ? 0 : o.ifindex;
    if (typeof ifindex !== 'number' || !Number.isInteger(ifindex) || ifindex < 0 || ifindex > 0x7fffffff) {
      throw outOfRange('packet.ifindex', 'an integer >= 0 && <= 2147483647', ifindex);
    }
    const caplen = Math.min(data.length, this.snaplen);
    if (this.format === 'pcap') {
      const h = this.#reserve(16 + caplen);
      this.#buf.writeUInt32LE(Number(ts / NS), h);
      this.#buf.writeUInt32LE(Number(ts % NS), h + 4);
      this.#buf.writeUInt32LE(caplen, h + 8);
      this.#buf.writeUInt32LE(length, h + 12);
      this.#buf.set(data.subarray(0, caplen), h + 16);
      return;
    }
    const id = this.#interfaceId(ifindex);
    const total = 32 + pad4(caplen);
    const h = this.#reserve(total);
    const b = this.#buf;
    b.writeUInt32LE(EPB, h);
    b.writeUInt32LE(total, h + 4);
    b.writeUInt32LE(id, h + 8);
    b.writeUInt32LE(Number(ts >> 32n), h + 12);
    b.writeUInt32LE(Number(ts & 0xffffffffn), h + 16);
    b.writeUInt32LE(caplen, h + 20);
    b.writeUInt32LE(length, h + 24);
    b.set(data.subarray(0, caplen), h + 28);
    b.fill(0, h + 28 + caplen, h + total - 4);
    b.writeUInt32LE(total, h + total - 4);
  }

  /** Room for `n` bytes at the end of the buffer (flushing, or growing it for one large record); their offset. */
  #reserve(n: number): number {
    if (this.#used + n > this.#buf.length) {
      this.flush();
      if (n > this.#buf.length) this.#buf = Buffer.alloc(n);
    }
    const at = this.#used;
    this.#used += n;
    return at;
  }

  #push(bytes: Buffer): void { this.#buf.set(bytes, this.#reserve(bytes.length)); }

  /** Writes out what is buffered (the file is complete up to the last packet written). */
  flush(): void {
    if (this.#fd < 0) throw closedError('write');
    let off = 0;
    while (off < this.#used) {
      try {
        off += writeSync(this.#fd, this.#buf, off, this.#used - off);
      } catch (err) {
        // A non-blocking pipe (stdout) that is full: wait until it drains.
        if ((err as { code?: string }).code !== 'EAGAIN') throw err;
        sys.pollWait(this.#fd, WRITE, 1000);
      }
    }
    this.#used = 0;
  }

  /** Flushes, then closes the file if the writer opened it (an fd given to it stays open). Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    try {
      this.flush();
    } finally {
      if (this.#owned) closeSync(this.#fd);
      this.#fd = -1;
    }
  }
}
