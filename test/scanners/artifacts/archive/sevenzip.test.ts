// The 7z reader on archives made by Debian's 7z (fixtures/artifacts/evasion), and on broken ones.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BufferFile } from "../../../../src/core/random-access";
import { decodeFolder, listSevenZip, lzma2Size, SevenZipError, SevenZipLimitError } from "../../../../src/scanners/artifacts/archive/sevenzip";
import { FIXTURES } from "../fixture-scan";

const read = (p: string): Buffer => readFileSync(join(FIXTURES, "evasion", p));

describe("7z reader", () => {
  it("lists a solid LZMA2 archive with an encoded header and decodes its members", async () => {
    const file = new BufferFile(read("benign/checkpoint-lzma2.7z"));
    const listing = await listSevenZip(file, 1000);
    expect(listing.entries.map((e) => e.name).sort()).toEqual(["config.json", "model.pt"]);
    expect(listing.folders.map((f) => f.method)).toEqual(["LZMA2"]);
    const out = await decodeFolder(file, listing.folders[0]!, 1 << 30);
    const config = listing.entries.find((e) => e.name === "config.json")!;
    expect(JSON.parse(out.subarray(config.offsetInFolder, config.offsetInFolder + config.size).toString("utf8"))).toEqual({ layers: 3 });
    const model = listing.entries.find((e) => e.name === "model.pt")!;
    expect(out.subarray(model.offsetInFolder, model.offsetInFolder + 2).toString("latin1")).toBe("PK");
  });

  it.each([
    ["benign/checkpoint-lzma.7z", "LZMA"],
    ["benign/checkpoint-copy.7z", "Copy"],
    ["malicious/evil-plain-header.7z", "LZMA2"],
  ])("reads %s (%s)", async (name, method) => {
    const file = new BufferFile(read(name));
    const listing = await listSevenZip(file, 1000);
    expect(listing.folders[0]!.method).toBe(method);
    const out = await decodeFolder(file, listing.folders[0]!, 1 << 30);
    expect(out.length).toBe(listing.folders[0]!.unpackSize);
  });

  it("says when the header itself is encrypted", async () => {
    expect((await listSevenZip(new BufferFile(read("benign/encrypted-headers.7z")), 1000)).headerEncrypted).toBe(true);
  });

  it("refuses a bomb from its declared sizes before decoding", async () => {
    const file = new BufferFile(read("malicious/bomb.7z"));
    const listing = await listSevenZip(file, 1000);
    expect(listing.entries[0]).toMatchObject({ name: "zeros.bin", size: 64 * 1024 * 1024 });
    await expect(decodeFolder(file, listing.folders[0]!, 1024 * 1024)).rejects.toBeInstanceOf(SevenZipLimitError);
  });

  it("walks LZMA2 chunk headers for the declared output", () => {
    // An uncompressed chunk of 3 bytes, then the end marker.
    expect(lzma2Size(Buffer.from([0x01, 0x00, 0x02, 0x61, 0x62, 0x63, 0x00]))).toBe(3);
    expect(() => lzma2Size(Buffer.from([0x05]))).toThrow(SevenZipError);
  });

  it("fails cleanly on every truncation and on corrupted headers", async () => {
    const whole = read("benign/checkpoint-lzma2.7z");
    for (let cut = 0; cut < whole.length; cut += 7) {
      const file = new BufferFile(whole.subarray(0, cut));
      await listSevenZip(file, 1000).then(
        (l) => Promise.all(l.folders.map((f) => decodeFolder(file, f, 1 << 20).catch((e: unknown) => expect(e).toBeInstanceOf(SevenZipError)))),
        (e: unknown) => expect(e).toBeInstanceOf(SevenZipError),
      );
    }
    const plain = read("malicious/evil-plain-header.7z");
    for (let at = 32; at < plain.length; at++) {
      const bad = Buffer.from(plain);
      bad[at] = bad[at]! ^ 0xff;
      const file = new BufferFile(bad);
      await listSevenZip(file, 1000).then(
        (l) => Promise.all(l.folders.map((f) => decodeFolder(file, f, 1 << 20).catch((e: unknown) => expect(e).toBeInstanceOf(SevenZipError)))),
        (e: unknown) => expect(e).toBeInstanceOf(SevenZipError),
      );
    }
  });
});
