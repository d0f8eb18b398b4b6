// Property: random bytes, alone or behind the first bytes of an encryption format, are never
// reported as a known encryption scheme.
import { BufferFile } from "../../../src/core/random-access";
import { sniffKind } from "../../../src/core/sniff";
import { builtinRegistry } from "../../../src/core/registry";
import { DEFAULT_LIMITS } from "../../../src/core/rule";
import { classifyProtection } from "../../../src/scanners/protection/classify";
import { recogniseEncryption } from "../../../src/scanners/protection/formats";
import { protectionData } from "../../../src/scanners/protection/settings";
import { byteEntropy } from "../../../src/scanners/protection/entropy";
import { readFileSync } from "node:fs";
import { fixture } from "./helpers";

/** xorshift32: deterministic bytes per seed. */
function randomBytes(seed: number, length: number): Buffer {
  let x = seed >>> 0 || 1;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// Prefixes that pass the first byte checks of the OpenPGP, CMS and armor recognisers.
const PREFIXES: Buffer[] = [
  Buffer.alloc(0),
  Buffer.from([0xc1]),
  Buffer.from([0xc3]),
  Buffer.from([0x84]),
  Buffer.from([0x8c]),
  Buffer.from([0x85, 0x01]),
  Buffer.from([0xc3, 0x0d, 0x04]),
  Buffer.from([0x30, 0x82]),
  Buffer.from("-----BEGIN PGP MESSAGE-----\n\n"),
  Buffer.from("-----BEGIN CMS-----\n"),
];
const ENCRYPTION_KINDS = new Set(["age", "openpgp", "openssl-enc", "cms-enveloped", "jwe"]);

describe("random bytes are never a known encryption scheme", () => {
  const data = protectionData();
  it("over 4000 seeds, lengths 1 B to 8 KiB, with adversarial prefixes", async () => {
    let checked = 0;
    for (let seed = 1; seed <= 4000; seed++) {
      const length = 1 + ((seed * 2654435761) >>> 0) % 8192;
      const prefix = PREFIXES[seed % PREFIXES.length]!;
      let body = randomBytes(seed, length);
      // Armored prefixes are followed by base64 of random bytes.
      const armored = prefix.toString("latin1").startsWith("-----");
      if (armored) body = Buffer.from(body.toString("base64").replace(/(.{64})/g, "$1\n"));
      const bytes = Buffer.concat([prefix, body]);
      const file = new BufferFile(bytes);
      expect(recogniseEncryption(bytes, bytes.length)).toBeUndefined();
      const kind = await sniffKind(bytes.subarray(0, 65536), file, builtinRegistry().detectors);
      // Text that opens with an armor header is sniffed by that header; binary content must not be.
      if (!armored) expect({ seed, kind: ENCRYPTION_KINDS.has(kind) ? kind : "other" }).toEqual({ seed, kind: "other" });
      const c = await classifyProtection({ uri: "r.bin", absPath: "/dev/null", kind, size: bytes.length, head: bytes.subarray(0, 65536), file }, data, DEFAULT_LIMITS);
      expect(c.protection.state).not.toBe("encrypted");
      checked++;
    }
    expect(checked).toBe(4000);
  });

  it("entropy of random samples reaches the threshold; of a float32 model it does not", async () => {
    for (const seed of [7, 8, 9]) expect(byteEntropy(randomBytes(seed, 4096))).toBeGreaterThanOrEqual(data.entropy.highEntropyBitsPerByte);
    const model = readFileSync(fixture("plain", "model.npy")).subarray(128);
    expect(byteEntropy(model)).toBeLessThan(data.entropy.highEntropyBitsPerByte);
    expect(byteEntropy(Buffer.alloc(4096, 0x41))).toBe(0);
  });
});
