import { mulberry32 } from "../../../src/core/random";
import { findLabelErrors } from "../../../src/scanners/datasets/analysis/label-errors";
import { nearestNeighbours, type NeighbourOptions } from "../../../src/scanners/datasets/analysis/neighbours";
import { descendNeighbours } from "../../../src/scanners/datasets/analysis/nn-descent";
import { DatasetDocument } from "../../../src/scanners/datasets/document";
import { tableFromMatrix } from "../../../src/scanners/datasets/loaders/table-builder";
import { datasetThresholds, type DatasetThresholds } from "../../../src/scanners/datasets/thresholds";

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Rows on a curved 6-dimensional latent manifold embedded in `cols` dimensions, plus a little noise (real data's shape). */
function manifold(rows: number, cols: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const mix = Array.from({ length: 12 }, () => Array.from({ length: cols }, () => gaussian(r)));
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const z = Array.from({ length: 6 }, () => gaussian(r));
    const features = [...z, ...z.map((v) => Math.sin(2 * v))];
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let f = 0; f < 12; f++) s += features[f]! * mix[f]![j]!;
      x[i * cols + j] = s + 0.05 * gaussian(r);
    }
  }
  return x;
}

const OPTS: NeighbourOptions = { k: 10, exactMaxRows: 0, trees: 3, leafSize: 32, seed: 1, dims: 64, maxIterations: 6, minUpdateShare: 0.002, maxCandidates: 12 };

function recall(exact: Int32Array, approx: Int32Array, rows: number, k: number): number {
  let hit = 0;
  for (let i = 0; i < rows; i++) {
    const truth = new Set(exact.subarray(i * k, (i + 1) * k));
    for (let q = 0; q < k; q++) if (truth.has(approx[i * k + q]!)) hit++;
  }
  return hit / (rows * k);
}

describe("nearest-neighbour descent", () => {
  const rows = 5000;
  const cols = 32;
  const x = manifold(rows, cols, 9);
  const exact = nearestNeighbours(x, rows, cols, { ...OPTS, exactMaxRows: rows });

  it("finds most of the exact 10 nearest neighbours, far more than the forest alone", () => {
    const forest = descendNeighbours(x, rows, cols, { ...OPTS, maxIterations: 0 });
    const refined = nearestNeighbours(x, rows, cols, OPTS);
    expect(refined.method).toBe("nn-descent");
    const r0 = recall(exact.index, forest.index, rows, 10);
    const r1 = recall(exact.index, refined.index, rows, 10);
    expect(r1).toBeGreaterThan(0.9);
    expect(r1).toBeGreaterThan(r0 + 0.2);
  });

  it("lists are sorted, never hold the row itself or a duplicate, and distances are the true ones", () => {
    const nb = nearestNeighbours(x, rows, cols, OPTS);
    // Counted, then asserted once (an expect per entry makes the test slow, not stricter).
    const broken: string[] = [];
    for (let i = 0; i < rows; i++) {
      const seen = new Set<number>();
      for (let q = 0; q < 10; q++) {
        const j = nb.index[i * 10 + q]!;
        if (j < 0 || j === i || seen.has(j)) broken.push(`row ${i} entry ${q}: ${j}`);
        seen.add(j);
        if (q > 0 && nb.dist[i * 10 + q]! < nb.dist[i * 10 + q - 1]!) broken.push(`row ${i} unsorted at ${q}`);
        if (i % 97 === 0) {
          let d = 0;
          for (let c = 0; c < cols; c++) d += (x[i * cols + c]! - x[j * cols + c]!) ** 2;
          if (Math.abs(nb.dist[i * 10 + q]! - d) > 1e-3 * Math.max(1, d)) broken.push(`row ${i} entry ${q}: distance ${nb.dist[i * 10 + q]} against ${d}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("is deterministic for a seed, and another seed gives another (equally good) graph", () => {
    const a = descendNeighbours(x, rows, cols, OPTS);
    const b = descendNeighbours(x, rows, cols, OPTS);
    expect(Buffer.from(a.index.buffer).equals(Buffer.from(b.index.buffer))).toBe(true);
    expect(a.updates).toEqual(b.updates);
    const c = descendNeighbours(x, rows, cols, { ...OPTS, seed: 2 });
    expect(Buffer.from(a.index.buffer).equals(Buffer.from(c.index.buffer))).toBe(false);
    expect(recall(exact.index, c.index, rows, 10)).toBeGreaterThan(0.9);
  });

  it("stops when a round changes too little, and tolerates identical rows and tiny tables", () => {
    const g = descendNeighbours(x, rows, cols, { ...OPTS, maxIterations: 50, minUpdateShare: 0.01 });
    expect(g.updates.length).toBeLessThan(50);
    expect(g.updates[g.updates.length - 1]!).toBeLessThanOrEqual(0.01 * rows * 10);
    // 300 copies of one row: no direction to split on, every list still fills.
    const same = new Float32Array(300 * 4).fill(1);
    const s = descendNeighbours(same, 300, 4, OPTS);
    for (let i = 0; i < 300; i++) expect(s.index[i * 10 + 9]!).toBeGreaterThanOrEqual(0);
    const tiny = nearestNeighbours(new Float32Array([0, 1, 2, 3]), 4, 1, OPTS);
    expect(tiny.k).toBe(3);
    // Non-finite values (a hostile file) end, and never enter another row's list as "closest".
    const bad = Float32Array.from(x.subarray(0, 1000 * cols));
    for (let i = 0; i < 50; i++) bad[i * 20 * cols] = i % 2 ? NaN : Infinity;
    const g2 = descendNeighbours(bad, 1000, cols, OPTS);
    let nonFinite = 0;
    for (let i = 0; i < 1000; i++) {
      if (i % 20 === 0) continue;
      for (let q = 0; q < 10; q++) if (!Number.isFinite(g2.dist[i * 10 + q]!) && g2.index[i * 10 + q] !== -1) nonFinite++;
    }
    expect(nonFinite).toBe(0);
  });
});

describe("label errors: no precision cliff at the exact/approximate switch", () => {
  /** 10 overlapping Gaussian classes in 64 dimensions (the hardest case for an index), 10% uniform flips. */
  function noisyTable(rows: number): { data: Float32Array; labels: string[]; flipped: Set<number> } {
    const random = mulberry32(7);
    const cols = 64;
    const centres = Array.from({ length: 10 }, () => Array.from({ length: cols }, () => gaussian(random) * 0.45));
    const data = new Float32Array(rows * cols);
    const labels: string[] = [];
    const flipped = new Set<number>();
    for (let i = 0; i < rows; i++) {
      let c = Math.floor(random() * 10);
      for (let j = 0; j < cols; j++) data[i * cols + j] = centres[c]![j]! + gaussian(random);
      if (random() < 0.1) {
        c = (c + 1 + Math.floor(random() * 9)) % 10;
        flipped.add(i);
      }
      labels.push(String(c));
    }
    return { data, labels, flipped };
  }

  function f1(th: DatasetThresholds, t: ReturnType<typeof noisyTable>, rows: number): { f1: number; method: string } {
    const names = Array.from({ length: 64 }, (_, j) => `f${j}`);
    const doc = new DatasetDocument("noisy.csv", tableFromMatrix("csv", t.data, rows, 64, names, t.labels), th, undefined);
    const flagged = findLabelErrors(doc)!.estimate.issues.map((i) => i.row);
    const tp = flagged.filter((i) => t.flipped.has(i)).length;
    const p = tp / Math.max(1, flagged.length);
    const r = tp / t.flipped.size;
    return { f1: (2 * p * r) / (p + r), method: doc.neighbours()!.method };
  }

  it("F1 with the approximate index is within 0.05 of exact search on the same 3,000 rows", () => {
    const rows = 3000;
    const t = noisyTable(rows);
    const shipped = datasetThresholds();
    const exact = f1({ ...shipped, neighbours: { ...shipped.neighbours, exactMaxRows: rows } }, t, rows);
    const approx = f1({ ...shipped, neighbours: { ...shipped.neighbours, exactMaxRows: rows - 1 } }, t, rows);
    expect(exact.method).toBe("exact");
    expect(approx.method).toBe("nn-descent");
    expect(exact.f1).toBeGreaterThan(0.8);
    expect(Math.abs(approx.f1 - exact.f1)).toBeLessThan(0.05);
  });
});
