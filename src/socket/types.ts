// The types of the socket layer's public surface: addresses narrowed by
// family, and the options objects of the I/O methods.
import type { SocketAddress } from '../codec/sockaddr.js';
import type { Family } from '../codec/names.js';

/**
 * The address type of a family: `AddressOf<'inet'>` is
 * `{ family: 'inet'; address: string; port: number }`; a union of families
 * gives the union of their addresses, and an AF_* number any SocketAddress.
 */
export type AddressOf<F> = F extends Family ? AddressByFamily[F] : SocketAddress;
/** Each family's address type, by family name. */
export interface AddressByFamily {
  inet: Extract<SocketAddress, { family: 'inet' }>;
  inet6: Extract<SocketAddress, { family: 'inet6' }>;
  unix: Extract<SocketAddress, { family: 'unix' }>;
  netlink: Extract<SocketAddress, { family: 'netlink' }>;
  packet: Extract<SocketAddress, { family: 'packet' }>;
  vsock: Extract<SocketAddress, { family: 'vsock' }>;
}
/** An IPv4 socket address: `{ family: 'inet', address, port }`. */
export type InetAddress = AddressOf<'inet'>;
/** An IPv6 socket address: `{ family: 'inet6', address, port, flowinfo?, scopeId? }`. */
export type Inet6Address = AddressOf<'inet6'>;
/** A Unix socket address: `{ family: 'unix', path }` ('' unnamed, a leading NUL an abstract name). */
export type UnixAddress = AddressOf<'unix'>;
/** What Socket<F>'s `family` reads: F itself for a family name, else any family (an AF_* number reads back as its name where it has one). */
export type FamilyOf<F> = F extends Family ? F : Family | number;

/** Per-call options of every I/O method. */
export interface IoOptions {
  /** A limit for this whole call in ms (null: none); the socket's own timeouts still apply. */
  timeout?: number | null;
  /** Cancels the call with an AbortError. Sync calls only check it before starting. */
  signal?: AbortSignal;
}

/** The options of a send or receive call: { timeout, signal } and MSG_* `flags`. */
export type FlagOptions = IoOptions & { flags?: number };
/** messages()' options: the per-wait { timeout, signal }, and recvMsg's `size` and `maxFds` for each message. */
export type MessagesOptions = IoOptions & { size?: number; maxFds?: number };
/** recvMsg()'s options: `size` (default 65536), `maxFds` (default 253), `controlLength` (bytes of control buffer). */
export type RecvMsgOptions = FlagOptions & { size?: number; maxFds?: number; controlLength?: number };
/** recvMsgInto()'s options: recvMsg's without `size` (the buffers give it). */
export type RecvMsgIntoOptions = FlagOptions & { maxFds?: number; controlLength?: number };
/** sendFile()'s options: `offset` to read the file from (default: the file's own position, which then advances), `count` bytes at most (default: to end of file). */
export type SendFileOptions = IoOptions & { offset?: number; count?: number };
/** recvMany()'s options: `maxMessages` (default 32), `size` per message (default 4096), `buffer` to receive into. */
export type RecvManyOptions = FlagOptions & { maxMessages?: number; size?: number; controlLength?: number; buffer?: Uint8Array };
/** An option level: a name or a SOL_* / IPPROTO_* number. */
export type OptionLevel = number | 'socket' | 'ip' | 'ipv6' | 'tcp' | 'udp';
