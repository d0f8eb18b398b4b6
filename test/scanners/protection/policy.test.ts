// Policy from the config's scanners.protection section: required encryption and signatures,
// personal data, file modes, and config validation.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../../src/core/errors";
import { runScan } from "../../../src/core/run";
import type { AigisConfig } from "../../../src/core/config";
import { ANCHORS, FIXTURES, fixture, scan, target } from "./helpers";

const withPolicy = (protection: Record<string, unknown>): { config: AigisConfig } => ({ config: { scanners: { protection } } });
const ruleHits = (report: Awaited<ReturnType<typeof scan>>, id: string): string[] => report.findings.filter((f) => f.ruleId === id).map((f) => f.location.uri).sort();

describe("requireEncryption", () => {
  it("by kind alias: every model file stored in the clear or only compressed is a finding, encrypted ones are not", async () => {
    const report = await scan([`${FIXTURES}/plain`, `${FIXTURES}/encrypted`, `${FIXTURES}/compressed`], withPolicy({ requireEncryption: { kinds: ["model", "gzip"] } }));
    expect(ruleHits(report, "protection/unencrypted-artifact")).toEqual([`${FIXTURES}/compressed/model.npy.gz`, `${FIXTURES}/plain/model.npy`]);
    const gz = report.findings.find((f) => f.location.uri.endsWith("model.npy.gz"))!;
    expect(gz.message).toMatch(/compressed \(gzip\)/);
    expect(gz.severity).toBe("high");
    expect(gz.controls).toContain("GDPR-32(1)(a)");
  });

  it("by path glob: high-entropy content in no known format is a medium finding, encrypted files none", async () => {
    const report = await scan([`${FIXTURES}/random`, `${FIXTURES}/encrypted`], withPolicy({ requireEncryption: { paths: [`${FIXTURES}/**`] } }));
    const hits = report.findings.filter((f) => f.ruleId === "protection/unencrypted-artifact");
    expect(hits.map((f) => [f.location.uri, f.severity])).toEqual([[`${FIXTURES}/random/noise.bin`, "medium"]]);
  });

  it("by personal data: files declared to hold it", async () => {
    const report = await scan([`${FIXTURES}/plain`], withPolicy({ personalData: ["people.csv"], requireEncryption: { personalData: true } }));
    expect(ruleHits(report, "protection/unencrypted-artifact")).toEqual([`${FIXTURES}/plain/people.csv`]);
  });
});

describe("requireSignature", () => {
  it("flags selected files with no signature and records status missing; signed files pass", async () => {
    const report = await scan([`${FIXTURES}/signatures/good`, `${FIXTURES}/plain`], { ...withPolicy({ requireSignature: { kinds: ["model"] } }), hints: { trustAnchors: ANCHORS } });
    expect(ruleHits(report, "protection/missing-signature")).toEqual([`${FIXTURES}/plain/model.npy`]);
    expect(target(report, `${FIXTURES}/plain/model.npy`).signature?.status).toBe("missing");
    expect(target(report, `${FIXTURES}/signatures/good/model.npy`).signature?.status).toBe("valid");
  });
});

describe("file modes", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "aigis-modes-"));
    mkdirSync(join(dir, "m"));
    copyFileSync(fixture("plain", "model.npy"), join(dir, "m", "open.npy"));
    copyFileSync(fixture("plain", "model.npy"), join(dir, "m", "closed.npy"));
    copyFileSync(fixture("plain", "people.csv"), join(dir, "m", "people.csv"));
    copyFileSync(fixture("plain", "people.csv"), join(dir, "m", "people-private.csv"));
    chmodSync(join(dir, "m", "open.npy"), 0o666);
    chmodSync(join(dir, "m", "closed.npy"), 0o640);
    chmodSync(join(dir, "m", "people.csv"), 0o644);
    chmodSync(join(dir, "m", "people-private.csv"), 0o600);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const posix = process.platform === "win32" ? it.skip : it;
  posix("world-writable model files are high; world-readable personal data is medium", async () => {
    const { report } = await runScan({ paths: ["m"], cwd: dir, jobs: 1, config: { scanners: { protection: { personalData: ["people*.csv"] } } } });
    expect(report.findings.filter((f) => f.ruleId === "protection/world-writable").map((f) => [f.location.uri, f.severity, f.evidence?.mode])).toEqual([["m/open.npy", "high", "0666"]]);
    expect(report.findings.filter((f) => f.ruleId === "protection/world-readable-personal-data").map((f) => [f.location.uri, f.severity])).toEqual([["m/people.csv", "medium"]]);
  });
});

describe("configuration", () => {
  it("an invalid scanners.protection section stops the run with a usage error", async () => {
    await expect(scan([`${FIXTURES}/plain`], withPolicy({ requireEncryption: { colour: "blue" } }))).rejects.toThrow(UsageError);
  });

  it("an unreadable trust anchor is a usage error", async () => {
    await expect(scan([`${FIXTURES}/plain`], { hints: { trustAnchors: ["no/such/anchor.pem"] } })).rejects.toThrow(/trust anchor/);
  });
});
