// RuleTester in the manner of ESLint's, for the rules of aigis and of plugins: each rule gets
// valid documents (no findings) and invalid ones (the findings expected, matched by message id,
// message text, severity, location, evidence). Drafts go through the real finding builder, so a
// rule that breaks its contract (unknown message id, missing template data, a severity its
// catalogue entry does not allow) fails in its tests, not in a user's scan. Fingerprints are
// checked too: well-formed, stable across runs, and distinct for distinct findings.
//
// Framework-neutral like ESLint's: cases are declared through `RuleTester.describe` and
// `RuleTester.it`, which default to the test runner's globals (jest, vitest, mocha, node:test
// with globals) and may be replaced; assertions use node:assert.

import { deepStrictEqual, fail, match, ok, strictEqual } from "node:assert/strict";
import type { Finding, FindingDraft, Rule, ScanSettings } from "../types";
import { loadCatalog } from "../core/catalog";
import { makeFinding } from "../core/findings";
import { builtinRegistry, type Registry } from "../core/registry";
import { buildSettings } from "../core/run";

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

type Block = (name: string, fn: () => void) => void;
const runnerGlobal = (name: "describe" | "it"): Block => {
  const fn = (globalThis as Record<string, unknown>)[name];
  if (typeof fn !== "function") throw new Error(`RuleTester needs a test runner's ${name}(); set RuleTester.${name}`);
  return fn as Block;
};

/** Runs a rule over a document and returns its drafts with the messages and findings they build. */
export function collect<Doc>(rule: Rule<Doc>, doc: Doc, settings: ScanSettings = buildSettings({ paths: [] }), registry: Registry = builtinRegistry()): Collected[] {
  const drafts: FindingDraft[] = [];
  rule.check(doc, { settings, report: (d) => drafts.push(d) });
  return drafts.map((d) => {
    const finding = makeFinding(registry, rule.meta.id, "test", d);
    return { ...d, message: finding.message, finding };
  });
}

/** True when `actual` holds every key of `expected` with an equal value (recursively), like jest's toMatchObject. */
function matchesObject(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== "object") return Object.is(actual, expected);
  if (actual === null || typeof actual !== "object") return false;
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matchesObject(actual[i], e));
  return Object.entries(expected).every(([k, v]) => matchesObject((actual as Record<string, unknown>)[k], v));
}

export class RuleTester {
  /** How a group of cases is declared; defaults to the runner's global `describe`. */
  static describe: Block | undefined;
  /** How one case is declared; defaults to the runner's global `it`. */
  static it: Block | undefined;

  constructor(private readonly registry: Registry = builtinRegistry()) {}

  run<Doc>(rule: Rule<Doc>, cases: RuleTestCases<Doc>): void {
    const describe = RuleTester.describe ?? runnerGlobal("describe");
    const it = RuleTester.it ?? runnerGlobal("it");
    const registry = this.registry;
    describe(rule.meta.id, () => {
      it("has catalog metadata and messages", () => {
        const meta = registry.catalog.rules.get(rule.meta.id) ?? loadCatalog().rules.get(rule.meta.id);
        ok(meta, `${rule.meta.id} has no entry in rules/catalog`);
        ok(meta.controls.length > 0 || (meta.unmappedReason ?? "") !== "", `${rule.meta.id} maps to no control and says not why (unmappedReason)`);
        for (const c of meta.controls) ok(meta.rationale?.[c], `${rule.meta.id} maps to ${c} without a rationale`);
        ok(Object.keys(rule.meta.messages).length > 0, `${rule.meta.id} declares no message`);
      });
      const names = [...cases.valid, ...cases.invalid].map((c) => c.name);
      it("has no duplicate case names", () => {
        deepStrictEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
      });
      for (const c of cases.valid) {
        it(`valid: ${c.name}`, () => {
          deepStrictEqual(collect(rule, c.doc, undefined, registry).map((f) => f.message), []);
        });
      }
      for (const c of cases.invalid) {
        it(`invalid: ${c.name}`, () => {
          ok(c.findings.length > 0, "an invalid case must expect at least one finding");
          const got = collect(rule, c.doc, undefined, registry);
          strictEqual(got.length, c.findings.length, `expected ${c.findings.length} findings, got ${got.length}: ${got.map((f) => f.message).join(" | ")}`);
          c.findings.forEach((want, i) => {
            const f = got[i]!;
            match(f.message, /\.$/, "a message is one sentence ending with a period");
            ok(Object.keys(rule.meta.messages).includes(f.messageId), `unknown message id ${f.messageId}`);
            if (want.messageId !== undefined) strictEqual(f.messageId, want.messageId);
            if (want.message !== undefined) {
              if (typeof want.message === "string") ok(f.message.includes(want.message), `message ${JSON.stringify(f.message)} lacks ${JSON.stringify(want.message)}`);
              else match(f.message, want.message);
            }
            if (want.severity !== undefined) strictEqual(f.finding.severity, want.severity);
            if (want.location !== undefined && !matchesObject(f.location, want.location)) fail(`location ${JSON.stringify(f.location)} does not match ${JSON.stringify(want.location)}`);
            if (want.evidence !== undefined && !matchesObject(f.evidence, want.evidence)) fail(`evidence ${JSON.stringify(f.evidence)} does not match ${JSON.stringify(want.evidence)}`);
            match(f.finding.fingerprint, /^[0-9a-f]{16,64}$/, "a fingerprint is 16 to 64 hex digits");
          });
          // Fingerprints are stable: the same document gives the same ones again.
          deepStrictEqual(collect(rule, c.doc, undefined, registry).map((f) => f.finding.fingerprint), got.map((f) => f.finding.fingerprint));
          // Distinct findings get distinct fingerprints (a baseline could not tell them apart otherwise).
          const seen = new Map<string, string>();
          for (const f of got) {
            const key = `${f.message}\u0000${JSON.stringify(f.finding.location)}`;
            const prior = seen.get(f.finding.fingerprint);
            if (prior !== undefined && prior !== key) fail(`two different findings share fingerprint ${f.finding.fingerprint}`);
            seen.set(f.finding.fingerprint, key);
          }
        });
      }
    });
  }
}

/** The cases of one rule, declared with the runner's describe/it: `runRuleTests(rule, { valid, invalid })`. */
export function runRuleTests<Doc>(rule: Rule<Doc>, cases: RuleTestCases<Doc>): void {
  new RuleTester().run(rule, cases);
}
