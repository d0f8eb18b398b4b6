// Neural Cleanse (Wang et al. 2019): for every class, the smallest mask m and pattern p such
// that (1 - m) * x + m * p sends clean inputs to that class. A planted backdoor shows as a class
// whose mask is far smaller than the others': an outlier by median absolute deviation (anomaly
// index above 2). All classes are optimised at once, as blocks of one batch.

import { tf } from "../backend";
import type { ProbeModel } from "../model";
import { Rng } from "../random";
import { crossEntropySum } from "../attacks/gradient";
import { argmaxRows } from "../attacks/common";

export interface NeuralCleanseOptions {
  /** Clean inputs used for the search ([n, size]). */
  x: Float32Array;
  n: number;
  clip: [number, number];
  steps: number;
  learningRate: number;
  /** Weight of the mask's L1 norm against the classification loss. */
  lambda: number;
  seed: number;
}

export interface ClassTrigger {
  label: number;
  /** L1 norm of the mask (sum of its values in [0, 1]). */
  maskL1: number;
  /** Share of inputs of other classes the trigger sends to this class. */
  successRate: number;
  mask: Float32Array;
  pattern: Float32Array;
}

export interface NeuralCleanseResult {
  triggers: ClassTrigger[];
  /** Per class: (median - L1) / (1.4826 * MAD), for classes below the median; 0 otherwise. */
  anomalyIndex: number[];
  /** The class with the largest anomaly index. */
  suspect: number;
}

/** Anomaly index of each value below the median, by the consistency-scaled median absolute deviation. */
export function madAnomalyIndex(values: number[]): number[] {
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  const med = median(values);
  const mad = 1.4826 * median(values.map((v) => Math.abs(v - med)));
  return values.map((v) => (v < med ? (med - v) / Math.max(mad, 1e-12) : 0));
}

export async function neuralCleanse(model: ProbeModel, options: NeuralCleanseOptions): Promise<NeuralCleanseResult> {
  const logitsOf = model.logits;
  if (!logitsOf) throw new Error("Neural Cleanse needs gradients, which this model does not provide");
  const K = model.numClasses;
  const D = model.inputSize;
  const B = options.n;
  const [lo, hi] = options.clip;
  const rng = new Rng(options.seed);
  const init = new Float32Array(K * D).map(() => rng.gaussian());
  const maskRaw = tf.variable(tf.fill([K, D], -2));
  const patternRaw = tf.variable(tf.tensor2d(init, [K, D]));
  const x = tf.tensor2d(options.x.subarray(0, B * D), [B, D]);
  const targets = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: K * B }, (_, r) => Math.floor(r / B)), "int32"), K).toFloat() as tf.Tensor2D);
  const optimizer = tf.train.adam(options.learningRate);
  const stamped = (): tf.Tensor2D => {
    const m = tf.sigmoid(maskRaw).expandDims(1);
    const p = tf.add(lo, tf.mul(hi - lo, tf.sigmoid(patternRaw))).expandDims(1);
    return tf.add(tf.mul(tf.sub(1, m), x.expandDims(0)), tf.mul(m, p)).reshape([K * B, D]) as tf.Tensor2D;
  };
  for (let step = 0; step < options.steps; step++) {
    const cost = optimizer.minimize(
      () => tf.add(tf.div(crossEntropySum(logitsOf(stamped()), targets), B), tf.mul(options.lambda, tf.sum(tf.sigmoid(maskRaw)))) as tf.Scalar,
      true,
      [maskRaw, patternRaw],
    );
    cost?.dispose();
    if (step % 25 === 0) await tf.nextFrame();
  }
  const [maskData, patternData, scores] = await Promise.all([
    tf.tidy(() => tf.sigmoid(maskRaw)).data() as Promise<Float32Array>,
    tf.tidy(() => tf.add(lo, tf.mul(hi - lo, tf.sigmoid(patternRaw)))).data() as Promise<Float32Array>,
    tf.tidy(() => logitsOf(stamped())).data() as Promise<Float32Array>,
  ]);
  const preds = argmaxRows(scores, K * B, K);
  const clean = argmaxRows(await model.predict(options.x.subarray(0, B * D), B), B, K);
  const triggers: ClassTrigger[] = [];
  for (let k = 0; k < K; k++) {
    let others = 0;
    let hit = 0;
    for (let b = 0; b < B; b++) {
      if (clean[b] === k) continue;
      others++;
      if (preds[k * B + b] === k) hit++;
    }
    const mask = maskData.slice(k * D, (k + 1) * D);
    triggers.push({ label: k, maskL1: mask.reduce((a, v) => a + v, 0), successRate: others ? hit / others : 0, mask, pattern: patternData.slice(k * D, (k + 1) * D) });
  }
  tf.dispose([maskRaw, patternRaw, x, targets]);
  optimizer.dispose();
  const anomalyIndex = madAnomalyIndex(triggers.map((t) => t.maskL1));
  let suspect = 0;
  anomalyIndex.forEach((v, k) => {
    if (v > anomalyIndex[suspect]!) suspect = k;
  });
  return { triggers, anomalyIndex, suspect };
}
