// The true decoded size of an xz file, read from its structure without decoding it.
//
// An xz index states the uncompressed size, but an attacker writes the index: a 312 KB file
// whose index says "small" decoded to 4.2 GB before this walk existed, and concatenated
// streams (which Python's lzma module reads one after another) were not counted at all.
// The LZMA2 chunk headers inside each block state how many bytes every chunk decodes to, and
// the decoder rejects a chunk that decodes to any other size, so their sum is an upper bound
// the attacker cannot lie about. Walking them costs a few bytes per 2 MiB of output.
// Format: https://tukaani.org/xz/xz-file-format.txt (sections 2 and 3), LZMA2 chunk headers
// as liblzma's lzma2_decoder.c reads them.

export class XzFormatError extends Error {
  override name = "XzFormatError";
}

export interface XzLayout {
  /** Bytes the whole file decodes to, over every stream. */
  decodedBytes: number;
  /** [start, end) of each stream (padding excluded), in file order. */
  streams: Array<{ start: number; end: number; decodedBytes: number }>;
  /** Bytes after the last readable stream (Python's lzma module ignores them too). */
  trailingBytes: number;
}

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const LZMA2 = 0x21;
/** Filters that keep the size of the data: delta, and the branch converters (x86, PowerPC, IA-64, ARM, ARM-Thumb, SPARC, ARM64, RISC-V). */
const SIZE_PRESERVING = new Set([0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b]);

function checkSize(id: number): number {
  return id === 0 ? 0 : 4 << Math.floor((id - 1) / 3);
}

/** Reads an xz multibyte integer (at most 9 bytes, 63 bits); returns value and next position. */
function varint(buf: Uint8Array, p: number, end: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let k = 0; k < 9; k++) {
    if (p >= end) throw new XzFormatError("integer runs past the end of its field");
    const b = buf[p++]!;
    value += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return [value, p];
  }
  throw new XzFormatError("integer longer than 9 bytes");
}

/** Walks the LZMA2 chunks from `p`; returns the decoded size and where the end marker stops. */
function walkLzma2(buf: Uint8Array, p: number, end: number): [number, number] {
  let decoded = 0;
  for (;;) {
    if (p >= end) throw new XzFormatError("LZMA2 data ends without its end marker");
    const control = buf[p]!;
    if (control === 0x00) return [decoded, p + 1];
    if (control === 0x01 || control === 0x02) {
      if (p + 3 > end) throw new XzFormatError("LZMA2 chunk header is truncated");
      const size = ((buf[p + 1]! << 8) | buf[p + 2]!) + 1;
      decoded += size;
      p += 3 + size;
    } else if (control >= 0x80) {
      if (p + 5 > end) throw new XzFormatError("LZMA2 chunk header is truncated");
      const unpacked = (control & 0x1f) * 0x10000 + ((buf[p + 1]! << 8) | buf[p + 2]!) + 1;
      const packed = ((buf[p + 3]! << 8) | buf[p + 4]!) + 1;
      // Reset modes 2 and 3 carry a new properties byte.
      const props = ((control >> 5) & 3) >= 2 ? 1 : 0;
      decoded += unpacked;
      p += 5 + props + packed;
    } else {
      throw new XzFormatError(`invalid LZMA2 control byte 0x${control.toString(16)}`);
    }
    if (p > end) throw new XzFormatError("LZMA2 chunk runs past the end of the file");
  }
}

/** Walks one xz stream from `start`; returns its decoded size and end. */
function walkStream(buf: Uint8Array, start: number, end: number): { decodedBytes: number; end: number } {
  if (start + 12 > end || MAGIC.some((m, i) => buf[start + i] !== m)) throw new XzFormatError(`no xz stream header at offset ${start}`);
  if (buf[start + 6] !== 0 || (buf[start + 7]! & 0xf0) !== 0) throw new XzFormatError("unsupported stream flags");
  const check = checkSize(buf[start + 7]! & 0x0f);
  let p = start + 12;
  let decoded = 0;
  for (;;) {
    if (p >= end) throw new XzFormatError("stream ends before its index");
    const sizeByte = buf[p]!;
    if (sizeByte === 0x00) break; // index indicator
    const blockStart = p;
    const headerSize = (sizeByte + 1) * 4;
    if (p + headerSize > end) throw new XzFormatError("block header is truncated");
    const flags = buf[p + 1]!;
    if (flags & 0x3c) throw new XzFormatError("reserved block flags are set");
    let q = p + 2;
    const headerEnd = p + headerSize - 4;
    let compressedSize: number | undefined;
    if (flags & 0x40) [compressedSize, q] = varint(buf, q, headerEnd);
    if (flags & 0x80) [, q] = varint(buf, q, headerEnd);
    const filters = (flags & 0x03) + 1;
    let last = -1;
    for (let f = 0; f < filters; f++) {
      let id: number;
      let propsSize: number;
      [id, q] = varint(buf, q, headerEnd);
      [propsSize, q] = varint(buf, q, headerEnd);
      q += propsSize;
      if (q > headerEnd) throw new XzFormatError("filter properties run past the block header");
      if (f < filters - 1 && !SIZE_PRESERVING.has(id)) throw new XzFormatError(`filter 0x${id.toString(16)} is not one aigis can size`);
      last = id;
    }
    if (last !== LZMA2) throw new XzFormatError(`last filter is 0x${last.toString(16)}, not LZMA2`);
    const dataStart = p + headerSize;
    const [blockDecoded, dataEnd] = walkLzma2(buf, dataStart, end);
    if (compressedSize !== undefined && dataEnd - dataStart !== compressedSize) throw new XzFormatError("block compressed size disagrees with its data");
    decoded += blockDecoded;
    // Block padding to a multiple of four from the block start, then the check.
    const padded = dataEnd + ((4 - ((dataEnd - blockStart) % 4)) % 4);
    p = padded + check;
    if (p > end) throw new XzFormatError("block check runs past the end of the file");
  }
  // Index: indicator, record count, records, padding, CRC32.
  const [records, afterCount] = varint(buf, p + 1, end);
  let q = afterCount;
  for (let r = 0; r < records; r++) {
    [, q] = varint(buf, q, end);
    [, q] = varint(buf, q, end);
  }
  q += (4 - ((q - p) % 4)) % 4;
  q += 4;
  // Stream footer: CRC32, backward size, flags, "YZ".
  if (q + 12 > end || buf[q + 10] !== 0x59 || buf[q + 11] !== 0x5a) throw new XzFormatError("stream footer is missing or damaged");
  return { decodedBytes: decoded, end: q + 12 };
}

/**
 * The decoded size of every stream in `buf` (streams may be concatenated, with zero padding
 * between them, as xz and Python's lzma module accept). Throws XzFormatError when the
 * structure is broken; the caller then refuses to decode rather than trusting any size.
 */
export function xzLayout(buf: Uint8Array): XzLayout {
  const streams: XzLayout["streams"] = [];
  let p = 0;
  let total = 0;
  while (p < buf.length) {
    let s;
    try {
      s = walkStream(buf, p, buf.length);
    } catch (e) {
      // The first stream must be sound; after it, Python's lzma stops at data that is not a stream.
      if (streams.length === 0) throw e;
      break;
    }
    streams.push({ start: p, end: s.end, decodedBytes: s.decodedBytes });
    total += s.decodedBytes;
    p = s.end;
    // Stream padding: zero bytes, a multiple of four.
    while (p < buf.length && buf[p] === 0) p++;
  }
  if (streams.length === 0) throw new XzFormatError("no xz stream");
  return { decodedBytes: total, streams, trailingBytes: buf.length - (streams[streams.length - 1]?.end ?? 0) };
}
