import type { Finding, Report, Severity } from "../types";
import { SEVERITIES } from "../types";
import { isActive } from "./suppressions";

/**
 * bySeverity counts the findings that count for the gate (not suppressed, not absent since
 * the baseline); suppressed, new and absent are counted beside it when there are any.
 */
export function summarise(findings: Finding[]): Report["summary"] {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let suppressed = 0;
  let fresh = 0;
  let absent = 0;
  let baselined = false;
  for (const f of findings) {
    if (f.baselineState !== undefined) baselined = true;
    if (f.baselineState === "absent") absent++;
    else if (f.suppression) suppressed++;
    if (isActive(f)) {
      bySeverity[f.severity]++;
      if (f.baselineState === "new") fresh++;
    }
  }
  return {
    bySeverity,
    ...(suppressed > 0 ? { suppressed } : {}),
    ...(baselined ? { new: fresh, absent } : {}),
  };
}
