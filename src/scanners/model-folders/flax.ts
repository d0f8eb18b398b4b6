// Flax msgpack checkpoints (flax.serialization.to_bytes / msgpack_serialize): a msgpack map
// tree whose array leaves are extension type 1 (ndarray) or 3 (numpy scalar), each itself a
// msgpack (shape, dtype name, raw bytes) tuple, complex numbers type 2, and arrays over the
// chunk size split into {"__msgpack_chunked_array__": true, "shape", "chunks"} maps. Decoded
// with @msgpack/msgpack under length caps; every array's byte length must match its shape.

import type { FlaxDocument } from "./documents";

// Loaded on first use: the library checks its JavaScript engine when it loads, and nothing
// should pay for (or fail on) a msgpack decoder until a Flax file is scanned.
type Msgpack = typeof import("@msgpack/msgpack");
let msgpack: Msgpack | undefined;
const lib = (): Msgpack => (msgpack ??= require("@msgpack/msgpack") as Msgpack);

const ITEMSIZE: Record<string, number> = { bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, float16: 2, bfloat16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8, complex64: 8, complex128: 16, float8_e4m3fn: 1, float8_e5m2: 1, int4: 1, uint4: 1 };
const MAX_DEPTH = 256;

class ArrayLeaf {
  constructor(
    readonly problem: string | undefined,
    readonly shape: number[],
  ) {}
}
class UnknownExt {
  constructor(readonly type: number) {}
}

export class FlaxError extends Error {}

/** msgpack with a map at the top: fixmap, map16 or map32. */
export function looksLikeMsgpackMap(head: Uint8Array): boolean {
  const b = head[0];
  return b !== undefined && ((b >= 0x81 && b <= 0x8f) || b === 0xde || b === 0xdf);
}

function arrayLeaf(data: Uint8Array, maxBytes: number): ArrayLeaf {
  let tuple: unknown;
  try {
    tuple = lib().decode(data, { maxStrLength: 256, maxArrayLength: 64, maxMapLength: 0, maxBinLength: maxBytes });
  } catch (e) {
    return new ArrayLeaf(`array extension is not a msgpack (shape, dtype, bytes) tuple: ${(e as Error).message}`, []);
  }
  if (!Array.isArray(tuple) || tuple.length !== 3) return new ArrayLeaf("array extension is not a (shape, dtype, bytes) tuple", []);
  const [shape, dtype, bytes] = tuple as [unknown, unknown, unknown];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) return new ArrayLeaf("array shape is not a list of non-negative integers", []);
  const dims = shape as number[];
  if (typeof dtype !== "string" || ITEMSIZE[dtype] === undefined) return new ArrayLeaf(`array dtype ${JSON.stringify(dtype)} is not a numeric dtype Flax writes`, dims);
  if (!(bytes instanceof Uint8Array)) return new ArrayLeaf("array data is not a byte string", dims);
  const expected = dims.reduce((a, d) => a * d, 1) * ITEMSIZE[dtype];
  if (expected !== bytes.length) return new ArrayLeaf(`array of shape [${dims.join(", ")}] ${dtype} needs ${expected} bytes but holds ${bytes.length}`, dims);
  return new ArrayLeaf(undefined, dims);
}

export function readFlaxMsgpack(bytes: Uint8Array): FlaxDocument {
  const { decode, ExtensionCodec } = lib();
  const codec = new ExtensionCodec();
  codec.register({ type: 1, encode: () => null, decode: (d) => arrayLeaf(d, bytes.length) });
  codec.register({ type: 3, encode: () => null, decode: (d) => arrayLeaf(d, bytes.length) });
  codec.register({ type: 2, encode: () => null, decode: () => new ArrayLeaf(undefined, []) });
  // Other extension types are not Flax's; they are recorded, not decoded.
  for (let t = 0; t < 128; t++) if (t < 1 || t > 3) codec.register({ type: t, encode: () => null, decode: () => new UnknownExt(t) });
  let tree: unknown;
  try {
    tree = decode(bytes, { extensionCodec: codec, maxStrLength: 1 << 20, maxArrayLength: 10_000_000, maxMapLength: 10_000_000, maxBinLength: bytes.length, maxExtLength: bytes.length });
  } catch (e) {
    throw new FlaxError((e as Error).message);
  }
  const doc: FlaxDocument = { arrays: 0, problems: [] };
  if (!tree || typeof tree !== "object" || Array.isArray(tree) || tree instanceof ArrayLeaf) throw new FlaxError("the top level is not a map of parameters");
  const visit = (v: unknown, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) {
      doc.problems.push({ path, problem: `nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (v instanceof ArrayLeaf) {
      doc.arrays++;
      if (v.problem) doc.problems.push({ path, problem: v.problem });
      return;
    }
    if (v instanceof UnknownExt) {
      doc.problems.push({ path, problem: `msgpack extension type ${v.type}, which Flax never writes` });
      return;
    }
    if (Array.isArray(v)) return v.forEach((x, i) => visit(x, `${path}[${i}]`, depth + 1));
    if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
      const o = v as Record<string, unknown>;
      if (o["__msgpack_chunked_array__"] === true) {
        doc.arrays++;
        if (!Array.isArray(o["shape"]) || !o["chunks"] || typeof o["chunks"] !== "object") doc.problems.push({ path, problem: "chunked array without shape or chunks" });
        for (const [k, c] of Object.entries((o["chunks"] ?? {}) as Record<string, unknown>)) if (c instanceof ArrayLeaf && c.problem) doc.problems.push({ path: `${path}.chunks.${k}`, problem: c.problem });
        return;
      }
      for (const [k, x] of Object.entries(o)) visit(x, path ? `${path}.${k}` : k, depth + 1);
    }
  };
  visit(tree, "", 0);
  return doc;
}
