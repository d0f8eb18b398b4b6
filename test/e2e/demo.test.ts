// The README's quick start, as a new user runs it, plus the canary check: aigis never runs what it scans.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../src/core/run";
import type { Report } from "../../src/types";
import { reportSchemaErrors, sarifSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "..", "..");
const CANARY = "/tmp/aigis-canary-demo";

describe("the bundled demo", () => {
  beforeAll(() => rmSync(CANARY, { force: true }));

  it("flags the malicious pickles critical and leaves the real torch and sklearn models below high", async () => {
    const { report } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 });
    const at = (uri: string): Report["findings"] => report.findings.filter((f) => f.location.uri === `fixtures/demo/models/${uri}`);
    expect(at("evil-model.pkl")).toEqual([expect.objectContaining({ ruleId: "artifact/pickle-code-execution", severity: "critical" })]);
    expect(at("evil-model.pkl")[0]!.evidence).toMatchObject({ callable: "posix.system", opcode: "STACK_GLOBAL" });
    expect(at("trojaned-checkpoint.pt")).toEqual([
      expect.objectContaining({ ruleId: "artifact/pickle-code-execution", severity: "critical", location: expect.objectContaining({ member: "archive/data.pkl" }) }),
    ]);
    for (const benign of ["iris-mlp.pt", "iris-pipeline.pkl"]) {
      expect(at(benign).filter((f) => f.severity === "critical" || f.severity === "high")).toEqual([]);
    }
    expect(at("custom-class.pkl").map((f) => f.ruleId)).toContain("artifact/pickle-unknown-import");
    expect(at("custom-class.pkl").every((f) => f.severity === "high")).toBe(true);
    expect(existsSync(CANARY)).toBe(false);
  });

  it("gives the same report from worker threads as from the main thread", async () => {
    const one = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 });
    const many = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 2 });
    expect(many.report.findings).toEqual(one.report.findings);
    expect(many.report.targets).toEqual(one.report.targets);
  });

  it("`npm run demo` writes SARIF and JSON and prints the text summary", () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-demo-"));
    const r = spawnSync("node", [join(ROOT, "dist", "bin", "aigis.js"), "scan", join(ROOT, "fixtures", "demo"), "--format", "text", "--format", "sarif", "--output", "aigis-report.sarif", "--format", "json", "--output", "aigis-report.json", "--fail-on", "none"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/aigis: scanned \d+ files; \d+ findings/);
    expect(sarifSchemaErrors(JSON.parse(readFileSync(join(dir, "aigis-report.sarif"), "utf8")))).toEqual([]);
    const json = readFileSync(join(dir, "aigis-report.json"), "utf8");
    expect(reportSchemaErrors(JSON.parse(json))).toEqual([]);
    expect(existsSync(CANARY)).toBe(false);
    // The demo's churn table holds (fake) personal data: found, and masked in every output.
    expect(json).toContain("dataset/personal-data");
    for (const file of ["aigis-report.json", "aigis-report.sarif"]) {
      const text = readFileSync(join(dir, file), "utf8");
      expect(text).not.toMatch(/4111111111111111|user\d@example\.com|202-555-\d{4}/);
    }
    expect(r.stdout).not.toMatch(/4111111111111111|user\d@example\.com/);
  });
});
