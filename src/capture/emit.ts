// The back end of the filter compiler: a predicate tree (tests joined by
// and/or/not) laid out as classic BPF. Each test is a few statements that
// leave a value in A, then a conditional jump; the tree decides where each
// jump goes. The program is laid out from its end backwards, so every jump
// target is already placed when a jump to it is written; a target more than
// 255 instructions ahead is reached through an unconditional jump (ja,
// 32-bit offset) placed right after the test.
import { ABS, ALU, B as BYTE, JA, JMP, K, LD, MEM, RET, ST, type BpfInstruction } from './bpf.js';

/** A statement: any non-jump instruction. */
export interface Stmt { code: number; k: number }

/** A test: statements (which may end the program on a load past the packet), then `A op k` (or `A op X`). */
export interface Test { t: 'test'; stmts: Stmt[]; op: number; k: number }
export type Pred =
  | Test
  | { t: 'and' | 'or'; a: Pred; b: Pred }
  | { t: 'not'; p: Pred }
  | { t: 'const'; value: boolean };

export const and = (a: Pred, b: Pred): Pred => ({ t: 'and', a, b });
export const or = (a: Pred, b: Pred): Pred => ({ t: 'or', a, b });
export const not = (p: Pred): Pred => ({ t: 'not', p });
export const constant = (value: boolean): Pred => ({ t: 'const', value });
export const test = (stmts: Stmt[], op: number, k: number): Test => ({ t: 'test', stmts, op: JMP | op, k: k >>> 0 });
export const stmt = (code: number, k = 0): Stmt => ({ code, k: k >>> 0 });

/** The first test a predicate runs (where statements that must run before it are prepended). */
export function firstTest(p: Pred): Test | null {
  switch (p.t) {
    case 'test': return p;
    case 'and': case 'or': return firstTest(p.a);
    case 'not': return firstTest(p.p);
    default: return null;
  }
}

/**
 * Lays out `pred` as a program: `prologue` first, then the tests; a packet
 * the predicate accepts returns `snaplen`, any other 0.
 */
export function emit(pred: Pred, snaplen: number, prologue: Stmt[] = []): BpfInstruction[] {
  // Built back to front: `out[out.length - 1 - i]` is instruction i of the
  // program. A label is an index into `out` (the position counted from the end).
  const out: BpfInstruction[] = [];
  const place = (code: number, k: number, jt = 0, jf = 0): number => { out.push({ code, jt, jf, k: k >>> 0 }); return out.length - 1; };
  const reject = place(RET | K, 0);
  const accept = place(RET | K, snaplen);

  /** Instructions between the next one written and `label` (how far a jump placed next must skip). */
  const distance = (label: number): number => out.length - 1 - label;

  /**
   * A test jumping to two labels. A target out of an 8-bit jump's reach
   * (253, leaving room for the two trampolines) gets an unconditional jump
   * right after the test, which the test then reaches in one step.
   */
  function conditional(op: number, k: number, whenTrue: number, whenFalse: number): void {
    const far = (label: number) => distance(label) > 253;
    const f = far(whenFalse) ? place(JMP | JA, distance(whenFalse)) : whenFalse;
    const t = far(whenTrue) ? place(JMP | JA, distance(whenTrue)) : whenTrue;
    place(op, k, distance(t), distance(f));
  }

  function compile(p: Pred, whenTrue: number, whenFalse: number): number {
    switch (p.t) {
      case 'const': return p.value ? whenTrue : whenFalse;
      case 'not': return compile(p.p, whenFalse, whenTrue);
      case 'and': return compile(p.a, compile(p.b, whenTrue, whenFalse), whenFalse);
      case 'or': return compile(p.a, whenTrue, compile(p.b, whenTrue, whenFalse));
      case 'test': {
        conditional(p.op, p.k, whenTrue, whenFalse);
        for (let i = p.stmts.length - 1; i >= 0; i--) place(p.stmts[i].code, p.stmts[i].k);
        return out.length - 1;
      }
    }
  }

  const entry = compile(pred, accept, reject);
  // The entry must be the first instruction: a constant predicate, or one
  // whose entry is a label placed earlier, starts with a jump to it.
  if (entry !== out.length - 1) place(JMP | JA, distance(entry));
  for (let i = prologue.length - 1; i >= 0; i--) place(prologue[i].code, prologue[i].k);
  return out.reverse();
}

/** `ld M[r]`, `st M[r]` and the like, for the generator's statement lists. */
export const loadMem = (r: number): Stmt => stmt(LD | MEM, r);
export const storeMem = (r: number): Stmt => stmt(ST, r);
export const addK = (k: number): Stmt => stmt(ALU | K, k);
/** Loads a byte of ancillary data (SKF_AD_OFF + field) into A. */
export const loadByte = (k: number): Stmt => stmt(LD | BYTE | ABS, k);
