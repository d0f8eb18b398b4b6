// k nearest neighbours on standardised features. Exact (all pairs) up to a row limit; above
// it a random-projection forest (each tree splits at the median of the projection on the
// line through two random points; neighbours are searched exactly within each leaf, and the
// trees' candidates are merged). Memory is linear in the rows: rows x k indices and distances.

import type { FeatureMatrix } from "../loaders/types";

export interface Neighbours {
  k: number;
  rows: number;
  /** rows x k neighbour indices, nearest first; -1 where fewer than k were found. */
  index: Int32Array;
  /** rows x k squared distances, matching `index`. */
  dist: Float32Array;
  method: "exact" | "random-projection-forest";
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

/** Deterministic PRNG (mulberry32) so findings are stable between runs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rearranges idx[lo..hi) so the element of rank `nth` sits there, smaller projections before it. */
function quickselect(idx: Int32Array, proj: Float64Array, lo: number, hi: number, nth: number): void {
  let l = lo;
  let h = hi - 1;
  while (l < h) {
    const pivot = proj[(l + h) >>> 1]!;
    let i = l;
    let j = h;
    while (i <= j) {
      while (proj[i]! < pivot) i++;
      while (proj[j]! > pivot) j--;
      if (i <= j) {
        const tp = proj[i]!;
        proj[i] = proj[j]!;
        proj[j] = tp;
        const ti = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = ti;
        i++;
        j--;
      }
    }
    if (nth <= j) h = j;
    else if (nth >= i) l = i;
    else return;
  }
}

export interface NeighbourOptions {
  k: number;
  exactMaxRows: number;
  trees: number;
  leafSize: number;
  seed: number;
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
  const nb = emptyNeighbours(rows, k, "random-projection-forest");
  const random = rng(opts.seed);
  const idx = new Int32Array(rows);
  const proj = new Float64Array(rows);
  const dir = new Float64Array(cols);
  const mid = new Float64Array(cols);
  const leaf = Math.max(opts.leafSize, k + 1);
  for (let t = 0; t < opts.trees; t++) {
    for (let i = 0; i < rows; i++) idx[i] = i;
    const stack: Array<[number, number]> = [[0, rows]];
    let done = 0;
    while (stack.length > 0) {
      const [lo, hi] = stack.pop()!;
      const n = hi - lo;
      if (n <= leaf) {
        allPairs(nb, x, cols, idx, lo, hi);
        done += n;
        if (opts.onProgress && (done & 0xffff) < n) opts.onProgress((t + done / rows) / opts.trees);
        continue;
      }
      const a = idx[lo + Math.floor(random() * n)]!;
      let b = idx[lo + Math.floor(random() * n)]!;
      for (let tries = 0; tries < 4 && b === a; tries++) b = idx[lo + Math.floor(random() * n)]!;
      for (let j = 0; j < cols; j++) {
        dir[j] = x[a * cols + j]! - x[b * cols + j]!;
        mid[j] = (x[a * cols + j]! + x[b * cols + j]!) / 2;
      }
      for (let p = lo; p < hi; p++) {
        const base = idx[p]! * cols;
        let s = 0;
        for (let j = 0; j < cols; j++) s += (x[base + j]! - mid[j]!) * dir[j]!;
        // A tiny jitter breaks ties between identical rows so the split stays balanced.
        proj[p] = s + (random() - 0.5) * 1e-9;
      }
      const m = lo + (n >>> 1);
      quickselect(idx, proj, lo, hi, m);
      stack.push([lo, m], [m, hi]);
    }
  }
  opts.onProgress?.(1);
  return nb;
}
