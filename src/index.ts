// The berkeley entry point: re-exports only.
export { SocketError, AbortError } from './errors.js';
export { constants } from './constants.js';
export { features } from './features.js';
export type { SocketAddress, Family } from './address.js';
export type { Message, ReceivedMessage, Credentials, ControlMessage } from './message.js';
export type { AddrInfo, AddrInfoHints } from './posix.js';
