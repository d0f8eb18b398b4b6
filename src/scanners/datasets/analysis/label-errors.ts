// Label errors from out-of-sample class probabilities: neighbour votes on numeric features
// (own row excluded), or a cross-validated linear model on hashed TF-IDF of the text column;
// then confident learning. A second round re-counts the votes with the first round's suspects
// under their likely class, so a block of rows flipped together (class-conditional poisoning)
// stops vouching for itself.

import type { DatasetDocument } from "../document";
import { classPairs, confidentLearning, neighbourProbabilities, type ClassPair, type ClassProbabilities, type NoiseEstimate } from "./confident-learning";
import { crossValidatedProbabilities, type SparseRows } from "./text-model";
import { textModelOf } from "./text-evidence";

/** A dense row-major matrix as sparse rows (every entry kept), for the linear model. */
export function denseRows(x: Float32Array, rows: number, cols: number): SparseRows {
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    indptr[i + 1] = (i + 1) * cols;
    for (let j = 0; j < cols; j++) indices[i * cols + j] = j;
  }
  return { rows, dims: cols, indptr, indices, values: x };
}

export type LabelErrorMethod = "neighbour-votes" | "text-model";

export interface LabelErrors {
  method: LabelErrorMethod;
  estimate: NoiseEstimate;
  pairs: ClassPair[];
}

/** Why label errors cannot be looked for in this table, or undefined when they can. */
export function labelErrorsUnavailable(doc: DatasetDocument): string | undefined {
  const label = doc.table.label;
  if (!label) return "no label column was found (name it with --label-column)";
  if (label.classes.length < 2) return `the label column ${label.name} holds a single class`;
  const min = doc.thresholds.labelNoise.minRows;
  let labelled = 0;
  for (const c of label.codes) if (c >= 0) labelled++;
  if (labelled < min) return `only ${labelled} rows carry a label, and the check needs ${min}`;
  const { rows, cols } = doc.table.features;
  if (cols > 0 && rows >= 3) return undefined;
  if (doc.table.textColumn && rows >= 3) return undefined;
  return "the table has no numeric feature column and no text column to compare rows by";
}

export function findLabelErrors(doc: DatasetDocument): LabelErrors | undefined {
  if (labelErrorsUnavailable(doc) !== undefined) return undefined;
  const label = doc.table.label!;
  const t = doc.thresholds.labelNoise;
  const K = label.classes.length;
  let method: LabelErrorMethod;
  let probs: ClassProbabilities;
  let estimate: NoiseEstimate;
  const nb = doc.table.features.cols > 0 ? doc.neighbours() : undefined;
  if (nb) {
    method = "neighbour-votes";
    probs = neighbourProbabilities(nb, label.codes, K, t.smoothing);
    // A linear model's held-out probabilities, averaged in where the table is small enough:
    // neighbours see local structure, the linear model the class boundary a block of flipped
    // rows cannot move (the combination recovers one-directional flips neighbours miss).
    const { rows, cols } = doc.table.features;
    const lm = t.linearModel;
    const lin = rows * cols <= lm.maxCells ? crossValidatedProbabilities(denseRows(doc.standardised(), rows, cols), label.codes, K, { ...lm, hashBits: 0, maxTextChars: 0 }) : undefined;
    if (lin) for (let q = 0; q < probs.p.length; q++) probs.p[q] = (probs.p[q]! + lin.p[q]!) / 2;
    estimate = confidentLearning(probs, label.codes);
    addUnanimousDissent(estimate, nb, label.codes, label.codes, K, t, lin);
    for (let round = 1; round < t.rounds && estimate.issues.length > 0; round++) {
      const voters = Int32Array.from(label.codes);
      for (const is of estimate.issues) voters[is.row] = is.likely;
      const again = neighbourProbabilities(nb, voters, K, t.smoothing);
      if (lin) for (let q = 0; q < again.p.length; q++) again.p[q] = (again.p[q]! + lin.p[q]!) / 2;
      estimate = confidentLearning(again, label.codes);
      addUnanimousDissent(estimate, nb, voters, label.codes, K, t, lin);
    }
  } else {
    method = "text-model";
    // Shared with the text-trigger check (one cross-validation per document).
    probs = textModelOf(doc)!.probs;
    estimate = confidentLearning(probs, label.codes);
  }
  return { method, estimate, pairs: classPairs(estimate, t.minPairShare, t.minPairRows) };
}

/**
 * Rows whose neighbours (suspects voting under their likely class) almost all carry one other
 * label are mislabelled whatever the per-class thresholds say: on small sets confident
 * learning's thresholds are coarse and miss some of them. Only in classes whose estimated
 * noise rate (off-diagonal share of the noise matrix) reaches `dissentMinClassNoise`: in a
 * clean set the few rows that sit among another class are class overlap, not noise.
 */
function addUnanimousDissent(
  est: NoiseEstimate,
  nb: { k: number; rows: number; index: Int32Array },
  voters: Int32Array,
  codes: Int32Array,
  K: number,
  t: { voteMaxAgreement: number; voteMinOtherShare: number; dissentMinClassNoise: number },
  /** When a second model is at hand, it must not put the row in its own class either. */
  second: ClassProbabilities | undefined,
): void {
  const maxAgreement = t.voteMaxAgreement;
  const minOtherShare = t.voteMinOtherShare;
  const noisy = new Uint8Array(K);
  for (let g = 0; g < K; g++) noisy[g] = 1 - est.noiseMatrix[g * K + g]! >= t.dissentMinClassNoise ? 1 : 0;
  const have = new Set(est.issues.map((i) => i.row));
  const votes = new Int32Array(K);
  for (let i = 0; i < nb.rows; i++) {
    const own = codes[i]!;
    if (own < 0 || have.has(i) || !noisy[own]) continue;
    votes.fill(0);
    let valid = 0;
    for (let q = 0; q < nb.k; q++) {
      const j = nb.index[i * nb.k + q]!;
      if (j < 0 || voters[j]! < 0) continue;
      votes[voters[j]!]!++;
      valid++;
    }
    if (valid === 0 || votes[own]! / valid > maxAgreement) continue;
    let best = own === 0 ? 1 : 0;
    for (let c = 0; c < K; c++) if (c !== own && votes[c]! > votes[best]!) best = c;
    if (votes[best]! / valid < minOtherShare) continue;
    if (second) {
      let top = 0;
      for (let c = 1; c < K; c++) if (second.p[i * K + c]! > second.p[i * K + top]!) top = c;
      if (top === own) continue;
    }
    est.issues.push({ row: i, given: own, likely: best, margin: (votes[best]! - votes[own]!) / valid, selfConfidence: votes[own]! / valid });
  }
  est.issues.sort((a, b) => b.margin - a.margin || a.row - b.row);
}
