// Clean real sets (scikit-learn's breast cancer and digits, committed under
// fixtures/datasets/clean): label-noise flags no more rows than the cleanlab-style reference
// (bench/reference/confident_learning.py flags 1 and 5). The gate that keeps it there:
// unanimous-dissent rows are only added in classes whose estimated noise rate reaches
// labelNoise.dissentMinClassNoise.
import { join } from "node:path";
import { findLabelErrors } from "../../../src/scanners/datasets/analysis/label-errors";
import { DatasetDocument } from "../../../src/scanners/datasets/document";
import { loadDataset } from "../../../src/scanners/datasets/loaders";
import { datasetThresholds, type DatasetThresholds } from "../../../src/scanners/datasets/thresholds";

const ROOT = join(__dirname, "../../..");

async function flagged(file: string, th: DatasetThresholds): Promise<number> {
  const table = await loadDataset(join(ROOT, "fixtures/datasets/clean", file), { labelColumn: "label" }, { maxInMemoryBytes: 1 << 28 });
  return findLabelErrors(new DatasetDocument(file, table, th, undefined))!.estimate.issues.length;
}

describe("label noise on clean real sets", () => {
  const shipped = datasetThresholds();
  const ungated = datasetThresholds({ labelNoise: { dissentMinClassNoise: 0 } });

  it.each([
    ["breast_cancer.csv", 1],
    ["digits.csv", 5],
  ])("%s: at most the reference's count (%d), and more without the noise-rate gate", async (file, reference) => {
    const n = await flagged(file, shipped);
    expect(n).toBeLessThanOrEqual(reference);
    expect(await flagged(file, ungated)).toBeGreaterThan(n);
  });
});
