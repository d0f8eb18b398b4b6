// What `aigis scan` says on stderr beyond the reports: usage errors found during the scan
// (a named column a dataset lacks) and the --verbose listing.

import type { Report } from "../types";
import { formatBytes } from "./output";

const FLAG: Record<string, string> = { labelColumn: "--label-column", textColumn: "--text-column" };

/** The message for exit 2 when a dataset lacks the label or text column the user named, else undefined. */
export function unknownColumnError(report: Report): string | undefined {
  for (const f of report.findings) {
    const u = f.evidence?.["unknownColumn"] as { option?: string; wanted?: string; existing?: string[] } | undefined;
    if (!u || typeof u.wanted !== "string") continue;
    const existing = (u.existing ?? []).slice(0, 30);
    const more = (u.existing?.length ?? 0) - existing.length;
    return `${FLAG[u.option ?? ""] ?? u.option} '${u.wanted}' is not a column of ${f.location.uri} (columns: ${existing.join(", ")}${more > 0 ? `, and ${more} more` : ""})`;
  }
  return undefined;
}

/** One line per scanned file (kind, size, findings) and per skipped path (reason). */
export function verboseLines(report: Report, skipped: ReadonlyArray<{ uri: string; reason: string; detail?: string }>): string[] {
  const perFile = new Map<string, number>();
  for (const f of report.findings) perFile.set(f.location.uri, (perFile.get(f.location.uri) ?? 0) + 1);
  const lines = report.targets.map((t) => {
    const n = perFile.get(t.uri) ?? 0;
    return `aigis: scanned ${t.uri} (${t.kind}, ${formatBytes(t.bytes)}): ${n} finding${n === 1 ? "" : "s"}\n`;
  });
  for (const s of skipped) lines.push(`aigis: skipped ${s.uri}: ${s.reason}${s.detail ? ` (${s.detail})` : ""}\n`);
  return lines;
}
