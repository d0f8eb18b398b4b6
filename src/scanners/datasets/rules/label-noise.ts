import type { Severity } from "../../../types";
import type { Rule } from "../../../types";
import { plural, type DatasetDocument } from "../document";

export interface LabelSuspect {
  row: number;
  label: string;
  suggested: string;
  agreeing: number;
  neighbours: number;
  suggestedShare: number;
}

/**
 * Rows whose neighbours (own vote removed) mostly carry one other label. Two passes: the
 * second counts first-pass suspects' neighbours under the label their own neighbours
 * suggest, so flipped rows next to each other do not vouch for each other.
 */
export function labelSuspects(doc: DatasetDocument): LabelSuspect[] {
  const nb = doc.neighbours();
  const label = doc.table.label;
  if (!nb || !label) return [];
  const t = doc.thresholds.labelNoise;
  const first = votePass(doc, label.codes, t.maxAgreement);
  if (first.length === 0) return first;
  const effective = Int32Array.from(label.codes);
  const index = new Map(label.classes.map((c, i) => [c, i]));
  for (const s of first) effective[s.row] = index.get(s.suggested)!;
  return votePass(doc, effective, t.confirmMaxAgreement);
}

function votePass(doc: DatasetDocument, voterCodes: Int32Array, maxAgreement: number): LabelSuspect[] {
  const nb = doc.neighbours()!;
  const { codes, classes } = doc.table.label!;
  const t = doc.thresholds.labelNoise;
  const votes = new Int32Array(classes.length);
  const out: LabelSuspect[] = [];
  for (let i = 0; i < nb.rows; i++) {
    const own = codes[i]!;
    if (own < 0) continue;
    votes.fill(0);
    let valid = 0;
    for (let q = 0; q < nb.k; q++) {
      const j = nb.index[i * nb.k + q]!;
      if (j < 0) continue;
      const c = voterCodes[j]!;
      if (c < 0) continue;
      votes[c]!++;
      valid++;
    }
    if (valid === 0) continue;
    const agreement = votes[own]! / valid;
    if (agreement > maxAgreement) continue;
    let best = -1;
    for (let c = 0; c < classes.length; c++) if (c !== own && (best < 0 || votes[c]! > votes[best]!)) best = c;
    const share = votes[best]! / valid;
    if (share < t.minOtherShare) continue;
    out.push({ row: i, label: classes[own]!, suggested: classes[best]!, agreeing: votes[own]!, neighbours: valid, suggestedShare: share });
  }
  return out;
}

export function labelNoiseSeverity(share: number, t: DatasetDocument["thresholds"]["labelNoise"]): Severity {
  return share >= t.summaryHighShare ? "high" : share >= t.summaryMediumShare ? "medium" : "low";
}

export const labelNoise: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/label-noise",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    requires: [{ id: "label-column", description: "a label column (recognised by name, or given with --label-column or scanners.datasets.labelColumn)", isMet: (doc) => doc.table.label !== undefined }],
    messages: {
      found: "{{row}} is labelled {{label}} but {{value}} of its {{neighbours}} nearest neighbours are not, most of them labelled {{suggested}}.",
      found2: "{{suspectsLength}} of {{rowCount}} ({{value}}%) carry a label their nearest neighbours disagree with, a sign of label noise or label-flip poisoning.",
    },
  },
  check(doc, ctx) {
    const suspects = labelSuspects(doc);
    if (suspects.length === 0) return;
    const nb = doc.neighbours()!;
    const share = suspects.length / doc.table.rowCount;
    const severity = labelNoiseSeverity(share, doc.thresholds.labelNoise);
    // Isolated disagreements are normal near class boundaries; rows matter once the share is high.
    const rowSeverity: Severity = severity === "low" ? "low" : "medium";
    const omitted = doc.reportRows(ctx, suspects, (s) => ({
      messageId: "found", data: { row: capital(doc.rowName(s.row)), label: s.label, value: s.neighbours - s.agreeing, neighbours: s.neighbours, suggested: s.suggested },
      severity: rowSeverity,
      location: doc.rowLocation(s.row, doc.table.label!.name),
      evidence: { label: s.label, suggestedLabel: s.suggested, agreeingNeighbours: s.agreeing, neighbours: s.neighbours, score: Number((1 - s.agreeing / s.neighbours).toFixed(3)) },
      fingerprintKey: `row:${doc.rowRef(s.row)}`,
    }));
    ctx.report({
      messageId: "found2", data: { suspectsLength: plural(suspects.length, "row"), rowCount: doc.table.rowCount, value: (share * 100).toFixed(1) },
      severity,
      location: doc.summaryLocation(),
      evidence: {
        summary: true,
        suspectRows: suspects.length,
        share: Number(share.toFixed(4)),
        rows: doc.listRows(suspects.map((s) => s.row)),
        rowsNotReportedSeparately: omitted,
        neighbourMethod: nb.method,
        k: nb.k,
      },
      fingerprintKey: "summary",
    });
  },
};

export const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
