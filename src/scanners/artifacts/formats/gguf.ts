// GGUF (llama.cpp): header and metadata key/values. Only string values are kept (templates,
// names); arrays and numbers are skipped over.

import type { RandomAccessFile } from "../../../core/random-access";

export interface GgufDocument {
  version: number;
  tensorCount: number;
  /** String metadata by key, with the byte offset of each value. */
  strings: Array<{ key: string; value: string; offset: number }>;
  kvCount: number;
  /** Sum of the tensors' element counts, from the tensor infos after the metadata (undefined when they could not be read). */
  parameters?: number;
}

/** Tensor infos read for the parameter count; beyond this the count is left out. */
const MAX_TENSOR_INFOS = 1_000_000;

const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const T_STRING = 8;
const T_ARRAY = 9;
const MAX_METADATA_BYTES = 256 * 1024 * 1024;

class Reader {
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  pos: number;
  constructor(
    private readonly file: RandomAccessFile,
    start: number,
  ) {
    this.pos = start;
  }
  private async ensure(n: number): Promise<void> {
    if (this.pos >= this.chunkStart && this.pos + n <= this.chunkStart + this.chunk.length) return;
    if (this.pos + n > this.file.size) throw new Error(`truncated: ${n} bytes needed at offset ${this.pos}`);
    this.chunkStart = this.pos;
    this.chunk = await this.file.read(this.pos, Math.max(n, 1 << 20));
  }
  async u32(): Promise<number> {
    await this.ensure(4);
    const v = this.chunk.readUInt32LE(this.pos - this.chunkStart);
    this.pos += 4;
    return v;
  }
  async u64(): Promise<number> {
    await this.ensure(8);
    const v = this.chunk.readBigUInt64LE(this.pos - this.chunkStart);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`length ${v} at offset ${this.pos - 8} is impossible`);
    return Number(v);
  }
  async bytes(n: number): Promise<Buffer> {
    if (n > MAX_METADATA_BYTES) throw new Error(`a ${n}-byte metadata value is beyond the ${MAX_METADATA_BYTES}-byte limit`);
    await this.ensure(n);
    const out = this.chunk.subarray(this.pos - this.chunkStart, this.pos - this.chunkStart + n);
    this.pos += n;
    return out;
  }
  skip(n: number): void {
    if (this.pos + n > this.file.size) throw new Error(`truncated: ${n} bytes needed at offset ${this.pos}`);
    this.pos += n;
  }
}

export async function readGguf(file: RandomAccessFile): Promise<GgufDocument> {
  const head = await file.read(0, 24);
  if (head.length < 24 || head.toString("latin1", 0, 4) !== "GGUF") throw new Error("not a GGUF file");
  const version = head.readUInt32LE(4);
  if (version < 1 || version > 3) throw new Error(`unknown GGUF version ${version}`);
  // Version 1 used 32-bit counts and lengths.
  const wide = version >= 2;
  const r = new Reader(file, 8);
  const count = async (): Promise<number> => (wide ? r.u64() : r.u32());
  const tensorCount = await count();
  const kvCount = await count();
  if (kvCount > 10_000_000) throw new Error(`metadata count ${kvCount} is impossible`);
  const doc: GgufDocument = { version, tensorCount, strings: [], kvCount };
  const readString = async (): Promise<string> => (await r.bytes(await count())).toString("utf8");
  for (let k = 0; k < kvCount; k++) {
    const key = await readString();
    const type = await r.u32();
    if (type === T_STRING) {
      const offset = r.pos;
      doc.strings.push({ key, value: await readString(), offset });
    } else if (type === T_ARRAY) {
      const itemType = await r.u32();
      const n = await count();
      if (itemType === T_STRING) {
        for (let j = 0; j < n; j++) r.skip(await count());
      } else {
        const size = SCALAR_SIZE[itemType];
        if (size === undefined) throw new Error(`metadata ${JSON.stringify(key)} has an array of unknown type ${itemType}`);
        r.skip(size * n);
      }
    } else {
      const size = SCALAR_SIZE[type];
      if (size === undefined) throw new Error(`metadata ${JSON.stringify(key)} has unknown type ${type}`);
      r.skip(size);
    }
  }
  if (tensorCount <= MAX_TENSOR_INFOS) {
    try {
      let parameters = 0;
      for (let k = 0; k < tensorCount; k++) {
        r.skip(await count()); // name
        const dims = await r.u32();
        if (dims > 8) throw new Error(`tensor ${k} has ${dims} dimensions`);
        let elements = 1;
        for (let d = 0; d < dims; d++) elements *= await count();
        await r.u32(); // type
        r.skip(8); // offset
        parameters += elements;
      }
      doc.parameters = parameters;
    } catch {
      // The metadata was read; a damaged tensor table only costs the model card its parameter count.
    }
  }
  return doc;
}
