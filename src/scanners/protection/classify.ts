// Decides a target's protection state: encrypted (a recognised scheme), compressed (readable
// once decompressed), plaintext, or unknown-high-entropy (no format, entropy near 8 bits/byte).

import type { Limits, ScanFile } from "../../core/rule";
import type { Protection, TargetKind } from "../../types";
import { byteEntropy } from "./entropy";
import { recogniseEncryption, zipProtection } from "./formats";
import type { ProtectionData } from "./settings";

export interface Classification {
  protection: Protection;
  /** Why: the format recognised, or the entropy measured. */
  detail: string;
  entropy?: number;
}

const COMPRESSED_KINDS: ReadonlySet<TargetKind> = new Set(["gzip", "bzip2", "xz", "zstd", "zlib", "lzma"]);
/** Kinds the sniffer names from an encryption format's magic; when our stricter check disagrees, the entropy test decides. */
const ENCRYPTION_KINDS: ReadonlySet<TargetKind> = new Set(["age", "openpgp", "openssl-enc", "cms-enveloped", "jwe", "unknown"]);

/** Reads a bounded sample: the first half from the start, the second from the middle (files larger than the sample). */
export async function readSample(file: ScanFile, sampleBytes: number): Promise<Buffer> {
  if (file.size <= sampleBytes) return file.head.length >= file.size ? file.head : file.file.read(0, file.size);
  const half = Math.floor(sampleBytes / 2);
  const start = file.head.length >= half ? file.head.subarray(0, half) : await file.file.read(0, half);
  const middle = await file.file.read(Math.floor(file.size / 2), sampleBytes - half);
  return Buffer.concat([start, middle]);
}

export async function classifyProtection(file: ScanFile, data: ProtectionData, limits: Limits): Promise<Classification> {
  const match = recogniseEncryption(file.head, file.size);
  if (match) return { protection: { state: "encrypted", scheme: match.scheme }, detail: match.detail };
  if (file.kind === "zip" || file.kind === "pytorch-zip") {
    const zip = await zipProtection(file.file, limits.maxArchiveEntries);
    if (zip && zip.entries > 0) {
      const encrypted = zip.aes + zip.zipCrypto;
      if (encrypted === zip.entries) {
        const scheme = zip.zipCrypto > 0 ? "zipcrypto" : "zip-aes";
        return { protection: { state: "encrypted", scheme }, detail: `zip, ${zip.aes} AES and ${zip.zipCrypto} ZipCrypto entries of ${zip.entries}` };
      }
      const fake = zip.fakeFlag > 0 ? `; ${zip.fakeFlag} entries flagged as encrypted hold plain data` : "";
      const partly = (encrypted > 0 ? `; only ${encrypted} of ${zip.entries} entries encrypted` : "") + fake;
      if (zip.deflated > 0) return { protection: { state: "compressed", scheme: "zip" }, detail: `zip, ${zip.deflated} compressed entries${partly}` };
      return { protection: { state: "plaintext" }, detail: `zip, stored entries${partly}` };
    }
  }
  if (COMPRESSED_KINDS.has(file.kind)) return { protection: { state: "compressed", scheme: file.kind }, detail: `${file.kind} stream` };
  if (!ENCRYPTION_KINDS.has(file.kind)) return { protection: { state: "plaintext" }, detail: `readable ${file.kind} content` };
  const sample = await readSample(file, data.entropy.sampleBytes);
  if (sample.length < data.entropy.minSampleBytes) {
    return { protection: { state: "plaintext" }, detail: `no encryption format recognised; ${sample.length} bytes are too few for an entropy test` };
  }
  const entropy = byteEntropy(sample);
  const rounded = Math.round(entropy * 1000) / 1000;
  if (entropy >= data.entropy.highEntropyBitsPerByte) {
    return { protection: { state: "unknown-high-entropy" }, detail: `no encryption format recognised; entropy ${rounded} bits/byte`, entropy: rounded };
  }
  return { protection: { state: "plaintext" }, detail: `no encryption format recognised; entropy ${rounded} bits/byte`, entropy: rounded };
}
