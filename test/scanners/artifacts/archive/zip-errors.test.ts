// Zip read failures are typed (ZipError.code): the scanner decides "limit" versus "broken" on the
// code, never on the message. A bzip2 member past the bound was, while the decision read the
// message, a parse error instead of a limit notice.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { BufferFile } from "../../../../src/core/random-access";
import { decompress } from "../../../../src/scanners/artifacts/archive/decompress";
import { listZip, readZipEntry, readZipEntryBounded, ZipError, type ZipErrorCode } from "../../../../src/scanners/artifacts/archive/zip";
import { buildZip, scanPaths, type ZipMemberSpec } from "../../../hostile/helpers";
import { tempDir } from "../../../helpers/temp";
import { FIXTURES } from "../fixture-scan";

const PREFIX = "aigis-zip-errors-";
// A real bzip2 stream (joblib's bz2 compressor, fixtures/artifacts/make_*.py) and what it holds.
const BZ2 = readFileSync(join(FIXTURES, "benign/sklearn-pipeline-bz2.joblib"));
const BZ2_PLAIN = decompress("bzip2", BZ2, 1 << 24);
const ZEROS = Buffer.alloc(1 << 20);

const member = (name: string, method: number, data: Buffer, plain: Buffer): ZipMemberSpec => ({ name, method, data, crc: crc32(plain), size: plain.length });

async function codeOf(read: () => Promise<unknown>): Promise<ZipErrorCode | "none"> {
  try {
    await read();
    return "none";
  } catch (e) {
    if (!(e instanceof ZipError)) throw e;
    return e.code;
  }
}

async function firstEntry(zip: Buffer): Promise<{ file: BufferFile; entry: Awaited<ReturnType<typeof listZip>>["entries"][number] }> {
  const file = new BufferFile(zip);
  const { entries } = await listZip(file, 10);
  return { file, entry: entries[0]! };
}

describe("ZipError codes", () => {
  it("a member past the read bound is `limit`, for stored, deflated and bzip2 data", async () => {
    const stored = await firstEntry(buildZip([member("a.bin", 0, ZEROS, ZEROS)]));
    expect(await codeOf(() => readZipEntry(stored.file, stored.entry, 1000))).toBe("limit");
    const deflated = await firstEntry(buildZip([member("a.bin", 8, deflateRawSync(ZEROS), ZEROS)]));
    expect(await codeOf(() => readZipEntry(deflated.file, deflated.entry, 1000))).toBe("limit");
    const bzip2 = await firstEntry(buildZip([member("a.pkl", 12, BZ2, BZ2_PLAIN)]));
    expect(await codeOf(() => readZipEntry(bzip2.file, bzip2.entry, BZ2_PLAIN.length - 1))).toBe("limit");
    expect(await codeOf(() => readZipEntryBounded(bzip2.file, bzip2.entry, BZ2_PLAIN.length - 1))).toBe("limit");
    // Within the bound the same members read whole.
    expect((await readZipEntry(bzip2.file, bzip2.entry, BZ2_PLAIN.length)).equals(BZ2_PLAIN)).toBe(true);
    expect((await readZipEntry(deflated.file, deflated.entry, ZEROS.length)).length).toBe(ZEROS.length);
  });

  it("corrupt, cut and unknown-method members get their own codes", async () => {
    const corrupt = await firstEntry(buildZip([member("a.bin", 8, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), ZEROS)]));
    expect(await codeOf(() => readZipEntry(corrupt.file, corrupt.entry, 1 << 21))).toBe("malformed");
    const corruptBz2 = Buffer.from(BZ2);
    corruptBz2.fill(0x55, 10, 60);
    const badBzip2 = await firstEntry(buildZip([member("a.pkl", 12, corruptBz2, BZ2_PLAIN)]));
    expect(await codeOf(() => readZipEntry(badBzip2.file, badBzip2.entry, 1 << 24))).toBe("malformed");
    const whole = buildZip([member("a.bin", 0, ZEROS, ZEROS)]);
    const cut = new BufferFile(whole.subarray(0, 4096));
    const listed = await listZip(new BufferFile(whole), 10);
    expect(await codeOf(() => readZipEntry(cut, listed.entries[0]!, 1 << 21))).toBe("truncated");
    const unknown = await firstEntry(buildZip([member("a.bin", 99, ZEROS.subarray(0, 100), ZEROS.subarray(0, 100))]));
    expect(await codeOf(() => readZipEntry(unknown.file, unknown.entry, 1 << 21))).toBe("unsupported");
  });

  it("a scan reports a bzip2 member that expands past what it declares as a limit, not as a parse error", async () => {
    const dir = tempDir(PREFIX);
    // The member declares 100 bytes: aigis decodes at most 101 (loaders read the declared size),
    // and bzip2, decoded whole, stops with a limit error past that.
    writeFileSync(join(dir, "model.zip"), buildZip([{ ...member("model/data.pkl", 12, BZ2, BZ2_PLAIN), size: 100 }]));
    const lying = await scanPaths([dir], dir);
    expect(lying.findings.map((f) => f.ruleId)).not.toContain("aigis/parse-error");
    expect(lying.findings.map((f) => f.ruleId)).toContain("artifact/archive-bomb");
    // Declaring its true size, the same member is read and scanned whole.
    writeFileSync(join(dir, "model.zip"), buildZip([member("model/data.pkl", 12, BZ2, BZ2_PLAIN)]));
    const honest = await scanPaths([dir], dir);
    expect(honest.findings.map((f) => f.ruleId)).not.toContain("aigis/parse-error");
    expect(honest.findings.map((f) => f.ruleId)).not.toContain("artifact/archive-bomb");
  });
});
