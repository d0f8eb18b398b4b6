// Single-stream decompressors (gzip, zlib, bzip2, xz, lzma), in memory and bounded: output
// past `maxBytes` stops the decoder, so a bomb costs at most the limit.

import { gunzipSync, inflateSync } from "node:zlib";
import Bunzip from "seek-bzip";
import { lzma, xz } from "@napi-rs/lzma";
import { xzLayout } from "./xz-size";

export type Compression = "gzip" | "zlib" | "bzip2" | "xz" | "lzma";

export class DecompressLimitError extends Error {
  override name = "DecompressLimitError";
}

/** Recognises a compressed stream by its magic bytes (zlib and raw lzma by their header rules). */
export function compressionOf(head: Uint8Array): Compression | undefined {
  if (head.length < 6) return undefined;
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3]! >= 0x31 && head[3]! <= 0x39) return "bzip2";
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return "xz";
  // zlib: CM=8, window <= 32K, header checksum, no preset dictionary.
  if ((head[0]! & 0x0f) === 8 && head[0]! >> 4 <= 7 && ((head[0]! << 8) | head[1]!) % 31 === 0 && (head[1]! & 0x20) === 0) return "zlib";
  // lzma "alone": properties byte (lc/lp/pb) < 225, then a power-of-two-ish dictionary size, then the size.
  if (head.length >= 13 && head[0]! < 225) {
    const dict = (head[1]! | (head[2]! << 8) | (head[3]! << 16)) + head[4]! * 0x1000000;
    const sizeKnown = !(head.subarray(5, 13).every((b) => b === 0xff));
    const dictOk = dict >= 4096 && dict <= 1 << 30 && (dict & (dict - 1)) === 0;
    if (dictOk && (head[0] === 0x5d || head[0] === 0x5e) && (sizeKnown ? head[12] === 0 : true)) return "lzma";
  }
  return undefined;
}

/** Total uncompressed size recorded in an xz stream's index, or undefined if it cannot be read. */
export function xzUncompressedSize(buf: Uint8Array): number | undefined {
  // Stream footer: CRC32(4) backward size(4) flags(2) "YZ".
  const n = buf.length;
  if (n < 24 || buf[n - 2] !== 0x59 || buf[n - 1] !== 0x5a) return undefined;
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const backward = (view.readUInt32LE(n - 8) + 1) * 4;
  let p = n - 12 - backward;
  if (p < 12 || buf[p] !== 0x00) return undefined;
  p++;
  const varint = (): number | undefined => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 9 && p < n; k++) {
      const b = buf[p++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return v;
    }
    return undefined;
  };
  const records = varint();
  if (records === undefined || records > 1_000_000) return undefined;
  let total = 0;
  for (let r = 0; r < records; r++) {
    if (varint() === undefined) return undefined;
    const u = varint();
    if (u === undefined) return undefined;
    total += u;
  }
  return total;
}

const UNKNOWN_LZMA_SIZE = 0xffffffffffffffffn;

/**
 * An lzma-alone stream whose header leaves the size open (joblib writes these) decodes to its
 * end marker, which a bomb can put gigabytes away. The decoder stops at a declared size, so
 * first declare one byte more than the limit: a stream that fills it is over the limit, and
 * one that ends earlier makes the decoder name its true size, which is then declared for the
 * real decode. Memory stays within the limit either way.
 */
function decompressLzmaOfUnknownSize(view: Buffer, maxBytes: number): Buffer {
  const probe = Buffer.from(view);
  probe.writeBigUInt64LE(BigInt(maxBytes) + 1n, 5);
  let size: number;
  try {
    lzma.decompressSync(probe);
    throw limitError("lzma", maxBytes);
  } catch (e) {
    if (e instanceof DecompressLimitError) throw e;
    // "Expected unpacked size of N but decompressed to M": @napi-rs/lzma gives the decoded size
    // only in its message. If the wording changes, `m` is null and the error surfaces (a parse
    // error, never a silent pass); test/scanners/artifacts/archive/readers.test.ts pins it.
    // eslint-disable-next-line no-restricted-syntax
    const m = /decompressed to (\d+)/.exec((e as Error).message);
    if (!m) throw e;
    size = Number(m[1]);
  }
  if (size > maxBytes) throw limitError("lzma", maxBytes);
  const exact = Buffer.from(view);
  exact.writeBigUInt64LE(BigInt(size), 5);
  return lzma.decompressSync(exact);
}

function limitError(kind: Compression, maxBytes: number): DecompressLimitError {
  return new DecompressLimitError(`${kind} stream expands past ${maxBytes} bytes`);
}

/** Decompresses `input` whole; throws DecompressLimitError past `maxBytes`, Error when corrupt. */
export function decompress(kind: Compression, input: Uint8Array, maxBytes: number): Buffer {
  switch (kind) {
    case "gzip":
    case "zlib":
      try {
        return kind === "gzip" ? gunzipSync(input, { maxOutputLength: maxBytes }) : inflateSync(input, { maxOutputLength: maxBytes });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) throw limitError(kind, maxBytes);
        throw e;
      }
    case "bzip2": {
      let out = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(64 * 1024, input.length * 4)));
      let pos = 0;
      Bunzip.decode(
        input,
        {
          writeByte(b: number) {
            if (pos >= out.length) {
              if (pos >= maxBytes) throw limitError(kind, maxBytes);
              const bigger = Buffer.allocUnsafe(Math.min(maxBytes, out.length * 2));
              out.copy(bigger, 0, 0, pos);
              out = bigger;
            }
            out[pos++] = b;
          },
        },
        true,
      );
      return out.subarray(0, pos);
    }
    case "xz": {
      // Sized from the LZMA2 chunk headers, which the decoder enforces, not from the index,
      // which an attacker writes; every concatenated stream counts and is decoded.
      const layout = xzLayout(input);
      if (layout.decodedBytes > maxBytes) throw limitError(kind, maxBytes);
      const parts = layout.streams.map((s) => xz.decompressSync(Buffer.from(input.buffer, input.byteOffset + s.start, s.end - s.start)));
      const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (out.length > maxBytes) throw limitError(kind, maxBytes);
      return out;
    }
    case "lzma": {
      const view = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      if (view.length < 13) throw new Error("lzma stream header is truncated");
      const declared = view.readBigUInt64LE(5);
      if (declared !== UNKNOWN_LZMA_SIZE) {
        if (declared > BigInt(maxBytes)) throw limitError(kind, maxBytes);
        return lzma.decompressSync(view);
      }
      return decompressLzmaOfUnknownSize(view, maxBytes);
    }
  }
}
