// The RuleTester must be able to fail: each contract breach below is caught.

import { RuleTester, type RuleTestCases } from "../../src/testing/rule-tester";
import { builtinRegistry } from "../../src/core/registry";
import type { Rule } from "../../src/types";

/** Runs a tester over cases and returns, per declared test, whether it threw. */
function outcomes<Doc>(rule: Rule<Doc>, cases: RuleTestCases<Doc>): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  const saved = { describe: RuleTester.describe, it: RuleTester.it };
  RuleTester.describe = (_name, fn) => fn();
  RuleTester.it = (name, fn) => {
    try {
      fn();
      result[name] = undefined;
    } catch (e) {
      result[name] = (e as Error).message;
    }
  };
  try {
    new RuleTester().run(rule, cases);
  } finally {
    RuleTester.describe = saved.describe;
    RuleTester.it = saved.it;
  }
  return result;
}

const registry = builtinRegistry();
const real = registry.rules.get("policy/aws-public-principal")!;

describe("RuleTester", () => {
  it("fails on duplicate case names and on an invalid case that expects nothing", () => {
    const fake: Rule<{ hit: boolean }> = { meta: real.meta, check: () => undefined } as unknown as Rule<{ hit: boolean }>;
    const r = outcomes(fake, { valid: [{ name: "a", doc: { hit: false } }, { name: "a", doc: { hit: false } }], invalid: [{ name: "b", doc: { hit: true }, findings: [] }] });
    expect(r["has no duplicate case names"]).toBeDefined();
    expect(r["invalid: b"]).toMatch(/at least one finding/);
  });

  it("fails when a valid case reports, when counts or messages differ, and on an unknown message id", () => {
    const messageId = Object.keys(real.meta.messages)[0]!;
    const reporting: Rule<{ n: number }> = {
      meta: real.meta,
      check: (doc: { n: number }, ctx: { report(d: unknown): void }) => {
        for (let i = 0; i < doc.n; i++) ctx.report({ messageId, data: new Proxy({}, { get: (_t, k) => (typeof k === "string" ? `v${i}` : undefined), has: () => true }), location: { line: i + 1 }, fingerprintKey: `k${i}` } as never);
      },
    } as unknown as Rule<{ n: number }>;
    const r = outcomes(reporting, {
      valid: [{ name: "reports", doc: { n: 1 } }],
      invalid: [
        { name: "count", doc: { n: 2 }, findings: [{ messageId }] },
        { name: "message", doc: { n: 1 }, findings: [{ message: "text that is not there" }] },
        { name: "id", doc: { n: 1 }, findings: [{ messageId: "no-such-id" }] },
      ],
    });
    expect(r["valid: reports"]).toBeDefined();
    expect(r["invalid: count"]).toMatch(/expected 1 findings, got 2/);
    expect(r["invalid: message"]).toMatch(/lacks/);
    expect(r["invalid: id"]).toBeDefined();
  });
});
