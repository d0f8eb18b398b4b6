// Shared pieces of the attacks: the probe set, predictions, norms and the metrics
// (RobustBench / AutoAttack conventions).

import type { AttackResult } from "../../types";
import type { ProbeModel } from "../model";

// Bound once: global lookups are slow inside VM contexts (jest), and these loops are hot.
const math = Math;

export type Norm = "linf" | "l2";

export interface ProbeSet {
  x: Float32Array;
  labels: Int32Array;
  n: number;
  size: number;
}

export interface AttackContext {
  model: ProbeModel;
  data: ProbeSet;
  clip: [number, number];
  /** 1 where the clean sample is classified correctly. */
  cleanCorrect: Uint8Array;
  seed: number;
  /** Rows per batch sent to the model. */
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
}

export function argmaxRows(scores: Float32Array, n: number, classes: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    const o = i * classes;
    for (let k = 1; k < classes; k++) if (scores[o + k]! > scores[o + best]!) best = k;
    out[i] = best;
  }
  return out;
}

export async function predictLabels(model: ProbeModel, x: Float32Array, n: number, batchSize: number): Promise<Int32Array> {
  const out = new Int32Array(n);
  const d = model.inputSize;
  for (let s = 0; s < n; s += batchSize) {
    const b = math.min(batchSize, n - s);
    const scores = await model.predict(x.subarray(s * d, (s + b) * d), b);
    out.set(argmaxRows(scores, b, model.numClasses), s);
  }
  return out;
}

export function norm(delta: ArrayLike<number>, which: Norm, offset = 0, length = delta.length): number {
  let r = 0;
  if (which === "linf") {
    for (let i = offset; i < offset + length; i++) r = math.max(r, math.abs(delta[i]!));
    return r;
  }
  for (let i = offset; i < offset + length; i++) r += delta[i]! * delta[i]!;
  return math.sqrt(r);
}

/** Per-sample outcome of one attack at one eps. */
export interface SampleOutcome {
  /** 1 when the attack found an input the model misclassifies (for a correctly classified sample). */
  fooled: Uint8Array;
  /** Perturbation norm of the adversarial input, for fooled samples. */
  perturbation: Float32Array;
}

export function summariseAttack(
  base: Pick<AttackResult, "name" | "norm" | "eps"> & { steps?: number; stepSize?: number },
  cleanCorrect: Uint8Array,
  outcome: SampleOutcome,
  queries: number,
  seconds: number,
): AttackResult {
  const n = cleanCorrect.length;
  let correct = 0;
  let robust = 0;
  let success = 0;
  let pert = 0;
  for (let i = 0; i < n; i++) {
    if (!cleanCorrect[i]) continue;
    correct++;
    if (outcome.fooled[i]) {
      success++;
      pert += outcome.perturbation[i]!;
    } else robust++;
  }
  const result: AttackResult = {
    name: base.name,
    norm: base.norm,
    eps: base.eps,
    robustAccuracy: n === 0 ? 0 : robust / n,
    attackSuccessRate: correct === 0 ? 0 : success / correct,
    meanPerturbation: success === 0 ? 0 : pert / success,
    queries,
    seconds: math.round(seconds * 1000) / 1000,
  };
  if (base.steps !== undefined) result.steps = base.steps;
  if (base.stepSize !== undefined) result.stepSize = base.stepSize;
  return result;
}
