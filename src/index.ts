// The berkeley entry point: re-exports only.
/**
 * The BSD socket API for TypeScript on Node.js: the {@link Socket} class,
 * convenience constructors ({@link connect}, {@link listen}, {@link tcp},
 * {@link bindUdp}, ...), {@link select}, the resolver, constants and errors.
 * The synchronous one-call-per-system-call layer on plain fds is the
 * `berkeley/posix` entry point; packet capture (a pcap-filter compiler,
 * AF_PACKET rings, pcap files) is `berkeley/capture`.
 *
 * @packageDocumentation
 */
export {
  Socket, type SocketBase, type SocketTransfer, type IoOptions, type AddressLike, type SocketType, type AddressOf, type InetAddress, type Inet6Address, type UnixAddress,
  type FamilyOf, type MessagesOptions, type AddressByFamily, type FlagOptions, type RecvMsgOptions, type RecvManyOptions, type OptionLevel,
} from './socket/socket.js';
export type { Datagram, DatagramInto, MessageInto } from './socket/receive.js';
export type { RecvMsgIntoOptions, SendFileOptions } from './socket/types.js';
export { select, selectSync, type SelectResult } from './select.js';
export {
  getaddrinfo, getaddrinfoSync, getnameinfo, getnameinfoSync, interfaces, ifNameToIndex, ifIndexToName, type LookupHints,
} from './resolver.js';
export {
  tcp, tcp4, tcp6, udp, udp4, udp6, connect, listen, connectUnix, listenUnix, bindUdp, bindUnixDgram,
  type ConnectOptions, type ListenOptions, type BindUdpOptions, type InetFamily,
} from './net.js';
export { SocketError, AbortError, type SocketErrorCode, type ErrorDetails } from './errors.js';
export { constants } from './sys/constants.js';
export { features, hasDualstackIPv6, gethostname } from './sys/features.js';
export type { WebStreams } from './socket/webstreams.js';
export type { DuplexOptions, FdDuplex, FdChunk } from './socket/duplex.js';
export type { TransferableSocket, TransferredDatagram } from './socket/transferable.js';
export type {
  OptionName, OptionValues, OptionInputs, SharedOptions, ReadableOptionName, WritableOptionName, Linger, Membership, SourceMembership,
  LingerStruct, TimevalStruct, IpMreqStruct, Ipv6MreqStruct,
} from './codec/options.js';
export type { SocketAddress } from './codec/sockaddr.js';
export type { Family } from './codec/names.js';
export type { Message, ReceivedMessage, Credentials, ControlMessage, PacketInfo } from './codec/message.js';
export type { ExtendedError, ErrorOrigin, QueuedError } from './codec/extended-error.js';
export type { SendPacketInfo } from './codec/ip-control.js';
export type { AddrInfo, AddrInfoHints } from './posix.js';
export type { BpfInstruction } from './capture/bpf.js';
export type { AttachFilterOptions } from './socket/filter.js';
