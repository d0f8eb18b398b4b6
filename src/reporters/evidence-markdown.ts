// The evidence report as markdown (`aigis report --format markdown`): the same sections as the
// HTML report, as tables, for wikis and tickets.

import type { Finding } from "../types";
import { markdownCode, markdownText } from "./safe-text";
import { SEVERITIES } from "../types";
import { locationText, type Evidence } from "../compliance/evidence";

const STATUS: Record<string, string> = { failed: "❌ failed", passed: "✅ passed", "not-assessed": "➖ not assessed" };

function cell(s: unknown): string {
  return String(s).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function refs(fs: Finding[]): string {
  if (fs.length === 0) return "";
  const shown = fs.slice(0, 5).map((f) => `${f.severity} ${f.ruleId} ${cell(markdownCode(locationText(f)))}`);
  return shown.join("<br>") + (fs.length > 5 ? `<br>…and ${fs.length - 5} more` : "");
}

export function toEvidenceMarkdown(e: Evidence): string {
  const r = e.report;
  const inv = r.invocation;
  const out: string[] = [`# ${e.title}`, ""];
  out.push(`aigis ${r.tool.version} · rules ${r.tool.rulesVersion ?? e.assessedWithRules} · generated ${e.generatedAt}`, "");
  out.push("## Summary", "");
  out.push(`${r.targets.length} artifacts scanned; ${SEVERITIES.map((s) => `${r.summary.bySeverity[s]} ${s}`).join(", ")}; ${e.acceptedRisks.length} accepted risks.`, "");
  out.push("| Framework | Failed | Passed | Not assessed |", "|---|---:|---:|---:|");
  for (const a of e.assessments) out.push(`| ${cell(a.framework.name)} | ${a.counts.failed} | ${a.counts.passed} | ${a.counts["not-assessed"]} |`);
  out.push("");
  out.push("## Controls", "");
  for (const a of e.assessments) {
    out.push(`### ${a.framework.name} (${a.framework.version})`, "");
    out.push("| Control | Status | Findings | Accepted risks | Assessed by |", "|---|---|---|---|---|");
    for (const c of a.controls) {
      out.push(`| **${cell(c.control.id)}** ${cell(c.control.title)} | ${STATUS[c.status]} | ${c.findings.length}${c.findings.length ? `<br>${refs(c.findings)}` : ""} | ${c.accepted.length}${c.accepted.length ? `<br>${refs(c.accepted)}` : ""} | ${c.assessedBy.join(", ") || "—"} |`);
    }
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
  out.push("## Scanned artifacts", "", "| Artifact | Kind | Bytes | SHA-256 |", "|---|---|---:|---|");
  for (const t of r.targets) out.push(`| ${cell(markdownCode(t.uri))} | ${t.kind} | ${t.bytes} | \`${t.sha256}\` |`);
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
