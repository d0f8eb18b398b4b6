// Each rule runs isolated and within its contract: a throwing rule or one that sets a severity
// its catalogue entry does not allow becomes one aigis/rule-error finding naming it, the other
// rules on the file still run, and the failed rule does not count as having assessed the file.

import { createRegistry } from "../../src/core/registry";
import { buildSettings, runScan } from "../../src/core/run";
import { scanBytes } from "../../src/core/scan-file";
import type { CatalogRule, Rule, ScannerPlugin } from "../../src/types";

const entry = (id: string, extra: Partial<CatalogRule> = {}): CatalogRule => ({
  id,
  severity: "medium",
  title: `Test rule ${id}`,
  description: "A rule made up for this test.",
  remediation: "Nothing to remediate.",
  controls: ["AIRMF-MEASURE-2.7"],
  rationale: { "AIRMF-MEASURE-2.7": "A made-up rule for this test; its findings stand for failed evaluations." },
  tags: [],
  ...extra,
});
const rule = (id: string, check: Rule<{ text: string }>["check"]): Rule<{ text: string }> => ({ meta: { id, appliesTo: { kinds: ["text"] }, messages: { found: "Found {{what}}." } }, check });

const throws = rule("custom/throws", () => {
  throw new Error("boom");
});
const works = rule("custom/works", (doc, ctx) => ctx.report({ messageId: "found", data: { what: doc.text.trim() } }));
const severe = rule("custom/severe", (_doc, ctx) => ctx.report({ messageId: "found", data: { what: "x" }, severity: "critical" }));
const allowed = rule("custom/allowed", (_doc, ctx) => ctx.report({ messageId: "found", data: { what: "y" }, severity: "critical" }));
const unknownMessage = rule("custom/unknown-message", (_doc, ctx) => ctx.report({ messageId: "nope" }));
const missingData = rule("custom/missing-data", (_doc, ctx) => ctx.report({ messageId: "found" }));

const scanner: ScannerPlugin = {
  id: "isolation",
  kinds: ["text"],
  rules: [throws, works, severe, allowed, unknownMessage, missingData],
  catalog: [entry("custom/throws"), entry("custom/works"), entry("custom/severe"), entry("custom/allowed", { severityOverride: "critical for this test, to show the documented override" }), entry("custom/unknown-message"), entry("custom/missing-data")],
  async scan(file, ctx) {
    ctx.runRules(this.rules as ReadonlyArray<Rule<{ text: string }>>, { text: (await file.file.read(0, file.size)).toString("utf8") });
  },
};

describe("rule isolation and contract", () => {
  it("turns each failing rule into one aigis/rule-error naming it, keeps the others, and records the facts", async () => {
    const registry = createRegistry([scanner]);
    const { findings, assessment } = await scanBytes(registry, scanner, { uri: "a.txt", kind: "text", bytes: Buffer.from("hello\n"), settings: buildSettings({ paths: [] }) });
    const errors = findings.filter((f) => f.ruleId === "aigis/rule-error");
    expect(errors.map((f) => f.evidence?.["rule"]).sort()).toEqual(["custom/missing-data", "custom/severe", "custom/throws", "custom/unknown-message"]);
    expect(errors.find((f) => f.evidence?.["rule"] === "custom/throws")!.message).toBe("Rule custom/throws failed on a.txt: boom; it did not assess this target, so its findings here may be missing.");
    expect(errors.find((f) => f.evidence?.["rule"] === "custom/severe")!.evidence?.["reason"]).toMatch(/declares no severityOverride/);
    expect(findings.find((f) => f.ruleId === "custom/works")).toMatchObject({ message: "Found hello.", severity: "medium" });
    expect(findings.find((f) => f.ruleId === "custom/allowed")).toMatchObject({ severity: "critical" });
    expect(findings.some((f) => f.ruleId === "custom/severe")).toBe(false);
    expect(assessment.assessed).toEqual(["custom/allowed", "custom/works"]);
    expect(assessment.skipped.map((s) => s.rule).sort()).toEqual(["custom/missing-data", "custom/severe", "custom/throws", "custom/unknown-message"]);
    expect(assessment.skipped.every((s) => s.reason.startsWith("rule error: "))).toBe(true);
  });

  it("rejects a rule whose requirement is unmet without running it, and says which requirement", async () => {
    let ran = false;
    const needy: Rule<{ text: string }> = {
      meta: { id: "custom/needy", appliesTo: { kinds: ["text"] }, messages: { m: "M." }, requires: [{ id: "label-column", description: "a label column", isMet: () => false }] },
      check: () => {
        ran = true;
      },
    };
    const s: ScannerPlugin = { ...scanner, id: "needy", rules: [needy], catalog: [entry("custom/needy")], scan: async (_f, ctx) => ctx.runRules([needy], { text: "" }) };
    const { findings, assessment } = await scanBytes(createRegistry([s]), s, { uri: "b.txt", kind: "text", bytes: Buffer.from("x"), settings: buildSettings({ paths: [] }) });
    expect(ran).toBe(false);
    expect(findings).toEqual([]);
    expect(assessment).toEqual({ assessed: [], skipped: [{ rule: "custom/needy", reason: "requires label-column" }] });
  });

  it("validates a scanner's options once, against its schema, as a usage error", async () => {
    await expect(runScan({ paths: [], cwd: __dirname, config: { scanners: { artifacts: { pickleAllow: [42] } } } })).rejects.toThrow(/invalid scanner options[\s\S]*scanners\.artifacts\.pickleAllow\.0/);
  });
});
