import type { RuleModule } from "../../../core/rule";
import type { DatasetDocument } from "../document";
import { labelErrorsUnavailable } from "../analysis/label-errors";

/** The checks that need class labels. */
export const CLASS_CHECKS = ["dataset/label-noise", "dataset/class-imbalance", "dataset/conflicting-duplicates", "dataset/backdoor-trigger", "dataset/text-trigger"];

/**
 * A report that reads clean must mean the checks ran: every check that could not assess
 * this dataset says which and why (no label column, a regression target, nothing to compare
 * rows by).
 */
export const checkNotRun: RuleModule<DatasetDocument> = {
  id: "dataset/check-not-run",
  check(doc, ctx) {
    const where = { ...doc.summaryLocation() };
    if (doc.regressionTarget) {
      const { name, distinct } = doc.regressionTarget;
      ctx.report({
        message: `Label column ${name} holds a numeric target with ${distinct} distinct values (a regression target, not classes), so the class checks (${CLASS_CHECKS.join(", ")}) did not run on it.`,
        location: { ...where, ...(doc.table.rowUris ? {} : { column: name }) },
        evidence: { checks: CLASS_CHECKS, reason: "regression-target", labelColumn: name, distinctValues: distinct },
        fingerprintKey: "not-run:regression",
      });
      return;
    }
    if (!doc.table.label) {
      ctx.report({
        message: `No label column was found, so the class checks (${CLASS_CHECKS.join(", ")}) did not run; name the label with --label-column or scanners.datasets.labelColumn.`,
        location: where,
        evidence: { checks: CLASS_CHECKS, reason: "no-label-column" },
        fingerprintKey: "not-run:no-label",
      });
      return;
    }
    const why = labelErrorsUnavailable(doc);
    if (why) {
      ctx.report({
        message: `dataset/label-noise did not run: ${why}.`,
        location: where,
        evidence: { checks: ["dataset/label-noise"], reason: why },
        fingerprintKey: "not-run:label-noise",
      });
    }
  },
};
