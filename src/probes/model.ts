// What the attacks see of a model, whatever it is (tfjs, ONNX, HTTP endpoint). Inputs travel
// as flat float32 rows of `inputSize` values; the loader reshapes them to the model's input shape.

import type { ProbeResult } from "../types";
import type { tf } from "./backend";

export type ModelFormat = ProbeResult["format"];

export interface ProbeModel {
  format: ModelFormat;
  /** The model's input shape for one sample, without the batch axis. */
  inputShape: number[];
  /** Product of inputShape. */
  inputSize: number;
  /** Number of classes; known after the first prediction for endpoints. */
  numClasses: number;
  /** Class scores (logits or probabilities) for `n` rows; endpoints that return labels give one-hot rows. */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /** True when only labels come back (HTTP endpoints answering with class ids). */
  labelsOnly: boolean;
  /** Endpoints answering only the k best classes' scores: k (the other classes are filled in below them). */
  topK?: number;
  /** What the loader had to assume about the model, for the report's notes. */
  notes?: string[];
  /** Differentiable logits (or log-probabilities) for a [n, inputSize] tensor: present for white-box models. */
  logits?: (x: tf.Tensor2D) => tf.Tensor2D;
  /** ONNX: the finite-difference spot check of the translated gradients (relative error over the checked coordinates). */
  gradientCheck?: { relativeError: number; coordinates: number };
  /** Why white-box attacks are not available, when they are not. */
  whiteBoxUnavailable?: string;
  /** Rows sent to the model so far (queries). */
  queries: number;
  dispose(): void;
}

export function product(shape: ReadonlyArray<number>): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** True when every row is a probability vector (non-negative, sums to 1): such outputs are turned into log-probabilities for gradients. */
export function looksLikeProbabilities(scores: Float32Array, classes: number): boolean {
  const n = Math.floor(scores.length / classes);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const v = scores[i * classes + k]!;
      if (v < 0 || v > 1) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}
