// Label errors on real text (the committed SpamAssassin extract) and on a real table
// (scikit-learn's breast-cancer copy) with flips injected here, the confident-learning core,
// and the user's threshold overrides.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { confidentLearning, classPairs } from "../../../src/scanners/datasets/analysis/confident-learning";
import { findLabelErrors } from "../../../src/scanners/datasets/analysis/label-errors";
import { DatasetDocument } from "../../../src/scanners/datasets/document";
import { loadDataset } from "../../../src/scanners/datasets/loaders";
import { datasetThresholds } from "../../../src/scanners/datasets/thresholds";
import { runScan } from "../../../src/core/run";
import { seeded } from "./helpers";

const ROOT = join(__dirname, "../../..");

function score(flagged: number[], truth: Set<number>): { precision: number; recall: number } {
  const tp = flagged.filter((r) => truth.has(r)).length;
  return { precision: flagged.length ? tp / flagged.length : 0, recall: tp / truth.size };
}

/** Flips `share` of the rows labelled `from` to `to` (class-conditional) or of all rows (uniform, to the other of two classes). */
function flip(doc: DatasetDocument, share: number, from: string | undefined, seed: number): Set<number> {
  const label = doc.table.label!;
  const r = seeded(seed);
  const flipped = new Set<number>();
  const codes = label.codes;
  const candidates = Array.from(codes.keys()).filter((i) => from === undefined || label.classes[codes[i]!] === from);
  const count = Math.round(share * (from === undefined ? codes.length : candidates.length));
  while (flipped.size < count) {
    const i = candidates[Math.floor(r() * candidates.length)]!;
    if (flipped.has(i)) continue;
    flipped.add(i);
    codes[i] = 1 - codes[i]!;
  }
  return flipped;
}

async function load(path: string): Promise<DatasetDocument> {
  const table = await loadDataset(join(ROOT, path), {}, { maxInMemoryBytes: 1 << 28 });
  return new DatasetDocument(path, table, datasetThresholds(), undefined);
}

describe("text label errors (SpamAssassin extract, 797 real messages)", () => {
  // Messages cut to 400 characters; on 6,000 full messages the benchmark measures F1 about 0.9.
  it("finds uniform flips at 10% with precision and recall >= 0.75", async () => {
    const doc = await load("fixtures/datasets/source/spamassassin.csv");
    expect(doc.table.features.cols).toBe(0);
    const truth = flip(doc, 0.1, undefined, 7);
    const found = findLabelErrors(doc)!;
    expect(found.method).toBe("text-model");
    const { precision, recall } = score(found.estimate.issues.map((i) => i.row), truth);
    expect(precision).toBeGreaterThanOrEqual(0.75);
    expect(recall).toBeGreaterThanOrEqual(0.75);
  });

  it("finds one-directional flips (15% of ham relabelled spam, precision >= 0.75, recall >= 0.6) and names the pair", async () => {
    const doc = await load("fixtures/datasets/source/spamassassin.csv");
    const truth = flip(doc, 0.15, "ham", 8);
    const found = findLabelErrors(doc)!;
    const { precision, recall } = score(found.estimate.issues.map((i) => i.row), truth);
    expect(precision).toBeGreaterThanOrEqual(0.75);
    expect(recall).toBeGreaterThanOrEqual(0.6);
    const classes = doc.table.label!.classes;
    expect(found.pairs[0]).toMatchObject({ given: classes.indexOf("spam"), likely: classes.indexOf("ham") });
  });

  it("flags few rows on the clean corpus", async () => {
    const doc = await load("fixtures/datasets/source/spamassassin.csv");
    expect(findLabelErrors(doc)!.estimate.issues.length).toBeLessThanOrEqual(8);
  });
});

describe("class-conditional flips on a real table (breast cancer)", () => {
  it("recall >= 0.75 and precision >= 0.8 when 10% of rows (benign) are relabelled malignant", async () => {
    const doc = await load("fixtures/datasets/clean/breast_cancer.csv");
    const classes = doc.table.label!.classes;
    expect(classes.length).toBe(2);
    // scikit-learn codes benign as 1.
    const benign = doc.table.label!.codes.filter((c) => c === classes.indexOf("1")).length;
    const truth = flip(doc, (0.1 * doc.table.rowCount) / benign, "1", 3);
    const found = findLabelErrors(doc)!;
    const { precision, recall } = score(found.estimate.issues.map((i) => i.row), truth);
    expect(precision).toBeGreaterThanOrEqual(0.8);
    expect(recall).toBeGreaterThanOrEqual(0.75);
  });
});

describe("confident learning", () => {
  it("estimates the noise matrix and prunes by noise rate", () => {
    // 3 classes, 10 rows each; rows 0-2 labelled 0 look like class 1.
    const codes = Int32Array.from({ length: 30 }, (_, i) => Math.floor(i / 10));
    const p = new Float64Array(30 * 3);
    for (let i = 0; i < 30; i++) p[i * 3 + codes[i]!] = 0.9;
    for (let i = 0; i < 30; i++) p[i * 3 + ((codes[i]! + 1) % 3)] = 0.1;
    for (const i of [0, 1, 2]) {
      p[i * 3] = 0.1;
      p[i * 3 + 1] = 0.9;
    }
    const est = confidentLearning({ rows: 30, classes: 3, p }, codes);
    expect(est.issues.map((i) => i.row).sort()).toEqual([0, 1, 2]);
    expect(est.noiseMatrix[0 * 3 + 1]).toBeCloseTo(0.3);
    expect(classPairs(est, 0.1, 3)).toEqual([{ given: 0, likely: 1, share: 0.3, rows: 3, reverseShare: 0 }]);
  });

  it("never flags a row whose given label is the model's top class", () => {
    const codes = Int32Array.from([0, 0, 1, 1]);
    const p = Float64Array.from([0.6, 0.4, 0.6, 0.4, 0.4, 0.6, 0.4, 0.6]);
    expect(confidentLearning({ rows: 4, classes: 2, p }, codes).issues).toEqual([]);
  });
});

describe("threshold overrides from the user's config", () => {
  it("merge over the shipped values and are validated", () => {
    const t = datasetThresholds({ maxRowFindings: 5, labelNoise: { summaryHighShare: 0.5 } });
    expect(t.maxRowFindings).toBe(5);
    expect(t.labelNoise.summaryHighShare).toBe(0.5);
    expect(t.labelNoise.summaryMediumShare).toBe(datasetThresholds().labelNoise.summaryMediumShare);
    expect(() => datasetThresholds({ labelNoise: { summaryHighShare: 2 } })).toThrow(/summaryHighShare/);
  });

  it("the override schema is the thresholds schema with nothing required", () => {
    const schemas = join(ROOT, "rules/schemas");
    const full = JSON.parse(readFileSync(join(schemas, "dataset-thresholds.schema.json"), "utf8")) as Record<string, unknown>;
    const override = JSON.parse(readFileSync(join(schemas, "dataset-thresholds-override.schema.json"), "utf8")) as Record<string, unknown>;
    const strip = (o: unknown): unknown =>
      Array.isArray(o) ? o.map(strip) : o && typeof o === "object" ? Object.fromEntries(Object.entries(o).filter(([k]) => k !== "required").map(([k, v]) => [k, strip(v)])) : o;
    const expected = strip(full) as { properties: Record<string, unknown> } & Record<string, unknown>;
    delete expected.properties["$schema"];
    delete expected.properties["description"];
    expect({ ...override, $id: undefined, title: undefined }).toEqual({ ...expected, $id: undefined, title: undefined });
  });

  it("cap per-row findings in a scan while the summary keeps the full count and every row", async () => {
    const { report } = await runScan({
      paths: ["fixtures/datasets/label-noise/digits_flip5.csv"],
      cwd: ROOT,
      jobs: 1,
      config: { scanners: { datasets: { thresholds: { maxRowFindings: 3, maxEvidenceRows: 100000 } } } },
    });
    const noise = report.findings.filter((f) => f.ruleId === "dataset/label-noise");
    const summary = noise.find((f) => (f.evidence as { summary?: boolean }).summary)!;
    const ev = summary.evidence as { suspectRows: number; rows: number[]; rowsNotReportedSeparately: number };
    expect(noise.length - 1).toBe(3);
    expect(ev.rows).toHaveLength(ev.suspectRows);
    expect(ev.rowsNotReportedSeparately).toBe(ev.suspectRows - 3);
    expect(summary.message).toContain(`${ev.suspectRows} rows of 1797`);
  });
});
