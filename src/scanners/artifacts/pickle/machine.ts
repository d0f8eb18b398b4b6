// A static simulation of the pickle machine. It tracks only what matters for security
// (strings that may name imports, imported callables, calls and the memo) and never
// builds Python objects or runs anything.
//
// Speed and memory: the stack and the memo are typed arrays of (tag, offset, length)
// triples. Numbers, containers and other uninteresting values are one tag; strings are a
// reference to their bytes, decoded only when an import or a call needs them; only imports,
// calls and tuples holding them are objects. An opcode-dense pickle of millions of values
// therefore allocates almost nothing per value, and the memo costs 9 bytes per entry.

import { findNestedPickle } from "./nested";
import { OP, OPCODE_BY_BYTE } from "./opcodes";

export interface GlobalRef {
  readonly kind: "global";
  readonly module: string;
  readonly name: string;
  readonly offset: number;
  readonly opcode: "GLOBAL" | "STACK_GLOBAL" | "INST" | "EXT";
}
export interface CallValue {
  readonly kind: "call";
  readonly callee: Value;
  readonly args: Value;
  readonly offset: number;
}
export interface TupleValue {
  readonly kind: "tuple";
  readonly items: Value[];
}
export interface LongString {
  readonly kind: "longstr";
  readonly preview: string;
  readonly length: number;
}
interface Sentinel {
  readonly kind: "other" | "mark";
}
export type Value = string | GlobalRef | CallValue | TupleValue | LongString | Sentinel;

const OTHER: Sentinel = { kind: "other" };

export interface PickleImport {
  module: string;
  name: string;
  offset: number;
  opcode: GlobalRef["opcode"];
  /** Index of the pickle in the file (0 for the first). */
  pickle: number;
}

export interface PickleCall {
  /** The callable as it resolves, e.g. "os.system" or "builtins.getattr(...)". */
  callee: string;
  /** The import the call ultimately goes through, when it is one. */
  target?: GlobalRef;
  opcode: "REDUCE" | "OBJ" | "INST" | "NEWOBJ" | "NEWOBJ_EX" | "BUILD";
  offset: number;
  /** Human-readable rendering of the call, arguments truncated. */
  chain: string;
  pickle: number;
  /**
   * What is called (for BUILD: whose state is set): an imported object itself, the result of
   * another call (a gadget chain such as getattr(...)(...), or for BUILD the instance a call
   * made), or a value the simulation does not track.
   */
  on: "import" | "call-result" | "other";
  /** The arguments (for BUILD: the state) as far as the simulation tracks them. */
  args: Value;
}

export interface PickleError {
  message: string;
  offset: number;
  pickle: number;
  /** Set when the bytes ran out before the pickle ended (as opposed to malformed bytes). */
  truncation?: PickleTruncation;
}

/** A pickle that ran out of bytes: a read of `needed` bytes at offset `at`, when the opcode said how many. */
export interface PickleTruncation {
  needed?: number;
  at?: number;
}

export interface PickleAnalysis {
  imports: PickleImport[];
  calls: PickleCall[];
  /** Pickles read to their STOP. */
  pickles: number;
  /** Highest protocol seen in a PROTO opcode (0 when none). */
  protocol: number;
  /** Where the last complete pickle ended; bytes after it that are not a pickle are trailing data. */
  end: number;
  trailingBytes: number;
  error?: PickleError;
  limitExceeded?: string;
  /**
   * Strings and bytes objects inside the pickle that hold pickles themselves, raw or encoded
   * (arguments for nested loaders). `offset`/`length` locate the string in the buffer; `data` is
   * the decoded pickle when it was encoded.
   */
  embedded: EmbeddedPickle[];
  /** Nested pickles found beyond the MAX_EMBEDDED kept. */
  embeddedDropped: number;
  /**
   * FRAME opcodes whose declared length disagrees with the opcodes: a read that runs past the
   * frame's end, or a FRAME that opens before the previous one ended. (A frame longer than the
   * data is a truncated file: CPython stops at the FRAME, and the parse error says so.)
   * Python's own unpickler rejects these; CPython's C unpickler before the 2026 fix
   * (python/cpython#154848) ran different opcodes from a file than a linear reader sees.
   */
  frameViolations: FrameViolation[];
  /** Imports and calls seen only when the file is read as CPython's C unpickler reads a file object. */
  framedOnly: number;
}

export interface EmbeddedPickle {
  offset: number;
  length: number;
  pickle: number;
  /** "raw", or how it was encoded ("base64", "hex+zlib", ...). */
  encoding: string;
  data?: Uint8Array;
}

export interface FrameViolation {
  kind: "read-past-frame" | "frame-inside-frame";
  /** The FRAME opcode. */
  frameOffset: number;
  declaredLength: number;
  /** The opcode whose read crossed the boundary (or the second FRAME). */
  offset: number;
  message: string;
  pickle: number;
}

/**
 * How frames are read. linear: every opcode after the other, frames ignored (pickle.loads on
 * bytes, and what pickletools shows). file: CPython's C unpickler reading a file object without
 * peek() (io.BytesIO, as torch.load and joblib pass it): a FRAME fills its buffer with exactly the
 * frame, and a read longer than what is left of the buffer drops the rest of it and continues
 * after the frame.
 */
export type FrameMode = "linear" | "file";

export interface PickleLimits {
  /** Largest memo the simulation keeps (entries); a hostile pickle can make it grow with its size. */
  maxMemoEntries: number;
  /** Deepest stack the simulation keeps. */
  maxStackDepth: number;
  /** Most imports and calls recorded per file. */
  maxEvents: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxMemoEntries: 50_000_000,
  maxStackDepth: 10_000_000,
  maxEvents: 10_000,
};

const MAX_DECODED_STRING = 1024;

class PickleFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly truncation?: PickleTruncation,
  ) {
    super(message);
  }
}

function isInteresting(v: Value): boolean {
  return typeof v === "string" || v.kind === "global" || v.kind === "call" || v.kind === "tuple" || v.kind === "longstr";
}

export function describe(v: Value, depth = 0): string {
  if (typeof v === "string") return JSON.stringify(v.length > 120 ? v.slice(0, 117) + "..." : v);
  switch (v.kind) {
    case "global":
      return `${v.module}.${v.name}`;
    case "call": {
      if (depth > 4) return "...(...)";
      const args = v.args;
      const argText =
        typeof args !== "string" && args.kind === "tuple"
          ? args.items.map((a) => describe(a, depth + 1)).join(", ")
          : describe(args, depth + 1);
      return `${describe(v.callee, depth + 1)}(${argText})`;
    }
    case "tuple":
      return `(${v.items.map((a) => describe(a, depth + 1)).join(", ")})`;
    case "longstr":
      return JSON.stringify(v.preview + "...") + ` (${v.length} chars)`;
    default:
      return "…";
  }
}

/** The import a callee ultimately goes through: `os.system`, or `getattr` in `getattr(x, "y")(...)`. */
function rootGlobal(v: Value): GlobalRef | undefined {
  let cur: Value = v;
  for (let i = 0; i < 16; i++) {
    if (typeof cur === "string") return undefined;
    if (cur.kind === "global") return cur;
    if (cur.kind !== "call") return undefined;
    cur = cur.callee;
  }
  return undefined;
}

function unescapePythonString(raw: string): string {
  // STRING's argument is repr() output: quoted, with backslash escapes.
  let s = raw;
  if (s.length >= 2 && (s[0] === "'" || s[0] === '"') && s[s.length - 1] === s[0]) s = s.slice(1, -1);
  else throw new Error("STRING argument is not quoted");
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    const map: Record<string, string> = { n: "\n", r: "\r", t: "\t", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", v: "\v" };
    return map[e] ?? "\\" + e;
  });
}

function unescapeRawUnicode(raw: string): string {
  return raw.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4?: string, u8?: string) =>
    String.fromCodePoint(parseInt((u4 ?? u8) as string, 16)),
  );
}

/** Slot tags in the typed stack and memo. */
const T_OTHER = 0;
const T_UTF8 = 1;
const T_LATIN1 = 2;
const T_OBJ = 3;
/** A non-negative integer below 2^32, value in `off` (joblib array shapes and sizes). */
const T_INT = 4;
/** A tuple of such integers (a shape), element product in `off`, saturating. */
const T_INTS = 5;

/** Bytes per item of NumPy dtype codes without an explicit size. */
const DTYPE_CHAR_SIZE: Record<string, number> = { "?": 1, b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, e: 2, f: 4, d: 8, g: 16, F: 8, D: 16, G: 32 };
const KEY_SHAPE = Buffer.from("shape");
const KEY_DTYPE = Buffer.from("dtype");
const KEY_ALIGNMENT = Buffer.from("numpy_array_alignment_bytes");
const JOBLIB_WRAPPERS = new Set(["joblib.numpy_pickle.NumpyArrayWrapper"]);

const MAX_EMBEDDED = 64;
/** Pickles inside strings inside pickles: how deep the search goes. */
const MAX_NESTING = 4;
const NESTED_PROBE_LIMITS: PickleLimits = { maxMemoEntries: 1_000_000, maxStackDepth: 1_000_000, maxEvents: 1000 };
const MAX_FRAME_VIOLATIONS = 16;
/** Longest import name decoded; Python resolves dotted names of any length, so this is generous. */
const MAX_NAME = 1 << 20;

class Slots {
  tag: Uint8Array;
  off: Uint32Array;
  len: Uint32Array;
  constructor(capacity: number) {
    this.tag = new Uint8Array(capacity);
    this.off = new Uint32Array(capacity);
    this.len = new Uint32Array(capacity);
  }
  grow(min: number): void {
    let cap = this.tag.length * 2;
    while (cap < min) cap *= 2;
    const tag = new Uint8Array(cap);
    tag.set(this.tag);
    const off = new Uint32Array(cap);
    off.set(this.off);
    const len = new Uint32Array(cap);
    len.set(this.len);
    this.tag = tag;
    this.off = off;
    this.len = len;
  }
}

const CHUNK_BITS = 16;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;

/**
 * The dense memo: fixed-size chunks, so growing never copies and memory is taken as it is used
 * (a doubling array touched twice the memory and spent its time in page faults and copies).
 */
class ChunkedSlots {
  private chunks: Slots[] = [];
  chunk(index: number): Slots {
    return this.chunks[index >>> CHUNK_BITS]!;
  }
  set(index: number, tag: number, off: number, len: number): void {
    const ci = index >>> CHUNK_BITS;
    while (ci >= this.chunks.length) this.chunks.push(new Slots(1 << CHUNK_BITS));
    const c = this.chunks[ci]!;
    const k = index & CHUNK_MASK;
    c.tag[k] = tag;
    c.off[k] = off;
    c.len[k] = len;
  }
  clear(): void {
    this.chunks = [];
  }
}

/**
 * Simulates every pickle in `buf` from `start`, one after another, until the data stops
 * looking like a pickle. Never throws on malformed input: the first error is returned in
 * `error` and everything seen before it is kept.
 */
export function analysePickles(
  buf: Uint8Array,
  start = 0,
  limits: PickleLimits = DEFAULT_PICKLE_LIMITS,
  depth = 0,
): PickleAnalysis {
  const result = analyseIn(buf, start, limits, "linear", depth);
  if (result.frameViolations.length === 0 || result.limitExceeded) return result;
  // The frames lie: also read the file the way CPython's C unpickler reads a file object, and keep
  // whatever that shows and the linear read did not.
  const framed = analyseIn(buf, start, limits, "file", depth);
  const key = (o: { offset: number }, extra: string): string => `${o.offset}:${extra}`;
  const seenImports = new Set(result.imports.map((x) => key(x, `${x.module}.${x.name}`)));
  const seenCalls = new Set(result.calls.map((x) => key(x, x.opcode)));
  const seenEmbedded = new Set(result.embedded.map((x) => key(x, String(x.length))));
  for (const x of framed.imports) {
    if (seenImports.has(key(x, `${x.module}.${x.name}`)) || result.imports.length >= limits.maxEvents) continue;
    result.imports.push(x);
    result.framedOnly++;
  }
  for (const x of framed.calls) {
    if (seenCalls.has(key(x, x.opcode)) || result.calls.length >= limits.maxEvents) continue;
    result.calls.push(x);
    result.framedOnly++;
  }
  for (const x of framed.embedded) if (!seenEmbedded.has(key(x, String(x.length))) && result.embedded.length < MAX_EMBEDDED) result.embedded.push(x);
  return result;
}

function analyseIn(buf: Uint8Array, start: number, limits: PickleLimits, mode: FrameMode, depth: number): PickleAnalysis {
  const result: PickleAnalysis = { imports: [], calls: [], pickles: 0, protocol: 0, end: start, trailingBytes: 0, embedded: [], embeddedDropped: 0, frameViolations: [], framedOnly: 0 };
  if (buf.length > 0xffffffff) {
    // Slots hold 32-bit offsets; callers cap in-memory pickles far below this.
    result.limitExceeded = "pickle larger than 4 GiB";
    result.error = { message: "pickle larger than 4 GiB", offset: start, pickle: 0 };
    return result;
  }
  const machine = new Machine(buf, limits, result, mode, depth);
  let pos = start;
  while (pos < buf.length) {
    const before = result.imports.length + result.calls.length;
    const outcome = machine.run(pos, result.pickles);
    if (outcome.ok) {
      result.pickles++;
      pos = outcome.end;
      result.end = pos;
      continue;
    }
    // The first pickle must parse. Later data that fails without showing an import or call is
    // trailing data (legacy torch.save appends raw storage bytes after its pickles).
    const sawEvents = result.imports.length + result.calls.length > before;
    if (result.pickles === 0 || sawEvents || result.limitExceeded) {
      const { message, offset, truncation } = outcome.error;
      result.error = { message, offset, pickle: result.pickles, ...(truncation ? { truncation } : {}) };
    }
    break;
  }
  result.trailingBytes = buf.length - result.end;
  return result;
}

type Outcome = { ok: true; end: number } | { ok: false; error: PickleFormatError };

class Machine {
  private readonly n: number;
  private readonly view: Buffer;
  private stack = new Slots(1024);
  private sp = 0;
  private marks: number[] = [];
  private memo = new ChunkedSlots();
  /** Dense memo entries set so far (indices below this are defined). */
  private memoDense = 0;
  private memoSparse = new Map<number, { tag: number; off: number; len: number }>();
  private objs: Value[] = [];
  private i = 0;
  /** End of the current frame's buffer; reads at or after it are unframed. */
  private frameEnd = -1;
  private frameStart = -1;
  private frameLength = 0;
  /** The frame already reported (one violation per frame). */
  private frameReported = -1;
  private pickleIndex = 0;
  private lastTop = 0;
  /** The last dict items that described a joblib array (shape, dtype, alignment). */
  private arraySpec: { count: number; dtype: Value | undefined; alignment: number | undefined } | undefined;

  constructor(
    private readonly buf: Uint8Array,
    private readonly limits: PickleLimits,
    private readonly out: PickleAnalysis,
    private readonly mode: FrameMode = "linear",
    /** Nesting of this pickle inside others' strings; nested pickles are only looked for above MAX_NESTING. */
    private readonly depth = 0,
  ) {
    this.n = buf.length;
    this.view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private fail(message: string, at: number): never {
    throw new PickleFormatError(message, at);
  }

  /** The bytes ran out: typed, so callers (looksLikePickle) decide on the kind, not on the message. */
  private truncated(message: string, at: number, truncation: PickleTruncation = {}): never {
    throw new PickleFormatError(`truncated: ${message}`, at, truncation);
  }

  private frameViolation(kind: FrameViolation["kind"], at: number, message: string): void {
    if (this.frameReported === this.frameStart || this.out.frameViolations.length >= MAX_FRAME_VIOLATIONS) return;
    this.frameReported = this.frameStart;
    this.out.frameViolations.push({ kind, frameOffset: this.frameStart, declaredLength: this.frameLength, offset: at, message, pickle: this.pickleIndex });
  }

  /**
   * A read of `count` bytes that starts inside the current frame and ends after it. CPython's C
   * unpickler reading a file drops the rest of its frame buffer and reads on after it, except for
   * bytes objects, which it reads with readinto() from what is left of the buffer first.
   */
  private crossFrame(count: number, at: number, readInto: boolean): void {
    this.frameViolation("read-past-frame", at, `the opcode at offset ${at} reads ${count} bytes from offset ${this.i}, past the frame's end at ${this.frameEnd}`);
    if (this.mode === "file" && !readInto) this.i = this.frameEnd;
  }

  private need(count: number, at: number, readInto = false): void {
    if (this.i < this.frameEnd && this.i + count > this.frameEnd) this.crossFrame(count, at, readInto);
    if (this.i + count > this.n) this.truncated(`${count} bytes needed at offset ${this.i}, ${this.n - this.i} left`, at, { needed: count, at: this.i });
  }

  private u32(p: number): number {
    const b = this.buf;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }

  /** Where the line argument at `this.i` ends (its newline), with frames applied. */
  private lineEnd(at: number): number {
    let j = this.view.indexOf(0x0a, this.i);
    if (this.i < this.frameEnd && (j < 0 || j >= this.frameEnd)) {
      this.crossFrame(j < 0 ? this.n - this.i : j + 1 - this.i, at, false);
      if (this.mode === "file") j = this.view.indexOf(0x0a, this.i);
    }
    return j;
  }

  private readLine(at: number): string {
    const j = this.lineEnd(at);
    if (j < 0) this.truncated("line argument without newline", at);
    const s = this.view.toString("utf8", this.i, j);
    this.i = j + 1;
    return s;
  }

  /** Skips a line argument without decoding it; returns its bounds. */
  private skipLine(at: number): number {
    const j = this.lineEnd(at);
    if (j < 0) this.truncated("line argument without newline", at);
    const s = this.i;
    this.i = j + 1;
    return s;
  }

  private base(): number {
    const m = this.marks;
    return m.length > 0 ? m[m.length - 1]! : 0;
  }

  private pushSlot(tag: number, off: number, len: number, at: number): void {
    const sp = this.sp;
    if (sp >= this.stack.tag.length) {
      if (sp >= this.limits.maxStackDepth) {
        this.out.limitExceeded = `stack deeper than ${this.limits.maxStackDepth}`;
        this.fail(`stack deeper than ${this.limits.maxStackDepth} entries`, at);
      }
      this.stack.grow(sp + 1);
    }
    this.stack.tag[sp] = tag;
    this.stack.off[sp] = off;
    this.stack.len[sp] = len;
    this.sp = sp + 1;
  }

  private pushOther(at: number): void {
    const sp = this.sp;
    if (sp >= this.stack.tag.length) {
      this.pushSlot(T_OTHER, 0, 0, at);
      return;
    }
    this.stack.tag[sp] = T_OTHER;
    this.sp = sp + 1;
  }

  private pushValue(v: Value, at: number): void {
    if (typeof v !== "string" && v.kind === "other") {
      this.pushOther(at);
      return;
    }
    this.objs.push(v);
    this.pushSlot(T_OBJ, this.objs.length - 1, 0, at);
  }

  private popSlot(at: number): number {
    if (this.sp <= this.base()) this.fail("stack underflow", at);
    return --this.sp;
  }

  /** The value at a stack slot as a Value (strings decoded, bounded). */
  private valueAt(tag: number, off: number, len: number): Value {
    switch (tag) {
      case T_UTF8:
      case T_LATIN1: {
        const enc = tag === T_UTF8 ? "utf8" : "latin1";
        if (len <= MAX_DECODED_STRING) return this.view.toString(enc, off, off + len);
        return { kind: "longstr", preview: this.view.toString(enc, off, off + 200), length: len };
      }
      case T_OBJ:
        return this.objs[off]!;
      default:
        return OTHER;
    }
  }

  /** Pops a value, decoding a string slot whole (up to MAX_NAME bytes) instead of as a preview. */
  private popName(at: number): Value {
    const s = this.popSlot(at);
    const tag = this.stack.tag[s]!;
    const off = this.stack.off[s]!;
    const len = this.stack.len[s]!;
    if ((tag === T_UTF8 || tag === T_LATIN1) && len <= MAX_NAME) return this.view.toString(tag === T_UTF8 ? "utf8" : "latin1", off, off + len);
    return this.valueAt(tag, off, len);
  }

  private pop(at: number): Value {
    const s = this.popSlot(at);
    return this.valueAt(this.stack.tag[s]!, this.stack.off[s]!, this.stack.len[s]!);
  }

  private top(at: number): number {
    if (this.sp <= this.base()) this.fail("stack underflow", at);
    return this.sp - 1;
  }

  /** Pops to the last MARK; returns the slot index where the popped items begin. */
  private popMarkSlots(at: number): number {
    if (this.marks.length === 0) this.fail("MARK expected but not found", at);
    const m = this.marks.pop()!;
    // The popped slots keep their contents until the next push, so callers may still read [m, lastTop).
    this.lastTop = this.sp;
    this.sp = m;
    return m;
  }

  private tupleValue(from: number, to: number): Value {
    return this.anyInteresting(from, to) ? { kind: "tuple", items: this.valuesOf(from, to) } : OTHER;
  }

  /** True if any slot in [from, to) holds something worth keeping (a string or an object). */
  private anyInteresting(from: number, to: number): boolean {
    const tag = this.stack.tag;
    for (let k = from; k < to; k++) {
      const t = tag[k]!;
      if (t === T_UTF8 || t === T_LATIN1 || t === T_OBJ) return true;
    }
    return false;
  }

  private valuesOf(from: number, to: number): Value[] {
    const items: Value[] = [];
    for (let k = from; k < to; k++) items.push(this.valueAt(this.stack.tag[k]!, this.stack.off[k]!, this.stack.len[k]!));
    return items;
  }

  /** Builds a tuple from stack slots [from, to), leaving the stack pointer at `from`, and pushes it. */
  private pushTuple(from: number, to: number, at: number): void {
    const tag = this.stack.tag;
    let product = 1;
    let ints = to - from <= 32;
    for (let k = from; ints && k < to; k++) {
      if (tag[k] !== T_INT) ints = false;
      else product = Math.min(0xffffffff, product * this.stack.off[k]!);
    }
    if (ints) {
      this.sp = from;
      this.pushSlot(T_INTS, product, to - from, at);
      return;
    }
    if (!this.anyInteresting(from, to)) {
      this.sp = from;
      this.pushOther(at);
      return;
    }
    const items = this.valuesOf(from, to);
    this.sp = from;
    this.pushValue({ kind: "tuple", items }, at);
  }

  private memoSet(index: number, from: number, at: number): void {
    if (index < 0) this.fail("negative memo index", at);
    const st = this.stack;
    const tag = st.tag[from]!;
    const off = st.off[from]!;
    const len = st.len[from]!;
    if (index < this.memoDense) {
      this.memo.set(index, tag, off, len);
      return;
    }
    if (this.memoDense + this.memoSparse.size >= this.limits.maxMemoEntries) {
      this.out.limitExceeded = `memo larger than ${this.limits.maxMemoEntries} entries`;
      this.fail(`memo larger than ${this.limits.maxMemoEntries} entries`, at);
    }
    if (index === this.memoDense) {
      this.appendDense(tag, off, len);
      this.memoSparse.delete(index);
      // Pull following sparse entries into the dense part so lookups stay cheap.
      while (this.memoSparse.size > 0) {
        const next = this.memoSparse.get(this.memoDense);
        if (!next) break;
        this.memoSparse.delete(this.memoDense);
        this.appendDense(next.tag, next.off, next.len);
      }
      return;
    }
    this.memoSparse.set(index, { tag, off, len });
  }

  private appendDense(tag: number, off: number, len: number): void {
    const d = this.memoDense;
    this.memo.set(d, tag, off, len);
    this.memoDense = d + 1;
  }

  private memoPush(index: number, at: number): void {
    if (index < this.memoDense) {
      const c = this.memo.chunk(index);
      const k = index & CHUNK_MASK;
      this.pushSlot(c.tag[k]!, c.off[k]!, c.len[k]!, at);
      return;
    }
    const e = this.memoSparse.get(index);
    if (!e) this.fail(`memo value ${index} not found`, at);
    this.pushSlot(e.tag, e.off, e.len, at);
  }

  private addImport(module: string, name: string, opcode: GlobalRef["opcode"], at: number): GlobalRef {
    const ref: GlobalRef = { kind: "global", module, name, offset: at, opcode };
    if (this.out.imports.length < this.limits.maxEvents) this.out.imports.push({ module, name, offset: at, opcode, pickle: this.pickleIndex });
    return ref;
  }

  private addCall(callee: Value, args: Value, opcode: PickleCall["opcode"], at: number, subject: Value = callee): CallValue {
    const call: CallValue = { kind: "call", callee, args, offset: at };
    if (this.out.calls.length < this.limits.maxEvents) {
      const target = rootGlobal(callee);
      const entry: PickleCall = {
        callee: describe(callee),
        opcode,
        offset: at,
        chain: describe(call).slice(0, 500),
        pickle: this.pickleIndex,
        on: typeof subject === "string" ? "other" : subject.kind === "global" ? "import" : subject.kind === "call" ? "call-result" : "other",
        args,
      };
      if (target) entry.target = target;
      this.out.calls.push(entry);
    }
    return call;
  }

  /** A call's result is interesting only when the callee or an argument is. */
  private pushCall(callee: Value, args: Value, opcode: PickleCall["opcode"], at: number): void {
    if (!isInteresting(callee) && !isInteresting(args)) {
      this.pushOther(at);
      return;
    }
    this.pushValue(this.addCall(callee, args, opcode, at), at);
  }

  /**
   * A string or bytes object that holds a pickle (raw, base64, hex, zlib, in layers) is what a
   * nested loader (pickle.loads, torch.load) runs. Candidates are confirmed by parsing them, so
   * text that merely starts like a pickle cannot crowd out a real one.
   */
  private noteBytes(off: number, len: number, decoded?: Uint8Array): void {
    if (len < 4 || this.depth >= MAX_NESTING) return;
    const value = decoded ?? this.buf.subarray(off, off + len);
    const found = findNestedPickle(value);
    if (!found) return;
    const probe = analysePickles(found.data, 0, NESTED_PROBE_LIMITS, this.depth + 1);
    if (probe.pickles === 0 && probe.imports.length === 0) return;
    if (this.out.embedded.length >= MAX_EMBEDDED) {
      this.out.embeddedDropped++;
      return;
    }
    const raw = found.encoding === "raw" && decoded === undefined;
    this.out.embedded.push({ offset: off, length: len, pickle: this.pickleIndex, encoding: found.encoding, ...(raw ? {} : { data: found.data }) });
  }

  /** A unicode string: pickle bytes smuggled as latin-1 text (`_codecs.encode(u'\x80\x04...', 'latin1')`) are UTF-8 in the file. */
  private noteUnicode(off: number, len: number): void {
    if (len < 8) return;
    if (this.buf[off] === 0xc2 && this.buf[off + 1] === 0x80) {
      const text = this.view.toString("utf8", off, off + len);
      this.noteBytes(off, len, Buffer.from(text, "latin1"));
      return;
    }
    this.noteBytes(off, len);
  }

  private bytesAre(off: number, len: number, key: Uint8Array): boolean {
    const b = this.buf;
    if (len !== key.length || off + len > this.n) return false;
    for (let k = 0; k < key.length; k++) if (b[off + k] !== key[k]) return false;
    return true;
  }

  /** Keys of a dict being filled, checked for the fields of a joblib NumpyArrayWrapper state. */
  private noteDictItems(from: number, to: number): void {
    const st = this.stack;
    for (let k = from; k + 1 < to; k += 2) {
      if (st.tag[k] !== T_UTF8) continue;
      const len = st.len[k]!;
      if (len !== 5 && len !== 27) continue;
      const off = st.off[k]!;
      const vt = st.tag[k + 1]!;
      if (vt === T_INTS && this.bytesAre(off, len, KEY_SHAPE)) {
        this.arraySpec = { count: st.off[k + 1]!, dtype: undefined, alignment: undefined };
      } else if (!this.arraySpec) {
        continue;
      } else if (this.bytesAre(off, len, KEY_DTYPE)) {
        this.arraySpec.dtype = this.valueAt(vt, st.off[k + 1]!, st.len[k + 1]!);
      } else if (this.bytesAre(off, len, KEY_ALIGNMENT)) {
        this.arraySpec.alignment = vt === T_INT ? st.off[k + 1]! : undefined;
      }
    }
  }

  /**
   * joblib writes each NumPy array's bytes into the pickle stream right after the BUILD of its
   * NumpyArrayWrapper (object arrays as a nested pickle). Skip them as joblib's unpickler reads them.
   */
  private skipJoblibArray(obj: Value, at: number): void {
    const root = rootGlobal(obj);
    if (!root || !JOBLIB_WRAPPERS.has(`${root.module}.${root.name}`)) return;
    const spec = this.arraySpec;
    this.arraySpec = undefined;
    if (!spec) this.fail("joblib array wrapper without shape and dtype", at);
    const dt = spec.dtype;
    let code: string | undefined;
    if (dt && typeof dt !== "string" && dt.kind === "call" && typeof dt.args !== "string" && dt.args.kind === "tuple" && typeof dt.args.items[0] === "string") {
      code = dt.args.items[0];
    }
    const m = code === undefined ? null : /^[<>|=]?([a-zA-Z?])(\d*)$/.exec(code);
    if (!m) this.fail(`joblib array with a dtype aigis cannot size (${code ?? "unknown"})`, at);
    const kind = m[1]!;
    if (kind === "O") {
      // Object arrays: a whole pickle follows, which numpy.load unpickles.
      const nested = new Machine(this.buf, this.limits, this.out, this.mode, this.depth).run(this.i, this.pickleIndex);
      if (!nested.ok) throw nested.error;
      this.i = nested.end;
      return;
    }
    const digits = m[2] ? parseInt(m[2], 10) : undefined;
    const itemSize = kind === "U" ? (digits ?? 0) * 4 : digits ?? DTYPE_CHAR_SIZE[kind];
    if (itemSize === undefined) this.fail(`joblib array with a dtype aigis cannot size (${code})`, at);
    if (spec.alignment !== undefined) {
      this.need(1, at);
      const pad = this.buf[this.i]!;
      this.i += 1;
      this.need(pad, at);
      this.i += pad;
    }
    const bytes = spec.count * itemSize;
    this.need(bytes, at);
    this.i += bytes;
  }

  run(start: number, pickleIndex: number): Outcome {
    this.sp = 0;
    this.marks = [];
    this.frameEnd = -1;
    this.frameStart = -1;
    this.frameReported = -1;
    this.memoDense = 0;
    this.memo.clear();
    this.memoSparse.clear();
    this.objs = [];
    this.arraySpec = undefined;
    this.i = start;
    this.pickleIndex = pickleIndex;
    try {
      return { ok: true, end: this.loop(start) };
    } catch (e) {
      if (e instanceof PickleFormatError) return { ok: false, error: e };
      return { ok: false, error: new PickleFormatError(e instanceof Error ? e.message : String(e), this.i) };
    }
  }

  private loop(start: number): number {
    const buf = this.buf;
    const n = this.n;
    for (;;) {
      if (this.i >= n) {
        if (this.pickleIndex === 0 && this.i === start) this.fail("empty pickle", this.i);
        this.truncated("no STOP opcode", this.i);
      }
      const at = this.i;
      const code = buf[this.i++]!;
      switch (code) {
        case 0x80 /* PROTO */: {
          this.need(1, at);
          const p = buf[this.i++]!;
          if (p > 5) this.fail(`unsupported pickle protocol ${p}`, at);
          if (p > this.out.protocol) this.out.protocol = p;
          break;
        }
        case 0x95 /* FRAME */: {
          // Both readings are simulated (see FrameMode); a frame that lies is a finding, and the
          // opcodes either reading reaches are judged.
          this.need(8, at);
          const length = this.u32(this.i) + this.u32(this.i + 4) * 0x100000000;
          this.i += 8;
          const inside = this.i < this.frameEnd;
          const fits = this.i + length <= this.frameEnd;
          const prevStart = this.frameStart;
          if (inside) {
            this.frameViolation("frame-inside-frame", at, `a FRAME at offset ${at} opens before the frame at offset ${prevStart} ended at ${this.frameEnd}`);
          }
          if (this.mode === "file" && inside && !fits) this.i = this.frameEnd;
          if (!(this.mode === "file" && inside && fits)) {
            this.frameStart = at;
            this.frameLength = length;
            this.frameEnd = Math.min(this.i + length, Number.MAX_SAFE_INTEGER);
          }
          break;
        }
        case 0x2e /* STOP */:
          if (this.sp === 0) this.fail("STOP with an empty stack", at);
          return this.i;
        // Literals
        case 0x4e /* NONE */:
        case 0x88 /* NEWTRUE */:
        case 0x89 /* NEWFALSE */:
        case 0x97 /* NEXT_BUFFER */:
        case 0x5d /* EMPTY_LIST */:
        case 0x7d /* EMPTY_DICT */:
        case 0x8f /* EMPTY_SET */:
          this.pushOther(at);
          break;
        case 0x29 /* EMPTY_TUPLE */:
          this.pushSlot(T_INTS, 1, 0, at);
          break;
        case 0x98 /* READONLY_BUFFER */:
          this.top(at);
          break;
        case 0x4b /* BININT1 */:
          this.need(1, at);
          this.pushSlot(T_INT, buf[this.i]!, 0, at);
          this.i += 1;
          break;
        case 0x4d /* BININT2 */:
          this.need(2, at);
          this.pushSlot(T_INT, buf[this.i]! | (buf[this.i + 1]! << 8), 0, at);
          this.i += 2;
          break;
        case 0x4a /* BININT */: {
          this.need(4, at);
          const v = this.u32(this.i);
          if (v < 0x80000000) this.pushSlot(T_INT, v, 0, at);
          else this.pushOther(at);
          this.i += 4;
          break;
        }
        case 0x47 /* BINFLOAT */:
          this.need(8, at);
          this.i += 8;
          this.pushOther(at);
          break;
        case 0x49 /* INT */:
        case 0x4c /* LONG */:
        case 0x46 /* FLOAT */: {
          const s = this.skipLine(at);
          const line = this.view.toString("latin1", s, Math.min(this.i - 1, s + 64));
          if (!/^\s*[-+]?[0-9A-Za-z_.+-]*L?\s*$/.test(line)) this.fail(`invalid number literal ${JSON.stringify(line.slice(0, 40))}`, at);
          this.pushOther(at);
          break;
        }
        case 0x8a /* LONG1 */: {
          this.need(1, at);
          const len = buf[this.i++]!;
          this.need(len, at);
          this.i += len;
          this.pushOther(at);
          break;
        }
        case 0x8b /* LONG4 */: {
          this.need(4, at);
          const len = this.u32(this.i);
          this.i += 4;
          if (len > 0x7fffffff) this.fail("LONG4 with negative length", at);
          this.need(len, at);
          this.i += len;
          this.pushOther(at);
          break;
        }
        // Strings (py2 str decodes to str under Python 3's default ASCII encoding)
        case 0x53 /* STRING */: {
          const line = this.readLine(at);
          let s: string;
          try {
            s = unescapePythonString(line);
          } catch {
            this.fail("STRING argument is not a quoted string", at);
          }
          if (s.length >= 8) this.noteBytes(at, this.i - at, Buffer.from(s, "latin1"));
          this.pushValue(s, at);
          break;
        }
        case 0x56 /* UNICODE */: {
          const s = unescapeRawUnicode(this.readLine(at));
          if (s.length >= 8) this.noteBytes(at, this.i - at, Buffer.from(s, "latin1"));
          this.pushValue(s, at);
          break;
        }
        case 0x55 /* SHORT_BINSTRING */: {
          this.need(1, at);
          const len = buf[this.i++]!;
          this.need(len, at);
          if (len >= 8) this.noteBytes(this.i, len);
          this.pushSlot(T_LATIN1, this.i, len, at);
          this.i += len;
          break;
        }
        case 0x54 /* BINSTRING */: {
          this.need(4, at);
          const len = this.u32(this.i);
          this.i += 4;
          if (len > 0x7fffffff) this.fail("BINSTRING with negative length", at);
          this.need(len, at);
          if (len >= 8) this.noteBytes(this.i, len);
          this.pushSlot(T_LATIN1, this.i, len, at);
          this.i += len;
          break;
        }
        case 0x8c /* SHORT_BINUNICODE */: {
          this.need(1, at);
          const len = buf[this.i++]!;
          this.need(len, at);
          if (len >= 8) this.noteUnicode(this.i, len);
          this.pushSlot(T_UTF8, this.i, len, at);
          this.i += len;
          break;
        }
        case 0x58 /* BINUNICODE */: {
          this.need(4, at);
          const len = this.u32(this.i);
          this.i += 4;
          this.need(len, at);
          if (len >= 8) this.noteUnicode(this.i, len);
          this.pushSlot(T_UTF8, this.i, len, at);
          this.i += len;
          break;
        }
        case 0x8d /* BINUNICODE8 */: {
          this.need(8, at);
          const len = this.u32(this.i) + this.u32(this.i + 4) * 0x100000000;
          this.i += 8;
          this.need(len, at);
          if (len >= 8) this.noteUnicode(this.i, len);
          this.pushSlot(T_UTF8, this.i, len, at);
          this.i += len;
          break;
        }
        // Bytes: not importable names; kept only as the location of possible nested pickles.
        case 0x43 /* SHORT_BINBYTES */: {
          this.need(1, at);
          const len = buf[this.i++]!;
          this.need(len, at, true);
          this.noteBytes(this.i, len);
          this.i += len;
          this.pushOther(at);
          break;
        }
        case 0x42 /* BINBYTES */: {
          this.need(4, at);
          const len = this.u32(this.i);
          this.i += 4;
          this.need(len, at, true);
          this.noteBytes(this.i, len);
          this.i += len;
          this.pushOther(at);
          break;
        }
        case 0x8e /* BINBYTES8 */:
        case 0x96 /* BYTEARRAY8 */: {
          this.need(8, at);
          const len = this.u32(this.i) + this.u32(this.i + 4) * 0x100000000;
          this.i += 8;
          this.need(len, at, true);
          this.noteBytes(this.i, len);
          this.i += len;
          this.pushOther(at);
          break;
        }
        // Containers: their contents are dropped (what matters was recorded when it was built).
        case 0x61 /* APPEND */:
          this.popSlot(at);
          this.top(at);
          break;
        case 0x65 /* APPENDS */:
        case 0x90 /* ADDITEMS */:
          this.popMarkSlots(at);
          this.top(at);
          break;
        case 0x75 /* SETITEMS */: {
          const from = this.popMarkSlots(at);
          this.noteDictItems(from, this.lastTop);
          this.top(at);
          break;
        }
        case 0x73 /* SETITEM */:
          this.popSlot(at);
          this.popSlot(at);
          this.noteDictItems(this.sp, this.sp + 2);
          this.top(at);
          break;
        case 0x6c /* LIST */:
        case 0x64 /* DICT */:
        case 0x91 /* FROZENSET */:
          this.popMarkSlots(at);
          this.pushOther(at);
          break;
        case 0x74 /* TUPLE */: {
          const from = this.popMarkSlots(at);
          this.pushTuple(from, this.lastTop, at);
          break;
        }
        case 0x85 /* TUPLE1 */:
          this.popSlot(at);
          this.pushTuple(this.sp, this.sp + 1, at);
          break;
        case 0x86 /* TUPLE2 */:
          this.popSlot(at);
          this.popSlot(at);
          this.pushTuple(this.sp, this.sp + 2, at);
          break;
        case 0x87 /* TUPLE3 */:
          this.popSlot(at);
          this.popSlot(at);
          this.popSlot(at);
          this.pushTuple(this.sp, this.sp + 3, at);
          break;
        // Stack and memo
        case 0x30 /* POP */:
          if (this.sp > this.base()) this.sp--;
          else this.popMarkSlots(at);
          break;
        case 0x32 /* DUP */: {
          const t = this.top(at);
          this.pushSlot(this.stack.tag[t]!, this.stack.off[t]!, this.stack.len[t]!, at);
          break;
        }
        case 0x28 /* MARK */:
          this.marks.push(this.sp);
          break;
        case 0x31 /* POP_MARK */:
          this.popMarkSlots(at);
          break;
        case 0x67 /* GET */: {
          const line = this.readLine(at);
          if (!/^\s*\d+\s*$/.test(line)) this.fail("GET with a non-numeric index", at);
          this.memoPush(parseInt(line, 10), at);
          break;
        }
        case 0x68 /* BINGET */:
          this.need(1, at);
          this.memoPush(buf[this.i++]!, at);
          break;
        case 0x6a /* LONG_BINGET */:
          this.need(4, at);
          this.memoPush(this.u32(this.i), at);
          this.i += 4;
          break;
        case 0x70 /* PUT */: {
          const line = this.readLine(at);
          if (!/^\s*-?\d+\s*$/.test(line)) this.fail("PUT with a non-numeric index", at);
          this.memoSet(parseInt(line, 10), this.top(at), at);
          break;
        }
        case 0x71 /* BINPUT */:
          this.need(1, at);
          this.memoSet(buf[this.i++]!, this.top(at), at);
          break;
        case 0x72 /* LONG_BINPUT */:
          this.need(4, at);
          this.memoSet(this.u32(this.i), this.top(at), at);
          this.i += 4;
          break;
        case 0x94 /* MEMOIZE */: {
          const t = this.top(at);
          const d = this.memoDense;
          if (this.memoSparse.size === 0 && d < this.limits.maxMemoEntries) {
            // The common case, inlined: append to the dense memo.
            this.memo.set(d, this.stack.tag[t]!, this.stack.off[t]!, this.stack.len[t]!);
            this.memoDense = d + 1;
          } else {
            this.memoSet(d + this.memoSparse.size, t, at);
          }
          break;
        }
        // Imports
        case 0x63 /* GLOBAL */: {
          const module = this.readLine(at);
          const name = this.readLine(at);
          this.pushValue(this.addImport(module, name, "GLOBAL", at), at);
          break;
        }
        case 0x93 /* STACK_GLOBAL */: {
          // Names are decoded in full: a long dotted name (a chain of attributes) must not become a preview.
          const name = this.popName(at);
          const module = this.popName(at);
          if (typeof module !== "string" || typeof name !== "string") this.fail("STACK_GLOBAL requires two strings", at);
          this.pushValue(this.addImport(module as string, name as string, "STACK_GLOBAL", at), at);
          break;
        }
        case 0x82 /* EXT1 */:
        case 0x83 /* EXT2 */:
        case 0x84 /* EXT4 */: {
          const width = code === OP.EXT1 ? 1 : code === OP.EXT2 ? 2 : 4;
          this.need(width, at);
          const ext = width === 1 ? buf[this.i]! : width === 2 ? buf[this.i]! | (buf[this.i + 1]! << 8) : this.u32(this.i);
          this.i += width;
          this.pushValue(this.addImport("copyreg", `_extension_registry[${ext}]`, "EXT", at), at);
          break;
        }
        // Calls
        case 0x52 /* REDUCE */: {
          const args = this.pop(at);
          const callee = this.pop(at);
          this.pushCall(callee, args, "REDUCE", at);
          break;
        }
        case 0x62 /* BUILD */: {
          const state = this.pop(at);
          const t = this.top(at);
          const obj = this.valueAt(this.stack.tag[t]!, this.stack.off[t]!, this.stack.len[t]!);
          if (isInteresting(obj)) {
            this.addCall({ kind: "call", callee: obj, args: OTHER, offset: at }, state, "BUILD", at, obj);
            this.skipJoblibArray(obj, at);
          }
          break;
        }
        case 0x69 /* INST */: {
          const module = this.readLine(at);
          const name = this.readLine(at);
          const from = this.popMarkSlots(at);
          const args = this.tupleValue(from, this.lastTop);
          const ref = this.addImport(module, name, "INST", at);
          this.pushValue(this.addCall(ref, args, "INST", at), at);
          break;
        }
        case 0x6f /* OBJ */: {
          const from = this.popMarkSlots(at);
          const to = this.lastTop;
          if (to <= from) this.fail("OBJ without a class", at);
          const cls = this.valueAt(this.stack.tag[from]!, this.stack.off[from]!, this.stack.len[from]!);
          this.pushCall(cls, this.tupleValue(from + 1, to), "OBJ", at);
          break;
        }
        case 0x81 /* NEWOBJ */: {
          const args = this.pop(at);
          const cls = this.pop(at);
          this.pushCall(cls, args, "NEWOBJ", at);
          break;
        }
        case 0x92 /* NEWOBJ_EX */: {
          const kwargs = this.pop(at);
          const args = this.pop(at);
          const cls = this.pop(at);
          const both: Value = isInteresting(args) || isInteresting(kwargs) ? { kind: "tuple", items: [args, kwargs] } : OTHER;
          this.pushCall(cls, both, "NEWOBJ_EX", at);
          break;
        }
        case 0x50 /* PERSID */:
          this.skipLine(at);
          this.pushOther(at);
          break;
        case 0x51 /* BINPERSID */:
          this.popSlot(at);
          this.pushOther(at);
          break;
        default:
          this.fail(OPCODE_BY_BYTE[code] ? `opcode ${OPCODE_BY_BYTE[code]!.name} not handled` : `unknown opcode 0x${code.toString(16).padStart(2, "0")}`, at);
      }
    }
  }
}

/** True when `buf` starts like a pickle: a PROTO opcode, or a protocol 0/1 opcode stream that reaches STOP. */
/**
 * Whether `head` (the first bytes of a file of `totalSize` bytes) is a pickle, judged as
 * `pickle.loads` judges it: by running the opcodes, not by a leading PROTO byte. PROTO is
 * optional at every protocol, so a pickle may start with any opcode (NEWTRUE, BININT2,
 * SHORT_BINUNICODE, ...) and still load. Accepted:
 * - a clean run of opcodes to a STOP;
 * - a head cut from a larger file mid-pickle, when the cut needs no more bytes than the file has;
 * - a whole file that ends mid-pickle after a call: the unpickler runs it
 *   before it notices the truncation, so a truncated pickle is as dangerous as a whole one.
 * Anything the unpickler would reject (unknown opcode, stack underflow, missing memo entry,
 * bad literal) is not a pickle.
 */
export function looksLikePickle(head: Uint8Array, totalSize: number): boolean {
  if (head.length < 2) return false;
  const first = head[0]!;
  if (OPCODE_BY_BYTE[first] === undefined) return false;
  // A PROTO header is evidence enough (a truncated or damaged pickle is then a parse error, not
  // unknown data); its absence proves nothing, since PROTO is optional.
  if (first === OP.PROTO) return head[1]! >= 2 && head[1]! <= 5;
  const probe = analysePickles(head, 0, { maxMemoEntries: 100_000, maxStackDepth: 100_000, maxEvents: 100 });
  // One opcode and STOP (`N.`) is a pickle to Python, but as often two bytes of text: ask for more.
  if (probe.pickles > 0) return probe.end === head.length || probe.end > 2;
  const truncation = probe.error?.truncation;
  if (probe.error === undefined || truncation === undefined) return false;
  // A call is what runs code; two lines of text read as GLOBAL ("config\nvalue\n") call nothing.
  if (head.length >= totalSize) return probe.calls.length > 0;
  // A head that is a prefix of a bigger file may be cut mid-pickle: accept a clean truncation
  // after at least one whole opcode (a CSV whose first line reads as INST "id,text" and whose
  // second line runs past the head is not cut mid-pickle), but not one that needs more bytes
  // than the file has (random data read as a length).
  if (probe.error.offset === 0) return false;
  return truncation.needed === undefined || truncation.at === undefined || truncation.needed + truncation.at <= totalSize;
}
