import type { Severity } from "../../../types";
import type { Rule } from "../../../types";
import { SEVERITIES } from "../../../types";
import type { PiiType } from "../analysis/pii";
import { plural, type DatasetDocument } from "../document";

const NAMES: Record<PiiType, string> = {
  email: "an e-mail address",
  phone: "a phone number",
  "payment-card": "a payment card number",
  iban: "an IBAN",
  "us-ssn": "a US social security number",
  "ip-address": "an IP address",
};

const worst = (a: Severity, b: Severity): Severity => (SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b);

export const personalData: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/personal-data",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    messages: {
      found: "{{row}}, column {{column}} holds {{nAMES}} ({{masked}}).",
      found2: "Personal data in {{countsSize}}: {{parts}}.",
    },
  },
  check(doc, ctx) {
    const pii = doc.pii;
    if (!pii || pii.counts.size === 0) return;
    const sev = doc.thresholds.personalData.severity;
    for (const c of pii.cells) {
      ctx.report({
        messageId: "found", data: { row: doc.rowName(c.row).replace(/^./, (x) => x.toUpperCase()), column: c.column, nAMES: NAMES[c.hit.type], masked: c.hit.masked },
        severity: sev[c.hit.type],
        location: doc.rowLocation(c.row, c.column),
        evidence: { type: c.hit.type, masked: c.hit.masked, validation: c.hit.validation, column: c.column, row: c.row },
        fingerprintKey: `${c.column}:${c.row}:${c.hit.type}`,
      });
    }
    let severity: Severity = "info";
    const columns: Record<string, Record<string, number>> = {};
    const parts: string[] = [];
    for (const [column, byType] of pii.counts) {
      columns[column] = Object.fromEntries(byType);
      for (const type of byType.keys()) severity = worst(severity, sev[type]);
      parts.push(`${column} (${[...byType].map(([t, n]) => `${t} ${n}`).join(", ")})`);
    }
    const notReported = [...pii.overflow.values()].reduce((a, b) => a + b, 0);
    ctx.report({
      messageId: "found2", data: { countsSize: plural(pii.counts.size, "column"), parts: parts.join("; ") },
      severity,
      location: doc.summaryLocation(),
      evidence: { summary: true, columns, cellsNotReportedSeparately: notReported, perColumnCap: doc.thresholds.maxRowFindings },
      fingerprintKey: "summary",
    });
  },
};
