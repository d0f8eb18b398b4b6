import { mulberry32 } from "../../../src/core/random";
import { EXACT_PCA_MAX_COLS, nearestNeighbours, principalProjection, symmetricEigen } from "../../../src/scanners/datasets/analysis/neighbours";
import { seeded } from "./helpers";

function clustered(rows: number, cols: number, seed: number): Float32Array {
  const r = seeded(seed);
  const centres = Array.from({ length: 8 }, () => Array.from({ length: cols }, () => (r() - 0.5) * 20));
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const c = centres[i % 8]!;
    for (let j = 0; j < cols; j++) x[i * cols + j] = c[j]! + (r() + r() + r() - 1.5);
  }
  return x;
}

describe("nearest neighbours", () => {
  it("exact search never returns the row itself and sorts by distance", () => {
    const x = clustered(300, 6, 1);
    const nb = nearestNeighbours(x, 300, 6, { k: 5, exactMaxRows: 1000, trees: 1, leafSize: 32, seed: 1, dims: 16, maxIterations: 4, minUpdateShare: 0.002, maxCandidates: 12 });
    expect(nb.method).toBe("exact");
    for (let i = 0; i < 300; i++) {
      for (let q = 0; q < 5; q++) expect(nb.index[i * 5 + q]).not.toBe(i);
      for (let q = 1; q < 5; q++) expect(nb.dist[i * 5 + q]!).toBeGreaterThanOrEqual(nb.dist[i * 5 + q - 1]!);
    }
  });

  it("the approximate index (forest + descent) recovers most exact neighbours and the same cluster", () => {
    const rows = 4000;
    const cols = 24;
    const x = clustered(rows, cols, 2);
    const exact = nearestNeighbours(x, rows, cols, { k: 10, exactMaxRows: rows, trees: 2, leafSize: 64, seed: 1, dims: 16, maxIterations: 4, minUpdateShare: 0.002, maxCandidates: 12 });
    const approx = nearestNeighbours(x, rows, cols, { k: 10, exactMaxRows: 100, trees: 2, leafSize: 64, seed: 1, dims: 16, maxIterations: 4, minUpdateShare: 0.002, maxCandidates: 12 });
    expect(approx.method).toBe("nn-descent");
    let shared = 0;
    let sameCluster = 0;
    for (let i = 0; i < rows; i++) {
      const truth = new Set(exact.index.subarray(i * 10, i * 10 + 10));
      for (let q = 0; q < 10; q++) {
        const j = approx.index[i * 10 + q]!;
        if (truth.has(j)) shared++;
        if (j >= 0 && j % 8 === i % 8) sameCluster++;
      }
    }
    expect(shared / (rows * 10)).toBeGreaterThan(0.3);
    expect(sameCluster / (rows * 10)).toBeGreaterThan(0.99);
  });

  it("Jacobi eigen decomposition and the principal projection", () => {
    const m = Float64Array.from([4, 1, 0, 1, 3, 0, 0, 0, 1]);
    const { values } = symmetricEigen(m, 3);
    const sorted = Array.from(values).sort((a, b) => b - a);
    expect(sorted[0]).toBeCloseTo((7 + Math.sqrt(5)) / 2, 6);
    expect(sorted[2]).toBeCloseTo(1, 6);
    // Points on a line: one component holds all the variance.
    const x = new Float32Array(200 * 3);
    for (let i = 0; i < 200; i++) [x[i * 3], x[i * 3 + 1], x[i * 3 + 2]] = [i, 2 * i, -i];
    const p = principalProjection(x, 200, 3, 2, 1);
    let second = 0;
    for (let i = 0; i < 200; i++) second = Math.max(second, Math.abs(p[i * 2 + 1]!));
    expect(second).toBeLessThan(1e-2);
  });

  it("randomized subspace iteration on wide data finds the same top components as the exact decomposition", () => {
    // 100 columns (wider than the exact limit), 3 strong latent directions plus noise.
    const rows = 1500;
    const cols = 100;
    const r = mulberry32(4);
    const dirs = [0, 1, 2].map(() => Array.from({ length: cols }, () => r() - 0.5));
    const x = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const z = [10 * (r() - 0.5), 6 * (r() - 0.5), 3 * (r() - 0.5)];
      for (let j = 0; j < cols; j++) x[i * cols + j] = z[0]! * dirs[0]![j]! + z[1]! * dirs[1]![j]! + z[2]! * dirs[2]![j]! + 0.05 * (r() - 0.5);
    }
    expect(cols).toBeGreaterThan(EXACT_PCA_MAX_COLS);
    const p = principalProjection(x, rows, cols, 3, 1);
    // Variance kept by the 3 projected coordinates against the total: almost all of it.
    let kept = 0;
    let total = 0;
    const mean = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j]! += x[i * cols + j]! / rows;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) total += (x[i * cols + j]! - mean[j]!) ** 2;
      for (let d = 0; d < 3; d++) kept += p[i * 3 + d]! ** 2;
    }
    expect(kept / total).toBeGreaterThan(0.995);
  });
});
