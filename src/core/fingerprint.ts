import type { FindingLocation } from "../types";
import { sha256Hex } from "./hash";

/**
 * Stable across runs for the same issue in the same place: rule, file, archive member,
 * dataset row/column and a rule-chosen key (e.g. the resolved callable). Byte offsets are
 * left out unless the rule puts them in its key, so edits elsewhere do not churn baselines.
 */
export function fingerprintOf(ruleId: string, location: FindingLocation, key: string): string {
  const parts = [ruleId, location.uri, location.member ?? "", location.row ?? "", location.column ?? "", key];
  return sha256Hex(parts.join("\u0000")).slice(0, 32);
}
