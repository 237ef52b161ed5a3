// The send operations: send, sendAll, sendTo, sendMsg and sendMany. Every
// send carries MSG_NOSIGNAL (added by the addon). Destinations come through
// the address funnel; the last one is kept encoded, keyed by its validated
// fields, since datagram senders mostly repeat it.
import { Buffer } from 'node:buffer';
import { invalidArgType, invalidArgValue, withProgress, type ErrorDetails } from '../errors.js';
import { changedBuffer, toBytes, validateIndex, validateInteger } from '../validate.js';
import { addressDetails, addressTarget, destinationKey, isHostPort, type HostPort } from '../codec/address.js';
import { AF, familyNumber } from '../codec/names.js';
import { encodeAddress, encodingOf, type EncodedAddress, type SocketAddress } from '../codec/sockaddr.js';
import { encodeControl, messageData, readMessage, unixOnlyField, type Message } from '../codec/message.js';
import { isMapped, type IpTarget } from '../codec/ip-control.js';
import { SOCK_DGRAM, SOCK_RAW } from '../sys/constants.js';
import { layout } from '../sys/struct.js';
import { features } from '../sys/features.js';
import * as sys from '../sys/fd.js';
import { callOptions, Job, Op } from '../io/engine.js';
import { WRITE } from '../io/readiness.js';
import { materialize } from './family.js';
import type { SocketState } from './state.js';

/** The most messages one sendmmsg(2) takes here. */
const MMSG_CHUNK = 256;

/** One send(2): the bytes sent, possibly fewer than given. */
export class Send extends Op<number, SocketState> {
  readonly syscall = 'send';
  #bytes!: Uint8Array;
  #length = 0;
  constructor(private readonly data: unknown, private readonly opts: unknown) { super(); }

  start(_: SocketState, job: Job): void {
    job.dir = WRITE;
    this.#bytes = toBytes(this.data);
    this.#length = this.#bytes.byteLength;
    job.call = callOptions(this.opts);
  }

  attempt(fd: number, job: Job): number {
    // Detached (or shrunk) while waiting: it would send nothing, silently.
    if (this.#bytes.byteLength !== this.#length) throw changedBuffer('data', this.#bytes, this.#length);
    const n = sys.send(fd, this.#bytes, 0, this.#length, job.call.flags);
    if (n > 0) job.moved = n;
    return n;
  }
}

/**
 * Lua's string.sub over `length` bytes, normalised as LuaSocket's send does
 * (buffer.c): a negative index counts from the end (-1 is the last byte),
 * `first` is clamped up to 1 and `last` down to `length`. The bytes are
 * [first, last] (1-based, inclusive); none when first > last.
 */
function subRange(length: number, i: number, j: number): [first: number, last: number] {
  const first = Math.max(i < 0 ? length + i + 1 : i, 1);
  const last = Math.min(j < 0 ? length + j + 1 : j, length);
  return [first, last];
}

/**
 * send(2) until everything is out; a failure carries `sent`. With `i` (a
 * number) it is LuaSocket's send(data, i, j): the bytes string.sub(data, i, j)
 * selects go out and the call returns the index of the last byte sent within
 * [i, j] (i - 1 when the range is empty: nothing is sent, no system call); a
 * failure carries that index as `lastIndex`, so sendAll(data, err.lastIndex +
 * 1, j) resumes. Without `i` it resolves to undefined, as before.
 */
export class SendAll extends Op<number | void, SocketState> {
  readonly syscall = 'send';
  #bytes!: Uint8Array;
  /** Whether this is the i/j form (the result is the last index). */
  #indexed = false;
  /** 0-based offset of the first byte to send: i - 1 normalised. */
  #from = 0;
  /** The next byte to send (0-based), which is also the 1-based index of the last byte sent. */
  #off = 0;
  /** One past the last byte to send (0-based). */
  #end = 0;
  /** Whether a send(2) succeeded yet. */
  #called = false;
  /** The error for data detached mid-call, which carries the progress too. */
  #changed: TypeError | null = null;
  /** The data's byte length when the call started. */
  #length = 0;
  /** `iOrOpts` is `i` when it is a number (then `j` and `opts` follow), else the options. */
  constructor(private readonly data: unknown, private readonly iOrOpts: unknown, private readonly j?: unknown, private readonly opts?: unknown) { super(); }

  start(_: SocketState, job: Job): void {
    job.dir = WRITE;
    const bytes = toBytes(this.data);
    this.#bytes = bytes;
    this.#length = bytes.byteLength;
    if (typeof this.iOrOpts === 'number') {
      const i = validateIndex(this.iOrOpts, 'i');
      const j = this.j === undefined ? -1 : validateIndex(this.j, 'j');
      const [first, last] = subRange(bytes.length, i, j);
      this.#indexed = true;
      this.#from = this.#off = first - 1;
      this.#end = Math.max(last, first - 1);
      job.call = callOptions(this.opts);
    } else {
      // sendAll(data, opts): nothing may follow the options.
      if (this.j !== undefined || this.opts !== undefined) throw invalidArgType('i', 'of type number', this.iOrOpts);
      this.#end = bytes.length;
      job.call = callOptions(this.iOrOpts);
    }
  }

  attempt(fd: number, job: Job): number | void {
    // The buffer detached (transferred) or shrunk between two sends: a
    // TypeError that still says how much went out (see failed()).
    if (this.#bytes.byteLength !== this.#length) throw this.#changed = changedBuffer('data', this.#bytes, this.#length);
    // sendAll(data) makes one send even of empty data (an empty datagram);
    // an empty i/j range sends nothing, as LuaSocket does.
    while (this.#off < this.#end || (!this.#indexed && !this.#called)) {
      const n = sys.send(fd, this.#bytes, this.#off, this.#end - this.#off, job.call.flags);
      if (n < 0) return n;
      this.#called = true;
      this.#off += n;
      job.moved += n;
    }
    return this.#indexed ? this.#off : undefined;
  }

  override failed(err: unknown): unknown {
    const sent = this.#off - this.#from;
    const progress = this.#indexed ? { sent, lastIndex: this.#off } : { sent };
    if (err !== null && err === this.#changed) return Object.assign(err as TypeError, progress);
    return withProgress(err, progress);
  }
}

/** A send's destination, validated and encoded, not yet applied to the socket. */
interface Destination { enc: EncodedAddress; af: number; key: string | null; cached: boolean }

/**
 * The encoded destination of a send, through the address funnel (numeric
 * addresses only: names are resolved before). The last destination is kept
 * encoded under a key of its validated fields, so a sender that repeats it
 * skips the encoding. Nothing here touches the socket: useDestination does.
 */
function encodeDestination(s: SocketState, address: unknown, syscall: string, name: string, copied = false): Destination {
  // A received message's address, sent back to on a socket of its family: the bytes it came from.
  const known = s.deferred ? undefined : encodingOf(address, s.family);
  if (known !== undefined) return { enc: known, af: -1, key: null, cached: true };
  // The caller's object is read once (a copy): a getter that answers differently later cannot change what is encoded.
  if (!copied && typeof address === 'object' && address !== null && !Array.isArray(address)) address = { ...address };
  const key = typeof address === 'object' && address !== null ? destinationKey(address) : null;
  if (key !== null && s.lastTo?.key === key) return { enc: s.lastTo.enc, af: -1, key, cached: true };
  const t = addressTarget(address, s.deferred ? -1 : s.family, name, syscall, false);
  if (isHostPort(t)) throw invalidArgValue(name, address, 'must be numeric here: resolve host names first (getaddrinfo)');
  const enc = encodeAddress(t, syscall, name);
  return { enc, af: familyNumber(t.family), key: destinationKey(t), cached: false };
}

/** Applies a validated destination: a tcp()/udp() socket takes its family (its fd is made now), and it becomes the cached one. */
function useDestination(s: SocketState, d: Destination): EncodedAddress {
  if (d.cached) return d.enc;
  materialize(s, d.af);
  s.respawn = null;
  if (d.key !== null) s.lastTo = { key: d.key, enc: d.enc };
  return d.enc;
}

/** The encoded destination of a send; a tcp()/udp() socket takes the destination's family. */
export function destination(s: SocketState, address: unknown, syscall: string, name = 'address', copied = false): EncodedAddress {
  return useDestination(s, encodeDestination(s, address, syscall, name, copied));
}

/**
 * Refuses fds and credentials on a socket that is not a Unix socket (a
 * tcp()/udp() socket never is): the kernel would drop them and report
 * success. Checked before the first system call of the send.
 */
function unixOnly(s: SocketState, m: Message, name: string): void {
  const field = unixOnlyField(m);
  if (field === null || (!s.deferred && s.family === AF.unix)) return;
  throw invalidArgValue(`${name}.${field}`, field === 'control' ? 'SCM_RIGHTS/SCM_CREDENTIALS' : m[field],
    'can only be sent on a Unix socket (other families drop them silently)');
}

/**
 * Where a message's per-datagram IP fields (pktinfo, tos, ttl) go: the
 * family of an inet or inet6 datagram socket (a tcp()/udp() socket's is its
 * destination's) and whether the destination is IPv4-mapped; null when the
 * socket cannot carry them, which encodeControl refuses.
 */
function ipTarget(s: SocketState, d: Destination | null): IpTarget | null {
  if (s.type !== SOCK_DGRAM && s.type !== SOCK_RAW) return null;
  const af = s.deferred ? (d === null ? -1 : d.af) : s.family;
  if (af === AF.inet) return { inet6: false, mapped: null };
  if (af !== AF.inet6) return null;
  return { inet6: true, mapped: d === null ? null : isMapped(d.enc.bytes, layout.in6Addr) };
}

/** The byte count of message data (one view or a gathered list), to notice a buffer detached while waiting. */
const dataLength = (d: Uint8Array | Uint8Array[]): number => {
  if (!Array.isArray(d)) return d.byteLength;
  let n = 0;
  for (const v of d) n += v.byteLength;
  return n;
};

/** sendto(2); a host name is resolved first (its first address). */
export class SendTo extends Op<number, SocketState> {
  readonly syscall = 'sendto';
  #s!: SocketState;
  #bytes!: Uint8Array;
  #to: SocketAddress | null = null;
  /** A host name being resolved, for error messages until found() has the address. */
  #name: HostPort | null = null;
  #enc: EncodedAddress | null = null;
  #length = 0;
  constructor(private readonly data: unknown, private readonly address: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    job.dir = WRITE;
    this.#bytes = toBytes(this.data);
    this.#length = this.#bytes.byteLength;
    job.call = callOptions(this.opts);
    this.#s = s;
    // A received message's address: the sockaddr it came from.
    const known = s.deferred ? undefined : encodingOf(this.address, s.family);
    if (known !== undefined) {
      this.#to = this.address as SocketAddress;
      this.#enc = known;
      return;
    }
    // Checked in found(), when destination() encodes it.
    const t = addressTarget(this.address, s.deferred ? -1 : s.family, 'address', 'sendto', false);
    if (isHostPort(t)) job.lookup = { hp: this.#name = t, af: s.deferred ? -1 : s.family, type: s.type, passive: false };
    else this.found([t]);
  }

  override found(addresses: SocketAddress[]): void {
    this.#to = addresses[0];
    // The address funnel's copy (or the resolver's result): already read once.
    this.#enc = destination(this.#s, this.#to, 'sendto', 'address', true);
  }

  attempt(fd: number, job: Job): number {
    if (this.#bytes.byteLength !== this.#length) throw changedBuffer('data', this.#bytes, this.#length);
    const n = sys.sendto(fd, this.#bytes, 0, this.#length, job.call.flags, this.#enc!.bytes, this.#enc!.length);
    if (n > 0) job.moved = n;
    return n;
  }

  override details(): ErrorDetails {
    return addressDetails(this.#to ?? this.#name ?? undefined);
  }
}

/** sendmsg(2): gathered data, a destination, fds, credentials, control messages, a GSO segment size. */
export class SendMsg extends Op<number, SocketState> {
  readonly syscall = 'sendmsg';
  #data!: Uint8Array | Uint8Array[];
  #enc: EncodedAddress | null = null;
  #control: Buffer | null = null;
  #address: SocketAddress | undefined;
  #length = 0;
  constructor(private readonly message: unknown, private readonly opts: unknown) { super(); }

  start(s: SocketState, job: Job): void {
    job.dir = WRITE;
    const m = readMessage(this.message);
    job.call = callOptions(this.opts);
    this.#data = messageData(m.data);
    this.#length = dataLength(this.#data);
    // Everything is checked before the destination is applied (a tcp()/udp() socket's fd is made then).
    const to = m.address !== undefined ? encodeDestination(s, m.address, 'sendmsg', 'message.address') : null;
    this.#control = encodeControl(m, 'message', ipTarget(s, to));
    unixOnly(s, m, 'message');
    if (to !== null) {
      this.#address = m.address;
      this.#enc = useDestination(s, to);
    }
  }

  attempt(fd: number, job: Job): number {
    if (dataLength(this.#data) !== this.#length) throw changedBuffer('message.data', Array.isArray(this.#data) ? this.#data[0] : this.#data, this.#length);
    const enc = this.#enc;
    const n = sys.sendmsg(fd, this.#data, enc && enc.bytes, enc ? enc.length : 0, this.#control, job.call.flags);
    if (n > 0) job.moved = n;
    return n;
  }

  override details(): ErrorDetails {
    return addressDetails(this.#address);
  }
}

/** Whether a sendMsg must go out as sendMany: a segmentSize where the kernel has no GSO (split here instead). */
export function splitSegments(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  // Never throws (sendMsg returns a Promise): a getter or Proxy that throws
  // here throws again in the op's start, which rejects.
  let segmentSize: unknown;
  try {
    segmentSize = (message as Message).segmentSize;
  } catch {
    return false;
  }
  return segmentSize !== undefined && !features.gso;
}

/** Messages ready for sendmmsg: data, address slots and lengths, cmsg buffers. */
interface OutBatch { datas: Uint8Array[]; sizes: Int32Array; addrs: Buffer | null; lens: Int32Array | null; controls: (Buffer | null)[] | null }

/** sendmmsg(2) in chunks of 256, waiting for writability as needed: the count sent; a failure carries it as `sent`. */
export class SendMany extends Op<number, SocketState> {
  readonly syscall = 'sendmmsg';
  #b!: OutBatch;
  #done = 0;
  /** With `bytes`, the call resolves to the bytes of the messages rather than their count (sendMsg split into segments). */
  constructor(private readonly messages: unknown, private readonly opts: unknown, private readonly bytes = false) { super(); }

  start(s: SocketState, job: Job): void {
    job.dir = WRITE;
    job.call = callOptions(this.opts);
    this.#b = outBatch(s, this.messages);
  }

  attempt(fd: number, job: Job): number {
    const b = this.#b;
    while (this.#done < b.datas.length) {
      const from = this.#done;
      const end = Math.min(from + MMSG_CHUNK, b.datas.length);
      for (let i = from; i < end; i++) if (b.datas[i].byteLength !== b.sizes[i]) throw changedBuffer(`messages[${i}].data`, b.datas[i], b.sizes[i]);
      const n = sys.sendmmsg(fd, b.datas.slice(from, end), b.addrs && b.addrs.subarray(from * layout.storage),
        b.lens && b.lens.subarray(from), b.controls && b.controls.slice(from, end), job.call.flags);
      if (n < 0) return n;
      for (let i = from; i < from + n; i++) job.moved += b.datas[i].length;
      this.#done += n;
    }
    return this.bytes ? b.datas.reduce((sum, d) => sum + d.length, 0) : this.#done;
  }

  override failed(err: unknown): unknown {
    return withProgress(err, { sent: this.#done });
  }
}

function outBatch(s: SocketState, messages: unknown): OutBatch {
  if (!Array.isArray(messages)) throw invalidArgType('messages', 'an instance of Array', messages);
  const datas: Uint8Array[] = [];
  const dests: (Destination | null)[] = [];
  const ctls: (Buffer | null)[] = [];
  let anyAddr = false;
  let anyCtl = false;
  // Every message is validated (its destination encoded, not yet applied) before the socket is touched.
  Array.from(messages as unknown[]).forEach((m, i) => {
    const name = `messages[${i}]`;
    if (typeof m === 'string' || ArrayBuffer.isView(m)) {
      datas.push(toBytes(m, name));
      dests.push(null);
      ctls.push(null);
      return;
    }
    const msg = readMessage(m, name);
    const enc = msg.address !== undefined ? encodeDestination(s, msg.address, 'sendmmsg', `${name}.address`) : null;
    anyAddr ||= enc !== null;
    if (msg.segmentSize !== undefined && !features.gso) {
      // No GSO in this kernel: the segments go out as datagrams of their own, each with the message's other control data.
      const whole = Buffer.concat(([] as Uint8Array[]).concat(messageData(msg.data, `${name}.data`)));
      const seg = validateInteger(msg.segmentSize, `${name}.segmentSize`, 1, 0xffff);
      const ctl = encodeControl({ ...msg, segmentSize: undefined }, name, ipTarget(s, enc));
      unixOnly(s, msg, name);
      anyCtl ||= ctl !== null;
      for (let off = 0; off < whole.length || off === 0; off += seg) {
        datas.push(whole.subarray(off, off + seg));
        dests.push(enc);
        ctls.push(ctl);
        if (whole.length === 0) break;
      }
      return;
    }
    const d = messageData(msg.data, `${name}.data`);
    datas.push(Array.isArray(d) ? Buffer.concat(d) : d);
    dests.push(enc);
    const ctl = encodeControl(msg, name, ipTarget(s, enc));
    unixOnly(s, msg, name);
    ctls.push(ctl);
    anyCtl ||= ctl !== null;
  });
  if (anyAddr && datas.length * layout.storage > 0x7fffffff) throw invalidArgValue('messages', `[${datas.length} messages]`, 'is too many to address');
  const targets = dests.map((d) => (d === null ? null : useDestination(s, d)));
  let addrs: Buffer | null = null;
  let lens: Int32Array | null = null;
  if (anyAddr) {
    addrs = Buffer.alloc(targets.length * layout.storage);
    lens = new Int32Array(targets.length);
    targets.forEach((t, i) => { if (t) { t.bytes.copy(addrs!, i * layout.storage, 0, t.length); lens![i] = t.length; } });
  }
  return { datas, sizes: Int32Array.from(datas, (d) => d.byteLength), addrs, lens, controls: anyCtl ? ctls : null };
}
