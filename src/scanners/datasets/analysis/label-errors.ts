// Label errors from out-of-sample class probabilities: neighbour votes on numeric features
// (own row excluded), or a cross-validated linear model on hashed TF-IDF of the text column;
// then confident learning. A second round re-counts the votes with the first round's suspects
// under their likely class, so a block of rows flipped together (class-conditional poisoning)
// stops vouching for itself.

import type { DatasetDocument } from "../document";
import { classPairs, confidentLearning, neighbourProbabilities, type ClassPair, type ClassProbabilities, type NoiseEstimate } from "./confident-learning";
import { crossValidatedProbabilities, hashedTfidf } from "./text-model";

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
    estimate = confidentLearning(probs, label.codes);
    if (t.rounds > 1 && estimate.issues.length > 0) {
      const voters = Int32Array.from(label.codes);
      for (const is of estimate.issues) voters[is.row] = is.likely;
      const second = neighbourProbabilities(nb, voters, K, t.smoothing);
      estimate = confidentLearning(second, label.codes);
    }
  } else {
    method = "text-model";
    const texts = doc.table.strings.get(doc.table.textColumn!) ?? [];
    const m = t.textModel;
    const x = hashedTfidf(texts, m);
    probs = crossValidatedProbabilities(x, label.codes, K, m);
    estimate = confidentLearning(probs, label.codes);
  }
  return { method, estimate, pairs: classPairs(estimate, t.minPairShare, t.minPairRows) };
}
