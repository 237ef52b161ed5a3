// The berkeley entry point: re-exports only.
export { Socket, type IoOptions, type AddressLike, type SocketType } from './socket/socket.js';
export { select, selectSync, type SelectResult } from './select.js';
export {
  getaddrinfo, getaddrinfoSync, getnameinfo, getnameinfoSync, interfaces, ifNameToIndex, ifIndexToName, type LookupHints,
} from './resolver.js';
export { tcp, tcp4, tcp6, udp, udp4, udp6, connect, listen, connectUnix, listenUnix, bindUdp, bindUnixDgram, type ConnectOptions } from './net.js';
export { SocketError, AbortError } from './errors.js';
export { constants } from './sys/constants.js';
export { features } from './sys/features.js';
export type { OptionName, LingerStruct, TimevalStruct, IpMreqStruct, Ipv6MreqStruct } from './codec/options.js';
export type { SocketAddress } from './codec/sockaddr.js';
export type { Family } from './codec/names.js';
export type { Message, ReceivedMessage, Credentials, ControlMessage, PacketInfo } from './codec/message.js';
export type { AddrInfo, AddrInfoHints } from './posix.js';
