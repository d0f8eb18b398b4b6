// Decoders are bounded by the bytes they produce, not by sizes the file declares.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { xz } from "@napi-rs/lzma";
import * as decompressModule from "../../src/scanners/artifacts/archive/decompress";
import { decompress, DecompressLimitError } from "../../src/scanners/artifacts/archive/decompress";
import { xzLayout } from "../../src/scanners/artifacts/archive/xz-size";
import { buildZip, osSystemCall, scanPaths, tempDir } from "./helpers";

const MiB = 1024 * 1024;
const CANARY = "/tmp/aigis-hostile-decoder-canary";
const evil = Buffer.concat([Buffer.from([0x80, 0x02]), osSystemCall(CANARY), Buffer.from(".")]);
const benign = Buffer.from([0x80, 0x02, 0x4b, 0x07, 0x2e]); // PROTO 2, BININT1 7, STOP

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Rewrites a single-stream xz file's index so that every block claims `claimed` uncompressed bytes (index CRC and footer fixed up). */
function lyingIndex(file: Buffer, claimed: number): Buffer {
  const n = file.length;
  const backward = (file.readUInt32LE(n - 8) + 1) * 4;
  const indexStart = n - 12 - backward;
  let p = indexStart + 1;
  const read = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = file[p++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return v;
    }
  };
  const records = read();
  const index: number[] = [0x00, ...varint(records)];
  for (let r = 0; r < records; r++) {
    const unpadded = read();
    read();
    index.push(...varint(unpadded), ...varint(claimed));
  }
  while (index.length % 4 !== 0) index.push(0);
  const body = Buffer.from(index);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body) >>> 0);
  const footer = Buffer.alloc(12);
  footer.writeUInt32LE(body.length / 4, 4); // (index size / 4) - 1, index now includes its CRC
  file.copy(footer, 8, n - 4, n - 2);
  footer.write("YZ", 10, "latin1");
  footer.writeUInt32LE(crc32(footer.subarray(4, 10)) >>> 0, 0);
  return Buffer.concat([file.subarray(0, indexStart), body, crc, footer]);
}

describe("xz: sized from the LZMA2 chunks, every stream counted", () => {
  // A real xz -9 stream (fixtures/hostile/make_hostile.sh): 3.7 KB that decode to 24 MiB.
  const zeros = readFileSync(join(__dirname, "../../fixtures/hostile/zeros-24mib.xz"));

  it("walks a real xz file to its exact decoded size", () => {
    expect(xzLayout(zeros).decodedBytes).toBe(24 * MiB);
    expect(decompress("xz", zeros, 32 * MiB).length).toBe(24 * MiB);
  });

  it("reads the true size of a stream whose index lies, and refuses it before decoding", () => {
    const lied = lyingIndex(Buffer.from(zeros), 100);
    expect(lied.equals(zeros)).toBe(false);
    expect(xzLayout(lied).decodedBytes).toBe(24 * MiB);
    expect(() => decompress("xz", lied, 4 * MiB)).toThrow(DecompressLimitError);
  });

  it("counts and decodes concatenated streams, as Python's lzma module reads them", () => {
    const two = Buffer.concat([xz.compressSync(benign), xz.compressSync(evil)]);
    const layout = xzLayout(two);
    expect(layout.streams).toHaveLength(2);
    expect(layout.decodedBytes).toBe(benign.length + evil.length);
    expect(decompress("xz", two, MiB).equals(Buffer.concat([benign, evil]))).toBe(true);
    // A small first stream does not hide a large second one.
    expect(() => decompress("xz", Buffer.concat([xz.compressSync(benign), zeros]), 4 * MiB)).toThrow(DecompressLimitError);
  });

  it("a joblib file of concatenated streams: the pickle in the second stream is found; a lying bomb is one archive-bomb finding", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "two.joblib"), Buffer.concat([xz.compressSync(benign), xz.compressSync(evil)]));
    writeFileSync(join(dir, "bomb.joblib"), lyingIndex(Buffer.from(zeros), 100));
    const report = await scanPaths([dir], dir, { config: { limits: { maxInMemoryBytes: 8 * MiB } } });
    expect(report.findings.some((f) => f.location.uri === "two.joblib" && f.ruleId === "artifact/pickle-code-execution")).toBe(true);
    const bomb = report.findings.filter((f) => f.location.uri === "bomb.joblib");
    expect(bomb.map((f) => f.ruleId)).toEqual(["artifact/archive-bomb"]);
  });
});

describe("zip members: bounded by declared size and by bytes produced", () => {
  it("a member that declares fewer bytes than it inflates to: scanned up to the declared size, with a size finding and without inflating the rest", async () => {
    const content = Buffer.concat([evil, Buffer.alloc(256 * MiB)]);
    const data = deflateRawSync(content, { level: 1 });
    const zip = buildZip([{ name: "weights.bin", method: 8, data, crc: crc32(evil), size: evil.length }]);
    const dir = tempDir();
    writeFileSync(join(dir, "m.zip"), zip);
    const before = process.memoryUsage().rss;
    const report = await scanPaths([dir], dir);
    // The scan held the declared bytes, not 256 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * MiB);
    const rules = report.findings.map((f) => f.ruleId);
    expect(rules).toContain("artifact/pickle-code-execution");
    const size = report.findings.find((f) => f.ruleId === "artifact/zip-inconsistent" && (f.evidence as { anomaly?: string }).anomaly === "size-mismatch");
    expect(size?.message).toMatch(/declares \d+ bytes but holds more/);
  });

  it("a member of plain zeros that declares 100 bytes and inflates to 64 MiB: a size finding, though nothing in it is read further", async () => {
    const zeros = Buffer.alloc(64 * MiB);
    const zip = buildZip([{ name: "w.bin", method: 8, data: deflateRawSync(zeros, { level: 1 }), crc: crc32(zeros.subarray(0, 100)), size: 100 }]);
    const dir = tempDir();
    writeFileSync(join(dir, "z.zip"), zip);
    const report = await scanPaths([dir], dir);
    expect(report.findings.map((f) => [f.ruleId, (f.evidence as { anomaly?: string }).anomaly])).toEqual([["artifact/zip-inconsistent", "size-mismatch"]]);
  });

  it("a highly compressible member is still peeked at and scanned (the peek used to give up on it)", async () => {
    const content = Buffer.concat([evil, Buffer.alloc(16 * MiB)]);
    const zip = buildZip([{ name: "blob", method: 8, data: deflateRawSync(content), crc: crc32(content), size: content.length }]);
    const dir = tempDir();
    writeFileSync(join(dir, "m.zip"), zip);
    const report = await scanPaths([dir], dir);
    expect(report.findings.map((f) => f.ruleId)).toContain("artifact/pickle-code-execution");
  });

  it("eight central entries pointing at one bzip2 member decode it once", async () => {
    // bz2.compress(b"\0" * (64 << 20), 9) from Debian's python3.
    const bz = Buffer.from("425a68393141592653590e09e2df015f8e4000c0000008200030804d4642a025a90a8097314159265359bc04b5c300a275c000c0000008200020a40836328a884d2a2a2138bb9229c2848500bb83e8", "hex");
    const zero64 = crc32(Buffer.alloc(64 * MiB));
    const zip = buildZip(
      [{ name: "a.npy", method: 12, data: bz, crc: zero64, size: 64 * MiB }],
      Array.from({ length: 8 }, (_, i) => ({ member: 0, name: `m${i}.pkl` })),
    );
    const dir = tempDir();
    writeFileSync(join(dir, "shared.zip"), zip);
    const spy = jest.spyOn(decompressModule, "decompress");
    try {
      const report = await scanPaths([dir], dir);
      expect(spy.mock.calls.filter((c) => c[0] === "bzip2")).toHaveLength(1);
      expect(report.findings.filter((f) => (f.evidence as { anomaly?: string } | undefined)?.anomaly === "shared-data")).toHaveLength(7);
    } finally {
      spy.mockRestore();
    }
  });
});
