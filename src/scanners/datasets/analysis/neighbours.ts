// k nearest neighbours on standardised features. Exact (all pairs) up to a row limit; above
// it, approximate: wide rows (images) are first projected on their top principal components
// (randomized PCA), then a random-projection forest seeds every row's list and
// nearest-neighbour descent refines it (nn-descent.ts), so precision does not fall off a cliff
// at the switch. Memory is linear in the rows: rows x k indices and distances, never rows x rows.

import { mulberry32 } from "../../../core/random";
import type { FeatureMatrix } from "../loaders/types";
import { descendNeighbours } from "./nn-descent";

export interface Neighbours {
  k: number;
  rows: number;
  /** rows x k neighbour indices, nearest first; -1 where fewer than k were found. */
  index: Int32Array;
  /** rows x k squared distances, matching `index`. */
  dist: Float32Array;
  method: "exact" | "nn-descent";
}

/**
 * Standardised copy of the features (zero mean, unit variance per column). Images are scaled
 * by one global deviation instead, so blank border pixels do not turn noise into distance.
 */
export function standardise(m: FeatureMatrix, perColumn: boolean): Float32Array {
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const b = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = data[b + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  }
  const scale = new Float64Array(cols);
  let pooled = 0;
  for (let j = 0; j < cols; j++) {
    mean[j]! /= Math.max(1, rows);
    const variance = Math.max(0, sq[j]! / Math.max(1, rows) - mean[j]! * mean[j]!);
    pooled += variance;
    scale[j] = variance > 1e-12 ? 1 / Math.sqrt(variance) : 0;
  }
  if (!perColumn) {
    const s = pooled > 0 ? 1 / Math.sqrt(pooled / cols) : 0;
    scale.fill(s);
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const b = i * cols;
    for (let j = 0; j < cols; j++) out[b + j] = (data[b + j]! - mean[j]!) * scale[j]!;
  }
  return out;
}

function squaredDistance(x: Float32Array, a: number, b: number, cols: number): number {
  let s = 0;
  const pa = a * cols;
  const pb = b * cols;
  for (let j = 0; j < cols; j++) {
    const d = x[pa + j]! - x[pb + j]!;
    s += d * d;
  }
  return s;
}

/** Inserts (j, d) into row i's sorted neighbour list if it is closer than the worst and not already there. */
function offer(nb: Neighbours, i: number, j: number, d: number): void {
  const k = nb.k;
  const base = i * k;
  const { index, dist } = nb;
  if (d >= dist[base + k - 1]!) return;
  let p = k - 1;
  for (let q = 0; q < k; q++) if (index[base + q] === j) return;
  while (p > 0 && dist[base + p - 1]! > d) {
    dist[base + p] = dist[base + p - 1]!;
    index[base + p] = index[base + p - 1]!;
    p--;
  }
  dist[base + p] = d;
  index[base + p] = j;
}

function emptyNeighbours(rows: number, k: number, method: Neighbours["method"]): Neighbours {
  const index = new Int32Array(rows * k).fill(-1);
  const dist = new Float32Array(rows * k).fill(Infinity);
  return { k, rows, index, dist, method };
}

function allPairs(nb: Neighbours, x: Float32Array, cols: number, members: ArrayLike<number>, from = 0, to = members.length): void {
  for (let a = from; a < to; a++) {
    const i = members[a]!;
    for (let b = a + 1; b < to; b++) {
      const j = members[b]!;
      const d = squaredDistance(x, i, j, cols);
      offer(nb, i, j, d);
      offer(nb, j, i, d);
    }
  }
}

/** Deterministic PRNG so findings are stable between runs. */
export const rng = mulberry32;

/** Eigenvalues and eigenvectors (columns of `vectors`, row-major n x n) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const vec = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vec[i * n + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - sn * akq;
          a[k * n + q] = sn * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - sn * aqk;
          a[q * n + k] = sn * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = vec[k * n + p]!;
          const vkq = vec[k * n + q]!;
          vec[k * n + p] = c * vkp - sn * vkq;
          vec[k * n + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: vec };
}

/** Columns up to this many: the covariance is decomposed exactly (Jacobi); wider data uses randomized subspace iteration. */
export const EXACT_PCA_MAX_COLS = 64;

/**
 * Rows projected on the top principal components, estimated on a sample of rows. Narrow data:
 * exact eigen-decomposition of the covariance. Wide data (images): randomized subspace
 * iteration (Halko, Martinsson and Tropp 2011) on the centred sample, O(sample x cols x dims)
 * instead of the O(cols^3) per sweep of Jacobi on a 784 x 784 covariance.
 */
export function principalProjection(x: Float32Array, rows: number, cols: number, dims: number, seed: number): Float32Array {
  const random = rng(seed);
  const wide = cols > EXACT_PCA_MAX_COLS;
  const sampleSize = Math.min(rows, wide ? 5_000 : 20_000);
  const mean = new Float64Array(cols);
  const picks = Array.from({ length: sampleSize }, () => Math.floor(random() * rows));
  for (const i of picks) for (let j = 0; j < cols; j++) mean[j]! += x[i * cols + j]!;
  for (let j = 0; j < cols; j++) mean[j]! /= sampleSize;
  const basis = wide ? randomizedBasis(x, cols, picks, mean, dims, random) : exactBasis(x, cols, picks, mean, dims);
  const out = new Float32Array(rows * dims);
  const centred = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const b = i * cols;
    for (let j = 0; j < cols; j++) centred[j] = x[b + j]! - mean[j]!;
    for (let d = 0; d < dims; d++) {
      let s = 0;
      const bb = d * cols;
      for (let j = 0; j < cols; j++) s += centred[j]! * basis[bb + j]!;
      out[i * dims + d] = s;
    }
  }
  return out;
}

/** dims x cols: the top eigenvectors of the sample covariance, by Jacobi. */
function exactBasis(x: Float32Array, cols: number, picks: number[], mean: Float64Array, dims: number): Float64Array {
  const cov = new Float64Array(cols * cols);
  const row = new Float64Array(cols);
  for (const i of picks) {
    for (let j = 0; j < cols; j++) row[j] = x[i * cols + j]! - mean[j]!;
    for (let p = 0; p < cols; p++) {
      const rp = row[p]!;
      for (let q = p; q < cols; q++) cov[p * cols + q]! += rp * row[q]!;
    }
  }
  for (let p = 0; p < cols; p++) for (let q = p; q < cols; q++) cov[q * cols + p] = cov[p * cols + q]! /= picks.length;
  const { values, vectors } = symmetricEigen(cov, cols);
  const order = Array.from({ length: cols }, (_, i) => i).sort((a, b) => values[b]! - values[a]!).slice(0, dims);
  const basis = new Float64Array(dims * cols);
  order.forEach((e, d) => {
    for (let j = 0; j < cols; j++) basis[d * cols + j] = vectors[j * cols + e]!;
  });
  return basis;
}

/** dims x cols: top principal directions by randomized subspace iteration on the centred sample. */
function randomizedBasis(x: Float32Array, cols: number, picks: number[], mean: Float64Array, dims: number, random: () => number): Float64Array {
  const m = picks.length;
  const l = Math.min(cols, dims + 10);
  // Centred sample, m x cols.
  const a = new Float64Array(m * cols);
  picks.forEach((i, r) => {
    for (let j = 0; j < cols; j++) a[r * cols + j] = x[i * cols + j]! - mean[j]!;
  });
  // Q: cols x l (column-major: l vectors of length cols), random start.
  let q = new Float64Array(l * cols);
  for (let t = 0; t < q.length; t++) q[t] = random() - 0.5;
  orthonormalise(q, l, cols);
  const y = new Float64Array(l * m);
  for (let iter = 0; iter < 4; iter++) {
    multiplyA(a, m, cols, q, l, y); // y = A q   (l vectors of length m)
    orthonormalise(y, l, m);
    q = new Float64Array(l * cols);
    multiplyAT(a, m, cols, y, l, q); // q = A^T y (l vectors of length cols)
    orthonormalise(q, l, cols);
  }
  // Rayleigh-Ritz: B = (A q)^T (A q), l x l, decomposed exactly.
  multiplyA(a, m, cols, q, l, y);
  const b = new Float64Array(l * l);
  for (let u = 0; u < l; u++) {
    for (let v = u; v < l; v++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += y[u * m + r]! * y[v * m + r]!;
      b[u * l + v] = b[v * l + u] = s / m;
    }
  }
  const { values, vectors } = symmetricEigen(b, l);
  const order = Array.from({ length: l }, (_, i) => i).sort((p1, p2) => values[p2]! - values[p1]!).slice(0, dims);
  const basis = new Float64Array(dims * cols);
  order.forEach((e, d) => {
    for (let u = 0; u < l; u++) {
      const w = vectors[u * l + e]!;
      for (let j = 0; j < cols; j++) basis[d * cols + j]! += w * q[u * cols + j]!;
    }
  });
  return basis;
}

/** out (k vectors of length m) = A (m x n) times each of k vectors of length n. */
function multiplyA(a: Float64Array, m: number, n: number, v: Float64Array, k: number, out: Float64Array): void {
  for (let u = 0; u < k; u++) {
    const vb = u * n;
    for (let r = 0; r < m; r++) {
      let s = 0;
      const ab = r * n;
      for (let j = 0; j < n; j++) s += a[ab + j]! * v[vb + j]!;
      out[u * m + r] = s;
    }
  }
}

/** out (k vectors of length n) = A^T (n x m) times each of k vectors of length m. */
function multiplyAT(a: Float64Array, m: number, n: number, v: Float64Array, k: number, out: Float64Array): void {
  out.fill(0);
  for (let r = 0; r < m; r++) {
    const ab = r * n;
    for (let u = 0; u < k; u++) {
      const w = v[u * m + r]!;
      if (w === 0) continue;
      const ob = u * n;
      for (let j = 0; j < n; j++) out[ob + j]! += w * a[ab + j]!;
    }
  }
}

/** Modified Gram-Schmidt over k vectors of length n stored one after another. */
function orthonormalise(v: Float64Array, k: number, n: number): void {
  for (let u = 0; u < k; u++) {
    const ub = u * n;
    for (let w = 0; w < u; w++) {
      const wb = w * n;
      let dot = 0;
      for (let j = 0; j < n; j++) dot += v[ub + j]! * v[wb + j]!;
      for (let j = 0; j < n; j++) v[ub + j]! -= dot * v[wb + j]!;
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += v[ub + j]! * v[ub + j]!;
    norm = Math.sqrt(norm);
    for (let j = 0; j < n; j++) v[ub + j] = norm > 1e-12 ? v[ub + j]! / norm : 0;
  }
}

export interface NeighbourOptions {
  k: number;
  exactMaxRows: number;
  trees: number;
  leafSize: number;
  seed: number;
  /** Above exactMaxRows, rows wider than this are projected on this many principal components. */
  dims: number;
  /** Nearest-neighbour descent rounds after the forest (at most). */
  maxIterations: number;
  /** A round changing fewer than this share of the rows x k entries ends the descent. */
  minUpdateShare: number;
  /** Candidates sampled per row and round. */
  maxCandidates: number;
  onProgress?: (fraction: number) => void;
}

export function nearestNeighbours(x: Float32Array, rows: number, cols: number, opts: NeighbourOptions): Neighbours {
  const k = Math.max(1, Math.min(opts.k, rows - 1));
  if (rows <= opts.exactMaxRows) {
    const nb = emptyNeighbours(rows, k, "exact");
    const all = new Int32Array(rows);
    for (let i = 0; i < rows; i++) all[i] = i;
    allPairs(nb, x, cols, all);
    return nb;
  }
  if (cols > opts.dims) {
    x = principalProjection(x, rows, cols, opts.dims, opts.seed);
    cols = opts.dims;
  }
  const graph = descendNeighbours(x, rows, cols, {
    k,
    trees: opts.trees,
    leafSize: opts.leafSize,
    seed: opts.seed,
    maxIterations: opts.maxIterations,
    minUpdateShare: opts.minUpdateShare,
    maxCandidates: opts.maxCandidates,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return { k, rows, index: graph.index, dist: graph.dist, method: "nn-descent" };
}
