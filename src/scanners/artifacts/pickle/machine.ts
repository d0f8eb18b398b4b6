// A static simulation of the pickle machine. It tracks only what matters for security
// (strings that may name imports, imported callables, calls and the memo) and never
// builds Python objects or runs anything. Uninteresting values share one sentinel so
// opcode-dense pickles cost no allocation per value.

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
}

export interface PickleError {
  message: string;
  offset: number;
  pickle: number;
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
}

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
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

class PickleFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Memo with a dense part (MEMOIZE and in-order PUTs) and a sparse part (PUTs at arbitrary indices). */
class Memo {
  private dense: Value[] = [];
  private sparse = new Map<number, Value>();
  get size(): number {
    return this.dense.length + this.sparse.size;
  }
  set(index: number, value: Value): void {
    if (index < this.dense.length) {
      this.dense[index] = value;
      return;
    }
    if (index === this.dense.length) {
      this.dense.push(value);
      this.sparse.delete(index);
      // Pull following sparse entries into the dense part so lookups stay cheap.
      while (this.sparse.size > 0 && this.sparse.has(this.dense.length)) {
        const next = this.sparse.get(this.dense.length) as Value;
        this.sparse.delete(this.dense.length);
        this.dense.push(next);
      }
      return;
    }
    this.sparse.set(index, value);
  }
  get(index: number): Value | undefined {
    return index < this.dense.length ? this.dense[index] : this.sparse.get(index);
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

/**
 * Simulates every pickle in `buf` from `start`, one after another, until the data stops
 * looking like a pickle. Never throws on malformed input: the first error is returned in
 * `error` and everything seen before it is kept.
 */
export function analysePickles(
  buf: Uint8Array,
  start = 0,
  limits: PickleLimits = DEFAULT_PICKLE_LIMITS,
): PickleAnalysis {
  const result: PickleAnalysis = { imports: [], calls: [], pickles: 0, protocol: 0, end: start, trailingBytes: 0 };
  let pos = start;
  while (pos < buf.length) {
    const before = result.imports.length + result.calls.length;
    const outcome = runOne(buf, pos, result.pickles, limits, result);
    if (outcome.ok) {
      result.pickles++;
      pos = outcome.end;
      result.end = pos;
      continue;
    }
    // The first pickle must parse. Later data that fails without showing an import or call is
    // trailing data (legacy torch.save appends raw storage bytes after its pickles).
    const sawEvents = result.imports.length + result.calls.length > before;
    if (result.pickles === 0 || sawEvents) {
      result.error = { message: outcome.error.message, offset: outcome.error.offset, pickle: result.pickles };
    }
    break;
  }
  result.trailingBytes = buf.length - result.end;
  return result;
}

type Outcome = { ok: true; end: number } | { ok: false; error: PickleFormatError };

function runOne(
  buf: Uint8Array,
  start: number,
  pickleIndex: number,
  limits: PickleLimits,
  out: PickleAnalysis,
): Outcome {
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Memo();
  const n = buf.length;
  let i = start;

  const fail = (message: string, at: number): never => {
    throw new PickleFormatError(message, at);
  };
  const need = (count: number, at: number): void => {
    if (i + count > n) fail(`truncated: ${count} bytes needed at offset ${i}, ${n - i} left`, at);
  };
  const readLine = (at: number): string => {
    let j = i;
    while (j < n && buf[j] !== 0x0a) j++;
    if (j >= n) fail("truncated: line argument without newline", at);
    const s = Buffer.from(buf.buffer, buf.byteOffset + i, j - i).toString("utf8");
    i = j + 1;
    return s;
  };
  const u32 = (p: number): number => (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16)) + buf[p + 3]! * 0x1000000;
  const readString = (len: number, at: number, encoding: "utf8" | "latin1"): Value => {
    need(len, at);
    const s0 = i;
    i += len;
    if (len <= MAX_DECODED_STRING) return Buffer.from(buf.buffer, buf.byteOffset + s0, len).toString(encoding);
    const preview = Buffer.from(buf.buffer, buf.byteOffset + s0, 200).toString(encoding);
    return { kind: "longstr", preview, length: len };
  };
  const pop = (at: number): Value => {
    const base = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (stack.length <= base) fail("stack underflow", at);
    return stack.pop() as Value;
  };
  const top = (at: number): Value => {
    const base = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (stack.length <= base) fail("stack underflow", at);
    return stack[stack.length - 1] as Value;
  };
  const popMark = (at: number): Value[] => {
    if (marks.length === 0) fail("MARK expected but not found", at);
    const m = marks.pop() as number;
    return stack.splice(m);
  };
  const push = (v: Value, at: number): void => {
    if (stack.length >= limits.maxStackDepth) {
      out.limitExceeded = `stack deeper than ${limits.maxStackDepth}`;
      fail(`stack deeper than ${limits.maxStackDepth} entries`, at);
    }
    stack.push(v);
  };
  const memoSet = (index: number, v: Value, at: number): void => {
    if (index < 0) fail("negative memo index", at);
    if (memo.size >= limits.maxMemoEntries) {
      out.limitExceeded = `memo larger than ${limits.maxMemoEntries} entries`;
      fail(`memo larger than ${limits.maxMemoEntries} entries`, at);
    }
    memo.set(index, v);
  };
  const memoGet = (index: number, at: number): Value => {
    const v = memo.get(index);
    if (v === undefined) fail(`memo value ${index} not found`, at);
    return v as Value;
  };
  const addImport = (module: string, name: string, opcode: GlobalRef["opcode"], at: number): GlobalRef => {
    if (opcode !== "EXT" && (!IDENTIFIER.test(module) || !IDENTIFIER.test(name))) {
      fail(`${opcode} names something that cannot be imported: ${JSON.stringify(module)} ${JSON.stringify(name)}`, at);
    }
    const ref: GlobalRef = { kind: "global", module, name, offset: at, opcode };
    if (out.imports.length < limits.maxEvents) out.imports.push({ module, name, offset: at, opcode, pickle: pickleIndex });
    return ref;
  };
  const tupleOf = (items: Value[]): Value => (items.some(isInteresting) ? { kind: "tuple", items } : OTHER);
  const addCall = (callee: Value, args: Value, opcode: PickleCall["opcode"], at: number): CallValue => {
    const call: CallValue = { kind: "call", callee, args, offset: at };
    if (out.calls.length < limits.maxEvents) {
      const target = rootGlobal(callee);
      const entry: PickleCall = {
        callee: describe(callee),
        opcode,
        offset: at,
        chain: describe(call).slice(0, 500),
        pickle: pickleIndex,
      };
      if (target) entry.target = target;
      out.calls.push(entry);
    }
    return call;
  };

  try {
    while (true) {
      if (i >= n) fail(pickleIndex === 0 && i === start ? "empty pickle" : "truncated: no STOP opcode", i);
      const at = i;
      const code = buf[i++]!;
      const info = OPCODE_BY_BYTE[code];
      if (!info) fail(`unknown opcode 0x${code.toString(16).padStart(2, "0")}`, at);
      switch (code) {
        case OP.PROTO: {
          need(1, at);
          const p = buf[i++]!;
          if (p > 5) fail(`unsupported pickle protocol ${p}`, at);
          if (p > out.protocol) out.protocol = p;
          break;
        }
        case OP.FRAME:
          // Frame lengths are advisory here: a frame that lies about its length must not hide opcodes.
          need(8, at);
          i += 8;
          break;
        case OP.STOP:
          if (stack.length === 0) fail("STOP with an empty stack", at);
          return { ok: true, end: i };
        // Literals
        case OP.NONE:
        case OP.NEWTRUE:
        case OP.NEWFALSE:
        case OP.NEXT_BUFFER:
          push(OTHER, at);
          break;
        case OP.READONLY_BUFFER:
          top(at);
          break;
        case OP.BININT1:
          need(1, at);
          i += 1;
          push(OTHER, at);
          break;
        case OP.BININT2:
          need(2, at);
          i += 2;
          push(OTHER, at);
          break;
        case OP.BININT:
          need(4, at);
          i += 4;
          push(OTHER, at);
          break;
        case OP.BINFLOAT:
          need(8, at);
          i += 8;
          push(OTHER, at);
          break;
        case OP.INT:
        case OP.LONG:
        case OP.FLOAT: {
          const line = readLine(at);
          if (!/^\s*[-+]?[0-9A-Za-z_.+-]*L?\s*$/.test(line)) fail(`invalid number literal ${JSON.stringify(line.slice(0, 40))}`, at);
          push(OTHER, at);
          break;
        }
        case OP.LONG1: {
          need(1, at);
          const len = buf[i++]!;
          need(len, at);
          i += len;
          push(OTHER, at);
          break;
        }
        case OP.LONG4: {
          need(4, at);
          const len = u32(i);
          i += 4;
          if (len > 0x7fffffff) fail("LONG4 with negative length", at);
          need(len, at);
          i += len;
          push(OTHER, at);
          break;
        }
        // Strings (py2 str decodes to str under Python 3's default ASCII encoding)
        case OP.STRING: {
          const line = readLine(at);
          let s: string;
          try {
            s = unescapePythonString(line);
          } catch {
            fail("STRING argument is not a quoted string", at);
            s = "";
          }
          push(s, at);
          break;
        }
        case OP.SHORT_BINSTRING: {
          need(1, at);
          const len = buf[i++]!;
          push(readString(len, at, "latin1"), at);
          break;
        }
        case OP.BINSTRING: {
          need(4, at);
          const len = u32(i);
          i += 4;
          if (len > 0x7fffffff) fail("BINSTRING with negative length", at);
          push(readString(len, at, "latin1"), at);
          break;
        }
        case OP.UNICODE: {
          push(unescapeRawUnicode(readLine(at)), at);
          break;
        }
        case OP.SHORT_BINUNICODE: {
          need(1, at);
          const len = buf[i++]!;
          push(readString(len, at, "utf8"), at);
          break;
        }
        case OP.BINUNICODE: {
          need(4, at);
          const len = u32(i);
          i += 4;
          push(readString(len, at, "utf8"), at);
          break;
        }
        case OP.BINUNICODE8: {
          need(8, at);
          const len = u32(i) + u32(i + 4) * 0x100000000;
          i += 8;
          push(readString(len, at, "utf8"), at);
          break;
        }
        // Bytes: not importable names, so no content is kept.
        case OP.SHORT_BINBYTES: {
          need(1, at);
          const len = buf[i++]!;
          need(len, at);
          i += len;
          push(OTHER, at);
          break;
        }
        case OP.BINBYTES: {
          need(4, at);
          const len = u32(i);
          i += 4;
          need(len, at);
          i += len;
          push(OTHER, at);
          break;
        }
        case OP.BINBYTES8:
        case OP.BYTEARRAY8: {
          need(8, at);
          const len = u32(i) + u32(i + 4) * 0x100000000;
          i += 8;
          need(len, at);
          i += len;
          push(OTHER, at);
          break;
        }
        // Containers
        case OP.EMPTY_LIST:
        case OP.EMPTY_DICT:
        case OP.EMPTY_SET:
        case OP.EMPTY_TUPLE:
          push(OTHER, at);
          break;
        case OP.APPEND:
          pop(at);
          top(at);
          break;
        case OP.APPENDS:
        case OP.SETITEMS:
        case OP.ADDITEMS:
          popMark(at);
          top(at);
          break;
        case OP.SETITEM:
          pop(at);
          pop(at);
          top(at);
          break;
        case OP.LIST:
        case OP.DICT:
        case OP.FROZENSET:
          popMark(at);
          push(OTHER, at);
          break;
        case OP.TUPLE:
          push(tupleOf(popMark(at)), at);
          break;
        case OP.TUPLE1: {
          const a = pop(at);
          push(tupleOf([a]), at);
          break;
        }
        case OP.TUPLE2: {
          const b = pop(at);
          const a = pop(at);
          push(tupleOf([a, b]), at);
          break;
        }
        case OP.TUPLE3: {
          const c = pop(at);
          const b = pop(at);
          const a = pop(at);
          push(tupleOf([a, b, c]), at);
          break;
        }
        // Stack and memo
        case OP.POP:
          if (stack.length > (marks.length > 0 ? marks[marks.length - 1]! : 0)) stack.pop();
          else popMark(at);
          break;
        case OP.DUP:
          push(top(at), at);
          break;
        case OP.MARK:
          marks.push(stack.length);
          break;
        case OP.POP_MARK:
          popMark(at);
          break;
        case OP.GET: {
          const line = readLine(at);
          if (!/^\s*\d+\s*$/.test(line)) fail("GET with a non-numeric index", at);
          push(memoGet(parseInt(line, 10), at), at);
          break;
        }
        case OP.BINGET:
          need(1, at);
          push(memoGet(buf[i++]!, at), at);
          break;
        case OP.LONG_BINGET:
          need(4, at);
          push(memoGet(u32(i), at), at);
          i += 4;
          break;
        case OP.PUT: {
          const line = readLine(at);
          if (!/^\s*-?\d+\s*$/.test(line)) fail("PUT with a non-numeric index", at);
          memoSet(parseInt(line, 10), top(at), at);
          break;
        }
        case OP.BINPUT:
          need(1, at);
          memoSet(buf[i++]!, top(at), at);
          break;
        case OP.LONG_BINPUT:
          need(4, at);
          memoSet(u32(i), top(at), at);
          i += 4;
          break;
        case OP.MEMOIZE:
          memoSet(memo.size, top(at), at);
          break;
        // Imports
        case OP.GLOBAL: {
          const module = readLine(at);
          const name = readLine(at);
          push(addImport(module, name, "GLOBAL", at), at);
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = pop(at);
          const module = pop(at);
          if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL requires two strings", at);
          push(addImport(module as string, name as string, "STACK_GLOBAL", at), at);
          break;
        }
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4: {
          const width = code === OP.EXT1 ? 1 : code === OP.EXT2 ? 2 : 4;
          need(width, at);
          const ext = width === 1 ? buf[i]! : width === 2 ? buf[i]! | (buf[i + 1]! << 8) : u32(i);
          i += width;
          push(addImport("copyreg", `_extension_registry[${ext}]`, "EXT", at), at);
          break;
        }
        // Calls
        case OP.REDUCE: {
          const args = pop(at);
          const callee = pop(at);
          push(addCall(callee, args, "REDUCE", at), at);
          break;
        }
        case OP.BUILD: {
          const state = pop(at);
          const obj = top(at);
          if (isInteresting(obj)) addCall({ kind: "call", callee: obj, args: OTHER, offset: at }, state, "BUILD", at);
          break;
        }
        case OP.INST: {
          const module = readLine(at);
          const name = readLine(at);
          const args = popMark(at);
          const ref = addImport(module, name, "INST", at);
          push(addCall(ref, tupleOf(args), "INST", at), at);
          break;
        }
        case OP.OBJ: {
          const items = popMark(at);
          if (items.length === 0) fail("OBJ without a class", at);
          push(addCall(items[0]!, tupleOf(items.slice(1)), "OBJ", at), at);
          break;
        }
        case OP.NEWOBJ: {
          const args = pop(at);
          const cls = pop(at);
          push(addCall(cls, args, "NEWOBJ", at), at);
          break;
        }
        case OP.NEWOBJ_EX: {
          const kwargs = pop(at);
          const args = pop(at);
          const cls = pop(at);
          push(addCall(cls, tupleOf([args, kwargs]), "NEWOBJ_EX", at), at);
          break;
        }
        case OP.PERSID:
          readLine(at);
          push(OTHER, at);
          break;
        case OP.BINPERSID:
          pop(at);
          push(OTHER, at);
          break;
        default:
          fail(`opcode ${info!.name} not handled`, at);
      }
    }
  } catch (e) {
    if (e instanceof PickleFormatError) return { ok: false, error: e };
    return { ok: false, error: new PickleFormatError(e instanceof Error ? e.message : String(e), i) };
  }
}

/** True when `buf` starts like a pickle: a PROTO opcode, or a protocol 0/1 opcode stream that reaches STOP. */
export function looksLikePickle(head: Uint8Array, totalSize: number): boolean {
  if (head.length < 2) return false;
  if (head[0] === OP.PROTO) return head[1]! <= 5 && head[1]! >= 2;
  // Protocol 0/1 pickles have no header: parse the head and require a clean run of opcodes.
  const first = head[0]!;
  const starters = new Set([OP.MARK, OP.GLOBAL, OP.EMPTY_LIST, OP.EMPTY_DICT, OP.EMPTY_TUPLE, OP.INST, OP.NONE, OP.BININT, OP.BININT1, OP.STRING, OP.UNICODE, OP.BINUNICODE, OP.SHORT_BINSTRING, OP.BINSTRING, OP.INT, OP.LONG, OP.FLOAT]);
  if (!starters.has(first)) return false;
  const probe = analysePickles(head, 0, { maxMemoEntries: 100_000, maxStackDepth: 100_000, maxEvents: 100 });
  if (probe.pickles > 0) return probe.end === head.length || probe.end > 2;
  // A head that is a prefix of a bigger file may be cut mid-pickle: accept a clean truncation.
  return head.length < totalSize && probe.error !== undefined && probe.error.message.startsWith("truncated");
}
