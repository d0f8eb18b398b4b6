// Joins reports from shards (aigis scan --shard I/N) or separate runs into one: targets by
// uri, findings by fingerprint, probes concatenated, summary recomputed, invocation merged.

import type { AssessmentFacts, Finding, Report, Target } from "../types";
import { REPORT_SCHEMA_VERSION } from "../types";
import { UsageError } from "./errors";
import { ruleErrorOf } from "./findings";
import { sortFindings } from "./run";
import { summarise } from "./summary";

export interface MergeResult {
  report: Report;
  /** Things a human should know (targets whose hash differs between inputs, mixed versions). */
  warnings: string[];
}

/** Facts about one target from two inputs: assessed in either counts, unless a rule failed in either. */
function mergeFacts(a: AssessmentFacts | undefined, b: AssessmentFacts): AssessmentFacts {
  if (!a) return b;
  const failed = new Set([...a.skipped, ...b.skipped].filter((s) => ruleErrorOf(s.reason) !== undefined).map((s) => s.rule));
  const assessed = [...new Set([...a.assessed, ...b.assessed])].filter((r) => !failed.has(r)).sort();
  const skipped = new Map<string, string>();
  for (const s of [...a.skipped, ...b.skipped]) if (!assessed.includes(s.rule) && !skipped.has(s.rule)) skipped.set(s.rule, s.reason);
  return { assessed, skipped: [...skipped].map(([rule, reason]) => ({ rule, reason })).sort((x, y) => x.rule.localeCompare(y.rule)) };
}

export function mergeReports(reports: Report[]): MergeResult {
  const first = reports[0];
  if (!first) throw new UsageError("nothing to merge: give at least one report");
  const warnings: string[] = [];
  const versions = [...new Set(reports.map((r) => r.tool.version))];
  if (versions.length > 1) warnings.push(`reports come from different aigis versions (${versions.join(", ")})`);
  const rulesVersions = [...new Set(reports.map((r) => r.tool.rulesVersion).filter((v): v is string => v !== undefined))];
  if (rulesVersions.length > 1) warnings.push(`reports come from different rule catalogues (${rulesVersions.join(", ")})`);

  const targets = new Map<string, Target>();
  for (const r of reports) {
    for (const t of r.targets) {
      const prior = targets.get(t.uri);
      if (!prior) targets.set(t.uri, t);
      else if (prior.sha256 !== t.sha256) warnings.push(`${t.uri} has different SHA-256 in different inputs; kept the first (${prior.sha256.slice(0, 12)}…)`);
      else if (t.assessment) targets.set(t.uri, { ...prior, assessment: mergeFacts(prior.assessment, t.assessment) });
    }
  }

  // A finding absent in one shard's baseline comparison may be present in another shard.
  const present = new Map<string, Finding>();
  const absent = new Map<string, Finding>();
  for (const r of reports) {
    for (const f of r.findings) {
      if (f.baselineState === "absent") {
        if (!absent.has(f.fingerprint)) absent.set(f.fingerprint, f);
      } else if (!present.has(f.fingerprint)) {
        present.set(f.fingerprint, f);
      }
    }
  }
  const findings = [...present.values()];
  for (const [fp, f] of absent) if (!present.has(fp)) findings.push(f);
  sortFindings(findings);

  const invs = reports.map((r) => r.invocation).filter((i): i is NonNullable<Report["invocation"]> => i !== undefined);
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "aigis", version: first.tool.version, ...(rulesVersions[0] !== undefined ? { rulesVersion: rulesVersions[0] } : {}) },
    targets: [...targets.values()].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0)),
    findings,
    probes: reports.flatMap((r) => r.probes),
    summary: summarise(findings),
  };
  const inv0 = invs[0];
  if (inv0) {
    const configFile = invs.find((i) => i.configFile)?.configFile;
    const suppressionsFile = invs.find((i) => i.suppressionsFile)?.suppressionsFile;
    const baselineFile = invs.find((i) => i.baselineFile)?.baselineFile;
    const cwds = [...new Set(invs.map((i) => i.workingDirectory))];
    if (cwds.length > 1) warnings.push(`reports were made in different working directories (${cwds.join(", ")}); paths are relative to each`);
    const shardCounts = [...new Set(invs.map((i) => i.shard?.count).filter((c): c is number => c !== undefined))];
    if (shardCounts.length === 1) {
      const seen = new Set(invs.map((i) => i.shard?.index));
      const missing = Array.from({ length: shardCounts[0]! }, (_, i) => i + 1).filter((i) => !seen.has(i));
      if (missing.length > 0) warnings.push(`shard${missing.length === 1 ? "" : "s"} ${missing.join(", ")} of ${shardCounts[0]} missing: the merged report does not cover every file`);
    }
    report.invocation = {
      startTime: invs.map((i) => i.startTime).sort()[0]!,
      endTime: invs.map((i) => i.endTime).sort().at(-1)!,
      paths: [...new Set(invs.flatMap((i) => i.paths))],
      workingDirectory: inv0.workingDirectory,
      executionSuccessful: invs.every((i) => i.executionSuccessful),
      ...(configFile ? { configFile } : {}),
      ...(suppressionsFile ? { suppressionsFile } : {}),
      ...(baselineFile ? { baselineFile } : {}),
    };
  }
  return { report, warnings };
}
