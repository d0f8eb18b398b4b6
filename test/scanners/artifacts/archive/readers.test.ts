import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync, gzipSync } from "node:zlib";
import { lzma } from "@napi-rs/lzma";
import { BufferFile } from "../../../../src/core/random-access";
import { compressionOf, decompress, DecompressLimitError, xzUncompressedSize } from "../../../../src/scanners/artifacts/archive/decompress";
import { listTar, looksLikeTar } from "../../../../src/scanners/artifacts/archive/tar";
import { listZip, readZipEntry } from "../../../../src/scanners/artifacts/archive/zip";
import { FIXTURES } from "../fixture-scan";

const read = (p: string): Buffer => readFileSync(join(FIXTURES, p));

describe("zip reader", () => {
  it("lists members of a torch checkpoint from both directories", async () => {
    const { entries, anomalies } = await listZip(new BufferFile(read("benign/torch-state-dict.pt")), 1000);
    expect(anomalies).toEqual([]);
    expect(entries.every((e) => e.source === "both")).toBe(true);
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining([expect.stringMatching(/data\.pkl$/)]));
  });

  it("walks local headers when the central directory is gone or lies", async () => {
    const gone = await listZip(new BufferFile(read("malicious/torch-zip-no-central-directory.pt")), 1000);
    expect(gone.anomalies.map((a) => a.kind)).toContain("no-central-directory");
    expect(gone.entries.some((e) => e.name.endsWith("data.pkl"))).toBe(true);
    const lies = await listZip(new BufferFile(read("malicious/torch-zip-name-mismatch.pt")), 1000);
    const e = lies.entries.find((x) => x.localName?.endsWith("data.pkl"));
    expect(e?.name).toMatch(/READ\.txt$/);
  });

  it("bounds what a deflated member may expand to", async () => {
    const file = new BufferFile(read("malicious/zip-bomb.zip"));
    const { entries } = await listZip(file, 10);
    await expect(readZipEntry(file, entries[0]!, 1024 * 1024)).rejects.toThrow();
    expect((await readZipEntry(file, entries[0]!, 16 * 1024 * 1024)).length).toBe(8 * 1024 * 1024);
  });
});

describe("tar reader", () => {
  it("lists names, types and link targets", async () => {
    const tar = read("malicious/tar-symlink.tar");
    expect(looksLikeTar(tar)).toBe(true);
    const { entries } = await listTar(new BufferFile(tar), 100);
    expect(entries).toEqual([expect.objectContaining({ name: "model/weights", type: "symlink", linkName: "/etc/passwd" })]);
  });

  it("rejects a header with a bad checksum", async () => {
    const tar = Buffer.from(read("malicious/tar-path-traversal.tar"));
    tar[10] = 0x41;
    await expect(listTar(new BufferFile(tar), 100)).rejects.toThrow(/checksum/);
  });
});

describe("decompressors", () => {
  it("recognise and decode every joblib compressor", () => {
    for (const [file, kind] of [["gzip", "gzip"], ["zlib", "zlib"], ["bz2", "bzip2"], ["xz", "xz"], ["lzma", "lzma"]] as const) {
      const buf = read(`benign/sklearn-pipeline-${file}.joblib`);
      expect(compressionOf(buf)).toBe(kind);
      const out = decompress(kind, buf, 1 << 20);
      expect(out.subarray(0, 2)).toEqual(Buffer.from([0x80, 4]));
    }
  });

  it("stop at the output limit", () => {
    const zeros = Buffer.alloc(4 << 20);
    expect(() => decompress("gzip", gzipSync(zeros), 1 << 20)).toThrow(DecompressLimitError);
    expect(() => decompress("zlib", Buffer.concat([Buffer.from([0x78, 0x9c]), deflateRawSync(zeros)]), 1 << 20)).toThrow(DecompressLimitError);
    const xz = read("benign/sklearn-pipeline-xz.joblib");
    expect(xzUncompressedSize(xz)).toBe(decompress("xz", xz, 1 << 20).length);
    expect(() => decompress("xz", xz, 100)).toThrow(DecompressLimitError);
  });

  it("bound an lzma stream whose header leaves the size open (a bomb) while decoding it", () => {
    const joblib = read("benign/sklearn-pipeline-lzma.joblib");
    expect(joblib.readBigUInt64LE(5)).toBe(0xffffffffffffffffn);
    const full = decompress("lzma", joblib, 1 << 20);
    expect(full.subarray(0, 2)).toEqual(Buffer.from([0x80, 4]));
    expect(() => decompress("lzma", joblib, full.length - 1)).toThrow(DecompressLimitError);
    expect(decompress("lzma", joblib, full.length)).toEqual(full);
    const bomb = lzma.compressSync(Buffer.alloc(16 << 20));
    expect(bomb.readBigUInt64LE(5)).toBe(0xffffffffffffffffn);
    expect(() => decompress("lzma", bomb, 1 << 20)).toThrow(/expands past 1048576 bytes/);
  });
});
