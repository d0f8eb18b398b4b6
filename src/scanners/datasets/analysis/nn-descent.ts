// Approximate k nearest neighbours for tables too large for all pairs: a small forest of
// random-projection trees gives every row a first neighbour list, then nearest-neighbour
// descent (Dong, Moses and Li 2011, "Efficient k-nearest neighbor graph construction for
// generic similarity measures"; the refinement pynndescent and UMAP use) improves the lists:
// a neighbour of a neighbour is probably a neighbour, so each round compares the rows that
// share a row in their neighbour lists (forward and reverse, new entries only against the
// rest) and keeps the closer ones. Rounds stop when fewer than `minUpdateShare` of the
// rows x k entries changed, or after `maxIterations`. Time is about rows x (trees x leafSize
// + iterations x maxCandidates²) distances; memory is linear in the rows (rows x k lists, plus
// rows x maxCandidates x 2 candidate lists during a round), never rows x rows.

import { mulberry32 } from "../../../core/random";

export interface DescentOptions {
  k: number;
  trees: number;
  leafSize: number;
  seed: number;
  maxIterations: number;
  /** A round that changes fewer than this share of the rows x k entries ends the descent. */
  minUpdateShare: number;
  /** Rows sampled per row and round into the new and into the old candidate lists. */
  maxCandidates: number;
  onProgress?: (fraction: number) => void;
}

export interface DescentGraph {
  k: number;
  rows: number;
  index: Int32Array;
  dist: Float32Array;
  /** Entries changed by each descent round, in order. */
  updates: number[];
}

/** Squared Euclidean distance; four running sums let the CPU overlap the additions. */
function squaredDistance(x: Float32Array, a: number, b: number, cols: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const pa = a * cols;
  const pb = b * cols;
  const end = cols & ~3;
  let j = 0;
  for (; j < end; j += 4) {
    const d0 = x[pa + j]! - x[pb + j]!;
    const d1 = x[pa + j + 1]! - x[pb + j + 1]!;
    const d2 = x[pa + j + 2]! - x[pb + j + 2]!;
    const d3 = x[pa + j + 3]! - x[pb + j + 3]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; j < cols; j++) {
    const d = x[pa + j]! - x[pb + j]!;
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}

/** Rows x k sorted neighbour lists with a "new since last round" flag per entry. */
class NeighbourLists {
  readonly index: Int32Array;
  readonly dist: Float32Array;
  readonly fresh: Uint8Array;
  constructor(
    readonly rows: number,
    readonly k: number,
  ) {
    this.index = new Int32Array(rows * k).fill(-1);
    this.dist = new Float32Array(rows * k).fill(Infinity);
    this.fresh = new Uint8Array(rows * k);
  }

  /** Inserts j into row i's list when closer than its worst entry and not already there; 1 when inserted. */
  offer(i: number, j: number, d: number): number {
    const k = this.k;
    const base = i * k;
    const { index, dist, fresh } = this;
    if (!(d < dist[base + k - 1]!)) return 0;
    for (let q = 0; q < k; q++) if (index[base + q] === j) return 0;
    let p = k - 1;
    while (p > 0 && dist[base + p - 1]! > d) {
      dist[base + p] = dist[base + p - 1]!;
      index[base + p] = index[base + p - 1]!;
      fresh[base + p] = fresh[base + p - 1]!;
      p--;
    }
    dist[base + p] = d;
    index[base + p] = j;
    fresh[base + p] = 1;
    return 1;
  }
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

/**
 * One random-projection tree: each node splits its rows at the median of their projection on
 * the line through two of its rows (picked at random), down to leaves of at most `leaf` rows,
 * whose pairs are offered to the lists. Median splits keep the depth at log2(rows / leaf).
 */
function plantTree(lists: NeighbourLists | undefined, x: Float32Array, rows: number, cols: number, leaf: number, random: () => number): Int32Array {
  const idx = new Int32Array(rows);
  for (let i = 0; i < rows; i++) idx[i] = i;
  const proj = new Float64Array(rows);
  const dir = new Float64Array(cols);
  const stack: Array<[number, number]> = [[0, rows]];
  while (stack.length > 0) {
    const [lo, hi] = stack.pop()!;
    const n = hi - lo;
    if (n <= leaf) {
      if (!lists) continue;
      for (let a = lo; a < hi; a++) {
        const i = idx[a]!;
        for (let b = a + 1; b < hi; b++) {
          const j = idx[b]!;
          const d = squaredDistance(x, i, j, cols);
          lists.offer(i, j, d);
          lists.offer(j, i, d);
        }
      }
      continue;
    }
    const r1 = idx[lo + Math.floor(random() * n)]! * cols;
    const r2 = idx[lo + Math.floor(random() * n)]! * cols;
    let norm = 0;
    for (let j = 0; j < cols; j++) {
      dir[j] = x[r1 + j]! - x[r2 + j]!;
      norm += dir[j]! * dir[j]!;
    }
    // Two identical rows give no direction: fall back to a random one.
    if (norm < 1e-12) for (let j = 0; j < cols; j++) dir[j] = random() - 0.5;
    for (let p = lo; p < hi; p++) {
      const base = idx[p]! * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += x[base + j]! * dir[j]!;
      proj[p] = s;
    }
    const m = lo + (n >>> 1);
    quickselect(idx, proj, lo, hi, m);
    stack.push([m, hi], [lo, m]);
  }
  return idx;
}

/** Adds j to row i's candidate list (capacity m) by reservoir sampling, without duplicates. */
function sample(list: Int32Array, seen: Int32Array, i: number, j: number, m: number, random: () => number): void {
  const base = i * m;
  const filled = Math.min(seen[i]!, m);
  for (let q = 0; q < filled; q++) if (list[base + q] === j) return;
  const n = seen[i]!++;
  if (n < m) list[base + n] = j;
  else {
    const r = Math.floor(random() * (n + 1));
    if (r < m) list[base + r] = j;
  }
}

export function descendNeighbours(original: Float32Array, rows: number, cols: number, opts: DescentOptions): DescentGraph {
  const k = Math.max(1, Math.min(opts.k, rows - 1));
  const lists = new NeighbourLists(rows, k);
  const random = mulberry32(opts.seed);
  const leaf = Math.max(opts.leafSize, k + 1);
  // Rows are copied in the leaf order of one tree, so rows compared together mostly sit near
  // each other in memory (on a million rows the search is bound by cache misses, not arithmetic).
  const order = plantTree(undefined, original, rows, cols, leaf, random);
  const x = new Float32Array(rows * cols);
  for (let p = 0; p < rows; p++) x.set(original.subarray(order[p]! * cols, (order[p]! + 1) * cols), p * cols);
  const steps = opts.trees + opts.maxIterations;
  for (let t = 0; t < opts.trees; t++) {
    plantTree(lists, x, rows, cols, leaf, random);
    opts.onProgress?.((t + 1) / steps);
  }
  const m = Math.max(2, opts.maxCandidates);
  const fresh = new Int32Array(rows * m);
  const old = new Int32Array(rows * m);
  const freshSeen = new Int32Array(rows);
  const oldSeen = new Int32Array(rows);
  const updates: number[] = [];
  const { index, fresh: isFresh } = lists;
  for (let iter = 0; iter < opts.maxIterations; iter++) {
    freshSeen.fill(0);
    oldSeen.fill(0);
    // Candidates: each row's neighbours and the rows that list it, split into new and old.
    for (let i = 0; i < rows; i++) {
      const base = i * k;
      for (let q = 0; q < k; q++) {
        const j = index[base + q]!;
        if (j < 0) continue;
        if (isFresh[base + q]) {
          sample(fresh, freshSeen, i, j, m, random);
          sample(fresh, freshSeen, j, i, m, random);
        } else {
          sample(old, oldSeen, i, j, m, random);
          sample(old, oldSeen, j, i, m, random);
        }
      }
    }
    // The new entries that made it into a candidate list are compared this round: no longer new.
    for (let i = 0; i < rows; i++) {
      const base = i * k;
      const fb = i * m;
      const nf = Math.min(freshSeen[i]!, m);
      for (let q = 0; q < k; q++) {
        if (!isFresh[base + q]) continue;
        const j = index[base + q]!;
        for (let c = 0; c < nf; c++) {
          if (fresh[fb + c] === j) {
            isFresh[base + q] = 0;
            break;
          }
        }
      }
    }
    let changed = 0;
    for (let i = 0; i < rows; i++) {
      const fb = i * m;
      const nf = Math.min(freshSeen[i]!, m);
      const no = Math.min(oldSeen[i]!, m);
      for (let a = 0; a < nf; a++) {
        const p = fresh[fb + a]!;
        for (let b = a + 1; b < nf; b++) {
          const q = fresh[fb + b]!;
          const d = squaredDistance(x, p, q, cols);
          changed += lists.offer(p, q, d) + lists.offer(q, p, d);
        }
        for (let b = 0; b < no; b++) {
          const q = old[fb + b]!;
          if (q === p) continue;
          const d = squaredDistance(x, p, q, cols);
          changed += lists.offer(p, q, d) + lists.offer(q, p, d);
        }
      }
    }
    updates.push(changed);
    opts.onProgress?.((opts.trees + iter + 1) / steps);
    if (changed <= opts.minUpdateShare * rows * k) break;
  }
  opts.onProgress?.(1);
  // Back to the caller's row numbers.
  const outIndex = new Int32Array(rows * k);
  const outDist = new Float32Array(rows * k);
  for (let p = 0; p < rows; p++) {
    const to = order[p]! * k;
    for (let q = 0; q < k; q++) {
      const j = index[p * k + q]!;
      outIndex[to + q] = j < 0 ? -1 : order[j]!;
      outDist[to + q] = lists.dist[p * k + q]!;
    }
  }
  return { k, rows, index: outIndex, dist: outDist, updates };
}
