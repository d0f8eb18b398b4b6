import { join } from "node:path";
import { runScan } from "../../src/core/run";
import { loadCatalog } from "../../src/core/catalog";
import { render, toSarif } from "../../src/reporters";
import type { Report } from "../../src/types";
import { multitoolErrors, reportSchemaErrors, sarifSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "..", "..");
let report: Report;

beforeAll(async () => {
  ({ report } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 }));
});

describe("JSON report", () => {
  it("validates against rules/schemas/report.schema.json", () => {
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(reportSchemaErrors(JSON.parse(render("json", report, { catalog: loadCatalog(), color: false })))).toEqual([]);
  });

  it("rejects a report that breaks the contract", () => {
    const broken = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
    (broken.findings as Array<Record<string, unknown>>)[0]!.severity = "severe";
    delete broken.summary;
    expect(reportSchemaErrors(broken).length).toBeGreaterThanOrEqual(2);
  });

  it("records every target with its kind, size and SHA-256", () => {
    const pt = report.targets.find((t) => t.uri === "fixtures/demo/models/iris-mlp.pt");
    expect(pt).toMatchObject({ kind: "pytorch-zip" });
    expect(pt!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.summary.bySeverity.critical).toBe(report.findings.filter((f) => f.severity === "critical").length);
  });
});

describe("SARIF report", () => {
  it("validates against the OASIS SARIF 2.1.0 schema", () => {
    expect(sarifSchemaErrors(toSarif(report, loadCatalog()))).toEqual([]);
  });

  it("has no errors under sarif-multitool validate", () => {
    expect(multitoolErrors(toSarif(report, loadCatalog()))).toEqual([]);
  });

  it("carries what code-scanning dashboards read", () => {
    const log = toSarif(report, loadCatalog());
    const run = log.runs[0]!;
    const rule = run.tool.driver.rules!.find((r) => r.id === "artifact/pickle-code-execution")!;
    expect(rule.properties!["security-severity"]).toBe("9.5");
    expect(rule.properties!.tags).toEqual(expect.arrayContaining(["security", "ATLAS-AML.T0010", "GDPR-32"]));
    expect((rule.properties!.tags as string[]).length).toBeLessThanOrEqual(20);
    expect(rule.help!.markdown).toContain("ATLAS-AML.T0011.000");
    expect(rule.relationships!.map((r) => r.target.id)).toEqual(expect.arrayContaining(["GDPR-32", "OWASP-ML06"]));
    const names = run.taxonomies!.map((t) => t.name);
    expect(run.tool.driver.supportedTaxonomies!.map((t) => t.name)).toEqual(names);
    const critical = run.results!.find((r) => r.ruleId === "artifact/pickle-code-execution" && r.locations![0]!.logicalLocations)!;
    expect(critical.level).toBe("error");
    expect(critical.partialFingerprints!["aigisFingerprint/v1"]).toMatch(/^[0-9a-f]{32}$/);
    expect(critical.locations![0]!.logicalLocations![0]!.name).toBe("archive/data.pkl");
    const artifact = run.artifacts!.find((a) => a.location!.uri === "fixtures/demo/models/evil-model.pkl")!;
    expect(artifact.hashes!["sha-256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(run.invocations![0]!.executionSuccessful).toBe(true);
  });
});

describe("text and markdown reports", () => {
  it("groups by file and colours only when asked", () => {
    const plain = render("text", report, { catalog: loadCatalog(), color: false });
    expect(plain).toContain("fixtures/demo/models/evil-model.pkl (pickle)");
    expect(plain).not.toContain("\x1b[");
    expect(render("text", report, { catalog: loadCatalog(), color: true })).toContain("\x1b[1;31mCRITICAL");
  });

  it("fits a pull-request comment", () => {
    const md = render("markdown", report, { catalog: loadCatalog(), color: false });
    expect(md).toMatch(/^## aigis scan: \d+ findings/);
    expect(md).toContain(`| 🟥 critical | ${report.summary.bySeverity.critical} |`);
    expect(report.summary.bySeverity.critical).toBeGreaterThanOrEqual(2);
    expect(md.length).toBeLessThan(65_536);
  });
});

describe("suppressed and baseline findings in the human reports", () => {
  it("marks them and keeps them out of the totals", () => {
    const f = report.findings.find((x) => x.severity === "critical")!;
    const marked: Report = {
      ...report,
      findings: report.findings.map((x) => (x === f ? { ...x, suppression: { justification: "Red-team sample." } } : x)),
      summary: { ...report.summary, bySeverity: { ...report.summary.bySeverity, critical: report.summary.bySeverity.critical - 1 }, suppressed: 1 },
    };
    const text = render("text", marked, { catalog: loadCatalog(), color: false });
    expect(text).toContain("(suppressed: Red-team sample.)");
    const counted = Object.values(marked.summary.bySeverity).reduce((a, b) => a + b, 0);
    expect(text).toContain(`; ${counted} findings (`);
    expect(text).toMatch(/; 1 suppressed\.\n$/);
    expect(render("markdown", marked, { catalog: loadCatalog(), color: false })).toContain("_(suppressed: Red-team sample.)_");
  });
});
