// Model extraction (Tramèr et al. 2016; Orekondy et al. 2019 "Knockoff Nets"): how well can
// someone with query access copy the model? A surrogate MLP is trained in tfjs on the target's
// answers to black-box queries (rows of the given data, perturbed copies of them, and uniform
// random inputs in the clip range), and its agreement with the target (fidelity) is measured on
// held-out rows that were never queried for training. What the model returns decides how much
// each query teaches: full probabilities or logits more than top-k scores, top-k more than labels.

import { tf } from "../backend";
import { argmaxRows, type ProbeSet } from "../attacks/common";
import { looksLikeProbabilities, type ProbeModel } from "../model";
import { Rng } from "../random";

export type OutputKind = "logits" | "probabilities" | "top-k" | "labels";

export interface ExtractionOptions {
  /** Query budgets (rows sent to the model), ascending. */
  budgets: number[];
  /** Agreement with the target on held-out rows that counts as a working copy. */
  fidelityThreshold: number;
  /** Share of the data kept back for measuring fidelity. */
  heldOutShare: number;
  /** Surrogate: hidden units of its one hidden layer, and training epochs. */
  hiddenUnits: number;
  epochs: number;
  /** Gaussian noise (as a share of the clip range) on perturbed copies. */
  perturbation: number;
  clip: [number, number];
  seed: number;
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ExtractionPoint {
  queries: number;
  /** Share of held-out rows where the surrogate predicts the target's label. */
  fidelity: number;
  /** The surrogate's accuracy on the held-out rows' true labels. */
  surrogateAccuracy: number;
}

export interface ExtractionResult {
  outputs: OutputKind;
  /** For top-k outputs: how many scores each answer carries. */
  topK?: number;
  points: ExtractionPoint[];
  fidelityThreshold: number;
  /** Fewest queries at which fidelity reached the threshold, when it did. */
  queriesToThreshold?: number;
  heldOut: number;
  targetAccuracy: number;
  surrogate: string;
  /** Queries sent for training (the largest budget) and for measuring (held-out rows). */
  trainingQueries: number;
  evaluationQueries: number;
}

/**
 * What the model's answers reveal: labels only, top-k scores, full probabilities, or raw logits.
 * Endpoints say what they answer (labels, or top-k with k); for full-width scores it is read from
 * the scores: one-hot rows are labels, rows summing to 1 probabilities, anything else logits.
 * Probabilities with exact zeros (tree ensembles) stay probabilities: only a loader that knows the
 * answer was cut to k classes reports top-k.
 */
export function classifyOutputs(model: ProbeModel, scores: Float32Array, n: number): { outputs: OutputKind; topK?: number } {
  const k = model.numClasses;
  if (model.labelsOnly) return { outputs: "labels" };
  if (model.topK !== undefined && model.topK < k) return { outputs: "top-k", topK: model.topK };
  if (!looksLikeProbabilities(scores, k)) return { outputs: "logits" };
  for (let i = 0; i < n * k; i++) if (scores[i] !== 0 && scores[i] !== 1) return { outputs: "probabilities" };
  return { outputs: "labels" };
}

/** Soft training targets from the target's answers. */
function targetsFrom(scores: Float32Array, n: number, k: number, outputs: OutputKind): Float32Array {
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = scores.subarray(i * k, (i + 1) * k);
    if (outputs === "logits") {
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v);
      let s = 0;
      for (let c = 0; c < k; c++) s += out[i * k + c] = Math.exp(row[c]! - m);
      for (let c = 0; c < k; c++) out[i * k + c]! /= s;
    } else if (outputs === "labels") {
      let best = 0;
      for (let c = 1; c < k; c++) if (row[c]! > row[best]!) best = c;
      out[i * k + best] = 1;
    } else {
      // Probabilities, or top-k with the rest of the mass unknown: renormalised over what was given.
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.max(row[c]!, 0);
      for (let c = 0; c < k; c++) out[i * k + c] = Math.max(row[c]!, 0) / (s || 1);
    }
  }
  return out;
}

/** The query stream: data rows, perturbed copies of them, and uniform random rows, interleaved. */
function queryRows(pool: ProbeSet, count: number, o: ExtractionOptions): Float32Array {
  const d = pool.size;
  const rng = new Rng(o.seed ^ 0x3e7);
  const out = new Float32Array(count * d);
  const [lo, hi] = o.clip;
  const sigma = o.perturbation * (hi - lo);
  const order = rng.sample(pool.n, pool.n);
  let next = 0;
  for (let q = 0; q < count; q++) {
    const kind = q % 3;
    const r = q * d;
    if (kind === 2) {
      for (let k = 0; k < d; k++) out[r + k] = lo + (hi - lo) * rng.next();
      continue;
    }
    const src = order[next++ % Math.max(pool.n, 1)]!;
    for (let k = 0; k < d; k++) {
      const v = pool.x[src * d + k]!;
      out[r + k] = kind === 0 ? v : Math.min(hi, Math.max(lo, v + sigma * rng.gaussian()));
    }
  }
  return out;
}

async function predictAll(model: ProbeModel, x: Float32Array, n: number, batch: number): Promise<Float32Array> {
  const k = model.numClasses;
  const out = new Float32Array(n * k);
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    out.set(await model.predict(x.subarray(s * model.inputSize, (s + b) * model.inputSize), b), s * k);
  }
  return out;
}

async function trainSurrogate(x: Float32Array, y: Float32Array, n: number, d: number, k: number, o: ExtractionOptions): Promise<tf.Sequential> {
  const model = tf.sequential();
  const init = (s: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: o.seed + s });
  model.add(tf.layers.dense({ inputShape: [d], units: o.hiddenUnits, activation: "relu", kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units: k, kernelInitializer: init(2) }));
  model.compile({ optimizer: tf.train.adam(0.005), loss: (t: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, p) });
  const xs = tf.tensor2d(x, [n, d]);
  const ys = tf.tensor2d(y, [n, k]);
  // A fixed number of optimiser steps per budget keeps small budgets from being undertrained.
  const batchSize = Math.min(64, n);
  const epochs = Math.max(o.epochs, Math.ceil((o.epochs * 20 * batchSize) / Math.max(n, 1) / 4));
  await model.fit(xs, ys, { epochs: Math.min(epochs, 400), batchSize, shuffle: true, verbose: 0 });
  tf.dispose([xs, ys]);
  return model;
}

export async function extractionProbe(model: ProbeModel, data: ProbeSet, o: ExtractionOptions): Promise<ExtractionResult> {
  const k = model.numClasses;
  const d = model.inputSize;
  const rng = new Rng(o.seed ^ 0xe47);
  const order = rng.sample(data.n, data.n);
  const heldN = Math.max(1, Math.min(data.n - 1, Math.round(data.n * o.heldOutShare)));
  const pick = (idx: number[]): ProbeSet => {
    const x = new Float32Array(idx.length * d);
    const labels = new Int32Array(idx.length);
    idx.forEach((i, j) => {
      x.set(data.x.subarray(i * d, (i + 1) * d), j * d);
      labels[j] = data.labels[i]!;
    });
    return { x, labels, n: idx.length, size: d };
  };
  const held = pick(order.slice(0, heldN));
  const pool = pick(order.slice(heldN));
  const budgets = [...new Set(o.budgets)].filter((b) => b > 0).sort((a, b) => a - b);
  const maxQ = budgets[budgets.length - 1] ?? 0;

  const before = model.queries;
  const heldScores = await predictAll(model, held.x, held.n, o.batchSize);
  const heldTarget = argmaxRows(heldScores, held.n, k);
  const evaluationQueries = model.queries - before;
  const queries = queryRows(pool, maxQ, o);
  const answers = await predictAll(model, queries, maxQ, o.batchSize);
  const trainingQueries = model.queries - before - evaluationQueries;
  const kind = classifyOutputs(model, answers, maxQ);
  const targets = targetsFrom(answers, maxQ, k, kind.outputs);
  let targetCorrect = 0;
  for (let i = 0; i < held.n; i++) if (heldTarget[i] === held.labels[i]) targetCorrect++;

  const points: ExtractionPoint[] = [];
  for (const [bi, b] of budgets.entries()) {
    o.onProgress?.(bi, budgets.length);
    const surrogate = await trainSurrogate(queries.subarray(0, b * d), targets.subarray(0, b * k), b, d, k, o);
    const preds = tf.tidy(() => surrogate.predict(tf.tensor2d(held.x, [held.n, d])) as tf.Tensor).dataSync() as Float32Array;
    surrogate.dispose();
    const labels = argmaxRows(preds, held.n, k);
    let agree = 0;
    let correct = 0;
    for (let i = 0; i < held.n; i++) {
      if (labels[i] === heldTarget[i]) agree++;
      if (labels[i] === held.labels[i]) correct++;
    }
    points.push({ queries: b, fidelity: agree / held.n, surrogateAccuracy: correct / held.n });
  }
  o.onProgress?.(budgets.length, budgets.length);
  const reached = points.find((p) => p.fidelity >= o.fidelityThreshold);
  return {
    ...kind,
    points,
    fidelityThreshold: o.fidelityThreshold,
    ...(reached ? { queriesToThreshold: reached.queries } : {}),
    heldOut: held.n,
    targetAccuracy: targetCorrect / held.n,
    surrogate: `mlp(${o.hiddenUnits}) trained in tfjs`,
    trainingQueries,
    evaluationQueries,
  };
}
