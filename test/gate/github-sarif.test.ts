import { join } from "node:path";
import { loadCatalog } from "../../src/core/catalog";
import { parseSuppressions } from "../../src/core/suppressions";
import { runScan } from "../../src/core/run";
import { toSarif } from "../../src/reporters";
import { lineHashes } from "../../src/reporters/line-hash";
import type { Report } from "../../src/types";
import { multitoolErrors, sarifSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "..", "..");

describe("primaryLocationLineHash", () => {
  // Expected values from GitHub's codeql-action fingerprint tests.
  it("matches GitHub's rolling line hash", () => {
    expect(lineHashes("")).toEqual(["", "c129715d7a2bc9a3:1"]);
    expect(lineHashes(" a\nb\n  \t\tc\n d").slice(1)).toEqual(["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]);
    const crlf = lineHashes(" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n").slice(1);
    expect(crlf).toEqual(lineHashes(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n").slice(1));
    expect(crlf[0]).toBe("e9496ae3ebfced30:1");
    const repeated = lineHashes("Lorem ipsum dolor sit amet.\n".repeat(10)).slice(1);
    expect(repeated.slice(0, 3)).toEqual(["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3"]);
  });
});

describe("SARIF for GitHub code scanning", () => {
  let report: Report;
  beforeAll(async () => {
    const suppressions = parseSuppressions(
      "suppressions:\n  - path: fixtures/demo/models/custom-class.pkl\n    justification: Known class, reviewed.\n    expires: 2099-01-01\n",
      ".aigis-suppressions.yaml",
    );
    const { report: previous } = await runScan({ paths: ["fixtures/demo/models/evil-model.pkl", "fixtures/demo/models/custom-class.pkl"], cwd: ROOT, jobs: 1 });
    ({ report } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1, suppressions, baseline: previous }));
  });

  it("has a category, line hashes, control tags and help", () => {
    const run = toSarif(report, loadCatalog(), { category: "aigis-models" }).runs[0]!;
    expect(run.automationDetails!.id).toBe("aigis-models/");
    for (const r of run.results!) expect(r.partialFingerprints!.primaryLocationLineHash).toMatch(/^[0-9a-f]+:\d+$/);
    const rule = run.tool.driver.rules!.find((r) => r.id === "artifact/pickle-code-execution")!;
    expect(rule.properties!.tags).toEqual(expect.arrayContaining(["GDPR-32", "EUAIA-15"]));
    expect(rule.help!.markdown).toContain("**GDPR-32**");
  });

  it("hashes the line of a text finding as GitHub would", () => {
    const withLine: Report = { ...report, findings: [{ ...report.findings[0]!, location: { uri: "fixtures/demo/make_demo.py", line: 3 } }] };
    const { readFileSync } = require("node:fs") as typeof import("node:fs");
    const expected = lineHashes(readFileSync(join(ROOT, "fixtures/demo/make_demo.py"), "utf8"))[3];
    const { render } = require("../../src/reporters") as typeof import("../../src/reporters");
    const log = JSON.parse(render("sarif", withLine, { catalog: loadCatalog(), color: false })) as { runs: Array<{ results: Array<{ partialFingerprints: Record<string, string> }> }> };
    expect(log.runs[0]!.results[0]!.partialFingerprints.primaryLocationLineHash).toBe(expected);
  });

  it("caps results at GitHub's limit with a notification", () => {
    const many: Report = { ...report, findings: Array.from({ length: 30 }, (_, i) => ({ ...report.findings[0]!, fingerprint: i.toString(16).padStart(32, "0") })) };
    const run = toSarif(many, loadCatalog(), { maxResults: 25 }).runs[0]!;
    expect(run.results).toHaveLength(25);
    expect(run.invocations![0]!.toolExecutionNotifications![0]!.message.text).toMatch(/^5 of 30 results were left out/);
    expect(sarifSchemaErrors(toSarif(many, loadCatalog(), { maxResults: 25 }))).toEqual([]);
  });

  it("is valid SARIF with no errors under sarif-multitool --rule-kind Ghas (with suppressions and baseline states)", () => {
    const log = toSarif(report, loadCatalog(), { category: "aigis" });
    expect(log.runs[0]!.results!.some((r) => r.suppressions!.length > 0)).toBe(true);
    expect(log.runs[0]!.results!.some((r) => r.baselineState === "new")).toBe(true);
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(multitoolErrors(log, ["--rule-kind", "Ghas"])).toEqual([]);
    expect(multitoolErrors(log)).toEqual([]);
  });
});
