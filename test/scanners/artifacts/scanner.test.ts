// Limits and error handling of the artifact scanner, through the real pipeline.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../../src/core/run";
import { FIXTURES } from "./fixture-scan";

const scan = async (paths: string[], limits: Record<string, number> = {}, cwd = FIXTURES) => (await runScan({ paths, cwd, jobs: 1, config: { limits } })).report;

describe("artifact scanner limits", () => {
  it("does not open archives nested deeper than maxArchiveDepth, and says so", async () => {
    const r = await scan(["malicious/zip-nested-zip-pickle.zip"], { maxArchiveDepth: 0 });
    expect(r.findings.map((f) => f.ruleId)).toEqual(["aigis/limit-exceeded"]);
    expect(r.findings[0]!.location.member).toBe("release/model.zip");
  });

  it("refuses pickles above maxInMemoryBytes with a limit notice", async () => {
    const r = await scan(["malicious/global-os-system.pkl"], { maxInMemoryBytes: 10 });
    expect(r.findings.map((f) => f.ruleId)).toEqual(["aigis/limit-exceeded"]);
  });

  it("reports a compressed stream that expands past the limits as a bomb", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-art-"));
    writeFileSync(join(dir, "big.gz"), require("node:zlib").gzipSync(Buffer.alloc(4 << 20)));
    const r = await scan(["big.gz"], { maxInMemoryBytes: 1 << 20 }, dir);
    expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual([["artifact/archive-bomb", "high"]]);
  });

  it("turns a corrupt member into a parse error and still scans the rest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-art-"));
    const good = readFileSync(join(FIXTURES, "malicious/torch-zip.pt"));
    const bad = Buffer.from(good);
    // Corrupt the first member's deflate/pickle bytes only (the data.pkl member comes first).
    const dataStart = 30 + bad.readUInt16LE(26) + bad.readUInt16LE(28);
    bad.fill(0xff, dataStart, dataStart + 8);
    writeFileSync(join(dir, "bad.pt"), bad);
    const r = await scan(["bad.pt"], {}, dir);
    expect(r.findings.some((f) => f.ruleId === "aigis/parse-error")).toBe(true);
    expect(r.findings.every((f) => !/could not finish reading/.test(f.message))).toBe(true);
  });
});

describe("artifact scanner on damaged files", () => {
  it("still finds a Lambda layer in an HDF5 file the HDF5 reader rejects", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-art-"));
    const h5 = Buffer.from(readFileSync(join(FIXTURES, "malicious/keras-lambda.h5")));
    h5[8] = 9; // superblock version no reader knows
    writeFileSync(join(dir, "broken.h5"), h5);
    const r = await scan(["broken.h5"], {}, dir);
    expect(r.findings.map((f) => f.ruleId).sort()).toEqual(["aigis/parse-error", "artifact/keras-lambda"]);
  });
});

describe("artifact scanner options", () => {
  const str = (s: string): Buffer => Buffer.concat([Buffer.from([0x8c, s.length]), Buffer.from(s)]);
  const pickle = (m: string, n: string): Buffer => Buffer.concat([Buffer.from([0x80, 4]), str(m), str(n), Buffer.from("\x93)R.", "latin1")]);

  it("scanners.artifacts.pickleAllow clears the project's own classes but never a denied callable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-art-"));
    writeFileSync(join(dir, "own.pkl"), pickle("mypkg.models", "Net"));
    writeFileSync(join(dir, "evil.pkl"), pickle("os", "system"));
    const run = async (pickleAllow: string[]) =>
      (await runScan({ paths: ["own.pkl", "evil.pkl"], cwd: dir, jobs: 1, config: { scanners: { artifacts: { pickleAllow } } } })).report.findings.map((f) => `${f.location.uri} ${f.ruleId}`);
    expect(await run([])).toEqual(["evil.pkl artifact/pickle-code-execution", "own.pkl artifact/pickle-unknown-import"]);
    expect(await run(["mypkg.*", "os.system"])).toEqual(["evil.pkl artifact/pickle-code-execution"]);
  });
});
