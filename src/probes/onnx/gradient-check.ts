// Finite-difference spot check of a translated graph's input gradients against onnxruntime.
// Agreeing outputs do not prove agreeing gradients: a wrong custom gradient (Gather, dilated or
// depthwise convolution) gives right outputs and wrong attacks. Before gradients are trusted,
// the gradient of a fixed random projection of the logits is compared, on a few rows and
// coordinates, with central differences of onnxruntime's outputs at two steps, less a float32
// noise floor. Cost: one onnxruntime batch of 4 * rows * coordinates rows and one tfjs gradient.

import { tf } from "../backend";

export interface GradientCheckOptions {
  /** Rows to check ([n, size], inside the clip range). */
  data: Float32Array;
  n: number;
  size: number;
  numClasses: number;
  /** Coordinates per row: half where the translated gradient is largest, half at random. */
  coordinates: number;
  /** Central-difference step. */
  step: number;
  /** Largest accepted relative error ||fd - ad|| / max(||fd||, ||ad||) over the checked coordinates. */
  tolerance: number;
}

export interface GradientCheckResult {
  ok: boolean;
  relativeError: number;
  checked: number;
}

// Step 1e-2 (inputs of order 1): at 1e-3 float32 rounding of the outputs already rivals small gradients.
export const defaultGradientCheck = { rows: 2, coordinates: 8, step: 1e-2, tolerance: 0.1 } as const;

export async function checkGradients(
  reference: (x: Float32Array, n: number) => Promise<Float32Array>,
  logits: (x: tf.Tensor2D) => tf.Tensor2D,
  o: GradientCheckOptions,
): Promise<GradientCheckResult> {
  const { n, size, numClasses: K } = o;
  // A fixed projection of the logits: every class's gradient contributes, none cancels by design.
  let s = 987654321;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const weights = Float32Array.from({ length: K }, () => next() * 2 - 1);
  const project = (scores: Float32Array, row: number): number => {
    let v = 0;
    for (let k = 0; k < K; k++) v += weights[k]! * scores[row * K + k]!;
    return v;
  };
  const w = tf.tensor1d(weights);
  const ad = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(logits(x as tf.Tensor2D), w)))(tf.tensor2d(o.data.subarray(0, n * size), [n, size])).dataSync() as Float32Array);
  w.dispose();
  const coords: Array<[number, number]> = [];
  for (let r = 0; r < n; r++) {
    const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => Math.abs(ad[r * size + b]!) - Math.abs(ad[r * size + a]!));
    const chosen = new Set(order.slice(0, Math.ceil(o.coordinates / 2)));
    while (chosen.size < Math.min(o.coordinates, size)) chosen.add(Math.floor(next() * size));
    for (const i of chosen) coords.push([r, i]);
  }
  // Central differences at two steps: the larger has less float32 rounding, the smaller crosses
  // fewer ReLU / max-pool kinks; each coordinate counts with the step that agrees better.
  const steps = [o.step, o.step / 10];
  const rows = new Float32Array(steps.length * coords.length * 2 * size);
  steps.forEach((h, t) =>
    coords.forEach(([r, i], j) => {
      for (const [side, sign] of [[0, 1], [1, -1]] as const) {
        const at = ((t * coords.length + j) * 2 + side) * size;
        rows.set(o.data.subarray(r * size, (r + 1) * size), at);
        rows[at + i] = rows[at + i]! + sign * h;
      }
    }),
  );
  const scores = await reference(rows, steps.length * coords.length * 2);
  let fMax = 0;
  for (let j = 0; j < steps.length * coords.length * 2; j++) fMax = Math.max(fMax, Math.abs(project(scores, j)));
  // The differences' own float32 noise (a few dozen ulps of the outputs over 2 * step) bounds what
  // can be told apart at each step.
  const noiseOf = (h: number): number => (64 * 1.19e-7 * Math.max(fMax, 1)) / (2 * h);
  let diff = 0;
  let adNorm = 0;
  coords.forEach(([r, i], j) => {
    const g = ad[r * size + i]!;
    let best = Infinity;
    steps.forEach((h, t) => {
      const row = (t * coords.length + j) * 2;
      const fd = (project(scores, row) - project(scores, row + 1)) / (2 * h);
      best = Math.min(best, Math.max(Math.abs(fd - g) - noiseOf(h), 0));
    });
    diff += best * best;
    adNorm += g * g;
  });
  const scale = Math.max(Math.sqrt(adNorm), Math.sqrt(coords.length) * noiseOf(o.step));
  const relativeError = Math.sqrt(diff) / scale;
  return { ok: relativeError <= o.tolerance && Number.isFinite(relativeError), relativeError, checked: coords.length };
}
