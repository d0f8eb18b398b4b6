// RuleTester in the manner of ESLint's: each rule gets valid documents (no findings) and
// invalid ones (the findings expected, matched by message substring, severity, location).

import type { FindingDraft } from "../../src/types";
import type { RuleModule } from "../../src/core/rule";
import { loadCatalog } from "../../src/core/catalog";

export interface ExpectedFinding {
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

export function collect<Doc>(rule: RuleModule<Doc>, doc: Doc): FindingDraft[] {
  const out: FindingDraft[] = [];
  rule.check(doc, { report: (d) => out.push(d) });
  return out;
}

export function runRuleTests<Doc>(rule: RuleModule<Doc>, cases: RuleTestCases<Doc>): void {
  describe(rule.id, () => {
    it("has catalog metadata", () => {
      const meta = loadCatalog().rules.get(rule.id);
      expect(meta).toBeDefined();
      expect(meta!.controls.length).toBeGreaterThan(0);
    });
    for (const c of cases.valid) {
      it(`valid: ${c.name}`, () => {
        expect(collect(rule, c.doc)).toEqual([]);
      });
    }
    for (const c of cases.invalid) {
      it(`invalid: ${c.name}`, () => {
        const got = collect(rule, c.doc);
        expect(got).toHaveLength(c.findings.length);
        c.findings.forEach((want, i) => {
          const f = got[i]!;
          expect(f.message).toMatch(/\.$/);
          if (want.message !== undefined) {
            if (typeof want.message === "string") expect(f.message).toContain(want.message);
            else expect(f.message).toMatch(want.message);
          }
          if (want.severity !== undefined) expect(f.severity).toBe(want.severity);
          if (want.location !== undefined) expect(f.location).toMatchObject(want.location);
          if (want.evidence !== undefined) expect(f.evidence).toMatchObject(want.evidence);
        });
      });
    }
  });
}
