// Baselines: compare this run with a previous JSON report or SARIF log by fingerprint, as
// SARIF's baselineState does. new: not in the baseline; unchanged: same fingerprint, same
// severity and message; updated: same fingerprint, severity or message changed; absent: in
// the baseline only (kept in the report so dashboards can close it, but never gated).

import type { Finding, Report } from "../types";

function comparable(f: Finding): string {
  return `${f.severity}\u0000${f.message}`;
}

/** Sets baselineState on every finding and appends the baseline's findings that are gone. */
export function applyBaseline(findings: Finding[], baseline: Report): Finding[] {
  const previous = new Map<string, Finding>();
  for (const f of baseline.findings) {
    // A baseline's own absent results were not present in that run.
    if (f.baselineState !== "absent" && !previous.has(f.fingerprint)) previous.set(f.fingerprint, f);
  }
  const seen = new Set<string>();
  const out: Finding[] = findings.map((f) => {
    const before = previous.get(f.fingerprint);
    seen.add(f.fingerprint);
    const baselineState = before === undefined ? "new" : comparable(before) === comparable(f) ? "unchanged" : "updated";
    return { ...f, baselineState };
  });
  for (const [fingerprint, f] of previous) {
    if (seen.has(fingerprint)) continue;
    const { suppression: _s, ...rest } = f;
    out.push({ ...rest, baselineState: "absent" });
  }
  return out;
}
