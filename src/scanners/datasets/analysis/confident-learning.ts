// Confident learning (Northcutt, Jiang and Chuang 2021; the method cleanlab implements) on
// out-of-sample class probabilities: per-class confidence thresholds, the confident joint
// (given label x likely true label), its calibration into an estimate of the noise matrix,
// and "prune by noise rate": for every off-diagonal cell (labelled i, likely j), the rows
// labelled i with the largest margin p(j) - p(i), as many as the cell estimates.
// The estimated noise matrix is also what names systematic relabelling: "31% of rows
// labelled 8 look like 3" is row 8, column 3 of it.

export interface ClassProbabilities {
  rows: number;
  classes: number;
  /** rows x classes, each row sums to 1; out-of-sample (the row's own label never voted). */
  p: Float64Array;
}

export interface NoiseEstimate {
  /** Per class: mean probability of the class among rows labelled with it. */
  thresholds: Float64Array;
  /** classes x classes: rows labelled i confidently counted as j (before calibration). */
  confidentJoint: Float64Array;
  /** classes x classes: estimated share of rows labelled i whose true class is j (rows sum to 1). */
  noiseMatrix: Float64Array;
  /** Rows labelled per class. */
  labelled: Float64Array;
  /** Rows judged mislabelled, with the class they most likely belong to, largest margin first. */
  issues: Array<{ row: number; given: number; likely: number; margin: number; selfConfidence: number }>;
}

/**
 * Confident-learning estimate. `codes[i] < 0` rows (missing labels) take no part.
 * Rows whose given label is also the model's top class are never issues (as in cleanlab).
 */
export function confidentLearning(probs: ClassProbabilities, codes: Int32Array): NoiseEstimate {
  const { rows, classes: K, p } = probs;
  const labelled = new Float64Array(K);
  const thresholds = new Float64Array(K);
  for (let i = 0; i < rows; i++) {
    const c = codes[i]!;
    if (c < 0) continue;
    labelled[c]!++;
    thresholds[c]! += p[i * K + c]!;
  }
  for (let c = 0; c < K; c++) thresholds[c] = labelled[c]! > 0 ? thresholds[c]! / labelled[c]! : 1;
  const joint = new Float64Array(K * K);
  for (let i = 0; i < rows; i++) {
    const given = codes[i]!;
    if (given < 0) continue;
    let best = -1;
    let bestP = -1;
    for (let c = 0; c < K; c++) {
      const v = p[i * K + c]!;
      if (v >= thresholds[c]! - 1e-12 && v > bestP) {
        best = c;
        bestP = v;
      }
    }
    if (best >= 0) joint[given * K + best]!++;
  }
  // Calibrate: each given-label row of the joint rescaled to the rows carrying that label.
  const noise = new Float64Array(K * K);
  const prune = new Float64Array(K * K);
  for (let g = 0; g < K; g++) {
    let sum = 0;
    for (let c = 0; c < K; c++) sum += joint[g * K + c]!;
    if (sum === 0) {
      noise[g * K + g] = 1;
      continue;
    }
    for (let c = 0; c < K; c++) {
      noise[g * K + c] = joint[g * K + c]! / sum;
      prune[g * K + c] = Math.round((joint[g * K + c]! / sum) * labelled[g]!);
    }
  }
  // Rows per given label, to rank them by margin for each likely class.
  const byGiven: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < rows; i++) if (codes[i]! >= 0) byGiven[codes[i]!]!.push(i);
  const chosen = new Map<number, { likely: number; margin: number }>();
  for (let g = 0; g < K; g++) {
    const members = byGiven[g]!;
    for (let c = 0; c < K; c++) {
      if (c === g) continue;
      const n = Math.min(prune[g * K + c]!, members.length);
      if (n <= 0) continue;
      const ranked = members.map((i) => ({ i, m: p[i * K + c]! - p[i * K + g]! })).sort((a, b) => b.m - a.m || a.i - b.i);
      for (const { i, m } of ranked.slice(0, n)) {
        const prev = chosen.get(i);
        if (!prev || m > prev.margin) chosen.set(i, { likely: c, margin: m });
      }
    }
  }
  const issues: NoiseEstimate["issues"] = [];
  for (const [row, { likely, margin }] of chosen) {
    const given = codes[row]!;
    // The model's top class is the given label: not an issue, whatever the ranking said.
    let top = 0;
    for (let c = 1; c < K; c++) if (p[row * K + c]! > p[row * K + top]!) top = c;
    if (top === given) continue;
    issues.push({ row, given, likely: top === likely ? likely : top, margin, selfConfidence: p[row * K + given]! });
  }
  issues.sort((a, b) => b.margin - a.margin || a.row - b.row);
  return { thresholds, confidentJoint: joint, noiseMatrix: noise, labelled, issues };
}

/** A (given, likely) pair of the noise matrix that stands out: a class systematically relabelled as another. */
export interface ClassPair {
  given: number;
  likely: number;
  /** Estimated share of rows labelled `given` whose true class is `likely`. */
  share: number;
  /** Rows flagged in this cell. */
  rows: number;
  /** The reverse share (rows labelled `likely` that look like `given`); overlap is symmetric, relabelling is not. */
  reverseShare: number;
}

/**
 * Class pairs among the flagged rows: (given, likely) cells holding at least `minRows` rows
 * and at least `minShare` of the rows labelled `given`, largest share first. Shares are of the
 * flagged rows (what the report lists), not of the calibrated joint, so the summary and the
 * per-row findings tell the same story.
 */
export function classPairs(est: NoiseEstimate, minShare: number, minRows: number): ClassPair[] {
  const K = est.labelled.length;
  const counts = new Float64Array(K * K);
  for (const is of est.issues) counts[is.given * K + is.likely]!++;
  const share = (g: number, c: number): number => (est.labelled[g]! > 0 ? counts[g * K + c]! / est.labelled[g]! : 0);
  const out: ClassPair[] = [];
  for (let g = 0; g < K; g++) {
    for (let c = 0; c < K; c++) {
      if (g === c) continue;
      const rows = counts[g * K + c]!;
      if (rows >= minRows && share(g, c) >= minShare) out.push({ given: g, likely: c, share: share(g, c), rows, reverseShare: share(c, g) });
    }
  }
  return out.sort((a, b) => b.share - a.share || b.rows - a.rows);
}

/**
 * Class probabilities from neighbour votes (the row's own vote is never among its
 * neighbours), distance-weighted and smoothed so no class is exactly 0.
 */
export function neighbourProbabilities(
  nb: { k: number; rows: number; index: Int32Array; dist: Float32Array },
  codes: Int32Array,
  classes: number,
  smoothing: number,
): ClassProbabilities {
  const K = classes;
  const p = new Float64Array(nb.rows * K);
  for (let i = 0; i < nb.rows; i++) {
    const base = i * K;
    let total = 0;
    for (let q = 0; q < nb.k; q++) {
      const j = nb.index[i * nb.k + q]!;
      if (j < 0) continue;
      const c = codes[j]!;
      if (c < 0) continue;
      // Rank weights (1, 1/2, ...) would over-trust the very nearest row; votes stay equal.
      p[base + c]! += 1;
      total += 1;
    }
    const denom = total + smoothing * K;
    for (let c = 0; c < K; c++) p[base + c] = denom > 0 ? (p[base + c]! + smoothing) / denom : 1 / K;
  }
  return { rows: nb.rows, classes: K, p };
}
