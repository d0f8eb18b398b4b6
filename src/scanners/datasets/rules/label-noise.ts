import type { Severity } from "../../../types";
import type { Rule } from "../../../types";
import { plural, type DatasetDocument } from "../document";
import { findLabelErrors, type LabelErrors } from "../analysis/label-errors";
import type { ClassPair } from "../analysis/confident-learning";

/** A pair is systematic relabelling when the reverse direction is much rarer: class overlap goes both ways, poisoning one. */
export function isSystematic(pair: ClassPair, t: DatasetDocument["thresholds"]["labelNoise"]): boolean {
  return pair.reverseShare <= pair.share * t.systematicMaxReverse;
}

/**
 * Medium from a noticeable share of flagged rows; high only when a class is systematically
 * relabelled as another (the pattern of label-flip poisoning), never for plain overlap.
 */
export function labelNoiseSeverity(share: number, pairs: ClassPair[], t: DatasetDocument["thresholds"]["labelNoise"]): Severity {
  if (share < t.summaryMediumShare) return "low";
  return pairs.some((p) => isSystematic(p, t)) ? "high" : "medium";
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

export function pairSentence(doc: DatasetDocument, p: ClassPair): string {
  const classes = doc.table.label!.classes;
  return `${pct(p.share)} of rows labelled ${classes[p.given]} look like ${classes[p.likely]}`;
}

export const labelNoise: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/label-noise",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    requires: [{ id: "label-column", description: "a label column (recognised by name, or given with --label-column or scanners.datasets.labelColumn)", isMet: (doc) => doc.table.label !== undefined }],
    messages: {
      row: "{{row}} is labelled {{label}} but {{basis}} it in class {{suggested}}.",
      summary: "{{rows}} of {{rowCount}} ({{percent}}) carry a label {{basis}} with, a sign of label noise or label-flip poisoning.{{pairs}}",
    },
  },
  check(doc, ctx) {
    const found: LabelErrors | undefined = findLabelErrors(doc);
    if (!found || found.estimate.issues.length === 0) return;
    const { estimate, pairs, method } = found;
    const t = doc.thresholds.labelNoise;
    const classes = doc.table.label!.classes;
    const issues = estimate.issues;
    const share = issues.length / doc.table.rowCount;
    const severity = labelNoiseSeverity(share, pairs, t);
    const rowSeverity: Severity = severity === "low" ? "low" : "medium";
    const text = method === "text-model";
    const omitted = doc.reportRows(ctx, issues, (s) => ({
      messageId: "row",
      data: { row: capital(doc.rowName(s.row)), label: classes[s.given]!, basis: text ? "a text model trained without it puts" : "its nearest neighbours put", suggested: classes[s.likely]! },
      severity: rowSeverity,
      location: doc.rowLocation(s.row, doc.table.label!.name),
      evidence: {
        label: classes[s.given],
        suggestedLabel: classes[s.likely],
        labelProbability: Number(s.selfConfidence.toFixed(3)),
        margin: Number(s.margin.toFixed(3)),
      },
      fingerprintKey: `row:${doc.rowRef(s.row)}`,
    }));
    const named = pairs.slice(0, 5);
    const systematic = named.filter((p) => isSystematic(p, t));
    const pairText = named.length === 0 ? "" : ` ${capital(named.map((p) => pairSentence(doc, p)).join("; "))}${systematic.length > 0 ? " (one direction only: systematic relabelling, the pattern of label-flip poisoning)" : " (both directions: class overlap more than relabelling)"}.`;
    ctx.report({
      messageId: "summary",
      data: { rows: plural(issues.length, "row"), rowCount: doc.table.rowCount, percent: pct(share), basis: text ? "that a text model trained without them disagrees" : "their nearest neighbours disagree", pairs: pairText },
      severity,
      location: doc.summaryLocation(),
      evidence: {
        summary: true,
        suspectRows: issues.length,
        share: Number(share.toFixed(4)),
        rows: doc.listRows(issues.map((s) => s.row)),
        rowsNotReportedSeparately: omitted,
        method,
        classPairs: pairs.map((p) => ({
          label: classes[p.given],
          looksLike: classes[p.likely],
          share: Number(p.share.toFixed(4)),
          rows: p.rows,
          reverseShare: Number(p.reverseShare.toFixed(4)),
          systematic: isSystematic(p, t),
        })),
        ...(method === "neighbour-votes" ? { neighbourMethod: doc.neighbours()!.method, k: doc.neighbours()!.k } : {}),
      },
      fingerprintKey: "summary",
    });
  },
};

export const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
