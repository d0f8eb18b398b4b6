import { join } from "node:path";
import { assessCompliance, parseFrameworkIds } from "../../src/compliance";
import { buildEvidence, evidenceJson } from "../../src/compliance/evidence";
import type { Catalog } from "../../src/core/catalog";
import { loadCatalog } from "../../src/core/catalog";
import { runScan } from "../../src/core/run";
import type { CatalogRule, Finding, Framework, Report, Target } from "../../src/types";

const ROOT = join(__dirname, "..", "..");

// A small catalogue of its own, so the statuses do not depend on which scanners are merged.
const framework: Framework = {
  id: "test-fw",
  name: "Test framework",
  version: "1",
  guid: "00000000-0000-4000-8000-000000000001",
  informationUri: "https://example.com",
  controls: [
    { id: "T-1", title: "Model files are safe to load" },
    { id: "T-2", title: "Datasets carry no personal data" },
    { id: "T-3", title: "Models are robust" },
    { id: "T-4", title: "Nothing maps here" },
  ],
};
const rules: CatalogRule[] = [
  { id: "artifact/code", severity: "critical", title: "t", description: "d", remediation: "r", controls: ["T-1"], tags: [] },
  { id: "dataset/pii", severity: "high", title: "t", description: "d", remediation: "r", controls: ["T-2"], tags: [] },
  { id: "model/robustness", severity: "high", title: "t", description: "d", remediation: "r", controls: ["T-3"], tags: [] },
  { id: "aigis/parse-error", severity: "medium", title: "t", description: "d", remediation: "r", controls: ["T-2"], tags: [] },
];
const catalog: Catalog = {
  rules: new Map(rules.map((r) => [r.id, r])),
  frameworks: [framework],
  controls: new Map(framework.controls.map((c) => [c.id, { framework, control: c }])),
};

function finding(ruleId: string, controls: string[], extra: Partial<Finding> = {}): Finding {
  return { ruleId, severity: "high", message: "m.", location: { uri: "x" }, controls, fingerprint: `${ruleId.length}`.padStart(32, "a"), ...extra };
}

function report(partial: Partial<Report>): Report {
  return { schemaVersion: 1, tool: { name: "aigis", version: "0" }, targets: [], findings: [], probes: [], summary: { bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } }, ...partial };
}

function statuses(r: Report): Record<string, string> {
  return Object.fromEntries(assessCompliance(r, catalog)[0]!.controls.map((c) => [c.control.id, c.status]));
}

describe("control status", () => {
  // Facts as the pipeline records them: which rules assessed each target.
  const pickle: Target = { uri: "m.pkl", kind: "pickle", bytes: 1, sha256: "", assessment: { assessed: ["artifact/code"], skipped: [] } };
  const csv: Target = { uri: "d.csv", kind: "csv", bytes: 1, sha256: "", assessment: { assessed: ["dataset/pii"], skipped: [] } };

  it("is not assessed when no mapped rule assessed a target", () => {
    expect(statuses(report({ targets: [csv] }))).toEqual({ "T-1": "not-assessed", "T-2": "passed", "T-3": "not-assessed", "T-4": "not-assessed" });
  });

  it("is not assessed when the mapped rule was skipped, and says why", () => {
    const skipped: Target = { uri: "m.pkl", kind: "pickle", bytes: 1, sha256: "", assessment: { assessed: [], skipped: [{ rule: "artifact/code", reason: "rule error: boom" }] } };
    const c = assessCompliance(report({ targets: [skipped] }), catalog)[0]!.controls.find((x) => x.control.id === "T-1")!;
    expect(c.status).toBe("not-assessed");
    expect(c.notAssessedReason).toContain("artifact/code was skipped on 1 target: rule error: boom");
  });

  it("assesses nothing in a report without facts (schema version 1)", () => {
    const bare: Target = { uri: "m.pkl", kind: "pickle", bytes: 1, sha256: "" };
    const a = assessCompliance(report({ targets: [bare] }), catalog)[0]!;
    expect(a.counts).toEqual({ failed: 0, passed: 0, "not-assessed": 4 });
    expect(a.controls[0]!.notAssessedReason).toMatch(/no assessment facts/);
  });

  it("passes when a mapped rule ran and nothing counts; fails on a counting finding", () => {
    expect(statuses(report({ targets: [pickle, csv], findings: [finding("artifact/code", ["T-1"])] }))).toMatchObject({ "T-1": "failed", "T-2": "passed" });
  });

  it("lists accepted risks beside a passed control, and ignores findings absent since the baseline", () => {
    const accepted = finding("artifact/code", ["T-1"], { suppression: { justification: "sandboxed" } });
    const absent = finding("dataset/pii", ["T-2"], { baselineState: "absent", fingerprint: "b".repeat(32) });
    const a = assessCompliance(report({ targets: [pickle, csv], findings: [accepted, absent] }), catalog)[0]!;
    const t1 = a.controls.find((c) => c.control.id === "T-1")!;
    expect(t1).toMatchObject({ status: "passed", findings: [], accepted: [accepted], assessedBy: ["artifact/code"], targetsAssessed: 1 });
    expect(a.controls.find((c) => c.control.id === "T-2")!.status).toBe("passed");
    expect(a.counts).toEqual({ failed: 0, passed: 2, "not-assessed": 2 });
  });

  it("counts aigis notices as failures but never as an assessment", () => {
    expect(statuses(report({ targets: [pickle], findings: [finding("aigis/parse-error", ["T-2"])] }))["T-2"]).toBe("failed");
    expect(statuses(report({ targets: [pickle] }))["T-2"]).toBe("not-assessed");
  });

  it("assesses probe rules when a probe's facts say they assessed the model", () => {
    const probe = { model: "m.onnx", format: "onnx" as const, samples: 10, cleanAccuracy: 0.9, attacks: [], assessment: { assessed: ["model/robustness"], skipped: [] } };
    expect(statuses(report({ probes: [{ ...probe, assessment: { assessed: [], skipped: [] } }] }))["T-3"]).toBe("not-assessed");
    expect(statuses(report({ probes: [probe] }))["T-3"]).toBe("passed");
    expect(statuses(report({ probes: [probe], findings: [finding("model/robustness", ["T-3"])] }))["T-3"]).toBe("failed");
  });

  it("parses --framework lists and reports unknown ids", () => {
    expect(parseFrameworkIds(["gdpr,ccpa", "gdpr", "nope"], loadCatalog())).toEqual({ ids: ["gdpr", "ccpa", "nope"], unknown: ["nope"] });
  });
});

describe("evidence from a real scan", () => {
  it("fails GDPR-32 on the demo's pickles and refers to findings by fingerprint", async () => {
    const { report: r } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 });
    const e = evidenceJson(buildEvidence(r, loadCatalog(), { frameworks: ["gdpr", "owasp-ml-top10"], sources: ["r.json"] }));
    expect(e.frameworks.map((f) => f.id)).toEqual(["gdpr", "owasp-ml-top10"]);
    const gdpr32 = e.frameworks[0]!.controls.find((c) => c.id === "GDPR-32")!;
    expect(gdpr32.status).toBe("failed");
    const behind = r.findings.filter((f) => f.controls.includes("GDPR-32") && !f.suppression).map((f) => f.fingerprint);
    expect(behind.length).toBeGreaterThanOrEqual(2);
    expect(gdpr32.findings.sort()).toEqual(behind.sort());
    expect(gdpr32.assessedBy).toContain("artifact/pickle-code-execution");
    expect(e.tool.rulesVersion).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(e.targets.every((t) => /^[0-9a-f]{64}$/.test(t.sha256))).toBe(true);
    expect(e.scope.sources).toEqual(["r.json"]);
  });
});
