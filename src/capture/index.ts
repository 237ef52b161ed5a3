// berkeley/capture: packet capture without libpcap. A pcap-filter compiler
// in TypeScript (compile.ts: lexer.ts, parser.ts, primitives.ts, emit.ts),
// AF_PACKET capture through a TPACKET_V3 ring (capture.ts, ring.ts,
// packet.ts, native.ts), pcap and pcapng files (pcap.ts), and the link types
// they share (link.ts). A socket's own filter is Socket.attachFilter.
/**
 * Packet capture without libpcap: {@link compileFilter} compiles tcpdump's
 * filter language to classic BPF in TypeScript; {@link capture} reads an
 * AF_PACKET socket through a TPACKET_V3 ring; {@link PcapWriter} writes
 * pcap and pcapng files that tcpdump and tshark read.
 *
 * @packageDocumentation
 */
export { compileFilter, type CompileOptions } from './compile.js';
export { formatDecimal, type BpfInstruction } from './bpf.js';
export { capture, Capture, type CaptureOptions, type CaptureStats, type FanoutMode } from './capture.js';
export type { CapturedPacket, Direction } from './packet.js';
export { PcapWriter, type PcapWriterOptions } from './pcap.js';
export { LINKTYPE, type LinkType } from './link.js';
