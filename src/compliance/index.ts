// Finding -> control status, per framework. A control is
//   failed        when at least one finding that counts (not suppressed, not absent since the
//                 baseline) maps to it;
//   passed        when it is assessed and nothing counting maps to it (accepted risks are
//                 listed beside it);
//   not assessed  otherwise.
// "Assessed" means at least one rule mapped to the control ran over an applicable target:
// a scanner that owns the rule reads a kind of target present in the report, or, for probe
// rules (model/*), the report holds probe results. aigis/* notices (parse errors, limits)
// can fail a control but never make it assessed: a notice is not a check.

import type { Finding, Framework, ControlMeta, Report, RuleMeta, TargetKind } from "../types";
import type { Catalog } from "../core/catalog";
import type { Scanner } from "../core/rule";
import { isActive } from "../core/suppressions";

export type ControlStatus = "failed" | "passed" | "not-assessed";

/** Which rules run over which target kinds; built from the scanners. */
export interface RuleCoverage {
  kindsOf(ruleId: string): ReadonlySet<TargetKind> | undefined;
  /** Rules that run when probes ran (aigis probe). */
  isProbeRule(ruleId: string): boolean;
}

export function coverageFromScanners(scanners: ReadonlyArray<Scanner>): RuleCoverage {
  const kinds = new Map<string, Set<TargetKind>>();
  for (const s of scanners) {
    for (const id of s.ruleIds) {
      const set = kinds.get(id) ?? new Set<TargetKind>();
      for (const k of s.kinds) set.add(k);
      kinds.set(id, set);
    }
  }
  return {
    kindsOf: (id) => kinds.get(id),
    isProbeRule: (id) => id.startsWith("model/"),
  };
}

export interface ControlAssessment {
  control: ControlMeta;
  status: ControlStatus;
  /** Findings that count against the control. */
  findings: Finding[];
  /** Suppressed findings mapped to the control: accepted risks. */
  accepted: Finding[];
  /** Every catalogue rule mapped to the control. */
  rules: string[];
  /** The rules that ran over at least one applicable target. */
  assessedBy: string[];
  /** Targets at least one of those rules read. */
  targetsAssessed: number;
  /** Why the control was not assessed, when it was not. */
  reason?: string;
}

export interface FrameworkAssessment {
  framework: Framework;
  controls: ControlAssessment[];
  counts: Record<ControlStatus, number>;
}

function ruleRan(rule: RuleMeta, report: Report, coverage: RuleCoverage, kindsPresent: ReadonlySet<TargetKind>): boolean {
  if (rule.id.startsWith("aigis/")) return false;
  if (coverage.isProbeRule(rule.id) && report.probes.length > 0) return true;
  const kinds = coverage.kindsOf(rule.id);
  if (!kinds) return false;
  for (const k of kinds) if (kindsPresent.has(k)) return true;
  return false;
}

/** Assesses the chosen frameworks (all when `frameworkIds` is empty), in catalogue order. */
export function assessCompliance(report: Report, catalog: Catalog, coverage: RuleCoverage, frameworkIds: string[] = []): FrameworkAssessment[] {
  const frameworks = frameworkIds.length === 0 ? catalog.frameworks : frameworkIds.map((id) => catalog.frameworks.find((f) => f.id === id)).filter((f): f is Framework => f !== undefined);
  const kindsPresent = new Set(report.targets.map((t) => t.kind));
  const rulesFor = new Map<string, RuleMeta[]>();
  for (const rule of catalog.rules.values()) {
    for (const c of rule.controls) {
      const list = rulesFor.get(c);
      if (list) list.push(rule);
      else rulesFor.set(c, [rule]);
    }
  }
  const findingsFor = new Map<string, Finding[]>();
  for (const f of report.findings) {
    if (f.baselineState === "absent") continue;
    for (const c of f.controls) {
      const list = findingsFor.get(c);
      if (list) list.push(f);
      else findingsFor.set(c, [f]);
    }
  }
  return frameworks.map((framework) => {
    const controls = framework.controls.map((control): ControlAssessment => {
      const rules = rulesFor.get(control.id) ?? [];
      const ran = rules.filter((r) => ruleRan(r, report, coverage, kindsPresent));
      const kinds = new Set<TargetKind>();
      for (const r of ran) for (const k of coverage.kindsOf(r.id) ?? []) kinds.add(k);
      const all = findingsFor.get(control.id) ?? [];
      const findings = all.filter(isActive);
      const accepted = all.filter((f) => f.suppression !== undefined);
      const status: ControlStatus = findings.length > 0 ? "failed" : ran.length > 0 || accepted.length > 0 ? "passed" : "not-assessed";
      return {
        control,
        status,
        findings,
        accepted,
        rules: rules.map((r) => r.id),
        assessedBy: ran.map((r) => r.id),
        targetsAssessed: kinds.size === 0 ? 0 : report.targets.filter((t) => kinds.has(t.kind)).length,
      };
    });
    const counts: Record<ControlStatus, number> = { failed: 0, passed: 0, "not-assessed": 0 };
    for (const c of controls) counts[c.status]++;
    return { framework, controls, counts };
  });
}

/** Parses --framework gdpr,ccpa (repeatable or comma-separated); unknown ids are a usage error for the caller. */
export function parseFrameworkIds(values: string[], catalog: Catalog): { ids: string[]; unknown: string[] } {
  const ids = values.flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
  const known = new Set(catalog.frameworks.map((f) => f.id));
  return { ids: [...new Set(ids)], unknown: ids.filter((id) => !known.has(id)) };
}
