// A 7z reader over positioned reads: the signature header, the (possibly LZMA-encoded) header
// with its folders, pack streams, sub-streams and file names, and decoding of single-coder
// folders (Copy, LZMA, LZMA2 through @napi-rs/lzma, Deflate, BZip2). Sizes are declared before
// anything is decoded, so a bomb is refused from the header; nothing is extracted to disk.
// Format: 7-Zip's DOC/7zFormat.txt. No npm library reads 7z in pure JS/wasm without extracting
// to disk or running a 7-Zip binary, hence this reader.

import { crc32, inflateRawSync } from "node:zlib";
import { lzma, lzma2 } from "@napi-rs/lzma";
import type { RandomAccessFile } from "../../../core/random-access";
import { decompress } from "./decompress";

export const SEVEN_ZIP_MAGIC = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]);

export class SevenZipError extends Error {
  override name = "SevenZipError";
}

export interface SevenZipCoder {
  /** Method id in hex ("21" LZMA2, "030101" LZMA, "00" Copy, "06f10701" AES). */
  id: string;
  props: Buffer;
  inStreams: number;
  outStreams: number;
}

export interface SevenZipFolder {
  coders: SevenZipCoder[];
  /** Absolute file offset of the folder's first pack stream, and the pack stream sizes. */
  packOffset: number;
  packSizes: number[];
  /** Declared size of every coder output; the folder's output is the unbound one. */
  unpackSizes: number[];
  unpackSize: number;
  method: string;
  encrypted: boolean;
}

export interface SevenZipEntry {
  name: string;
  isDir: boolean;
  size: number;
  /** Index of the folder holding the entry's bytes (-1 for empty entries) and where they start in its output. */
  folder: number;
  offsetInFolder: number;
  /** Windows attributes; the high 16 bits hold the Unix mode when bit 0x8000 is set. */
  attributes?: number;
}

export interface SevenZipListing {
  entries: SevenZipEntry[];
  folders: SevenZipFolder[];
  /** The header itself is AES-encrypted (7z -mhe=on): no names or sizes can be read without the password. */
  headerEncrypted: boolean;
  anomalies: string[];
  truncated: boolean;
}

const METHODS: Record<string, string> = { "00": "Copy", "030101": "LZMA", "21": "LZMA2", "040108": "Deflate", "040202": "BZip2", "06f10701": "AES-256", "03030103": "BCJ", "03030205": "PPC", "0303041b": "BCJ2", "03": "Delta", "030401": "PPMD" };
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
const MAX_HEADER_LAYERS = 4;

const NID = { end: 0x00, header: 0x01, archiveProperties: 0x02, additionalStreams: 0x03, mainStreams: 0x04, filesInfo: 0x05, packInfo: 0x06, unpackInfo: 0x07, subStreamsInfo: 0x08, size: 0x09, crc: 0x0a, folder: 0x0b, codersUnpackSize: 0x0c, numUnpackStream: 0x0d, emptyStream: 0x0e, emptyFile: 0x0f, name: 0x11, winAttributes: 0x15, encodedHeader: 0x17, dummy: 0x19 };

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new SevenZipError("header is truncated");
    return this.buf[this.pos++]!;
  }
  /** 7z's variable-length UINT64, as a safe integer. */
  number(): number {
    const first = this.byte();
    let mask = 0x80;
    let value = 0;
    for (let i = 0; i < 8; i++) {
      if ((first & mask) === 0) {
        value += (first & (mask - 1)) * 2 ** (8 * i);
        break;
      }
      value += this.byte() * 2 ** (8 * i);
      mask >>= 1;
    }
    if (!Number.isSafeInteger(value)) throw new SevenZipError("a header number is too large");
    return value;
  }
  /** A count that must fit in what is left of the header (each item takes at least `minBytes`). */
  count(minBytes = 1 / 8): number {
    const n = this.number();
    if (n > (this.buf.length - this.pos) / minBytes + 1) throw new SevenZipError(`a header count (${n}) is larger than the header`);
    return n;
  }
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new SevenZipError("header is truncated");
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  bits(n: number): boolean[] {
    const out: boolean[] = [];
    let cur = 0;
    for (let i = 0; i < n; i++) {
      if (i % 8 === 0) cur = this.byte();
      out.push((cur & (0x80 >> i % 8)) !== 0);
    }
    return out;
  }
  /** AllAreDefined byte, then a bit vector when it is 0. */
  defined(n: number): boolean[] {
    const all = this.byte();
    return all !== 0 ? new Array<boolean>(n).fill(true) : this.bits(n);
  }
  skipDigests(n: number): void {
    const def = this.defined(n);
    this.bytes(4 * def.filter(Boolean).length);
  }
}

interface StreamsInfo {
  packPos: number;
  packSizes: number[];
  folders: Array<Omit<SevenZipFolder, "packOffset" | "packSizes">>;
  /** Per folder: how many files its output holds, and their sizes. */
  substreams: Array<{ sizes: number[] }>;
  /** Per folder: whether unpack info gave its output's CRC (then a one-file folder has no digest of its own). */
  folderCrc: boolean[];
}

function readFolder(r: Reader): Omit<SevenZipFolder, "packOffset" | "packSizes" | "unpackSizes" | "unpackSize"> & { bound: Set<number>; packedCount: number } {
  const numCoders = r.count(2);
  if (numCoders === 0 || numCoders > 64) throw new SevenZipError(`a folder has ${numCoders} coders`);
  const coders: SevenZipCoder[] = [];
  let totalIn = 0;
  let totalOut = 0;
  for (let c = 0; c < numCoders; c++) {
    const flags = r.byte();
    const id = r.bytes(flags & 0x0f).toString("hex");
    const complex = (flags & 0x10) !== 0;
    const inStreams = complex ? r.count() : 1;
    const outStreams = complex ? r.count() : 1;
    const props = (flags & 0x20) !== 0 ? r.bytes(r.count(1)) : Buffer.alloc(0);
    if ((flags & 0x80) !== 0) throw new SevenZipError("alternative coder methods are not supported");
    coders.push({ id, props, inStreams, outStreams });
    totalIn += inStreams;
    totalOut += outStreams;
  }
  const bound = new Set<number>();
  for (let b = 0; b < totalOut - 1; b++) {
    r.number();
    bound.add(r.number());
  }
  const packedCount = totalIn - (totalOut - 1);
  if (packedCount > 1) for (let p = 0; p < packedCount; p++) r.number();
  const method = coders.map((c) => METHODS[c.id] ?? `method ${c.id}`).join("+");
  return { coders, method, encrypted: coders.some((c) => c.id === "06f10701"), bound, packedCount };
}

function readStreamsInfo(r: Reader): StreamsInfo {
  const info: StreamsInfo = { packPos: 0, packSizes: [], folders: [], substreams: [], folderCrc: [] };
  const folderShapes: Array<ReturnType<typeof readFolder>> = [];
  for (;;) {
    const id = r.byte();
    if (id === NID.end) break;
    if (id === NID.packInfo) {
      info.packPos = r.number();
      const n = r.count();
      for (;;) {
        const t = r.byte();
        if (t === NID.end) break;
        if (t === NID.size) for (let i = 0; i < n; i++) info.packSizes.push(r.number());
        else if (t === NID.crc) r.skipDigests(n);
        else throw new SevenZipError(`unexpected property ${t} in pack info`);
      }
    } else if (id === NID.unpackInfo) {
      if (r.byte() !== NID.folder) throw new SevenZipError("unpack info without folders");
      const n = r.count(2);
      if (r.byte() !== 0) throw new SevenZipError("external folder definitions are not supported");
      for (let f = 0; f < n; f++) folderShapes.push(readFolder(r));
      if (r.byte() !== NID.codersUnpackSize) throw new SevenZipError("folders without unpack sizes");
      for (const shape of folderShapes) {
        const outs = shape.coders.reduce((s, c) => s + c.outStreams, 0);
        const sizes: number[] = [];
        for (let o = 0; o < outs; o++) sizes.push(r.number());
        let unpackSize = sizes[sizes.length - 1] ?? 0;
        for (let o = 0; o < outs; o++) if (!shape.bound.has(o)) unpackSize = sizes[o]!;
        info.folders.push({ coders: shape.coders, method: shape.method, encrypted: shape.encrypted, unpackSizes: sizes, unpackSize });
      }
      for (;;) {
        const t = r.byte();
        if (t === NID.end) break;
        if (t === NID.crc) {
          info.folderCrc = r.defined(n);
          r.bytes(4 * info.folderCrc.filter(Boolean).length);
        } else throw new SevenZipError(`unexpected property ${t} in unpack info`);
      }
    } else if (id === NID.subStreamsInfo) {
      const counts = info.folders.map(() => 1);
      let t = r.byte();
      if (t === NID.numUnpackStream) {
        for (let f = 0; f < counts.length; f++) counts[f] = r.count();
        t = r.byte();
      }
      const sizes = info.folders.map(() => [] as number[]);
      const hasSizes = t === NID.size;
      for (let f = 0; f < counts.length; f++) {
        const n = counts[f]!;
        if (n === 0) continue;
        let sum = 0;
        if (hasSizes) {
          for (let k = 0; k < n - 1; k++) {
            const s = r.number();
            sizes[f]!.push(s);
            sum += s;
          }
        }
        const last = info.folders[f]!.unpackSize - sum;
        if (last < 0) throw new SevenZipError("sub-stream sizes exceed their folder");
        if (hasSizes || n === 1) sizes[f]!.push(last);
      }
      if (hasSizes) t = r.byte();
      while (t !== NID.end) {
        if (t !== NID.crc) throw new SevenZipError(`unexpected property ${t} in sub-streams info`);
        r.skipDigests(counts.reduce((s, n, f) => s + (n === 1 && info.folderCrc[f] ? 0 : n), 0));
        t = r.byte();
      }
      info.substreams = sizes.map((s) => ({ sizes: s }));
    } else {
      throw new SevenZipError(`unexpected property ${id} in streams info`);
    }
  }
  if (info.substreams.length === 0) info.substreams = info.folders.map((f) => ({ sizes: [f.unpackSize] }));
  return info;
}

function placeFolders(info: StreamsInfo): SevenZipFolder[] {
  const out: SevenZipFolder[] = [];
  let pack = 0;
  let offset = 32 + info.packPos;
  for (const f of info.folders) {
    const packed = f.coders.reduce((s, c) => s + c.inStreams, 0) - (f.coders.reduce((s, c) => s + c.outStreams, 0) - 1);
    const packSizes = info.packSizes.slice(pack, pack + packed);
    if (packSizes.length < packed) throw new SevenZipError("a folder has no pack stream");
    out.push({ ...f, packOffset: offset, packSizes });
    offset += packSizes.reduce((a, b) => a + b, 0);
    pack += packed;
  }
  return out;
}

/** The bytes of one folder's output, decoded when its single coder is one aigis reads. */
export async function decodeFolder(file: RandomAccessFile, folder: SevenZipFolder, maxBytes: number): Promise<Buffer> {
  if (folder.unpackSize > maxBytes) throw new SevenZipLimitError(folder.unpackSize, maxBytes);
  if (folder.encrypted) throw new SevenZipError("the folder is AES-encrypted");
  if (folder.coders.length !== 1 || folder.packSizes.length !== 1) throw new SevenZipError(`the folder uses the coder chain ${folder.method}, which aigis does not decode`);
  const coder = folder.coders[0]!;
  const packSize = folder.packSizes[0]!;
  if (packSize > maxBytes * 2 + 1024 * 1024) throw new SevenZipError("pack stream larger than its output allows");
  if (folder.packOffset + packSize > file.size) throw new SevenZipError("pack stream runs past the end of the file");
  const packed = await file.read(folder.packOffset, packSize);
  let out: Buffer;
  try {
    switch (coder.id) {
      case "00":
        out = packed;
        break;
      case "030101": {
        if (coder.props.length < 5) throw new SevenZipError("LZMA coder without properties");
        // An lzma-alone stream: properties, dictionary size, then the declared output size.
        const size = Buffer.alloc(8);
        size.writeBigUInt64LE(BigInt(folder.unpackSize));
        out = lzma.decompressSync(Buffer.concat([coder.props.subarray(0, 5), size, packed]));
        break;
      }
      case "21": {
        const declared = lzma2Size(packed);
        if (declared > maxBytes) throw new SevenZipLimitError(declared, maxBytes);
        out = lzma2.decompressSync(packed);
        break;
      }
      case "040108":
        out = inflateRawSync(packed, { maxOutputLength: Math.max(1, maxBytes) });
        break;
      case "040202":
        out = decompress("bzip2", packed, maxBytes);
        break;
      default:
        throw new SevenZipError(`the folder uses ${folder.method}, which aigis does not decode`);
    }
  } catch (e) {
    if (e instanceof SevenZipError) throw e;
    throw new SevenZipError(`${folder.method} data does not decode: ${(e as Error).message}`);
  }
  if (out.length > maxBytes) throw new SevenZipLimitError(out.length, maxBytes);
  return out;
}

export class SevenZipLimitError extends SevenZipError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`declares ${size} bytes, above the limit of ${limit}`);
  }
}

/** Total output an LZMA2 stream's chunk headers declare (walked without decoding). */
export function lzma2Size(data: Uint8Array): number {
  let p = 0;
  let total = 0;
  while (p < data.length) {
    const c = data[p]!;
    if (c === 0x00) return total;
    if (c === 0x01 || c === 0x02) {
      if (p + 3 > data.length) break;
      const n = ((data[p + 1]! << 8) | data[p + 2]!) + 1;
      total += n;
      p += 3 + n;
    } else if (c >= 0x80) {
      if (p + 5 > data.length) break;
      total += ((c & 0x1f) << 16) + ((data[p + 1]! << 8) | data[p + 2]!) + 1;
      const packedSize = ((data[p + 3]! << 8) | data[p + 4]!) + 1;
      p += 5 + (c >= 0xc0 ? 1 : 0) + packedSize;
    } else {
      throw new SevenZipError(`LZMA2 control byte 0x${c.toString(16)} is invalid`);
    }
  }
  return total;
}

function readFilesInfo(r: Reader, maxEntries: number): { names: string[]; emptyStream: boolean[]; emptyFile: boolean[]; attributes: Array<number | undefined>; truncated: boolean } {
  const numFiles = r.count();
  const truncated = numFiles > maxEntries;
  let emptyStream: boolean[] = new Array<boolean>(numFiles).fill(false);
  let emptyFile: boolean[] = [];
  let names: string[] = [];
  const attributes: Array<number | undefined> = new Array<number | undefined>(numFiles).fill(undefined);
  for (;;) {
    const type = r.byte();
    if (type === NID.end) break;
    const size = r.count(1);
    const end = r.pos + size;
    if (end > r.buf.length) throw new SevenZipError("file property runs past the header");
    if (type === NID.emptyStream) emptyStream = r.bits(numFiles);
    else if (type === NID.emptyFile) emptyFile = r.bits(emptyStream.filter(Boolean).length);
    else if (type === NID.name) {
      if (r.byte() !== 0) throw new SevenZipError("external file names are not supported");
      const text = r.buf.toString("utf16le", r.pos, end - (size % 2 === 0 ? 1 : 0));
      names = text.split("\u0000").slice(0, numFiles);
    } else if (type === NID.winAttributes) {
      const def = r.defined(numFiles);
      if (r.byte() !== 0) throw new SevenZipError("external attributes are not supported");
      for (let i = 0; i < numFiles; i++) if (def[i]) attributes[i] = r.bytes(4).readUInt32LE(0);
    }
    r.pos = end;
  }
  return { names, emptyStream, emptyFile, attributes, truncated };
}

/** Lists a 7z archive: folders and entries, from the header (decoding an encoded header first). */
export async function listSevenZip(file: RandomAccessFile, maxEntries: number): Promise<SevenZipListing> {
  const sig = await file.read(0, 32);
  if (sig.length < 32 || !sig.subarray(0, 6).equals(SEVEN_ZIP_MAGIC)) throw new SevenZipError("not a 7z archive");
  const anomalies: string[] = [];
  const crc = crc32;
  if ((crc(sig.subarray(12, 32)) >>> 0) !== sig.readUInt32LE(8)) anomalies.push("the start header's CRC does not match");
  const nextOffset = Number(sig.readBigUInt64LE(12));
  const nextSize = Number(sig.readBigUInt64LE(20));
  if (nextSize === 0) return { entries: [], folders: [], headerEncrypted: false, anomalies, truncated: false };
  if (nextSize > MAX_HEADER_BYTES) throw new SevenZipError(`header of ${nextSize} bytes is larger than ${MAX_HEADER_BYTES}`);
  if (32 + nextOffset + nextSize > file.size) throw new SevenZipError("header lies past the end of the file (truncated archive)");
  let header = await file.read(32 + nextOffset, nextSize);
  if ((crc(header) >>> 0) !== sig.readUInt32LE(28)) anomalies.push("the header's CRC does not match");
  for (let layer = 0; ; layer++) {
    if (layer >= MAX_HEADER_LAYERS) throw new SevenZipError("too many encoded header layers");
    const r = new Reader(header);
    const id = r.byte();
    if (id === NID.encodedHeader) {
      const folders = placeFolders(readStreamsInfo(r));
      const first = folders[0];
      if (!first) throw new SevenZipError("encoded header without a folder");
      if (first.encrypted) return { entries: [], folders, headerEncrypted: true, anomalies, truncated: false };
      try {
        header = await decodeFolder(file, first, MAX_HEADER_BYTES);
      } catch (e) {
        if (e instanceof SevenZipLimitError) throw new SevenZipError(`encoded header ${e.message}`);
        throw e;
      }
      continue;
    }
    if (id !== NID.header) throw new SevenZipError(`unexpected header type ${id}`);
    return readHeader(r, maxEntries, anomalies);
  }
}

function readHeader(r: Reader, maxEntries: number, anomalies: string[]): SevenZipListing {
  let info: StreamsInfo = { packPos: 0, packSizes: [], folders: [], substreams: [], folderCrc: [] };
  let files: ReturnType<typeof readFilesInfo> | undefined;
  for (;;) {
    const id = r.byte();
    if (id === NID.end) break;
    if (id === NID.archiveProperties) {
      for (;;) {
        const t = r.byte();
        if (t === NID.end) break;
        r.bytes(r.count(1));
      }
    } else if (id === NID.additionalStreams) readStreamsInfo(r);
    else if (id === NID.mainStreams) info = readStreamsInfo(r);
    else if (id === NID.filesInfo) files = readFilesInfo(r, maxEntries);
    else throw new SevenZipError(`unexpected property ${id} in the header`);
  }
  const folders = placeFolders(info);
  const entries: SevenZipEntry[] = [];
  if (!files) return { entries, folders, headerEncrypted: false, anomalies, truncated: false };
  let folder = 0;
  let inFolder = 0;
  let offsetInFolder = 0;
  let emptyIndex = 0;
  const count = Math.min(files.names.length || files.emptyStream.length, maxEntries);
  for (let i = 0; i < count; i++) {
    const name = files.names[i] ?? `(entry ${i})`;
    const attributes = files.attributes[i];
    if (files.emptyStream[i]) {
      const isFile = files.emptyFile[emptyIndex++] ?? false;
      const dirAttr = attributes !== undefined && (attributes & 0x10) !== 0;
      entries.push({ name, isDir: !isFile || dirAttr, size: 0, folder: -1, offsetInFolder: 0, ...(attributes !== undefined ? { attributes } : {}) });
      continue;
    }
    while (folder < folders.length && inFolder >= (info.substreams[folder]?.sizes.length ?? 0)) {
      folder++;
      inFolder = 0;
      offsetInFolder = 0;
    }
    if (folder >= folders.length) throw new SevenZipError("more files with data than the folders hold");
    const size = info.substreams[folder]!.sizes[inFolder]!;
    entries.push({ name, isDir: false, size, folder, offsetInFolder, ...(attributes !== undefined ? { attributes } : {}) });
    offsetInFolder += size;
    inFolder++;
  }
  return { entries, folders, headerEncrypted: false, anomalies, truncated: files.truncated };
}
