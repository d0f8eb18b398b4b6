// Pickles hidden inside a pickle's strings and bytes objects: raw, base64, hex or zlib/gzip
// encoded, in up to MAX_STAGES layers (base64 of hex of a pickle, ...). A nested loader
// (pickle.loads(base64.b64decode(s)), torch.load(io.BytesIO(b))) runs them, so they are scanned
// as nested artifacts. Every check starts with a constant-time look at the first bytes: most
// strings in a pickle are short keys and most bytes objects are tensor data.

import { constants, gunzipSync, inflateSync } from "node:zlib";

export interface NestedPayload {
  /** The decoded pickle bytes. */
  data: Uint8Array;
  /** How it was hidden, outermost first: "raw", or e.g. "base64", "base64+zlib". */
  encoding: string;
}

const MAX_STAGES = 4;
const MIN_LENGTH = 8;
/** Decoded stages are capped: a nested payload is code, not weights. */
const MAX_DECODED = 64 * 1024 * 1024;

const PROTO = 0x80;
const STOP = 0x2e;
/** Opcodes a protocol 0/1 pickle that imports something starts with: GLOBAL, MARK, INST, EMPTY_DICT/LIST/TUPLE, PUT/strings. */
const P0_START = new Set([0x63 /* c */, 0x28 /* ( */, 0x7d /* } */, 0x5d /* ] */, 0x29 /* ) */, 0x53 /* S */, 0x56 /* V */, 0x58 /* X */, 0x8c]);

const isWhite = (b: number): boolean => b === 0x0a || b === 0x0d || b === 0x20 || b === 0x09;

function lastNonWhite(v: Uint8Array): number {
  let k = v.length - 1;
  while (k >= 0 && isWhite(v[k]!)) k--;
  return k;
}

/** Starts and ends like a pickle (the caller confirms by parsing it). */
function looksRaw(v: Uint8Array): boolean {
  if (v.length < 4) return false;
  const last = lastNonWhite(v);
  if (last < 1 || v[last] !== STOP) return false;
  if (v[0] === PROTO) return v[1]! >= 2 && v[1]! <= 5;
  // Protocol 0/1: `cmodule\nname\n` needs an identifier after GLOBAL; `(` a MARK followed by an opcode.
  if (!P0_START.has(v[0]!)) return false;
  if (v[0] === 0x63) return (v[1]! >= 0x41 && v[1]! <= 0x5a) || (v[1]! >= 0x61 && v[1]! <= 0x7a) || v[1] === 0x5f;
  return true;
}

const B64 = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=") B64[c.charCodeAt(0)] = 1;
/** Base64 digit values (both alphabets), 255 for anything else. */
const B64_VALUE = new Uint8Array(256).fill(255);
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".split("").forEach((c, k) => (B64_VALUE[c.charCodeAt(0)] = k));
B64_VALUE[0x2d] = 62;
B64_VALUE[0x5f] = 63;
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;
const hexValue = (b: number): number => (b <= 0x39 ? b - 0x30 : (b | 0x20) - 0x57);

/** The first two bytes the text at `v` decodes to, computed without allocating (most strings are rejected here). */
function headOf(v: Uint8Array, encoding: "hex" | "base64"): Uint8Array | undefined {
  if (encoding === "hex") {
    if (!HEX[v[0]!] || !HEX[v[1]!] || !HEX[v[2]!] || !HEX[v[3]!]) return undefined;
    return Uint8Array.of((hexValue(v[0]!) << 4) | hexValue(v[1]!), (hexValue(v[2]!) << 4) | hexValue(v[3]!));
  }
  const a = B64_VALUE[v[0]!]!;
  const b = B64_VALUE[v[1]!]!;
  const c = B64_VALUE[v[2]!]!;
  if (a === 255 || b === 255 || c === 255) return undefined;
  return Uint8Array.of((a << 2) | (b >> 4), ((b & 15) << 4) | (c >> 2));
}

function all(v: Uint8Array, table: Uint8Array, end: number): boolean {
  for (let k = 0; k <= end; k++) if (!table[v[k]!] && !isWhite(v[k]!)) return false;
  return true;
}

function decodeBase64(v: Uint8Array): Uint8Array | undefined {
  const end = lastNonWhite(v);
  if (end + 1 < MIN_LENGTH) return undefined;
  // The first characters decode to the first bytes: a pickle, or a further layer.
  const head = headOf(v, "base64");
  if (!head || !startsLikeLayer(head)) return undefined;
  if (!all(v, B64, end)) return undefined;
  const text = Buffer.from(v.buffer, v.byteOffset, end + 1).toString("latin1");
  return Buffer.from(text, /[-_]/.test(text) ? "base64url" : "base64");
}

function decodeHex(v: Uint8Array): Uint8Array | undefined {
  const end = lastNonWhite(v);
  if (end + 1 < MIN_LENGTH || (end + 1) % 2 !== 0) return undefined;
  const head = headOf(v, "hex");
  if (!head || !startsLikeLayer(head)) return undefined;
  if (!all(v, HEX, end)) return undefined;
  return Buffer.from(Buffer.from(v.buffer, v.byteOffset, end + 1).toString("latin1"), "hex");
}

/** A pickle, zlib or gzip stream, or (for another text layer) printable ASCII. */
function startsLikeLayer(h: Uint8Array): boolean {
  const a = h[0]!;
  const b = h[1]!;
  if (a === PROTO) return b >= 2 && b <= 5;
  if (P0_START.has(a)) return true;
  if (a === 0x78 && (b === 0x01 || b === 0x5e || b === 0x9c || b === 0xda)) return true;
  if (a === 0x1f && b === 0x8b) return true;
  // Another base64 or hex layer.
  return B64[a] === 1 && B64[b] === 1;
}

function inflate(v: Uint8Array): Uint8Array | undefined {
  const gzip = v[0] === 0x1f && v[1] === 0x8b && v[2] === 0x08;
  const zlib = v[0] === 0x78 && (v[1] === 0x01 || v[1] === 0x5e || v[1] === 0x9c || v[1] === 0xda);
  if (!gzip && !zlib) return undefined;
  const run = gzip ? gunzipSync : inflateSync;
  try {
    // Decode a little first: only a stream that starts like a pickle (or another layer) is inflated whole.
    const probe = run(v.subarray(0, 512), { finishFlush: constants.Z_SYNC_FLUSH });
    if (probe.length < 2 || !startsLikeLayer(probe)) return undefined;
    return run(v, { maxOutputLength: MAX_DECODED });
  } catch {
    return undefined;
  }
}

/** The pickle hidden in `value`, if it holds one (raw, or behind up to MAX_STAGES encodings). */
export function findNestedPickle(value: Uint8Array): NestedPayload | undefined {
  if (value.length < 4) return undefined;
  let v = value;
  const stages: string[] = [];
  for (let stage = 0; stage <= MAX_STAGES; stage++) {
    if (looksRaw(v)) return { data: v, encoding: stages.length > 0 ? stages.join("+") : "raw" };
    if (stage === MAX_STAGES || v.length < MIN_LENGTH) return undefined;
    let next: Uint8Array | undefined;
    let how = "";
    if ((next = inflate(v))) how = v[0] === 0x1f ? "gzip" : "zlib";
    else if ((next = decodeHex(v))) how = "hex";
    else if ((next = decodeBase64(v))) how = "base64";
    if (!next || next.length > MAX_DECODED) return undefined;
    stages.push(how);
    v = next;
  }
  return undefined;
}
