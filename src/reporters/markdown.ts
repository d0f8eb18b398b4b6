// A markdown summary sized for a pull-request comment (GitHub caps comments at 65,536 characters).

import type { Finding, Report } from "../types";
import { SEVERITIES } from "../types";
import { markdownCode, markdownText } from "./safe-text";
import { ruleDocsUri } from "./sarif";

const MAX_ROWS = 100;
const MAX_CHARS = 60_000;

const ICON: Record<Finding["severity"], string> = { critical: "🟥", high: "🟧", medium: "🟨", low: "🟦", info: "⬜" };

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function where(f: Finding): string {
  let w = markdownCode(f.location.uri);
  if (f.location.member !== undefined) w += ` → ${markdownCode(f.location.member)}`;
  if (f.location.line !== undefined) w += `:${f.location.line}`;
  if (f.location.row !== undefined) w += ` row ${f.location.row}`;
  if (f.location.column !== undefined) w += ` col ${markdownCode(f.location.column)}`;
  if (f.location.offset !== undefined) w += ` @${f.location.offset}`;
  return w;
}

export function toMarkdown(report: Report): string {
  const out: string[] = [];
  const total = report.findings.length;
  out.push(`## aigis scan: ${total === 0 ? "no findings" : `${total} finding${total === 1 ? "" : "s"}`}`);
  out.push("");
  out.push(`Scanned ${report.targets.length} file${report.targets.length === 1 ? "" : "s"} with aigis ${report.tool.version}.`);
  out.push("");
  out.push("| Severity | Count |");
  out.push("|---|---:|");
  for (const s of SEVERITIES) out.push(`| ${ICON[s]} ${s} | ${report.summary.bySeverity[s]} |`);
  out.push("");
  if (total > 0) {
    out.push("| Severity | Rule | Where | Finding | Controls |");
    out.push("|---|---|---|---|---|");
    let size = out.join("\n").length;
    let shown = 0;
    for (const f of report.findings.slice(0, MAX_ROWS)) {
      const state = f.suppression ? ` _(suppressed: ${markdownText(f.suppression.justification)})_` : f.baselineState === "absent" ? " _(absent since the baseline)_" : "";
      const row = `| ${ICON[f.severity]} ${f.severity} | [${f.ruleId}](${ruleDocsUri(f.ruleId)}) | ${cell(where(f))} | ${cell(markdownText(f.message) + state)} | ${f.controls.slice(0, 4).join(", ")}${f.controls.length > 4 ? ", …" : ""} |`;
      if (size + row.length > MAX_CHARS) break;
      out.push(row);
      size += row.length + 1;
      shown++;
    }
    if (shown < total) out.push("", `…and ${total - shown} more; see the SARIF or JSON report for all of them.`);
    out.push("");
  }
  for (const p of report.probes) {
    out.push(`### Probe: ${markdownCode(p.model)} (${p.format})`);
    out.push("", `Clean accuracy ${p.cleanAccuracy.toFixed(3)} on ${p.samples} samples.`, "");
    if (p.attacks.length > 0) {
      out.push("| Attack | Norm | eps | Robust accuracy | Attack success |", "|---|---|---:|---:|---:|");
      for (const a of p.attacks) out.push(`| ${a.name} | ${a.norm} | ${a.eps} | ${a.robustAccuracy.toFixed(3)} | ${a.attackSuccessRate.toFixed(3)} |`);
      out.push("");
    }
  }
  return out.join("\n") + "\n";
}
