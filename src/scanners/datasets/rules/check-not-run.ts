import type { Rule } from "../../../types";
import type { DatasetDocument } from "../document";
import { labelErrorsUnavailable } from "../analysis/label-errors";
import { textTriggerUnavailable } from "./text-trigger";

/** The checks that need class labels. */
export const CLASS_CHECKS = ["dataset/label-noise", "dataset/class-imbalance", "dataset/conflicting-duplicates", "dataset/backdoor-trigger", "dataset/text-trigger"];

/**
 * A report that reads clean must mean the checks ran: every check that could not assess
 * this dataset says which and why (no label column, a regression target, nothing to compare
 * rows by).
 */
export const checkNotRun: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/check-not-run",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    requires: [],
    messages: {
      regression: "Label column {{label}} holds a numeric target with {{distinct}} distinct values (a regression target, not classes), so the class checks ({{checks}}) did not run on it.",
      noLabel: "No label column was found, so the class checks ({{checks}}) did not run; name the label with --label-column or scanners.datasets.labelColumn.",
      labelNoise: "dataset/label-noise did not run: {{reason}}.",
      textTrigger: "dataset/text-trigger did not run: {{reason}}.",
    },
  },
  check(doc, ctx) {
    const where = { ...doc.summaryLocation() };
    if (doc.regressionTarget) {
      const { name, distinct } = doc.regressionTarget;
      ctx.report({
        messageId: "regression",
        data: { label: name, distinct, checks: CLASS_CHECKS.join(", ") },
        location: { ...where, ...(doc.table.rowUris ? {} : { column: name }) },
        evidence: { checks: CLASS_CHECKS, reason: "regression-target", labelColumn: name, distinctValues: distinct },
        fingerprintKey: "not-run:regression",
      });
      return;
    }
    if (!doc.table.label) {
      ctx.report({
        messageId: "noLabel",
        data: { checks: CLASS_CHECKS.join(", ") },
        location: where,
        evidence: { checks: CLASS_CHECKS, reason: "no-label-column" },
        fingerprintKey: "not-run:no-label",
      });
      return;
    }
    const why = labelErrorsUnavailable(doc);
    if (why) {
      ctx.report({
        messageId: "labelNoise",
        data: { reason: why },
        location: where,
        evidence: { checks: ["dataset/label-noise"], reason: why },
        fingerprintKey: "not-run:label-noise",
      });
    }
    const whyNotTriggers = textTriggerUnavailable(doc);
    if (whyNotTriggers) {
      ctx.report({
        messageId: "textTrigger",
        data: { reason: whyNotTriggers },
        location: where,
        evidence: { checks: ["dataset/text-trigger"], reason: whyNotTriggers },
        fingerprintKey: "not-run:text-trigger",
      });
    }
  },
};
