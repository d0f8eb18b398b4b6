// The dataset scanner through the pipeline, on the loader fixtures (npy with labels, Parquet,
// JSON Lines, TSV) and on the caps and limits.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { runScan } from "../../../src/core/run";
import { DatasetDocument, PiiCollector } from "../../../src/scanners/datasets/document";
import { tableFromMatrix } from "../../../src/scanners/datasets/loaders/table-builder";
import { personalData } from "../../../src/scanners/datasets/rules/personal-data";
import { datasetThresholds } from "../../../src/scanners/datasets/thresholds";
import { collect } from "../../helpers/rule-tester";
import { findTriggers } from "../../../src/scanners/datasets/rules/backdoor-trigger";
import { seeded } from "./helpers";

const ROOT = join(__dirname, "../../..");

describe("dataset scanner", () => {
  it("reads every loader fixture by content, without parse errors", async () => {
    const { report } = await runScan({ paths: ["fixtures/datasets/loaders"], cwd: ROOT, jobs: 1 });
    const kinds = Object.fromEntries(report.targets.map((t) => [t.uri.split("/").pop(), t.kind]));
    expect(kinds).toMatchObject({
      "digits_c.npy": "numpy",
      "digits_f.npy": "numpy",
      "iris.parquet": "parquet",
      "iris.jsonl": "jsonl",
      "iris_semicolon.csv": "csv",
      "iris_noheader.tsv": "csv",
      "quoted.csv": "csv",
    });
    expect(report.findings.filter((f) => f.ruleId.startsWith("aigis/"))).toEqual([]);
    // Clean real data: nothing at medium or above from any loader path.
    expect(report.findings.filter((f) => ["critical", "high", "medium"].includes(f.severity))).toEqual([]);
  });

  it("takes the label column from the hints", async () => {
    const { report } = await runScan({ paths: ["fixtures/datasets/label-noise/iris_flip10.csv"], cwd: ROOT, jobs: 1, hints: { labelColumn: "petal_width_cm" } });
    // petal_width_cm (22 fractional values) becomes the label: a regression target, so the class checks skip it and say so.
    const notice = report.findings.filter((f) => f.ruleId === "dataset/check-not-run");
    expect(notice).toHaveLength(1);
    expect(notice[0]!.location.column).toBe("petal_width_cm");
    expect(notice[0]!.severity).toBe("info");
    expect(report.findings.filter((f) => f.ruleId === "dataset/class-imbalance" || f.ruleId === "dataset/label-noise")).toEqual([]);
    expect(report.findings.some((f) => f.location.column === "label")).toBe(false);
  });

  it("stops at maxRows and says so", async () => {
    const { report } = await runScan({
      paths: ["fixtures/datasets/clean/digits.csv"],
      cwd: ROOT,
      jobs: 1,
      config: { scanners: { datasets: { maxRows: 500 } } },
    });
    const notice = report.findings.find((f) => f.ruleId === "aigis/limit-exceeded");
    expect(notice?.message).toContain("first 500 rows");
  });

  it("reports a .npy larger than the in-memory limit as a limit, not a parse error", async () => {
    const { report } = await runScan({ paths: ["fixtures/datasets/loaders/digits_c.npy"], cwd: ROOT, jobs: 1, config: { limits: { maxInMemoryBytes: 1000 } } });
    const notices = report.findings.filter((f) => f.ruleId.startsWith("aigis/"));
    expect(notices.map((f) => f.ruleId)).toEqual(["aigis/limit-exceeded"]);
    expect(notices[0]!.message).toContain("in-memory limit");
  });

  it("caps per-row findings and counts the rest in the summary", () => {
    const thresholds = { ...datasetThresholds(), maxRowFindings: 5 };
    const pii = new PiiCollector(thresholds, thresholds.maxRowFindings);
    for (let i = 0; i < 12; i++) pii.visit([`user${i}@example.org`], i, ["email"]);
    const doc = new DatasetDocument("people.csv", tableFromMatrix("csv", new Float32Array(0), 12, 0, [], undefined), thresholds, pii);
    const drafts = collect(personalData, doc);
    expect(drafts.filter((d) => !d.evidence?.["summary"]).map((d) => d.location?.row)).toEqual([0, 1, 2, 3, 4]);
    const summary = drafts.find((d) => d.evidence?.["summary"])!;
    expect(summary.evidence).toMatchObject({ columns: { email: { email: 12 } }, cellsNotReportedSeparately: 7 });
  });
});

describe("large tables (sampled values, approximate neighbours)", () => {
  it("finds a two-column value trigger on 2% of 20,000 rows", () => {
    const r = seeded(3);
    const n = 20_000;
    const cols = 8;
    const data = new Float32Array(n * cols);
    const labels: string[] = [];
    const poisoned: number[] = [];
    for (let i = 0; i < n; i++) {
      const cls = i % 2;
      for (let j = 0; j < cols; j++) data[i * cols + j] = Math.round((cls * 4 + (r() + r() + r() - 1.5)) * 1000) / 1000;
      if (cls === 0 && r() < 0.04) {
        data[i * cols + 3] = 7.75;
        data[i * cols + 5] = -3.25;
        poisoned.push(i);
        labels.push("1");
      } else labels.push(String(cls));
    }
    const names = Array.from({ length: cols }, (_, j) => `f${j}`);
    const doc = new DatasetDocument("big.csv", tableFromMatrix("csv", data, n, cols, names, labels), datasetThresholds(), undefined);
    const triggers = findTriggers(doc);
    expect(triggers).toHaveLength(1);
    expect(triggers[0]!.target).toBe("1");
    expect(triggers[0]!.items.map((it) => [names[it.col], it.value])).toEqual([
      ["f3", 7.75],
      ["f5", -3.25],
    ]);
    expect(triggers[0]!.rows).toEqual(poisoned);
    expect(doc.neighbours()!.method).toBe("nn-descent");
  });
});

describe("image folders through the pipeline", () => {
  it("reports the same image filed under two classes, by image path", async () => {
    const root = mkdtempSync(join(tmpdir(), "aigis-imgdup-"));
    const r = seeded(4);
    const png = (seed: number): Buffer => {
      const img = new PNG({ width: 6, height: 6, colorType: 0 });
      for (let p = 0; p < 36; p++) img.data.set(Array(3).fill(Math.floor(((p * 37 + seed * 11) % 97) * 2.5 * r() + 10)).concat(255), p * 4);
      return PNG.sync.write(img);
    };
    for (const cls of ["cat", "dog"]) mkdirSync(join(root, "train", cls), { recursive: true });
    for (let n = 0; n < 12; n++) {
      writeFileSync(join(root, "train", "cat", `c${n}.png`), png(n));
      writeFileSync(join(root, "train", "dog", `d${n}.png`), png(100 + n));
    }
    const copy = png(500);
    writeFileSync(join(root, "train", "cat", "same.png"), copy);
    writeFileSync(join(root, "train", "dog", "same.png"), copy);
    const { report } = await runScan({ paths: ["train"], cwd: root, jobs: 1 });
    const groups = report.findings.filter((f) => f.ruleId === "dataset/conflicting-duplicates" && !(f.evidence as { summary?: boolean }).summary);
    expect(groups).toHaveLength(1);
    expect((groups[0]!.evidence as { rows: string[] }).rows).toEqual(["train/cat/same.png", "train/dog/same.png"]);
    expect(groups[0]!.location.uri).toBe("train/cat/same.png");
    expect(groups[0]!.message).toBe("Identical images train/cat/same.png, train/dog/same.png carry different labels (cat, dog).");
  });
});
