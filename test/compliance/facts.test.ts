// Compliance claims only what was assessed: statuses come from the report's assessment facts.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assessCompliance } from "../../src/compliance";
import { loadCatalog } from "../../src/core/catalog";
import { parseReport } from "../../src/core/load-report";
import { mergeReports } from "../../src/core/merge";
import { runScan } from "../../src/core/run";
import { isActive } from "../../src/core/suppressions";
import type { Report } from "../../src/types";

const ROOT = join(__dirname, "..", "..");
const catalog = loadCatalog();

describe("compliance from assessment facts", () => {
  it("a folder with one plain text file and no config assesses no control", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-hello-"));
    writeFileSync(join(dir, "hello.txt"), "hello, world\n");
    const { report } = await runScan({ paths: ["."], cwd: dir, jobs: 1 });
    expect(report.findings).toEqual([]);
    const t = report.targets[0]!;
    expect(t.assessment!.assessed).toEqual([]);
    // The protection rules that could fail GDPR-32 and friends need a policy: skipped, and why.
    expect(t.assessment!.skipped).toEqual(expect.arrayContaining([{ rule: "protection/unencrypted-artifact", reason: "requires encryption-policy" }]));
    for (const fw of assessCompliance(report, catalog)) {
      expect(fw.counts.passed).toBe(0);
      expect(fw.counts.failed).toBe(0);
      for (const c of fw.controls) expect(c.notAssessedReason).toBeTruthy();
    }
    const gdpr32 = assessCompliance(report, catalog, ["gdpr"])[0]!.controls.find((c) => c.control.id === "GDPR-32")!;
    expect(gdpr32.notAssessedReason).toContain("protection/unencrypted-artifact was skipped on 1 target: requires an encryption policy");
  });

  it("the demo fails the controls its findings map to, and passes only controls a rule assessed", async () => {
    const { report } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 });
    const assessedBy = new Map<string, Set<string>>();
    for (const t of report.targets) for (const r of t.assessment?.assessed ?? []) assessedBy.set(r, (assessedBy.get(r) ?? new Set()).add(t.uri));
    const counting = report.findings.filter(isActive);
    for (const fw of assessCompliance(report, catalog)) {
      for (const c of fw.controls) {
        const behind = counting.filter((f) => f.controls.includes(c.control.id));
        if (behind.length > 0) expect({ id: c.control.id, status: c.status }).toEqual({ id: c.control.id, status: "failed" });
        if (c.status === "passed") {
          // Some rule mapped to it ran to completion on an in-scope target of this report.
          const rules = [...catalog.rules.values()].filter((r) => r.controls.includes(c.control.id) && !r.id.startsWith("aigis/"));
          expect(rules.some((r) => (assessedBy.get(r.id)?.size ?? 0) > 0)).toBe(true);
          expect(c.assessedBy.length).toBeGreaterThan(0);
          expect(c.targetsAssessed).toBeGreaterThan(0);
        }
      }
    }
    expect(assessCompliance(report, catalog, ["mitre-atlas"])[0]!.controls.find((c) => c.control.id === "ATLAS-AML.T0011.000")?.status).toBe("failed");
  });

  it("keeps the facts through shards and merge", async () => {
    const shards: Report[] = [];
    for (const index of [1, 2, 3]) shards.push((await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1, shard: { index, count: 3 } })).report);
    const whole = (await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 })).report;
    // Round-trip every shard through JSON, as aigis merge reads files.
    const merged = mergeReports(shards.map((s) => parseReport(JSON.stringify(s), "shard.json"))).report;
    const facts = (r: Report): Record<string, unknown> => Object.fromEntries(r.targets.map((t) => [t.uri, t.assessment]));
    expect(facts(merged)).toEqual(facts(whole));
    const statuses = (r: Report): string[] => assessCompliance(r, catalog).flatMap((f) => f.controls.map((c) => `${c.control.id}:${c.status}`));
    expect(statuses(merged)).toEqual(statuses(whole));
  });

  it("loads a version 1 report (no facts) and assesses nothing from it", () => {
    const v1 = { schemaVersion: 1, tool: { name: "aigis", version: "0.1.0" }, targets: [{ uri: "m.pkl", kind: "pickle", bytes: 3, sha256: "" }], findings: [], probes: [], summary: { bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } } };
    const report = parseReport(JSON.stringify(v1), "old.json");
    const merged = mergeReports([report]).report;
    expect(merged.schemaVersion).toBe(2);
    for (const fw of assessCompliance(merged, catalog)) expect(fw.counts.passed).toBe(0);
  });
});
