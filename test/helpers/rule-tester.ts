// RuleTester in the manner of ESLint's: each rule gets valid documents (no findings) and
// invalid ones (the findings expected, matched by message id, message text, severity,
// location). Drafts go through the real finding builder, so a rule that breaks its contract
// (unknown message id, missing template data, a severity its catalogue entry does not allow)
// fails here, not in a user's scan.

import type { Finding, FindingDraft, Rule, ScanSettings } from "../../src/types";
import { loadCatalog } from "../../src/core/catalog";
import { makeFinding } from "../../src/core/findings";
import { builtinRegistry } from "../../src/core/registry";
import { buildSettings } from "../../src/core/run";

export interface ExpectedFinding {
  /** The message id the rule reported. */
  messageId?: string;
  /** Substring (or pattern) the message must contain. */
  message?: string | RegExp;
  severity?: FindingDraft["severity"];
  location?: FindingDraft["location"];
  evidence?: Record<string, unknown>;
}

export interface RuleTestCases<Doc> {
  valid: Array<{ name: string; doc: Doc }>;
  invalid: Array<{ name: string; doc: Doc; findings: ExpectedFinding[] }>;
}

export type Collected = FindingDraft & { message: string; finding: Finding };

/** Runs a rule over a document and returns its drafts with the messages and findings they build. */
export function collect<Doc>(rule: Rule<Doc>, doc: Doc, settings: ScanSettings = buildSettings({ paths: [] })): Collected[] {
  const drafts: FindingDraft[] = [];
  rule.check(doc, { settings, report: (d) => drafts.push(d) });
  const registry = builtinRegistry();
  return drafts.map((d) => {
    const finding = makeFinding(registry, rule.meta.id, "test", d);
    return { ...d, message: finding.message, finding };
  });
}

export function runRuleTests<Doc>(rule: Rule<Doc>, cases: RuleTestCases<Doc>): void {
  describe(rule.meta.id, () => {
    it("has catalog metadata and messages", () => {
      const meta = loadCatalog().rules.get(rule.meta.id);
      expect(meta).toBeDefined();
      expect(meta!.controls.length).toBeGreaterThan(0);
      expect(Object.keys(rule.meta.messages).length).toBeGreaterThan(0);
    });
    const names = [...cases.valid, ...cases.invalid].map((c) => c.name);
    it("has no duplicate case names", () => {
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    });
    for (const c of cases.valid) {
      it(`valid: ${c.name}`, () => {
        expect(collect(rule, c.doc).map((f) => f.message)).toEqual([]);
      });
    }
    for (const c of cases.invalid) {
      it(`invalid: ${c.name}`, () => {
        expect(c.findings.length).toBeGreaterThan(0);
        const got = collect(rule, c.doc);
        expect(got).toHaveLength(c.findings.length);
        c.findings.forEach((want, i) => {
          const f = got[i]!;
          expect(f.message).toMatch(/\.$/);
          expect(Object.keys(rule.meta.messages)).toContain(f.messageId);
          if (want.messageId !== undefined) expect(f.messageId).toBe(want.messageId);
          if (want.message !== undefined) {
            if (typeof want.message === "string") expect(f.message).toContain(want.message);
            else expect(f.message).toMatch(want.message);
          }
          if (want.severity !== undefined) expect(f.finding.severity).toBe(want.severity);
          if (want.location !== undefined) expect(f.location).toMatchObject(want.location);
          if (want.evidence !== undefined) expect(f.evidence).toMatchObject(want.evidence);
        });
      });
    }
  });
}
