// Human-readable summary for terminals: findings grouped by file, severity-coloured on a TTY.

import type { Finding, Report, Severity } from "../types";
import { SEVERITIES } from "../types";
import { visibleControls } from "./safe-text";

export interface TextOptions {
  color: boolean;
  /** Paths skipped during discovery, shown as a count with reasons. */
  skipped?: Array<{ uri: string; reason: string }>;
}

const COLORS: Record<Severity, string> = { critical: "\x1b[1;31m", high: "\x1b[31m", medium: "\x1b[33m", low: "\x1b[36m", info: "\x1b[2m" };
const RESET = "\x1b[0m";
const BOLD = "\x1b[1m";
const DIM = "\x1b[2m";

function where(f: Finding): string {
  const parts: string[] = [];
  if (f.location.member !== undefined) parts.push(`member ${f.location.member}`);
  if (f.location.line !== undefined) parts.push(`line ${f.location.line}`);
  if (f.location.row !== undefined) parts.push(`row ${f.location.row}`);
  if (f.location.column !== undefined) parts.push(`column ${f.location.column}`);
  if (f.location.offset !== undefined) parts.push(`offset ${f.location.offset}`);
  return parts.join(", ");
}

export function toText(report: Report, options: TextOptions): string {
  const c = (code: string, s: string): string => (options.color ? `${code}${s}${RESET}` : s);
  const lines: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of report.findings) {
    // push, not a spread copy: copying the group per finding is quadratic (200k findings in one file).
    const group = byFile.get(f.location.uri);
    if (group) group.push(f);
    else byFile.set(f.location.uri, [f]);
  }
  const kindOf = new Map(report.targets.map((t) => [t.uri, t.kind]));
  for (const [uri, findings] of byFile) {
    const kind = kindOf.get(uri);
    // Names and messages come from scanned files: their control characters are shown, never sent raw.
    lines.push(c(BOLD, visibleControls(uri)) + (kind ? c(DIM, ` (${kind})`) : ""));
    for (const f of findings) {
      const w = visibleControls(where(f));
      const state = f.suppression ? ` (suppressed: ${visibleControls(f.suppression.justification)})` : f.baselineState === "absent" ? " (absent: fixed since the baseline)" : f.baselineState === "new" ? " (new)" : "";
      lines.push(`  ${c(COLORS[f.severity], f.severity.toUpperCase().padEnd(8))} ${f.ruleId}${w ? c(DIM, ` [${w}]`) : ""}${state ? c(DIM, state) : ""}`);
      lines.push(`           ${visibleControls(f.message)}`);
    }
    lines.push("");
  }
  for (const p of report.probes) {
    lines.push(c(BOLD, `probe ${visibleControls(p.model)}`) + c(DIM, ` (${p.format}, ${p.samples} samples)`));
    lines.push(`  clean accuracy ${p.cleanAccuracy.toFixed(3)}`);
    for (const a of p.attacks) {
      lines.push(`  ${a.name} ${a.norm} eps=${a.eps}: robust accuracy ${a.robustAccuracy.toFixed(3)}, attack success ${a.attackSuccessRate.toFixed(3)}`);
    }
    if (p.backdoor) lines.push(`  backdoor: ${p.backdoor.suspected ? `suspected (target ${String(p.backdoor.targetLabel)})` : "not suspected"} [${p.backdoor.method}, score ${p.backdoor.score.toFixed(2)}]`);
    lines.push("");
  }
  // The totals are what counts for the gate; suppressed and absent findings are listed above and counted apart.
  const counts = SEVERITIES.map((s) => `${report.summary.bySeverity[s]} ${s}`).join(", ");
  const total = SEVERITIES.reduce((n, s) => n + report.summary.bySeverity[s], 0);
  const apart = [
    report.summary.suppressed ? `${report.summary.suppressed} suppressed` : "",
    report.summary.absent ? `${report.summary.absent} absent since the baseline` : "",
  ].filter(Boolean);
  lines.push(
    `${c(BOLD, "aigis")}: scanned ${report.targets.length} file${report.targets.length === 1 ? "" : "s"}; ${total} finding${total === 1 ? "" : "s"} (${counts})${apart.length ? `; ${apart.join(", ")}` : ""}.`,
  );
  const skipped = options.skipped?.filter((s) => s.reason !== "ignored") ?? [];
  if (skipped.length > 0) {
    const reasons = new Map<string, number>();
    for (const s of skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    lines.push(c(DIM, `skipped ${skipped.length}: ${[...reasons].map(([r, n]) => `${n} ${r}`).join(", ")}.`));
  }
  return lines.join("\n") + "\n";
}
