import type { Rule } from "../../../types";
import { plural, type DatasetDocument } from "../document";
import { capital } from "./label-noise";

/** Rows whose mean distance to their neighbours is far above the typical one (robust z-score). */
export function outlierRows(doc: DatasetDocument): Array<{ row: number; z: number }> {
  const nb = doc.neighbours();
  const t = doc.thresholds.outliers;
  if (!nb || nb.rows < t.minRows) return [];
  const score = new Float64Array(nb.rows);
  for (let i = 0; i < nb.rows; i++) {
    let s = 0;
    let n = 0;
    for (let q = 0; q < nb.k; q++) {
      const d = nb.dist[i * nb.k + q]!;
      if (!Number.isFinite(d)) continue;
      s += Math.sqrt(d);
      n++;
    }
    score[i] = n > 0 ? s / n : 0;
  }
  const sorted = Float64Array.from(score).sort();
  const median = sorted[sorted.length >> 1]!;
  const dev = Float64Array.from(score, (v) => Math.abs(v - median)).sort();
  // Floored at a tenth of the median, so a perfectly regular layout (a grid, where nearly
  // every row has the same distance) does not turn its edges into outliers.
  const mad = Math.max(1.4826 * dev[dev.length >> 1]!, 0.1 * median);
  if (!(mad > 0)) return [];
  const out: Array<{ row: number; z: number }> = [];
  for (let i = 0; i < nb.rows; i++) {
    const z = (score[i]! - median) / mad;
    if (z >= t.minRobustZ) out.push({ row: i, z });
  }
  return out;
}

export const outliers: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/outliers",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    messages: {
      found: "{{row}} lies far from every other row (neighbour distance {{z}} robust deviations above the median).",
      found2: "{{foundLength}} of {{rowCount}} are outliers by nearest-neighbour distance.",
    },
  },
  check(doc, ctx) {
    const found = outlierRows(doc);
    if (found.length === 0) return;
    const omitted = doc.reportRows(ctx, found, (o) => ({
      messageId: "found", data: { row: capital(doc.rowName(o.row)), z: o.z.toFixed(1) },
      location: doc.rowLocation(o.row),
      evidence: { robustZ: Number(o.z.toFixed(2)) },
      fingerprintKey: `row:${doc.rowRef(o.row)}`,
    }));
    ctx.report({
      messageId: "found2", data: { foundLength: plural(found.length, "row"), rowCount: doc.table.rowCount },
      location: doc.summaryLocation(),
      evidence: { summary: true, rows: doc.listRows(found.map((o) => o.row)), count: found.length, rowsNotReportedSeparately: omitted, minRobustZ: doc.thresholds.outliers.minRobustZ },
      fingerprintKey: "summary",
    });
  },
};
