// TensorFlow Lite models: a flatbuffer with file identifier "TFL3". The structure is read with
// the flatbuffers runtime's ByteBuffer and every offset is bounds-checked before it is
// followed (the runtime itself trusts its input), so a hostile file gives a parse error, not a
// crash. What matters for security is which operators the model needs: custom operators
// need code from elsewhere, and Flex operators run full TensorFlow kernels (ReadFile, WriteFile).

import { ByteBuffer } from "flatbuffers";
import type { TfliteDocument } from "./documents";

/** BuiltinOperator.CUSTOM in tensorflow/lite/schema/schema.fbs. */
const CUSTOM = 32;
const MAX_VECTOR = 10_000_000;

export class TfliteError extends Error {}

export function isTflite(head: Uint8Array): boolean {
  return head.length >= 8 && head[4] === 0x54 && head[5] === 0x46 && head[6] === 0x4c && head[7] === 0x33; // "TFL3"
}

class Reader {
  readonly bb: ByteBuffer;
  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
  }
  need(pos: number, len: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || len < 0 || pos + len > this.bytes.length) throw new TfliteError(`${what} at offset ${pos} (${len} bytes) lies outside the ${this.bytes.length}-byte file`);
  }
  u32(pos: number, what: string): number {
    this.need(pos, 4, what);
    return this.bb.readUint32(pos);
  }
  /** A table at pos: checks its vtable and returns a field lookup (absolute position of field k, or 0 when absent). */
  table(pos: number, what: string): (field: number) => number {
    this.need(pos, 4, what);
    const vtable = pos - this.bb.readInt32(pos);
    this.need(vtable, 4, `${what} vtable`);
    const vtSize = this.bb.readUint16(vtable);
    const objSize = this.bb.readUint16(vtable + 2);
    if (vtSize < 4 || vtSize % 2 !== 0) throw new TfliteError(`${what} has a malformed vtable (size ${vtSize})`);
    this.need(vtable, vtSize, `${what} vtable`);
    this.need(pos, objSize, what);
    return (field) => {
      const slot = 4 + field * 2;
      if (slot >= vtSize) return 0;
      const off = this.bb.readUint16(vtable + slot);
      if (off === 0) return 0;
      if (off >= objSize) throw new TfliteError(`${what} field ${field} points past the table`);
      return pos + off;
    };
  }
  /** Follows a uoffset to a vector; returns [first element position, length]. */
  vector(fieldPos: number, elemSize: number, what: string): [number, number] {
    const start = fieldPos + this.u32(fieldPos, what);
    const len = this.u32(start, what);
    if (len > MAX_VECTOR) throw new TfliteError(`${what} claims ${len} elements`);
    this.need(start + 4, len * elemSize, what);
    return [start + 4, len];
  }
  string(fieldPos: number, what: string): string {
    const [at, len] = this.vector(fieldPos, 1, what);
    return Buffer.from(this.bytes.subarray(at, at + len)).toString("utf8");
  }
  indirect(pos: number, what: string): number {
    return pos + this.u32(pos, what);
  }
}

export function readTflite(bytes: Uint8Array): TfliteDocument {
  if (!isTflite(bytes)) throw new TfliteError("no TFL3 file identifier");
  const r = new Reader(bytes);
  const model = r.table(r.u32(0, "root offset"), "Model");
  const versionAt = model(0);
  const version = versionAt ? r.u32(versionAt, "Model.version") : 0;
  // operator_codes (field 1): OperatorCode { deprecated_builtin_code: byte; custom_code: string; version: int; builtin_code: int }
  const codes: Array<{ builtin: number; custom?: string }> = [];
  if (model(1)) {
    const [at, n] = r.vector(model(1), 4, "Model.operator_codes");
    for (let i = 0; i < n; i++) {
      const oc = r.table(r.indirect(at + 4 * i, "OperatorCode"), `OperatorCode ${i}`);
      const deprecated = oc(0) ? (r.need(oc(0), 1, "deprecated_builtin_code"), r.bb.readInt8(oc(0))) : 0;
      const builtin = oc(3) ? (r.need(oc(3), 4, "builtin_code"), r.bb.readInt32(oc(3))) : deprecated;
      codes.push({ builtin: Math.max(builtin, deprecated), ...(oc(1) ? { custom: r.string(oc(1), `OperatorCode ${i}.custom_code`) } : {}) });
    }
  }
  // subgraphs (field 2) -> operators (field 3) -> opcode_index (field 0)
  const uses = new Map<number, number>();
  let subgraphs = 0;
  if (model(2)) {
    const [at, n] = r.vector(model(2), 4, "Model.subgraphs");
    subgraphs = n;
    for (let s = 0; s < n; s++) {
      const sg = r.table(r.indirect(at + 4 * s, "SubGraph"), `SubGraph ${s}`);
      if (!sg(3)) continue;
      const [opsAt, nOps] = r.vector(sg(3), 4, `SubGraph ${s}.operators`);
      for (let o = 0; o < nOps; o++) {
        const op = r.table(r.indirect(opsAt + 4 * o, "Operator"), `SubGraph ${s} operator ${o}`);
        const index = op(0) ? r.u32(op(0), "opcode_index") : 0;
        if (index >= codes.length) throw new TfliteError(`SubGraph ${s} operator ${o} uses opcode ${index}, but the model declares ${codes.length}`);
        uses.set(index, (uses.get(index) ?? 0) + 1);
      }
    }
  }
  // buffers (field 4): Buffer { data: [ubyte]; offset: ulong; size: ulong } (offset/size for models over 2 GiB)
  if (model(4)) {
    const [at, n] = r.vector(model(4), 4, "Model.buffers");
    for (let b = 0; b < n; b++) {
      const buf = r.table(r.indirect(at + 4 * b, "Buffer"), `Buffer ${b}`);
      if (buf(0)) r.vector(buf(0), 1, `Buffer ${b}.data`);
      if (buf(1) && buf(2)) {
        r.need(buf(1), 8, "Buffer.offset");
        r.need(buf(2), 8, "Buffer.size");
        const off = Number(r.bb.readUint64(buf(1)));
        const size = Number(r.bb.readUint64(buf(2)));
        if (off > 1 && off + size > bytes.length) throw new TfliteError(`Buffer ${b} points at bytes ${off}..${off + size}, past the end of the file`);
      }
    }
  }
  const custom = new Map<string, number>();
  codes.forEach((c, i) => {
    if (c.builtin === CUSTOM || c.custom !== undefined) {
      const name = c.custom ?? "(unnamed custom op)";
      custom.set(name, (custom.get(name) ?? 0) + (uses.get(i) ?? 0));
    }
  });
  return { version, customOps: [...custom].map(([name, n]) => ({ name, uses: n })), builtinOps: codes.filter((c) => c.builtin !== CUSTOM && c.custom === undefined).length, subgraphs };
}
