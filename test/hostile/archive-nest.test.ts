// A 42.zip-style nest is one archive-bomb finding (with counts) and one depth notice, not thousands.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { buildZip, scanPaths, tempDir } from "./helpers";

const MiB = 1024 * 1024;

function nest(levels: number, copies: number): Buffer {
  const zeros = Buffer.alloc(8 * MiB);
  const leaf = deflateRawSync(zeros, { level: 9 });
  let zip = buildZip(Array.from({ length: copies }, (_, i) => ({ name: `leaf${i}.bin`, method: 8, data: leaf, crc: crc32(zeros), size: zeros.length })));
  for (let l = 1; l < levels; l++) {
    const inner = zip;
    zip = buildZip(Array.from({ length: copies }, (_, i) => ({ name: `lib${l}-${i}.zip`, method: 0, data: inner, crc: crc32(inner), size: inner.length })));
  }
  return zip;
}

describe("nested archive bombs", () => {
  it("collapse into one archive-bomb finding with counts", async () => {
    const dir = tempDir();
    // The top zip and three nested levels (the default depth limit) hold 4^4 leaves of 8 MiB zeros each.
    writeFileSync(join(dir, "42.zip"), nest(4, 4));
    const report = await scanPaths([dir], dir);
    expect(report.findings.map((f) => f.ruleId)).toEqual(["artifact/archive-bomb"]);
    expect(report.findings[0]!.evidence).toMatchObject({ membersOverRatio: 256, largestRatio: expect.any(Number) });
    expect(report.findings[0]!.message).toMatch(/^The zip file is an archive bomb: 256 members expand above the ratio limit of 200 \(most: "lib3-0\.zip!\/lib2-0\.zip!\/lib1-0\.zip!\/leaf0\.bin", \d+ times\)\.$/);
  });

  it("members nested past the depth limit are one notice with a count", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "deep.zip"), nest(6, 2));
    const report = await scanPaths([dir], dir);
    const notices = report.findings.filter((f) => f.ruleId === "aigis/limit-exceeded");
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toMatch(/^16 members are nested deeper than the archive depth limit and were not opened .*the maxArchiveDepth limit \(3\) stopped the read/);
    expect(report.findings).toHaveLength(1);
  });

  it("a single over-ratio member keeps its own message and location", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "one.zip"), nest(1, 1));
    const report = await scanPaths([dir], dir);
    const bombs = report.findings.filter((f) => f.ruleId === "artifact/archive-bomb");
    expect(bombs.map((f) => [f.location.member, f.evidence?.["ratio"]])).toEqual([["leaf0.bin", expect.any(Number)]]);
  });
});
