// Label errors at scale (issue 18): does the approximate neighbour index (random-projection
// forest + nearest-neighbour descent, used above neighbours.exactMaxRows rows) keep the
// precision of exact search, and what do wide images cost against a cleanlab-style reference?
//
//   npm run build && node dist/bench/datasets-scale.js [cliff] [large [ROWS...]] [wide]
//
// cliff: synthetic 64-feature tables (10 overlapping Gaussian classes, 10% uniform label flips,
//        data generated here with a seeded PRNG) at 6,000 rows (exact, the default switch),
//        6,001 rows (approximate, and exact forced on the same rows) and 12,000 rows (both
//        forced): label-error F1 of each and the approximate index's recall of the exact 10
//        nearest neighbours.
// large: 100,000 rows by default (add 1000000 for a million; about 2-3 minutes on a loaded
//        machine). Exact search on every row is O(n²), so it runs for a seeded sample of query
//        rows against the whole table: neighbour recall on those rows, and the label-error F1
//        on those rows with their exact lists swapped into the graph (everything else equal),
//        next to the F1 with the approximate lists. Also the F1 of exact search on a
//        6,000-row subsample. CPU seconds and peak RSS of the neighbour search.
// wide:  10,000 images of 28 x 28 = 784 features: scikit-learn's 1,797 handwritten digits
//        (committed in fixtures/datasets/clean/digits.csv, 8 x 8) upscaled bilinearly with a
//        random sub-pixel shift and pixel noise per copy (no Fashion-MNIST is reachable from
//        npm or Debian here), 10% uniform flips; the whole aigis scan (every dataset rule) and
//        label errors alone, against bench/reference/confident_learning.py run with Debian's
//        /usr/bin/python3 in the same run (CPU and wall of the child).

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../src/core/random";
import { runScan } from "../src/core/run";
import { findLabelErrors } from "../src/scanners/datasets/analysis/label-errors";
import type { Neighbours } from "../src/scanners/datasets/analysis/neighbours";
import { DatasetDocument } from "../src/scanners/datasets/document";
import { loadDataset } from "../src/scanners/datasets/loaders";
import type { DatasetTable } from "../src/scanners/datasets/loaders/types";
import { datasetThresholds, type DatasetThresholds } from "../src/scanners/datasets/thresholds";
import { dataPath } from "./_util";

const ROOT = join(__dirname, "..", "..");
const PYTHON = "/usr/bin/python3";
const REFERENCE = join(ROOT, "bench", "reference", "confident_learning.py");
const CLASSES = 10;
const COLS = 64;
const FLIP_RATE = 0.1;

interface Synthetic {
  data: Float32Array;
  rows: number;
  cols: number;
  codes: Int32Array;
  flipped: Set<number>;
}

/** Gaussian classes whose centres are close enough to overlap (exact kNN errs on a few % of rows). */
function synthetic(rows: number, seed: number, cols = COLS): Synthetic {
  const random = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: CLASSES }, () => Array.from({ length: cols }, () => gauss() * 0.45));
  // Per-feature spread differs, as in real tables (standardisation evens it out).
  const spread = Array.from({ length: cols }, () => 0.5 + 2 * random());
  const data = new Float32Array(rows * cols);
  const codes = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(random() * CLASSES);
    codes[i] = c;
    for (let j = 0; j < cols; j++) data[i * cols + j] = (centres[c]![j]! + gauss()) * spread[j]!;
  }
  const flipped = new Set<number>();
  for (let i = 0; i < rows; i++) {
    if (random() >= FLIP_RATE) continue;
    codes[i] = (codes[i]! + 1 + Math.floor(random() * (CLASSES - 1))) % CLASSES;
    flipped.add(i);
  }
  return { data, rows, cols, codes, flipped };
}

function subset(s: Synthetic, rows: number[]): Synthetic {
  const data = new Float32Array(rows.length * s.cols);
  const codes = new Int32Array(rows.length);
  const flipped = new Set<number>();
  rows.forEach((r, i) => {
    data.set(s.data.subarray(r * s.cols, (r + 1) * s.cols), i * s.cols);
    codes[i] = s.codes[r]!;
    if (s.flipped.has(r)) flipped.add(i);
  });
  return { data, rows: rows.length, cols: s.cols, codes, flipped };
}

function table(s: Synthetic): DatasetTable {
  const names = Array.from({ length: s.cols }, (_, j) => `f${j}`);
  return {
    format: "csv",
    rowCount: s.rows,
    columns: [...names.map((name, index) => ({ name, index, kind: "numeric" as const, role: "feature" as const, missing: 0 })), { name: "label", index: s.cols, kind: "categorical", role: "label", missing: 0 }],
    features: { data: s.data, rows: s.rows, cols: s.cols, names },
    label: { name: "label", classes: Array.from({ length: CLASSES }, (_, c) => String(c)), codes: s.codes },
    strings: new Map(),
  };
}

/** A document whose neighbour graph is given (exact lists swapped in for some rows). */
class GivenGraphDocument extends DatasetDocument {
  constructor(
    t: DatasetTable,
    th: DatasetThresholds,
    private readonly graph: Neighbours,
  ) {
    super("bench.csv", t, th, undefined);
  }
  override neighbours(): Neighbours {
    return this.graph;
  }
}

function withExactMax(th: DatasetThresholds, exactMaxRows: number): DatasetThresholds {
  return { ...th, neighbours: { ...th.neighbours, exactMaxRows } };
}

function f1(flagged: Iterable<number>, truth: Set<number>, only?: Set<number>): { p: number; r: number; f1: number } {
  let tp = 0;
  let n = 0;
  for (const i of flagged) {
    if (only && !only.has(i)) continue;
    n++;
    if (truth.has(i)) tp++;
  }
  let positives = 0;
  for (const i of truth) if (!only || only.has(i)) positives++;
  const p = n ? tp / n : 1;
  const r = positives ? tp / positives : 1;
  return { p, r, f1: p + r > 0 ? (2 * p * r) / (p + r) : 0 };
}

const fmt = (s: { p: number; r: number; f1: number }): string => `P ${s.p.toFixed(3)} R ${s.r.toFixed(3)} F1 ${s.f1.toFixed(3)}`;

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Run {
  doc: DatasetDocument;
  flagged: number[];
  nbSeconds: number;
  seconds: number;
}

function run(s: Synthetic, th: DatasetThresholds): Run {
  const doc = new DatasetDocument("bench.csv", table(s), th, undefined);
  const c0 = cpu();
  doc.neighbours();
  const c1 = cpu();
  const found = findLabelErrors(doc);
  return { doc, flagged: found ? found.estimate.issues.map((i) => i.row) : [], nbSeconds: c1 - c0, seconds: cpu() - c0 };
}

/** Exact k nearest neighbours of the query rows against every row (squared distances, own row excluded). */
function exactFor(x: Float32Array, rows: number, cols: number, k: number, queries: number[]): Map<number, { index: Int32Array; dist: Float32Array }> {
  const out = new Map<number, { index: Int32Array; dist: Float32Array }>();
  for (const i of queries) {
    const index = new Int32Array(k).fill(-1);
    const dist = new Float32Array(k).fill(Infinity);
    const pi = i * cols;
    for (let j = 0; j < rows; j++) {
      if (j === i) continue;
      const pj = j * cols;
      let d = 0;
      for (let c = 0; c < cols; c++) {
        const t = x[pi + c]! - x[pj + c]!;
        d += t * t;
      }
      if (d >= dist[k - 1]!) continue;
      let p = k - 1;
      while (p > 0 && dist[p - 1]! > d) {
        dist[p] = dist[p - 1]!;
        index[p] = index[p - 1]!;
        p--;
      }
      dist[p] = d;
      index[p] = j;
    }
    out.set(i, { index, dist });
  }
  return out;
}

function recall(nb: Neighbours, exact: Map<number, { index: Int32Array }>): number {
  let hit = 0;
  let total = 0;
  for (const [i, e] of exact) {
    const got = new Set(nb.index.subarray(i * nb.k, (i + 1) * nb.k));
    for (const j of e.index) {
      if (j < 0) continue;
      total++;
      if (got.has(j)) hit++;
    }
  }
  return total ? hit / total : 1;
}

function sampleRows(rows: number, n: number, seed: number): number[] {
  const random = mulberry32(seed);
  const picked = new Set<number>();
  while (picked.size < Math.min(n, rows)) picked.add(Math.floor(random() * rows));
  return [...picked].sort((a, b) => a - b);
}

function cliff(th: DatasetThresholds): void {
  console.log(`\ncliff: ${COLS} features, ${CLASSES} classes, ${FLIP_RATE * 100}% uniform flips (exact search up to neighbours.exactMaxRows = ${th.neighbours.exactMaxRows})`);
  for (const rows of [6_000, 6_001, 12_000]) {
    const s = synthetic(rows, 7);
    const exact = run(s, withExactMax(th, rows));
    const approx = run(s, withExactMax(th, Math.min(th.neighbours.exactMaxRows, rows - 1)));
    const all = Array.from({ length: rows }, (_, i) => i);
    const rec = recall(approx.doc.neighbours()!, new Map(all.map((i) => [i, { index: exact.doc.neighbours()!.index.subarray(i * 10, i * 10 + 10) }])));
    console.log(
      `  ${rows.toLocaleString("en-US").padStart(7)} rows  exact ${fmt(f1(exact.flagged, s.flipped))} (${exact.nbSeconds.toFixed(2)} s CPU search)` +
        ` | approximate ${fmt(f1(approx.flagged, s.flipped))} (${approx.nbSeconds.toFixed(2)} s) | recall of exact 10-NN ${rec.toFixed(3)}`,
    );
  }
}

/** The same comparison on real images: scikit-learn's digits (8 x 8 = 64 features), shifted and noised copies. */
function digitsCliff(th: DatasetThresholds): void {
  const rows = 12_000;
  const { lines, flipped } = widenDigits(rows, 31, 8);
  const data = new Float32Array(rows * COLS);
  const codes = new Int32Array(rows);
  lines.forEach((l, i) => {
    const cells = l.split(",").map(Number);
    for (let j = 0; j < COLS; j++) data[i * COLS + j] = cells[j]!;
    codes[i] = cells[COLS]!;
  });
  const s: Synthetic = { data, rows, cols: COLS, codes, flipped };
  const exact = run(s, withExactMax(th, rows));
  const approx = run(s, withExactMax(th, Math.min(th.neighbours.exactMaxRows, rows - 1)));
  const all = Array.from({ length: rows }, (_, i) => i);
  const rec = recall(approx.doc.neighbours()!, new Map(all.map((i) => [i, { index: exact.doc.neighbours()!.index.subarray(i * 10, i * 10 + 10) }])));
  console.log(`  digits  12,000 rows (64 pixels, shifted and noised copies of scikit-learn's digits): exact ${fmt(f1(exact.flagged, flipped))} (${exact.nbSeconds.toFixed(2)} s) | approximate ${fmt(f1(approx.flagged, flipped))} (${approx.nbSeconds.toFixed(2)} s) | recall ${rec.toFixed(3)}`);
}

function large(th: DatasetThresholds, sizes: number[]): void {
  for (const rows of sizes) {
    const queryCount = rows >= 500_000 ? 1_000 : 2_000;
    console.log(`\nlarge: ${rows.toLocaleString("en-US")} rows x ${COLS} features, ${FLIP_RATE * 100}% uniform flips; exact lists for ${queryCount} sampled query rows`);
    const s = synthetic(rows, 11);
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const approx = run(s, th);
    clearInterval(sampler);
    const nb = approx.doc.neighbours()!;
    const queries = sampleRows(rows, queryCount, 3);
    const x = approx.doc.standardised();
    const exact = exactFor(x, rows, COLS, nb.k, queries);
    // The same graph with the query rows' exact lists swapped in.
    const hybrid: Neighbours = { ...nb, index: Int32Array.from(nb.index), dist: Float32Array.from(nb.dist) };
    for (const [i, e] of exact) {
      hybrid.index.set(e.index, i * nb.k);
      hybrid.dist.set(e.dist, i * nb.k);
    }
    const doc = new GivenGraphDocument(table(s), th, hybrid);
    const withExact = findLabelErrors(doc)?.estimate.issues.map((i) => i.row) ?? [];
    const q = new Set(queries);
    const fa = f1(approx.flagged, s.flipped, q);
    const fe = f1(withExact, s.flipped, q);
    const sub = subset(s, sampleRows(rows, 6_000, 4));
    const small = run(sub, withExactMax(th, 6_000));
    console.log(`  neighbour search (${nb.method}): ${approx.nbSeconds.toFixed(1)} s CPU; label errors in all: ${approx.seconds.toFixed(1)} s CPU; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
    console.log(`  recall of the exact 10 nearest neighbours on the query rows: ${recall(nb, exact).toFixed(3)}`);
    console.log(`  label errors on the query rows: approximate ${fmt(fa)} | exact lists ${fmt(fe)} | difference in F1 ${(fa.f1 - fe.f1).toFixed(3)}`);
    console.log(`  whole table, approximate: ${fmt(f1(approx.flagged, s.flipped))}; exact search on a 6,000-row subsample: ${fmt(f1(small.flagged, sub.flipped))}`);
  }
}

/** scikit-learn's digits, upscaled to 28 x 28 with a random sub-pixel shift and pixel noise per copy. */
function widenDigits(rows: number, seed: number, size = 28): { header: string; lines: string[]; flipped: Set<number> } {
  const text = readFileSync(join(ROOT, "fixtures/datasets/clean/digits.csv"), "utf8").trim().split("\n");
  const head = text[0]!.split(",");
  const labelAt = head.indexOf("label");
  const source = text.slice(1).map((l) => {
    const cells = l.split(",");
    return { pixels: cells.filter((_, j) => j !== labelAt).map(Number), label: Number(cells[labelAt]) };
  });
  const random = mulberry32(seed);
  const lines: string[] = [];
  const flipped = new Set<number>();
  for (let i = 0; i < rows; i++) {
    const src = source[Math.floor(random() * source.length)]!;
    const dx = (random() - 0.5) * 1.2;
    const dy = (random() - 0.5) * 1.2;
    const px: string[] = [];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        // Source coordinates on the 8 x 8 grid, bilinear.
        const sx = Math.min(7, Math.max(0, ((x + 0.5) * 8) / size - 0.5 + dx));
        const sy = Math.min(7, Math.max(0, ((y + 0.5) * 8) / size - 0.5 + dy));
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const x1 = Math.min(7, x0 + 1);
        const y1 = Math.min(7, y0 + 1);
        const fx = sx - x0;
        const fy = sy - y0;
        const p = (xx: number, yy: number): number => src.pixels[yy * 8 + xx]!;
        const v = (p(x0, y0) * (1 - fx) + p(x1, y0) * fx) * (1 - fy) + (p(x0, y1) * (1 - fx) + p(x1, y1) * fx) * fy;
        const noisy = Math.max(0, Math.min(255, (v / 16) * 255 + (random() - 0.5) * 40));
        px.push(String(Math.round(noisy)));
      }
    }
    let label = src.label;
    if (random() < FLIP_RATE) {
      label = (label + 1 + Math.floor(random() * 9)) % 10;
      flipped.add(i);
    }
    lines.push(`${px.join(",")},${label}`);
  }
  const header = [...Array.from({ length: size * size }, (_, j) => `p${j}`), "label"].join(",");
  return { header, lines, flipped };
}

async function wide(th: DatasetThresholds): Promise<void> {
  const rows = 10_000;
  const { header, lines, flipped } = widenDigits(rows, 21);
  const file = dataPath(`scale-digits28-${rows}.csv`);
  writeFileSync(file, `${header}\n${lines.join("\n")}\n`);
  console.log(`\nwide: ${rows.toLocaleString("en-US")} upscaled digits, 784 features, ${FLIP_RATE * 100}% uniform flips (${file})`);
  const c0 = cpu();
  const t0 = process.hrtime.bigint();
  const { report } = await runScan({ paths: [file], cwd: ROOT, jobs: 1 });
  const scanCpu = cpu() - c0;
  const scanWall = Number(process.hrtime.bigint() - t0) / 1e9;
  const counts: Record<string, number> = {};
  for (const f of report.findings) counts[f.ruleId] = (counts[f.ruleId] ?? 0) + 1;
  console.log(`  aigis whole scan (every dataset rule, one worker): ${scanCpu.toFixed(1)} s CPU, ${scanWall.toFixed(1)} s wall; findings ${JSON.stringify(counts)}`);
  const c1 = cpu();
  const loaded = await loadDataset(file, { labelColumn: "label" }, { maxInMemoryBytes: 1 << 30 });
  const doc = new DatasetDocument("bench.csv", loaded, th, undefined);
  const found = findLabelErrors(doc);
  const flagged = found ? found.estimate.issues.map((i) => i.row) : [];
  console.log(`  aigis label errors alone (load + ${doc.neighbours()!.method} + confident learning): ${(cpu() - c1).toFixed(1)} s CPU; ${fmt(f1(flagged, flipped))}`);
  // Exact search on 784 pixels is affordable on the first 6,000 rows: the switch on images.
  const n = 6_000;
  const cut: Synthetic = { data: loaded.features.data.slice(0, n * 784), rows: n, cols: 784, codes: loaded.label!.codes.slice(0, n), flipped: new Set([...flipped].filter((i) => i < n)) };
  // As the scan sees the CSV (same column names, same scaling).
  const asImages = (t: DatasetTable): DatasetTable => ({ ...t, features: { ...t.features, names: loaded.features.names }, ...(loaded.imageShape ? { imageShape: loaded.imageShape } : {}) });
  const runImages = (exactMaxRows: number): Run => {
    const d = new DatasetDocument("bench.csv", asImages(table(cut)), withExactMax(th, exactMaxRows), undefined);
    const c0 = cpu();
    d.neighbours();
    const c1 = cpu();
    const found = findLabelErrors(d);
    return { doc: d, flagged: found ? found.estimate.issues.map((i) => i.row) : [], nbSeconds: c1 - c0, seconds: cpu() - c0 };
  };
  const ex = runImages(n);
  const ap = runImages(n - 1);
  console.log(`  first 6,000 rows: exact on 784 pixels ${fmt(f1(ex.flagged, cut.flipped))} (${ex.nbSeconds.toFixed(1)} s CPU search) | approximate ${fmt(f1(ap.flagged, cut.flipped))} (${ap.nbSeconds.toFixed(1)} s)`);
  const ref = spawnSync("/usr/bin/time", ["-f", "%U %S %e", PYTHON, REFERENCE, file, "label"], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (ref.status !== 0) {
    console.log(`  reference: not run (${(ref.stderr || ref.error?.message || "").trim().split("\n").pop()})`);
    return;
  }
  const times = ref.stderr.trim().split("\n").pop()!.split(" ").map(Number);
  const refCpu = times[0]! + times[1]!;
  const out = JSON.parse(ref.stdout.trim().split("\n").pop()!) as { rows: number[] };
  console.log(`  reference (scikit-learn, 5-fold logistic regression + confident learning): ${refCpu.toFixed(1)} s CPU, ${times[2]!.toFixed(1)} s wall; ${fmt(f1(out.rows, flipped))}`);
  console.log(`  aigis / reference CPU: ${(scanCpu / refCpu).toFixed(2)}x (target <= 2x)`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const want = (s: string): boolean => args.length === 0 || args.includes(s);
  // AIGIS_BENCH_THRESHOLDS: overrides as in the config's scanners.datasets.thresholds (JSON), to measure other settings.
  const overrides = process.env["AIGIS_BENCH_THRESHOLDS"];
  const th = datasetThresholds(overrides ? JSON.parse(overrides) : undefined);
  if (want("cliff")) {
    cliff(th);
    digitsCliff(th);
  }
  if (want("large")) {
    const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
    large(th, sizes.length ? sizes : [100_000]);
  }
  if (want("wide")) await wide(th);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
