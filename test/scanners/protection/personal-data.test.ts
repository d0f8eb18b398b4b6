// Files that hold personal data are known from the dataset scanner's findings, not only from globs.
import { chmodSync, copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../../src/core/run";

const CHURN = join(__dirname, "..", "..", "..", "fixtures", "demo", "data", "churn-training.csv");

describe("protection of files the scan found personal data in", () => {
  const dir = mkdtempSync(join(tmpdir(), "aigis-pd-"));
  copyFileSync(CHURN, join(dir, "churn.csv"));
  chmodSync(join(dir, "churn.csv"), 0o644);
  copyFileSync(join(__dirname, "..", "..", "..", "fixtures", "demo", "data", "iris.csv"), join(dir, "iris.csv"));
  chmodSync(join(dir, "iris.csv"), 0o644);

  it("requires encryption and flags world-readable modes for them, and only for them", async () => {
    const { report } = await runScan({ paths: ["."], cwd: dir, jobs: 1, config: { scanners: { protection: { requireEncryption: { personalData: true } } } } });
    const at = (uri: string): string[] => report.findings.filter((f) => f.location.uri === uri && f.ruleId.startsWith("protection/")).map((f) => f.ruleId).sort();
    expect(at("churn.csv")).toEqual(["protection/unencrypted-artifact", "protection/world-readable-personal-data"]);
    expect(at("iris.csv")).toEqual([]);
    expect(report.findings.find((f) => f.ruleId === "protection/unencrypted-artifact")!.message).toContain("the scan found personal data in it");
  });

  it("raises no encryption finding without a policy", async () => {
    const { report } = await runScan({ paths: ["."], cwd: dir, jobs: 1 });
    expect(report.findings.map((f) => f.ruleId)).not.toContain("protection/unencrypted-artifact");
    expect(report.findings.map((f) => f.ruleId)).toContain("protection/world-readable-personal-data");
  });
});
