// Finding -> control status, per framework, from the report's assessment facts only:
//   failed        when at least one finding that counts (not suppressed, not absent since the
//                 baseline) maps to it;
//   passed        when a rule mapped to it assessed at least one target (applied, had what it
//                 requires, ran to completion: targets[].assessment / probes[].assessment) and
//                 nothing counting maps to it (accepted risks are listed beside it);
//   not assessed  otherwise, with the reason.
// aigis/* notices (parse errors, limits) can fail a control but never assess one: a notice is
// not a check. Reports without facts (schema version 1) assess nothing.

import type { Finding, Framework, ControlMeta, Report, CatalogRule } from "../types";
import type { Catalog } from "../core/catalog";
import { builtinRegistry } from "../core/registry";
import { isActive } from "../core/suppressions";

/** "requires encryption-policy" -> the requirement's description from the rule's meta. */
export function describeSkip(ruleId: string, reason: string): string {
  const m = /^requires (.+)$/.exec(reason);
  if (!m) return reason;
  let requires: ReadonlyArray<{ id: string; description: string }> = [];
  try {
    requires = builtinRegistry().rules.get(ruleId)?.meta.requires ?? [];
  } catch {
    /* a custom catalogue: keep the ids */
  }
  const ids = m[1]!.split(/,\s*/);
  return `requires ${ids.map((id) => requires.find((r) => r.id === id)?.description ?? id).join(" and ")}`;
}

export type ControlStatus = "failed" | "passed" | "not-assessed";

export interface ControlAssessment {
  control: ControlMeta;
  status: ControlStatus;
  /** Findings that count against the control. */
  findings: Finding[];
  /** Suppressed findings mapped to the control: accepted risks. */
  accepted: Finding[];
  /** Every catalogue rule mapped to the control. */
  rules: string[];
  /** The rules that assessed at least one target. */
  assessedBy: string[];
  /** Targets (and probed models) at least one of those rules assessed. */
  targetsAssessed: number;
  /** Why the control is not assessed (set only for that status). */
  notAssessedReason?: string;
  /** The rules whose counting findings fail the control, most findings first, each with the catalogue's reason for the mapping. */
  failedBy: ControlFailure[];
}

/** One rule failing one control: how many counting findings, and why such a finding is evidence against the control. */
export interface ControlFailure {
  rule: string;
  findings: number;
  /** The mapping's one-line rationale from rules/catalog (absent only for a rule the current catalogue no longer maps there). */
  rationale?: string;
}

/** Groups a control's counting findings by rule and attaches each mapping's rationale. */
export function failuresOf(controlId: string, findings: ReadonlyArray<Finding>, catalog: Catalog): ControlFailure[] {
  const byRule = new Map<string, number>();
  for (const f of findings) byRule.set(f.ruleId, (byRule.get(f.ruleId) ?? 0) + 1);
  return [...byRule.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([rule, n]) => {
      const rationale = catalog.rules.get(rule)?.rationale?.[controlId];
      return { rule, findings: n, ...(rationale !== undefined ? { rationale } : {}) };
    });
}

export interface FrameworkAssessment {
  framework: Framework;
  controls: ControlAssessment[];
  counts: Record<ControlStatus, number>;
}

/** Which targets each rule assessed, and why rules were skipped, from the report's facts. */
export interface AssessmentIndex {
  assessed: Map<string, Set<string>>;
  skipped: Map<string, Map<string, number>>;
  /** False when no target or probe carries facts (a schema version 1 report). */
  hasFacts: boolean;
}

export function indexFacts(report: Report): AssessmentIndex {
  const assessed = new Map<string, Set<string>>();
  const skipped = new Map<string, Map<string, number>>();
  let hasFacts = false;
  const add = (uri: string, facts: Report["targets"][number]["assessment"]): void => {
    if (!facts) return;
    hasFacts = true;
    for (const r of facts.assessed) {
      const set = assessed.get(r) ?? new Set<string>();
      set.add(uri);
      assessed.set(r, set);
    }
    for (const s of facts.skipped) {
      const reasons = skipped.get(s.rule) ?? new Map<string, number>();
      reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
      skipped.set(s.rule, reasons);
    }
  };
  for (const t of report.targets) add(t.uri, t.assessment);
  for (const p of report.probes) add(`probe:${p.model}`, p.assessment);
  return { assessed, skipped, hasFacts };
}

function notAssessedReason(rules: CatalogRule[], index: AssessmentIndex): string {
  if (rules.length === 0) return "no aigis rule maps to this control";
  if (!index.hasFacts) return "the report carries no assessment facts (schema version 1); scan again with this aigis version";
  const checks = rules.filter((r) => !r.id.startsWith("aigis/"));
  if (checks.length === 0) return "only aigis notices map to this control; they can fail it but not assess it";
  const reasons: string[] = [];
  for (const r of checks) {
    const why = index.skipped.get(r.id);
    if (!why) continue;
    const [top] = [...why.entries()].sort((a, b) => b[1] - a[1]);
    if (top) reasons.push(`${r.id} was skipped on ${top[1]} target${top[1] === 1 ? "" : "s"}: ${describeSkip(r.id, top[0])}`);
  }
  if (reasons.length > 0) return reasons.slice(0, 3).join("; ") + (reasons.length > 3 ? `; and ${reasons.length - 3} more` : "");
  return `none of ${checks.map((r) => r.id).join(", ")} assessed a target in this report`;
}

/** Assesses the chosen frameworks (all when `frameworkIds` is empty), in catalogue order. */
export function assessCompliance(report: Report, catalog: Catalog, frameworkIds: string[] = []): FrameworkAssessment[] {
  const frameworks = frameworkIds.length === 0 ? catalog.frameworks : frameworkIds.map((id) => catalog.frameworks.find((f) => f.id === id)).filter((f): f is Framework => f !== undefined);
  const index = indexFacts(report);
  const rulesFor = new Map<string, CatalogRule[]>();
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
    // The catalogue the assessment is made with decides the mapping (its rationale is what the
    // report shows); a rule it does not know (a plugin not loaded now) keeps the scan's mapping.
    for (const c of catalog.rules.get(f.ruleId)?.controls ?? f.controls) {
      const list = findingsFor.get(c);
      if (list) list.push(f);
      else findingsFor.set(c, [f]);
    }
  }
  return frameworks.map((framework) => {
    const controls = framework.controls.map((control): ControlAssessment => {
      const rules = rulesFor.get(control.id) ?? [];
      const ran = rules.filter((r) => !r.id.startsWith("aigis/") && (index.assessed.get(r.id)?.size ?? 0) > 0);
      const targets = new Set<string>();
      for (const r of ran) for (const uri of index.assessed.get(r.id) ?? []) targets.add(uri);
      const all = findingsFor.get(control.id) ?? [];
      const findings = all.filter(isActive);
      const accepted = all.filter((f) => f.suppression !== undefined);
      const status: ControlStatus = findings.length > 0 ? "failed" : ran.length > 0 ? "passed" : "not-assessed";
      return {
        control,
        status,
        findings,
        accepted,
        rules: rules.map((r) => r.id),
        assessedBy: ran.map((r) => r.id),
        targetsAssessed: targets.size,
        ...(status === "not-assessed" ? { notAssessedReason: notAssessedReason(rules, index) } : {}),
        failedBy: failuresOf(control.id, findings, catalog),
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
