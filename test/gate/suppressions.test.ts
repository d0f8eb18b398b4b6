import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCatalog } from "../../src/core/catalog";
import { UsageError } from "../../src/core/errors";
import { runScan } from "../../src/core/run";
import { applySuppressions, parseSuppressions } from "../../src/core/suppressions";
import { toSarif } from "../../src/reporters";
import type { Finding, Report } from "../../src/types";
import { runCli } from "../helpers/cli";
import { reportSchemaErrors, sarifSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "..", "..");

function finding(ruleId: string, uri: string, fingerprint: string): Finding {
  return { ruleId, severity: "high", message: "m.", location: { uri }, controls: [], fingerprint };
}

describe("suppressions file", () => {
  it("reports every schema error at once, a missing justification among them", () => {
    const yaml = `suppressions:
  - rule: artifact/pickle-code-execution
    path: "models/**"
  - fingerprint: NOT-HEX
    justification: "x"
  - justification: "   "
    rule: artifact/pickle-unknown-import
  - justification: "nothing to match"
    expires: 31/12/2026
`;
    let error: unknown;
    try {
      parseSuppressions(yaml, ".aigis-suppressions.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const msg = (error as Error).message;
    expect(msg).toContain("/suppressions/0: must have required property 'justification'");
    expect(msg).toContain("/suppressions/1/fingerprint");
    expect(msg).toContain("/suppressions/2/justification");
    expect(msg).toContain("/suppressions/3: needs at least one of rule, path or fingerprint");
    expect(msg).toContain("/suppressions/3/expires");
  });

  it("matches by rule, area wildcard, path glob and fingerprint; every given criterion must match", () => {
    const set = parseSuppressions(
      `suppressions:
  - rule: artifact/pickle-code-execution
    path: "vendor/**"
    justification: Vendor models are loaded in a sandbox.
    author: alice
  - fingerprint: ${"b".repeat(32)}
    justification: Reviewed.
    expires: 2030-01-01
  - rule: "dataset/*"
    justification: Synthetic data only.
`,
      "s.yaml",
    );
    const findings = [
      finding("artifact/pickle-code-execution", "vendor/a/m.pkl", "a".repeat(32)),
      finding("artifact/pickle-code-execution", "models/m.pkl", "c".repeat(32)),
      finding("artifact/pickle-unknown-import", "models/x.pkl", "b".repeat(32)),
      finding("dataset/pii-email", "data/train.csv", "d".repeat(32)),
    ];
    const { findings: out, expired } = applySuppressions(findings, set, "2026-11-21");
    expect(expired).toEqual([]);
    expect(out.map((f) => f.suppression?.source)).toEqual(["s.yaml#1", undefined, "s.yaml#2", "s.yaml#3"]);
    expect(out[0]!.suppression).toEqual({ justification: "Vendor models are loaded in a sandbox.", author: "alice", source: "s.yaml#1" });
    expect(out[2]!.suppression!.expires).toBe("2030-01-01");
  });

  it("stops applying after the expiry day", () => {
    const set = parseSuppressions(`suppressions:\n  - rule: artifact/pickle-code-execution\n    justification: Until the fix ships.\n    expires: 2026-11-20\n`, "s.yaml");
    const f = [finding("artifact/pickle-code-execution", "m.pkl", "a".repeat(32))];
    expect(applySuppressions(f, set, "2026-11-20").findings[0]!.suppression).toBeDefined();
    const after = applySuppressions(f, set, "2026-11-21");
    expect(after.findings[0]!.suppression).toBeUndefined();
    expect(after.expired).toEqual([expect.objectContaining({ index: 0, line: 2, matches: 1 })]);
  });
});

describe("suppressions in a scan", () => {
  let plain: Report;
  let suppressed: Report;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "aigis-supp-"));
    writeFileSync(
      join(dir, "supp.yaml"),
      `suppressions:
  - rule: artifact/pickle-code-execution
    path: fixtures/demo/models/trojaned-checkpoint.pt
    justification: Red-team sample kept on purpose; never loaded.
    author: security@example.com
    expires: 2099-12-31
  - rule: artifact/pickle-unknown-import
    justification: Custom classes reviewed by the model team.
    expires: 2020-01-01
`,
    );
    ({ report: plain } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 }));
    const set = parseSuppressions(readFileSync(join(dir, "supp.yaml"), "utf8"), "supp.yaml");
    ({ report: suppressed } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1, suppressions: set }));
  });

  it("keeps suppressed findings with their justification, out of the summary", () => {
    expect(reportSchemaErrors(suppressed)).toEqual([]);
    const s = suppressed.findings.filter((f) => f.suppression);
    expect(s).toHaveLength(1);
    expect(s[0]!.location.uri).toBe("fixtures/demo/models/trojaned-checkpoint.pt");
    expect(s[0]!.suppression!.justification).toMatch(/Red-team sample/);
    expect(suppressed.summary.bySeverity.critical).toBe(plain.summary.bySeverity.critical - 1);
    expect(suppressed.summary.suppressed).toBe(1);
  });

  it("reports the expired entry as aigis/expired-suppression, and its findings count again", () => {
    const expired = suppressed.findings.filter((f) => f.ruleId === "aigis/expired-suppression");
    expect(expired).toHaveLength(1);
    expect(expired[0]!.location).toEqual({ uri: "supp.yaml", line: 7 });
    const matched = plain.findings.filter((f) => f.ruleId === "artifact/pickle-unknown-import").length;
    expect(matched).toBeGreaterThanOrEqual(1);
    const counted = matched === 1 ? "the finding it matched counts" : `the ${matched} findings it matched count`;
    expect(expired[0]!.message).toContain(`expired on 2020-01-01; ${counted} again.`);
    expect(suppressed.findings.filter((f) => f.ruleId === "artifact/pickle-unknown-import" && !f.suppression)).toHaveLength(matched);
  });

  it("puts suppressions on every SARIF result or on none", () => {
    const withSupp = toSarif(suppressed, loadCatalog()).runs[0]!.results!;
    expect(withSupp.every((r) => Array.isArray(r.suppressions))).toBe(true);
    const accepted = withSupp.filter((r) => r.suppressions!.length > 0);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.suppressions![0]).toMatchObject({ kind: "external", status: "accepted", justification: expect.stringMatching(/Red-team/) });
    expect(sarifSchemaErrors(toSarif(suppressed, loadCatalog()))).toEqual([]);
    expect(toSarif(plain, loadCatalog()).runs[0]!.results!.some((r) => r.suppressions !== undefined)).toBe(false);
  });

  it("gates on what is not accepted, and a missing justification is exit 2", async () => {
    const critical = ["scan", "fixtures/demo/models/trojaned-checkpoint.pt", "--fail-on", "critical", "-q"];
    expect((await runCli(critical, { cwd: ROOT })).code).toBe(1);
    expect((await runCli([...critical, "--suppressions", join(dir, "supp.yaml")], { cwd: ROOT })).code).toBe(0);
    writeFileSync(join(dir, "bad.yaml"), "suppressions:\n  - rule: artifact/pickle-code-execution\n    author: bob\n");
    const bad = await runCli([...critical, "--suppressions", join(dir, "bad.yaml")], { cwd: ROOT });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/aigis: error: suppressions .* is invalid \(1 error\): \/suppressions\/0: must have required property 'justification'/);
  });
});
