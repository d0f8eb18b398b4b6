import type { Rule } from "../../../types";
import type { DatasetDocument } from "../document";

export const classImbalance: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/class-imbalance",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    requires: [{ id: "label-column", description: "a label column (recognised by name, or given with --label-column or scanners.datasets.labelColumn)", isMet: (doc) => doc.table.label !== undefined }],
    messages: {
      found: "Class {{minority}} has {{minorityRows}} of {{total}} rows ({{minorityPercent}}%) against {{majorityRows}} for class {{majority}}, a {{ratio}}:1 imbalance in label {{label}}.",
    },
  },
  check(doc, ctx) {
    const label = doc.table.label;
    if (!label) return;
    const counts = new Array<number>(label.classes.length).fill(0);
    let total = 0;
    for (const c of label.codes) {
      if (c < 0) continue;
      counts[c]!++;
      total++;
    }
    if (total === 0) return;
    const t = doc.thresholds.classImbalance;
    let min = 0;
    let max = 0;
    counts.forEach((n, c) => {
      if (n < counts[min]!) min = c;
      if (n > counts[max]!) max = c;
    });
    const ratio = counts[max]! / Math.max(1, counts[min]!);
    const minShare = counts[min]! / total;
    // A small share is imbalance only against what an even split would give: 100 balanced
    // classes hold 1% each, which is not a minority.
    const evenShare = 1 / label.classes.length;
    if (ratio <= t.maxRatio && (minShare >= t.minShare || minShare >= t.minEvenShare * evenShare)) return;
    ctx.report({
      messageId: "found", data: { minority: label.classes[min]!, minorityRows: counts[min]!, total, minorityPercent: (minShare * 100).toFixed(1), majorityRows: counts[max]!, majority: label.classes[max]!, ratio: ratio.toFixed(1), label: label.name },
      location: { ...doc.summaryLocation(), ...(doc.table.rowUris ? {} : { column: label.name }) },
      evidence: { summary: true, counts: Object.fromEntries(label.classes.map((c, i) => [c, counts[i]])), ratio: Number(ratio.toFixed(2)), minorityShare: Number(minShare.toFixed(4)) },
      fingerprintKey: "imbalance",
    });
  },
};
