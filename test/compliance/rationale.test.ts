// Where a control fails, the evidence and SARIF output say why: each failing rule with the
// one-line rationale its catalogue entry gives for the mapping (rules/catalog/*.json).

import { join } from "node:path";
import { failuresOf } from "../../src/compliance";
import { buildEvidence, evidenceJson } from "../../src/compliance/evidence";
import { formatAjvErrors, loadCatalog, schemaValidator } from "../../src/core/catalog";
import { runScan } from "../../src/core/run";
import { toEvidenceMarkdown } from "../../src/reporters/evidence-markdown";
import { escapeHtml, toHtml } from "../../src/reporters/html";
import { toSarif } from "../../src/reporters/sarif";
import type { Finding, Report } from "../../src/types";

const ROOT = join(__dirname, "..", "..");
const catalog = loadCatalog();
const rationale = (rule: string, control: string): string => {
  const text = catalog.rules.get(rule)?.rationale?.[control];
  if (!text) throw new Error(`the catalogue gives no rationale for ${rule} -> ${control}`);
  return text;
};

let report: Report;
beforeAll(async () => {
  ({ report } = await runScan({ paths: ["fixtures/demo/models/evil-model.pkl", "fixtures/demo/policies/model-bucket-policy.json"], cwd: ROOT, jobs: 1 }));
});

describe("rationale where a control fails", () => {
  it("groups a control's counting findings by rule and attaches the mapping's rationale", () => {
    const f = (ruleId: string): Finding => ({ ruleId, severity: "high", message: "m.", location: { uri: "x" }, controls: ["GDPR-32"], fingerprint: "f".repeat(32) });
    const failures = failuresOf("GDPR-32", [f("protection/world-writable"), f("artifact/pickle-code-execution"), f("protection/world-writable")], catalog);
    expect(failures).toEqual([
      { rule: "protection/world-writable", findings: 2, rationale: rationale("protection/world-writable", "GDPR-32") },
      { rule: "artifact/pickle-code-execution", findings: 1, rationale: rationale("artifact/pickle-code-execution", "GDPR-32") },
    ]);
    // A finding from an older scan whose rule the current catalogue no longer maps to the control: no invented reason.
    expect(failuresOf("GDPR-35", [f("model/membership-inference")], catalog)).toEqual([{ rule: "model/membership-inference", findings: 1 }]);
  });

  it("judges a finding by the mapping of the catalogue the assessment is made with, not the scan's", () => {
    // A report from before the review: membership inference then mapped to GDPR-35 (DPIA), which it cannot fail.
    const old: Finding = { ruleId: "model/membership-inference", severity: "high", message: "m.", location: { uri: "probe:model.onnx" }, controls: ["GDPR-25", "GDPR-32", "GDPR-35", "AIRMF-MEASURE-2.10"], fingerprint: "e".repeat(32) };
    const evidence = buildEvidence({ ...report, findings: [old] }, catalog, { frameworks: ["gdpr", "owasp-ml-top10"] });
    const status = (id: string): string | undefined => evidence.assessments.flatMap((a) => a.controls).find((c) => c.control.id === id)?.status;
    expect(status("GDPR-35")).not.toBe("failed");
    expect(status("OWASP-ML04")).toBe("failed");
    const ml04 = evidence.assessments.flatMap((a) => a.controls).find((c) => c.control.id === "OWASP-ML04")!;
    expect(ml04.failedBy).toEqual([{ rule: "model/membership-inference", findings: 1, rationale: rationale("model/membership-inference", "OWASP-ML04") }]);
  });

  it("puts failedBy with rationales in the JSON evidence, valid against its schema", () => {
    const evidence = evidenceJson(buildEvidence(report, catalog));
    const validate = schemaValidator("evidence");
    expect(validate(evidence) ? [] : formatAjvErrors(validate.errors)).toEqual([]);
    const controls = evidence.frameworks.flatMap((fw) => fw.controls);
    const t0010 = controls.find((c) => c.id === "ATLAS-AML.T0010")!;
    expect(t0010.status).toBe("failed");
    expect(t0010.failedBy).toContainEqual(expect.objectContaining({ rule: "artifact/pickle-code-execution", rationale: rationale("artifact/pickle-code-execution", "ATLAS-AML.T0010") }));
    for (const c of controls) {
      if (c.status !== "failed") expect(c.failedBy).toBeUndefined();
      else expect(c.failedBy!.reduce((n, f) => n + f.findings, 0)).toBe(c.findings.length);
    }
  });

  it("shows each failing rule's rationale in the markdown and HTML evidence reports", () => {
    const evidence = buildEvidence(report, catalog, { frameworks: ["gdpr", "mitre-atlas"] });
    const md = toEvidenceMarkdown(evidence);
    expect(md).toContain("**Why the failed controls fail**");
    expect(md).toContain(`- **GDPR-32** \`artifact/pickle-code-execution\`: ${rationale("artifact/pickle-code-execution", "GDPR-32")}`);
    const html = toHtml(evidence, catalog);
    expect(html).toContain(`<span class="why">${escapeHtml(rationale("artifact/pickle-code-execution", "ATLAS-AML.T0010"))}</span>`);
    // Controls that did not fail carry no rationale line.
    const passedOrNot = evidence.assessments.flatMap((a) => a.controls).filter((c) => c.status !== "failed");
    expect(passedOrNot.every((c) => c.failedBy.length === 0)).toBe(true);
  });

  it("gives the rationale in SARIF rule help and on each rule-to-control relationship", () => {
    const sarif = toSarif(report, catalog);
    const rule = sarif.runs[0]!.tool.driver.rules!.find((r) => r.id === "artifact/pickle-code-execution")!;
    for (const c of catalog.rules.get("artifact/pickle-code-execution")!.controls) {
      expect(rule.help!.markdown).toContain(`Why a finding fails it: ${rationale("artifact/pickle-code-execution", c)}`);
      expect(rule.relationships!.find((r) => r.target.id === c)!.description!.text).toBe(rationale("artifact/pickle-code-execution", c));
    }
  });
});
