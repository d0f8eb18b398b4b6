// SARIF as GitHub code scanning shows it: every result in a text file on a line (CSV and JSON
// Lines rows on their physical line, JSON and YAML findings on their node's line, whole-file
// results on line 1), at most 10 tags per rule, a per-rule-and-file cap with a summary result,
// and no local absolute paths unless asked.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as Sarif from "sarif";
import { loadCatalog } from "../../src/core/catalog";
import { runScan } from "../../src/core/run";
import { render } from "../../src/reporters";
import { MAX_TAGS } from "../../src/reporters/sarif";
import type { Report } from "../../src/types";
import { multitoolErrors, sarifSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "..", "..");

function sarif(report: Report, options: { sarifMaxPerRuleFile?: number; jsonReportPath?: string; sarifLocalPaths?: boolean } = {}): Sarif.Log {
  return JSON.parse(render("sarif", report, { catalog: loadCatalog(), color: false, ...options })) as Sarif.Log;
}

function resultsFor(log: Sarif.Log, uri: string): Sarif.Result[] {
  return log.runs[0]!.results!.filter((r) => r.locations![0]!.physicalLocation!.artifactLocation!.uri === uri);
}

function lineOf(dir: string, uri: string, line: number): string {
  return readFileSync(join(dir, uri), "utf8").split("\n")[line - 1] ?? "";
}

describe("SARIF result regions for text files", () => {
  let dir: string;
  let report: Report;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "aigis-sarif-lines-"));
    // CSV: a header, a quoted field spanning two lines, and a blank line, so rows and lines differ.
    const csv = [
      "id,contact,note,label",
      '1,ada@example.com,"first line',
      'second line",a',
      "",
      "2,plain,ok,b",
      "3,grace@example.org,ok,a",
      ...Array.from({ length: 20 }, (_, i) => `${i + 4},none,ok,${i % 2 ? "a" : "b"}`),
    ].join("\n");
    writeFileSync(join(dir, "people.csv"), csv + "\n");
    // JSON Lines: blank lines before the personal data.
    const jsonl = ['{"text": "hello", "label": 0}', "", "  ", '{"text": "mail alan@example.net", "label": 1}', ...Array.from({ length: 20 }, (_, i) => `{"text": "row ${i}", "label": ${i % 2}}`)];
    writeFileSync(join(dir, "texts.jsonl"), jsonl.join("\n") + "\n");
    copyFileSync(join(ROOT, "fixtures/demo/policies/model-bucket-policy.json"), join(dir, "bucket.json"));
    writeFileSync(
      join(dir, "rbac.yaml"),
      [
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: ClusterRoleBinding",
        "metadata:",
        "  name: anonymous-admin",
        "roleRef:",
        "  apiGroup: rbac.authorization.k8s.io",
        "  kind: ClusterRole",
        "  name: cluster-admin",
        "subjects:",
        "  - kind: User",
        "    name: system:anonymous",
        "    apiGroup: rbac.authorization.k8s.io",
        "",
      ].join("\n"),
    );
    ({ report } = await runScan({ paths: ["."], cwd: dir, jobs: 1 }));
  });

  it("puts CSV rows on their physical lines", () => {
    const results = resultsFor(sarif(report), "people.csv").filter((r) => r.ruleId === "dataset/personal-data" && r.properties?.["row"] !== undefined);
    const byRow = new Map(results.map((r) => [r.properties!["row"] as number, r.locations![0]!.physicalLocation!.region!.startLine]));
    expect(byRow.get(0)).toBe(2); // row 0 starts on line 2 (line 1 is the header)
    expect(byRow.get(2)).toBe(6); // row 1 spans lines 3-4 (quoted newline) and line 5 is blank
    for (const r of results) expect(lineOf(dir, "people.csv", r.locations![0]!.physicalLocation!.region!.startLine!)).toMatch(/@example\./);
  });

  it("puts JSON Lines rows on their physical lines", () => {
    const results = resultsFor(sarif(report), "texts.jsonl").filter((r) => r.ruleId === "dataset/personal-data" && r.properties?.["row"] !== undefined);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      const line = r.locations![0]!.physicalLocation!.region!.startLine!;
      expect(line).toBe(4); // row 1 comes after two blank lines
      expect(lineOf(dir, "texts.jsonl", line)).toContain("alan@example.net");
    }
  });

  it("puts JSON and YAML policy findings on their node's line", () => {
    const log = sarif(report);
    const json = resultsFor(log, "bucket.json").find((r) => r.ruleId === "policy/aws-public-write")!;
    expect(json.locations![0]!.physicalLocation!.region!.startLine).toBe(4);
    const yaml = resultsFor(log, "rbac.yaml").filter((r) => r.ruleId?.startsWith("policy/k8s-"));
    expect(yaml.length).toBeGreaterThan(0);
    for (const r of yaml) expect(r.locations![0]!.physicalLocation!.region!.startLine).toBeGreaterThan(1);
  });

  it("gives every result in a text file a line", () => {
    const log = sarif(report);
    const texts = log.runs[0]!.results!.filter((r) => /\.(csv|jsonl|json|yaml)$/.test(r.locations![0]!.physicalLocation!.artifactLocation!.uri!));
    expect(texts.length).toBeGreaterThan(5);
    for (const r of texts) expect(r.locations![0]!.physicalLocation!.region?.startLine).toBeGreaterThanOrEqual(1);
  });

  it("keeps at most 10 tags per rule, with every control in properties and help", () => {
    const rules = sarif(report).runs[0]!.tool.driver.rules!;
    const catalog = loadCatalog();
    expect(MAX_TAGS).toBe(10);
    for (const rule of rules) {
      expect((rule.properties!.tags as string[]).length).toBeLessThanOrEqual(10);
      const controls = catalog.rules.get(rule.id)!.controls;
      expect(rule.properties!["controls"]).toEqual(controls);
      for (const c of controls) expect(rule.help!.markdown).toContain(`**${c}**`);
    }
    // Some rules have more controls and tags than GitHub shows: the cap is exercised.
    expect([...catalog.rules.values()].some((r) => 1 + r.controls.length + r.tags.length > 10)).toBe(true);
  });

  it("summarises results beyond the per-rule-and-file cap in one result pointing at the JSON report", () => {
    const many: Report = {
      ...report,
      findings: Array.from({ length: 250 }, (_, i) => ({ ...report.findings.find((f) => f.ruleId === "dataset/personal-data")!, location: { uri: "people.csv", row: i, line: i + 2 }, fingerprint: i.toString(16).padStart(32, "0") })),
    };
    const log = sarif(many, { sarifMaxPerRuleFile: 100, jsonReportPath: "aigis.json" });
    const results = log.runs[0]!.results!;
    expect(results).toHaveLength(101);
    const summary = results[100]!;
    expect(summary.message.text).toContain("150 more dataset/personal-data findings in people.csv");
    expect(summary.message.text).toContain("aigis.json");
    expect(summary.locations![0]!.physicalLocation!.region!.startLine).toBeGreaterThanOrEqual(1);
    expect(log.runs[0]!.properties!["resultsSummarised"]).toBe(150);
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it("writes no local absolute path unless asked", () => {
    const plain = sarif(report);
    expect(JSON.stringify(plain)).not.toContain(dir);
    expect(plain.runs[0]!.originalUriBaseIds!["%SRCROOT%"]!.uri).toBeUndefined();
    const local = sarif(report, { sarifLocalPaths: true });
    expect(local.runs[0]!.originalUriBaseIds!["%SRCROOT%"]!.uri).toMatch(/^file:\/\/\//);
  });

  it("stays valid: OASIS schema and sarif-multitool with no errors", () => {
    const log = sarif(report);
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(multitoolErrors(log, ["--rule-kind", "Ghas"])).toEqual([]);
    expect(multitoolErrors(log)).toEqual([]);
  });
});
