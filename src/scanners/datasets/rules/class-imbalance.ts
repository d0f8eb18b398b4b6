import type { RuleModule } from "../../../core/rule";
import type { DatasetDocument } from "../document";

export const classImbalance: RuleModule<DatasetDocument> = {
  id: "dataset/class-imbalance",
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
    if (ratio <= t.maxRatio && minShare >= t.minShare) return;
    ctx.report({
      message: `Class ${label.classes[min]} has ${counts[min]} of ${total} rows (${(minShare * 100).toFixed(1)}%) against ${counts[max]} for class ${label.classes[max]}, a ${ratio.toFixed(1)}:1 imbalance in label ${label.name}.`,
      location: { ...doc.summaryLocation(), ...(doc.table.rowUris ? {} : { column: label.name }) },
      evidence: { summary: true, counts: Object.fromEntries(label.classes.map((c, i) => [c, counts[i]])), ratio: Number(ratio.toFixed(2)), minorityShare: Number(minShare.toFixed(4)) },
      fingerprintKey: "imbalance",
    });
  },
};
