// The evidence report as markdown (`aigis report --format markdown`): the same sections as the
// HTML report, as tables, for wikis and tickets.

import { markdownCode, markdownText } from "./safe-text";
import { SEVERITIES } from "../types";
import type { Evidence } from "../compliance/evidence";
import { buildInventory, countingFindings, frameworkLabel, frameworkSummaries, groupFindings, inventoryToPrint, topRisks } from "../compliance/workpaper";

const STATUS: Record<string, string> = { failed: "❌ failed", passed: "✅ passed", "not-assessed": "➖ not assessed" };

function cell(s: unknown): string {
  return String(s).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}


export function toEvidenceMarkdown(e: Evidence): string {
  const r = e.report;
  const inv = r.invocation;
  const out: string[] = [`# ${e.title}`, ""];
  out.push(`aigis ${r.tool.version} · rules ${r.tool.rulesVersion ?? e.assessedWithRules} · generated ${e.generatedAt}`, "");
  out.push("## Summary", "");
  out.push(`${r.targets.length} artifacts scanned; ${SEVERITIES.map((s) => `${r.summary.bySeverity[s]} ${s}`).join(", ")}; ${e.acceptedRisks.length} accepted risks.`, "");
  const verdict = { "non-conformities": "non-conformities found", "no-failures-in-assessed": "no failures in the controls assessed", "not-assessed": "not assessed" } as const;
  out.push("| Framework | Verdict | Failed | Passed | Not assessed |", "|---|---|---:|---:|---:|");
  for (const v of frameworkSummaries(e.assessments)) out.push(`| ${cell(v.label)} | ${verdict[v.verdict]} | ${v.failed} | ${v.passed} | ${v.notAssessed} |`);
  out.push("");
  const counted = countingFindings(r);
  const groups = groupFindings(counted);
  const risks = topRisks(groups);
  if (risks.length > 0) {
    out.push("**Top risks**", "");
    for (const g of risks) out.push(`1. ${g.severity} \`${g.ruleId}\`: ${g.count} finding${g.count === 1 ? "" : "s"} in ${g.artifactCount} artifact${g.artifactCount === 1 ? "" : "s"}`);
    out.push("");
  }
  for (const p of r.probes) if (p.backdoor?.suspected) out.push(`> **Backdoor suspected** in ${cell(markdownCode(p.model))}${p.backdoor.targetLabel !== undefined ? `: target class ${p.backdoor.targetLabel}` : ""} (${p.backdoor.method}, score ${p.backdoor.score.toFixed(2)}).`, "");
  out.push("## Controls", "");
  for (const a of e.assessments) {
    out.push(`### ${frameworkLabel(a.framework.name, a.framework.version)}`, "");
    out.push("| Control | Status | Findings | Accepted risks | Basis |", "|---|---|---:|---:|---|");
    for (const c of a.controls) {
      const failing = c.failedBy.map((f) => `${f.rule} (${f.findings})`).join(", ");
      const basis = c.assessedBy.length > 0 ? `assessed by ${c.assessedBy.length} rule${c.assessedBy.length === 1 ? "" : "s"} over ${c.targetsAssessed} artifact${c.targetsAssessed === 1 ? "" : "s"}` : `not assessed: ${c.notAssessedReason ?? (c.rules.length === 0 ? "no aigis rule maps to this control" : "no in-scope artifact for its rules")}`;
      out.push(`| **${cell(c.control.id)}** ${cell(c.control.title)} | ${STATUS[c.status]} | ${c.findings.length} | ${c.accepted.length} | ${cell(failing ? `failed by ${failing}; ${basis}` : basis)} |`);
    }
    out.push("");
    // Why each failing rule is evidence against the control: the mapping's rationale from rules/catalog.
    const why = a.controls.flatMap((c) => c.failedBy.map((f) => `- **${cell(c.control.id)}** \`${f.rule}\`: ${f.rationale ?? "the current rule catalogue no longer maps this rule to the control"}`));
    if (why.length > 0) out.push("**Why the failed controls fail**", "", ...why, "");
  }
  out.push("## Findings by rule and artifact", "");
  if (groups.length === 0) out.push("No findings that count.", "");
  for (const g of groups) {
    out.push(`### ${g.severity} \`${g.ruleId}\`: ${g.count} finding${g.count === 1 ? "" : "s"} in ${g.artifactCount} artifact${g.artifactCount === 1 ? "" : "s"}`, "");
    for (const a of g.artifacts) {
      out.push(`- ${cell(markdownCode(a.uri))} (${a.count})`);
      for (const s of a.subgroups) {
        if (s.label) out.push(`  - ${markdownText(s.count > s.examples.length ? `${s.count} findings in ${s.label}, first ${s.examples.length} shown` : s.label)}`);
        for (const f of s.examples) out.push(`${s.label ? "    " : "  "}- ${cell(markdownText(f.message))}`);
      }
      if (a.moreSubgroups > 0) out.push(`  - and ${a.moreSubgroupFindings} findings in ${a.moreSubgroups} more places (JSON report)`);
    }
    if (g.moreArtifacts > 0) out.push(`- and ${g.moreArtifactFindings} findings in ${g.moreArtifacts} more artifacts (JSON report)`);
    out.push("");
  }
  out.push("## Accepted risks", "");
  if (e.acceptedRisks.length === 0) out.push("No finding is suppressed.", "");
  else {
    out.push("| Finding | Where | Justification | Expires | Author |", "|---|---|---|---|---|");
    for (const a of e.acceptedRisks) out.push(`| ${a.severity} ${a.ruleId} | ${cell(markdownCode(a.where))} | ${cell(markdownText(a.justification))} | ${a.expires ?? "no expiry"} | ${cell(a.author ?? "")} |`);
    out.push("");
  }
  if (r.probes.length > 0) {
    out.push("## Model robustness probes", "");
    for (const p of r.probes) {
      out.push(`### ${p.model} (${p.format})`, "", `Clean accuracy ${p.cleanAccuracy.toFixed(3)} on ${p.samples} samples.`, "");
      out.push("| Attack | Norm | eps | Robust accuracy | Attack success |", "|---|---|---:|---:|---:|");
      for (const a of p.attacks) out.push(`| ${a.name} | ${a.norm} | ${a.eps} | ${a.robustAccuracy.toFixed(3)} | ${a.attackSuccessRate.toFixed(3)} |`);
      out.push("");
    }
  }
  const inventory = buildInventory(r.targets, counted);
  const printed = inventoryToPrint(inventory);
  out.push("## Inventory of artifacts", "");
  if (printed.size < inventory.entries.length) out.push(`${inventory.entries.length} artifacts in scope; ${printed.size} listed (those with findings first). The CycloneDX bill of materials lists every one.`, "");
  out.push("| Artifact | Kind | Bytes | SHA-256 | Protection | Signature |", "|---|---|---:|---|---|---|");
  for (const t of inventory.entries) if (printed.has(t)) out.push(`| ${cell(markdownCode(t.uri))}${t.files !== undefined ? ` (${t.files} files, manifest digest)` : ""} | ${t.kind} | ${t.bytes} | \`${t.sha256}\` | ${t.protection ? cell(`${t.protection.state}${t.protection.scheme ? ` (${t.protection.scheme})` : ""}`) : "not determined"} | ${t.signature ? cell(t.signature.status) : "none recorded"} |`);
  if (inventory.others.length > 0) out.push("", `Other files without findings: ${inventory.others.map((o) => `${o.files} ${o.kind}`).join(", ")}.`);
  out.push("");
  out.push("## Scope and run", "");
  const scope: Array<[string, string | undefined]> = [
    ["Tool", `aigis ${r.tool.version}`],
    ["Rule catalogue (scan)", r.tool.rulesVersion],
    ["Rule catalogue (assessment)", e.assessedWithRules],
    ["Scan started", inv?.startTime],
    ["Scan ended", inv?.endTime],
    ["Paths", inv?.paths.join(", ")],
    ["Working directory", inv?.workingDirectory],
    ["Configuration", inv ? (inv.configFile ?? "defaults") : undefined],
    ["Suppressions file", inv?.suppressionsFile],
    ["Baseline", inv?.baselineFile],
    ["Result files", e.sources.join(", ") || undefined],
  ];
  for (const [k, v] of scope) if (v) out.push(`- **${k}:** ${v}`);
  return out.join("\n") + "\n";
}
