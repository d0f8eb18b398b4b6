// STRIP (Gao et al. 2019): superimpose an input on random clean inputs and look at the entropy
// of the predictions. A trigger keeps forcing its class whatever it is blended with (low
// entropy); an ordinary input's prediction scatters (high entropy). Here it checks the trigger
// Neural Cleanse recovered: stamped inputs are compared with clean ones.

import type { ProbeModel } from "../model";
import { Rng } from "../random";

function softmaxEntropy(scores: Float32Array, row: number, classes: number, areProbabilities: boolean): number {
  const o = row * classes;
  let p: number[];
  if (areProbabilities) p = Array.from(scores.subarray(o, o + classes), (v) => Math.max(v, 0));
  else {
    let m = -Infinity;
    for (let k = 0; k < classes; k++) m = Math.max(m, scores[o + k]!);
    p = Array.from(scores.subarray(o, o + classes), (v) => Math.exp(v - m));
  }
  const s = p.reduce((a, b) => a + b, 0) || 1;
  let h = 0;
  for (const v of p) if (v > 0) h -= (v / s) * Math.log(v / s);
  return h;
}

export interface StripOptions {
  /** Inputs to test ([n, size]). */
  x: Float32Array;
  n: number;
  /** Clean inputs to superimpose ([m, size]). */
  overlays: Float32Array;
  m: number;
  /** Overlays per input. */
  perInput: number;
  clip: [number, number];
  seed: number;
  areProbabilities: boolean;
}

/** Mean prediction entropy of each input superimposed (added, then clipped) on random clean inputs. */
export async function stripEntropy(model: ProbeModel, o: StripOptions): Promise<number[]> {
  const d = model.inputSize;
  const rng = new Rng(o.seed);
  const rows = new Float32Array(o.n * o.perInput * d);
  for (let i = 0; i < o.n; i++) {
    for (let j = 0; j < o.perInput; j++) {
      const other = rng.int(o.m);
      const r = (i * o.perInput + j) * d;
      for (let k = 0; k < d; k++) rows[r + k] = Math.min(o.clip[1], Math.max(o.clip[0], o.x[i * d + k]! + o.overlays[other * d + k]!));
    }
  }
  const scores = await model.predict(rows, o.n * o.perInput);
  const out: number[] = [];
  for (let i = 0; i < o.n; i++) {
    let h = 0;
    for (let j = 0; j < o.perInput; j++) h += softmaxEntropy(scores, i * o.perInput + j, model.numClasses, o.areProbabilities);
    out.push(h / o.perInput);
  }
  return out;
}
