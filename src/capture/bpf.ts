// Classic BPF (the instruction set of SO_ATTACH_FILTER and pcap): the
// opcodes the filter compiler emits, the program as a user hands it in
// (validated here, before any system call), and its packing into the
// `struct sock_filter` array the kernel reads.
import { Buffer } from 'node:buffer';
import { invalidArgType, invalidArgValue, outOfRange } from '../errors.js';

/** One classic BPF instruction: `struct sock_filter` (and pcap's `struct bpf_insn`). */
export interface BpfInstruction {
  /** The opcode: class | size | mode (loads), class | op | source (ALU, jumps). */
  code: number;
  /** Instructions skipped when a conditional jump is taken (0-255). */
  jt: number;
  /** Instructions skipped when it is not (0-255). */
  jf: number;
  /** The constant operand (unsigned 32-bit). */
  k: number;
}

// Instruction classes, sizes, modes, operations and sources (linux/bpf_common.h).
export const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
export const W = 0x00, H = 0x08, B = 0x10;
export const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
export const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
export const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
export const K = 0x00, X = 0x08;
export const TAX = 0x00, TXA = 0x80;
/** Scratch memory words (M[0] to M[15]). */
export const MEMWORDS = 16;
/** The most instructions the kernel takes in one program (BPF_MAXINSNS). */
export const MAX_INSTRUCTIONS = 4096;
/** The offset of the kernel's ancillary data in loads (SKF_AD_OFF, -0x1000), and the fields used here. */
export const SKF_AD_OFF = 0xfffff000;
export const SKF_AD_PROTOCOL = 0, SKF_AD_PKTTYPE = 4, SKF_AD_IFINDEX = 8, SKF_AD_VLAN_TAG = 44, SKF_AD_VLAN_TAG_PRESENT = 48;
/** The size of one packed instruction (struct sock_filter). */
export const INSTRUCTION_SIZE = 8;

/** A program that accepts every packet whole (what detaching a filter amounts to). */
export const acceptAll = (snaplen = 0xffffffff): BpfInstruction[] => [{ code: RET | K, jt: 0, jf: 0, k: snaplen >>> 0 }];
/** A program that accepts nothing. */
export const rejectAll = (): BpfInstruction[] => [{ code: RET | K, jt: 0, jf: 0, k: 0 }];

function field(insn: Record<string, unknown>, key: 'code' | 'jt' | 'jf' | 'k', i: number, max: number): number {
  const v = insn[key];
  const name = `program[${i}].${key}`;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < 0 || v > max) throw outOfRange(name, `an integer >= 0 && <= ${max}`, v);
  return v;
}

/**
 * Checks a user-given program and copies it (each field read once, so a
 * getter cannot change it after the check): 1 to 4096 instructions, each
 * field in range, every jump landing inside the program, and a return as
 * the last instruction. The kernel checks again (EINVAL); this check makes
 * the mistake an argument error before any system call.
 */
export function validateProgram(program: unknown, name = 'program'): BpfInstruction[] {
  if (!Array.isArray(program)) throw invalidArgType(name, 'an instance of Array', program);
  const n = program.length;
  if (n < 1 || n > MAX_INSTRUCTIONS) throw outOfRange(`${name}.length`, `>= 1 && <= ${MAX_INSTRUCTIONS}`, n);
  const out: BpfInstruction[] = [];
  for (let i = 0; i < n; i++) {
    const insn = program[i] as unknown;
    if (insn === null || typeof insn !== 'object') throw invalidArgType(`${name}[${i}]`, 'of type object', insn);
    const o = insn as Record<string, unknown>;
    const copy = { code: field(o, 'code', i, 0xffff), jt: field(o, 'jt', i, 255), jf: field(o, 'jf', i, 255), k: field(o, 'k', i, 0xffffffff) };
    const cls = copy.code & 0x07;
    if (cls === JMP) {
      const op = copy.code & 0xf0;
      const far = op === JA ? copy.k : Math.max(copy.jt, copy.jf);
      if (i + 1 + far >= n) throw invalidArgValue(`${name}[${i}]`, copy, 'jumps past the end of the program');
    }
    const memory = cls === ST || cls === STX || ((cls === LD || cls === LDX) && (copy.code & 0xe0) === MEM);
    if (memory && copy.k >= MEMWORDS) {
      throw invalidArgValue(`${name}[${i}]`, copy, `uses scratch memory M[${copy.k}] (there are ${MEMWORDS} words)`);
    }
    out.push(copy);
  }
  if ((out[n - 1].code & 0x07) !== RET) throw invalidArgValue(`${name}[${n - 1}]`, out[n - 1], 'must be a return (the last instruction of a program)');
  return out;
}

/** The program as the kernel reads it: `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k) in host byte order. */
export function packProgram(program: readonly BpfInstruction[], littleEndian: boolean): Buffer {
  const buf = Buffer.alloc(program.length * INSTRUCTION_SIZE);
  program.forEach((insn, i) => {
    const at = i * INSTRUCTION_SIZE;
    if (littleEndian) buf.writeUInt16LE(insn.code, at); else buf.writeUInt16BE(insn.code, at);
    buf[at + 2] = insn.jt;
    buf[at + 3] = insn.jf;
    if (littleEndian) buf.writeUInt32LE(insn.k >>> 0, at + 4); else buf.writeUInt32BE(insn.k >>> 0, at + 4);
  });
  return buf;
}

/** tcpdump -ddd's text: the count, then one "code jt jf k" line per instruction (decimal). */
export function formatDecimal(program: readonly BpfInstruction[]): string {
  return `${program.length}\n${program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}`).join('\n')}\n`;
}
