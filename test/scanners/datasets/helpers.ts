// Builds dataset documents from small in-memory tables for rule tests.

import { mulberry32 } from "../../../src/core/random";
import { tableFromMatrix } from "../../../src/scanners/datasets/loaders/table-builder";
import { DatasetDocument, PiiCollector } from "../../../src/scanners/datasets/document";
import { datasetThresholds } from "../../../src/scanners/datasets/thresholds";

export function numericDoc(rows: number[][], labels: string[], names?: string[]): DatasetDocument {
  const cols = rows[0]!.length;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => r.forEach((v, j) => (data[i * cols + j] = v)));
  const table = tableFromMatrix("csv", data, rows.length, cols, names ?? Array.from({ length: cols }, (_, j) => `f${j}`), labels);
  return new DatasetDocument("data.csv", table, datasetThresholds(), undefined);
}

export function textDoc(texts: string[], labels: string[]): DatasetDocument {
  const table = tableFromMatrix("csv", new Float32Array(0), texts.length, 0, [], labels);
  table.columns.unshift({ name: "text", index: 0, kind: "text", role: "text", missing: 0 });
  table.strings.set("text", texts);
  table.textColumn = "text";
  return new DatasetDocument("texts.csv", table, datasetThresholds(), undefined);
}

export function piiDoc(records: string[][], columns: string[]): DatasetDocument {
  const thresholds = datasetThresholds();
  const pii = new PiiCollector(thresholds, thresholds.maxRowFindings);
  records.forEach((r, i) => pii.visit(r, i, columns));
  const table = tableFromMatrix("csv", new Float32Array(0), records.length, 0, [], undefined);
  return new DatasetDocument("people.csv", table, thresholds, pii);
}

/** Deterministic pseudo-random numbers for fixtures built in tests. */
export const seeded = mulberry32;

/** Two Gaussian-ish blobs in 4 dimensions, n rows each, labelled a and b. */
export function blobs(n: number, seed = 1): { rows: number[][]; labels: string[] } {
  const r = seeded(seed);
  const rows: number[][] = [];
  const labels: string[] = [];
  for (const [label, centre] of [["a", 0], ["b", 8]] as const) {
    for (let i = 0; i < n; i++) {
      rows.push([0, 1, 2, 3].map(() => centre + (r() + r() + r() - 1.5)));
      labels.push(label);
    }
  }
  return { rows, labels };
}
