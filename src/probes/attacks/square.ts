// Square attack, L-inf, score-based (Andriushchenko et al. 2020): random search over
// square-shaped updates of size eps on a vertical-stripe initialisation, accepting an update
// when the margin loss (score of the true class minus the best other score) drops. Uses only
// the model's scores: for ONNX graphs without gradients and for HTTP endpoints.

import type { AttackResult } from "../../types";
import type { ProbeModel } from "../model";
import { Rng } from "../random";
import { summariseAttack, type AttackContext } from "./common";

// Bound once: global lookups are slow inside VM contexts (jest), and these loops are hot.
const math = Math;

export interface SquareSpec {
  eps: number;
  /** Query budget per sample (the initialisation counts as one). */
  queries: number;
  /** Initial fraction of pixels changed per update (p_init in the paper). */
  pInit: number;
}

/** Image geometry of one sample: channels, height, width and the flat index of (c, h, w). */
export interface Layout {
  c: number;
  h: number;
  w: number;
  index(c: number, h: number, w: number): number;
}

/** Channel-first when the first axis is small and the last is not; flat inputs are one row of pixels. */
export function layoutOf(shape: ReadonlyArray<number>): Layout {
  if (shape.length === 3) {
    const [a, b, c] = shape as [number, number, number];
    if (a <= 4 && c > 4) return { c: a, h: b, w: c, index: (ch, y, x) => (ch * b + y) * c + x };
    return { c, h: a, w: b, index: (ch, y, x) => (y * b + x) * c + ch };
  }
  if (shape.length === 2) {
    const [h, w] = shape as [number, number];
    return { c: 1, h, w, index: (_c, y, x) => y * w + x };
  }
  const d = shape.reduce((p, q) => p * q, 1);
  return { c: 1, h: 1, w: d, index: (_c, _y, x) => x };
}

/** The paper's piecewise-constant schedule for the fraction p, rescaled to the query budget. */
function pSelection(pInit: number, it: number, budget: number): number {
  const i = math.floor((it / budget) * 10000);
  const cuts: Array<[number, number]> = [[10, 1], [50, 2], [200, 4], [500, 8], [1000, 16], [2000, 32], [4000, 64], [6000, 128], [8000, 256]];
  for (const [limit, div] of cuts) if (i <= limit) return pInit / div;
  return pInit / 512;
}

/** Margin loss per row: score of the true class minus the best other score (negative = misclassified). */
function margins(scores: Float32Array, labels: ReadonlyArray<number>, classes: number): Float64Array {
  const out = new Float64Array(labels.length);
  labels.forEach((y, r) => {
    let other = -Infinity;
    for (let k = 0; k < classes; k++) if (k !== y) other = math.max(other, scores[r * classes + k]!);
    out[r] = scores[r * classes + y]! - other;
  });
  return out;
}

async function scoreRows(model: ProbeModel, rows: Float32Array, n: number, batchSize: number, counter: { queries: number }): Promise<Float32Array> {
  counter.queries += n;
  const out = new Float32Array(n * model.numClasses);
  const d = model.inputSize;
  for (let s = 0; s < n; s += batchSize) {
    const b = math.min(batchSize, n - s);
    out.set(await model.predict(rows.subarray(s * d, (s + b) * d), b), s * model.numClasses);
  }
  return out;
}

export async function runSquareAttack(ctx: AttackContext, spec: SquareSpec): Promise<AttackResult> {
  const { model, data, clip } = ctx;
  const started = performance.now();
  const counter = { queries: 0 };
  const d = data.size;
  const layout = layoutOf(model.inputShape);
  const rng = new Rng(ctx.seed);
  const fooled = new Uint8Array(data.n);
  const perturbation = new Float32Array(data.n);
  // Only correctly classified samples are attacked; the rest already count as not robust.
  const active = Array.from({ length: data.n }, (_, i) => i).filter((i) => ctx.cleanCorrect[i]);
  const xBest = new Float32Array(active.length * d);
  const clipped = (v: number): number => math.min(clip[1], math.max(clip[0], v));
  active.forEach((i, r) => {
    for (let ch = 0; ch < layout.c; ch++) {
      for (let x = 0; x < layout.w; x++) {
        const s = rng.sign() * spec.eps;
        for (let y = 0; y < layout.h; y++) {
          const k = layout.index(ch, y, x);
          xBest[r * d + k] = clipped(data.x[i * d + k]! + s);
        }
      }
    }
  });
  const labelsOf = (rows: number[]): number[] => rows.map((r) => data.labels[active[r]!]!);
  const best = margins(await scoreRows(model, xBest, active.length, ctx.batchSize, counter), labelsOf(active.map((_, r) => r)), model.numClasses);
  let open = active.map((_, r) => r).filter((r) => best[r]! > 0);
  for (let it = 1; it < spec.queries && open.length > 0; it++) {
    const p = pSelection(spec.pInit, it, spec.queries);
    const features = layout.h * layout.w;
    let side = math.max(1, math.round(math.sqrt(p * features)));
    if (layout.h === 1) side = math.max(1, math.round(p * layout.w));
    const sh = math.min(side, layout.h);
    const sw = math.min(side, layout.w);
    const batch = new Float32Array(open.length * d);
    open.forEach((r, j) => {
      const i = active[r]!;
      batch.set(xBest.subarray(r * d, (r + 1) * d), j * d);
      const y0 = rng.int(layout.h - sh + 1);
      const x0 = rng.int(layout.w - sw + 1);
      for (let ch = 0; ch < layout.c; ch++) {
        const s = rng.sign() * spec.eps;
        for (let y = y0; y < y0 + sh; y++) {
          for (let x = x0; x < x0 + sw; x++) {
            const k = layout.index(ch, y, x);
            batch[j * d + k] = clipped(data.x[i * d + k]! + s);
          }
        }
      }
    });
    const m = margins(await scoreRows(model, batch, open.length, ctx.batchSize, counter), labelsOf(open), model.numClasses);
    open.forEach((r, j) => {
      if (m[j]! < best[r]!) {
        best[r] = m[j]!;
        xBest.set(batch.subarray(j * d, (j + 1) * d), r * d);
      }
    });
    open = open.filter((r) => best[r]! > 0);
    ctx.onProgress?.(it, spec.queries);
  }
  active.forEach((i, r) => {
    if (best[r]! <= 0) {
      fooled[i] = 1;
      let linf = 0;
      for (let k = 0; k < d; k++) linf = math.max(linf, math.abs(xBest[r * d + k]! - data.x[i * d + k]!));
      perturbation[i] = linf;
    }
  });
  return summariseAttack({ name: "square", norm: "linf", eps: spec.eps }, ctx.cleanCorrect, { fooled, perturbation }, counter.queries, (performance.now() - started) / 1000);
}
