// A lenient zip reader over positioned reads: it reads the central directory and also walks
// the local headers, because loaders such as PyTorch's read local headers and ignore
// flags (e.g. the "encrypted" bit) that stricter readers trip on. Members are read in
// memory and never extracted.

import { inflateRawBounded } from "./bounded-inflate";
import { inflateRawSync } from "node:zlib";
import type { RandomAccessFile } from "../../../core/random-access";
import { decompress, DecompressLimitError } from "./decompress";

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Unix mode from the central directory's external attributes (0 when absent). */
  unixMode: number;
  /** Where the entry was found: the central directory, a local header only, or both. */
  source: "central" | "local" | "both";
  /** Name in the local header when it differs from the central directory's. */
  localName?: string;
}

export interface ZipAnomaly {
  kind: "name-mismatch" | "local-only" | "no-central-directory" | "count-mismatch" | "entry-limit" | "descriptor" | "data-before-archive";
  message: string;
  member?: string;
  offset?: number;
}

export interface ZipListing {
  entries: ZipEntry[];
  /** Problems found while reading the structure (mismatches, truncation); not fatal. */
  anomalies: ZipAnomaly[];
}

/**
 * Why a zip could not be read: `limit` means a member holds more than the bound aigis reads
 * (a limit finding, not a broken file); callers decide on `code`, never on the message.
 */
export type ZipErrorCode = "limit" | "truncated" | "malformed" | "unsupported";

export class ZipError extends Error {
  override name = "ZipError";
  constructor(
    message: string,
    readonly code: ZipErrorCode = "malformed",
  ) {
    super(message);
  }
}

/**
 * A decoder's failure on a member, typed: past the output bound (ours or zlib's
 * maxOutputLength) is `limit`, and so is any failure on input that was cut at the bound.
 */
function memberDecodeError(entry: ZipEntry, e: unknown, inputCut = false): ZipError {
  if (e instanceof ZipError) return e;
  const overLimit = inputCut || e instanceof DecompressLimitError || (e as NodeJS.ErrnoException | undefined)?.code === "ERR_BUFFER_TOO_LARGE";
  return new ZipError(`member ${JSON.stringify(entry.name)}: ${e instanceof Error ? e.message : String(e)}`, overLimit ? "limit" : "malformed");
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const LOCAL_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const CENTRAL_MAGIC = Buffer.from([0x50, 0x4b, 0x01, 0x02]);

function readZip64Extra(extra: Buffer, want: { usize: boolean; csize: boolean; offset: boolean }): { usize?: number; csize?: number; offset?: number } {
  let p = 0;
  while (p + 4 <= extra.length) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      const out: { usize?: number; csize?: number; offset?: number } = {};
      let q = p + 4;
      const end = Math.min(extra.length, q + len);
      const next = (): number | undefined => {
        if (q + 8 > end) return undefined;
        const v = Number(extra.readBigUInt64LE(q));
        q += 8;
        return v;
      };
      if (want.usize) { const v = next(); if (v !== undefined) out.usize = v; }
      if (want.csize) { const v = next(); if (v !== undefined) out.csize = v; }
      if (want.offset) { const v = next(); if (v !== undefined) out.offset = v; }
      return out;
    }
    p += 4 + len;
  }
  return {};
}

async function findEocd(file: RandomAccessFile): Promise<{ cdOffset: number; cdSize: number; total: number } | undefined> {
  const tailLen = Math.min(file.size, 22 + 65535 + 20);
  const tailStart = file.size - tailLen;
  const tail = await file.read(tailStart, tailLen);
  for (let p = tail.length - 22; p >= 0; p--) {
    if (tail.readUInt32LE(p) !== SIG_EOCD) continue;
    let total = tail.readUInt16LE(p + 10);
    let cdSize = tail.readUInt32LE(p + 12);
    let cdOffset = tail.readUInt32LE(p + 16);
    if (p >= 20 && tail.readUInt32LE(p - 20) === SIG_ZIP64_LOCATOR) {
      const z64Offset = Number(tail.readBigUInt64LE(p - 20 + 8));
      const rec = await file.read(z64Offset, 56);
      if (rec.length === 56 && rec.readUInt32LE(0) === SIG_ZIP64_EOCD) {
        total = Number(rec.readBigUInt64LE(32));
        cdSize = Number(rec.readBigUInt64LE(40));
        cdOffset = Number(rec.readBigUInt64LE(48));
      }
    }
    if (cdOffset + cdSize <= file.size) return { cdOffset, cdSize, total };
  }
  return undefined;
}

async function readCentral(file: RandomAccessFile, maxEntries: number, anomalies: ZipAnomaly[]): Promise<ZipEntry[] | undefined> {
  const eocd = await findEocd(file);
  if (!eocd) return undefined;
  const cd = await file.read(eocd.cdOffset, eocd.cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  while (p + 46 <= cd.length && cd.readUInt32LE(p) === SIG_CENTRAL) {
    if (entries.length >= maxEntries) {
      anomalies.push({ kind: "entry-limit", message: `more than ${maxEntries} entries; the rest were not read` });
      break;
    }
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const name = cd.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    let csize = cd.readUInt32LE(p + 20);
    let usize = cd.readUInt32LE(p + 24);
    let offset = cd.readUInt32LE(p + 42);
    if (csize === 0xffffffff || usize === 0xffffffff || offset === 0xffffffff) {
      const z = readZip64Extra(extra, { usize: usize === 0xffffffff, csize: csize === 0xffffffff, offset: offset === 0xffffffff });
      usize = z.usize ?? usize;
      csize = z.csize ?? csize;
      offset = z.offset ?? offset;
    }
    const madeBy = cd.readUInt16LE(p + 4) >> 8;
    const external = cd.readUInt32LE(p + 38);
    entries.push({
      name,
      method: cd.readUInt16LE(p + 10),
      flags: cd.readUInt16LE(p + 8),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: csize,
      uncompressedSize: usize,
      localHeaderOffset: offset,
      unixMode: madeBy === 3 ? external >>> 16 : 0,
      source: "central",
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  if (entries.length !== eocd.total && entries.length < maxEntries) {
    anomalies.push({ kind: "count-mismatch", message: `the central directory lists ${entries.length} entries but its end record says ${eocd.total}` });
  }
  return entries;
}

/** Walks local file headers from the start of the file, as a streaming reader would. */
async function walkLocal(file: RandomAccessFile, maxEntries: number, anomalies: ZipAnomaly[], startAt = 0, central?: Map<number, ZipEntry>): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  let p = startAt;
  while (p + 30 <= file.size && entries.length < maxEntries) {
    const h = await file.read(p, 30);
    if (h.readUInt32LE(0) !== SIG_LOCAL) break;
    const flags = h.readUInt16LE(6);
    const nameLen = h.readUInt16LE(26);
    const extraLen = h.readUInt16LE(28);
    const ne = await file.read(p + 30, nameLen + extraLen);
    const name = ne.subarray(0, nameLen).toString("utf8");
    let csize = h.readUInt32LE(18);
    let usize = h.readUInt32LE(22);
    if (csize === 0xffffffff || usize === 0xffffffff) {
      const z = readZip64Extra(ne.subarray(nameLen), { usize: usize === 0xffffffff, csize: csize === 0xffffffff, offset: false });
      usize = z.usize ?? usize;
      csize = z.csize ?? csize;
    }
    const dataStart = p + 30 + nameLen + extraLen;
    const known = flags & 0x08 && csize === 0 ? central?.get(p) : undefined;
    if (known) {
      // Sizes follow the data in a descriptor; the central directory has them for this offset.
      csize = known.compressedSize;
      usize = known.uncompressedSize;
    } else if (flags & 0x08 && csize === 0) {
      // Sizes follow the data in a descriptor: find the next header to bound the entry.
      const next = await findNextSignature(file, dataStart);
      if (next === undefined) {
        anomalies.push({ kind: "descriptor", message: `local entry ${JSON.stringify(name)} has a data descriptor and no following header`, member: name, offset: p });
        break;
      }
      csize = Math.max(0, next.at - dataStart - next.descriptorLength);
    }
    entries.push({
      name,
      method: h.readUInt16LE(8),
      flags,
      crc32: h.readUInt32LE(14),
      compressedSize: csize,
      uncompressedSize: usize,
      localHeaderOffset: p,
      unixMode: 0,
      source: "local",
    });
    p = dataStart + csize;
    if (flags & 0x08) {
      // Skip the data descriptor (optional signature, crc, sizes).
      const d = await file.read(p, 4);
      p += d.length === 4 && d.readUInt32LE(0) === 0x08074b50 ? 16 : 12;
    }
  }
  return entries;
}

async function findNextSignature(file: RandomAccessFile, from: number): Promise<{ at: number; descriptorLength: number } | undefined> {
  const chunk = 1 << 20;
  for (let pos = from; pos < file.size; pos += chunk - 4) {
    const buf = await file.read(pos, chunk);
    const a = buf.indexOf(LOCAL_MAGIC);
    const b = buf.indexOf(CENTRAL_MAGIC);
    const i = a < 0 ? b : b < 0 ? a : Math.min(a, b);
    if (i >= 0) {
      // Back off over the descriptor that precedes the header.
      const at = pos + i;
      const back = at >= 16 ? await file.read(at - 16, 4) : Buffer.alloc(0);
      const descriptorLength = back.length === 4 && back.readUInt32LE(0) === 0x08074b50 ? 16 : 12;
      return { at, descriptorLength };
    }
    if (buf.length < chunk) break;
  }
  return undefined;
}

/** Lists a zip's members from both the central directory and the local headers, and notes where they disagree. */
export async function listZip(file: RandomAccessFile, maxEntries: number): Promise<ZipListing> {
  const anomalies: ZipAnomaly[] = [];
  const central = await readCentral(file, maxEntries, anomalies);
  // Data may precede the zip (e.g. a pickle before an appended zip): walk from the first local header.
  const head = await file.read(0, Math.min(file.size, 1 << 16));
  const firstLocal = head.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  const centralByOffset = new Map((central ?? []).map((c) => [c.localHeaderOffset, c]));
  const local = firstLocal >= 0 ? await walkLocal(file, maxEntries, anomalies, firstLocal, centralByOffset) : [];
  if (firstLocal > 0) {
    anomalies.push({ kind: "data-before-archive", message: `${firstLocal} bytes precede the first member`, offset: 0 });
  }
  if (!central) {
    if (local.length === 0) throw new ZipError("no central directory and no local file headers");
    anomalies.push({ kind: "no-central-directory", message: "there is no central directory; members were found by walking the local headers" });
    return { entries: local, anomalies };
  }
  const byOffset = new Map(local.map((e) => [e.localHeaderOffset, e]));
  const entries: ZipEntry[] = [];
  for (const c of central) {
    const l = byOffset.get(c.localHeaderOffset);
    if (l) {
      byOffset.delete(c.localHeaderOffset);
      const merged: ZipEntry = { ...c, source: "both" };
      if (l.name !== c.name) {
        merged.localName = l.name;
        anomalies.push({ kind: "name-mismatch", message: `member ${JSON.stringify(c.name)} is named ${JSON.stringify(l.name)} in its local header`, member: c.name, offset: c.localHeaderOffset });
      }
      entries.push(merged);
    } else {
      entries.push(c);
    }
  }
  for (const l of byOffset.values()) {
    anomalies.push({ kind: "local-only", message: `local header ${JSON.stringify(l.name)} at offset ${l.localHeaderOffset} is not in the central directory`, member: l.name, offset: l.localHeaderOffset });
    entries.push(l);
  }
  return { entries, anomalies };
}

/** Reads a member's bytes (stored or deflated), bounded by `maxBytes`. */
export async function readZipEntry(file: RandomAccessFile, entry: ZipEntry, maxBytes: number): Promise<Buffer> {
  const h = await file.read(entry.localHeaderOffset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== SIG_LOCAL) throw new ZipError(`no local header for ${JSON.stringify(entry.name)}`);
  const dataStart = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  if (entry.compressedSize > maxBytes && entry.method === 0) throw new ZipError(`member ${JSON.stringify(entry.name)} is larger than ${maxBytes} bytes`, "limit");
  const raw = await file.read(dataStart, Math.min(entry.compressedSize, maxBytes + 1));
  if (raw.length < entry.compressedSize && raw.length <= maxBytes) throw new ZipError(`member ${JSON.stringify(entry.name)} is truncated`, "truncated");
  // Input read only up to the bound: a decoder that then fails stopped at the limit, not at broken data.
  const inputCut = raw.length < entry.compressedSize;
  switch (entry.method) {
    case 0:
      return raw;
    case 8:
      try {
        return inflateRawSync(raw, { maxOutputLength: maxBytes });
      } catch (e) {
        throw memberDecodeError(entry, e, inputCut);
      }
    case 12:
    case 14:
      // Python's zipfile (numpy.load of .npz, .keras) also reads bzip2 and lzma members.
      try {
        return entry.method === 12 ? decompress("bzip2", raw, maxBytes) : decompress("lzma", zipLzmaToAlone(raw), maxBytes);
      } catch (e) {
        throw memberDecodeError(entry, e, inputCut);
      }
    default:
      throw new ZipError(`member ${JSON.stringify(entry.name)} uses compression method ${entry.method}, which aigis does not read`, "unsupported");
  }
}

/**
 * A member's data decoded up to `limit` bytes, bounded by the bytes the decoder produces (never
 * by a declared size): `overflow` says the data holds more. Deflate stops at the limit;
 * bzip2 and lzma, which aigis decodes whole, throw DecompressLimitError past it.
 */
export async function readZipEntryBounded(file: RandomAccessFile, entry: ZipEntry, limit: number): Promise<{ data: Buffer; overflow: boolean }> {
  if (entry.method !== 8) {
    const data = await readZipEntry(file, entry, limit);
    return { data, overflow: false };
  }
  const h = await file.read(entry.localHeaderOffset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== SIG_LOCAL) throw new ZipError(`no local header for ${JSON.stringify(entry.name)}`);
  const dataStart = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  // Deflate never grows data by more than 5 bytes per 64 KiB stored block: input past that bound cannot fit in `limit`.
  const wanted = Math.min(entry.compressedSize, limit + Math.ceil(limit / 65535) * 5 + 64);
  const raw = await file.read(dataStart, wanted);
  if (raw.length < wanted) throw new ZipError(`member ${JSON.stringify(entry.name)} is truncated`, "truncated");
  try {
    return await inflateRawBounded(raw, limit, { prefix: wanted < entry.compressedSize });
  } catch (e) {
    throw memberDecodeError(entry, e);
  }
}

/** Zip method 14 data (version, properties size, properties, raw LZMA) as an lzma-alone stream of unknown size. */
function zipLzmaToAlone(raw: Buffer): Buffer {
  if (raw.length < 4) throw new ZipError("lzma member header is truncated", "truncated");
  const propsSize = raw.readUInt16LE(2);
  if (propsSize !== 5 || raw.length < 4 + propsSize) throw new ZipError("lzma member has unexpected properties");
  return Buffer.concat([raw.subarray(4, 9), Buffer.alloc(8, 0xff), raw.subarray(9)]);
}

/** The first `length` bytes of a member, for sniffing, without reading or inflating all of it. */
export async function peekZipEntry(file: RandomAccessFile, entry: ZipEntry, length: number): Promise<Buffer> {
  const h = await file.read(entry.localHeaderOffset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== SIG_LOCAL) throw new ZipError(`no local header for ${JSON.stringify(entry.name)}`);
  const dataStart = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  if (entry.method === 0) return file.read(dataStart, Math.min(length, entry.compressedSize));
  if (entry.method === 12 || entry.method === 14) {
    // No partial decoding for these: read the member (bounded) and cut.
    return (await readZipEntry(file, entry, Math.max(length, 64 * 1024 * 1024))).subarray(0, length);
  }
  if (entry.method !== 8) throw new ZipError(`member ${JSON.stringify(entry.name)} uses compression method ${entry.method}`, "unsupported");
  // Highly compressible data needs little input for the peek; stop at `length` output bytes
  // rather than refusing a member that inflates far (refusing it skipped it unscanned).
  const raw = await file.read(dataStart, Math.min(entry.compressedSize, length * 4 + 1024));
  try {
    return (await inflateRawBounded(raw, length, { prefix: true })).data;
  } catch (e) {
    throw memberDecodeError(entry, e);
  }
}
