// FGSM and PGD through tfjs gradients (Goodfellow et al. 2015; Madry et al. 2018).
// PGD: `steps` steps of size stepSize along sign(gradient) (L-inf) or gradient/||gradient||_2 (L2),
// projection onto the eps ball around the clean input, then clipping to the valid range.
// FGSM is one step of size eps without random start. A sample counts as fooled when any iterate
// is misclassified; its perturbation is that of the first misclassified iterate.

import type { AttackResult } from "../../types";
import { tf } from "../backend";
import { Rng } from "../random";
import { summariseAttack, type AttackContext, type Norm, type SampleOutcome } from "./common";

export interface GradientAttackSpec {
  name: "fgsm" | "pgd";
  norm: Norm;
  eps: number;
  steps: number;
  stepSize: number;
  randomStart: boolean;
}

export function pgdSpec(norm: Norm, eps: number, steps: number, relStep: number, randomStart: boolean): GradientAttackSpec {
  return { name: "pgd", norm, eps, steps, stepSize: relStep * eps, randomStart };
}

export function fgsmSpec(norm: Norm, eps: number): GradientAttackSpec {
  return { name: "fgsm", norm, eps, steps: 1, stepSize: eps, randomStart: false };
}

/**
 * Summed cross-entropy of the true labels, with its gradient d/dlogits = p - onehot computed as
 * (p_k for k != y, minus the sum of those for k = y): on confidently classified inputs p_y - 1
 * cancels to rounding noise in float32, and the attack would follow noise.
 */
export function crossEntropySum(logits: tf.Tensor2D, onehot: tf.Tensor2D): tf.Scalar {
  const ce = tf.customGrad((...args: unknown[]) => {
    const z = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const p = tf.softmax(z);
    save([p]);
    const value = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(z)))) as tf.Scalar;
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const others = tf.mul(saved[0]!, tf.sub(1, onehot));
        return [tf.mul(dy, tf.sub(others, tf.mul(onehot, tf.sum(others, 1, true))))];
      },
    };
  });
  return ce(logits) as tf.Scalar;
}

/** sign(x) exactly: tf.sign rounds tiny values (|x| below about 1e-7) to 0 on some backends. */
export function exactSign(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.cast(tf.greater(x, 0), "float32"), tf.cast(tf.less(x, 0), "float32"));
}

/** Row-wise L2 norms as a [b, 1] tensor, floored to avoid division by zero. */
function rowNorms(t: tf.Tensor2D): tf.Tensor2D {
  return tf.maximum(tf.sqrt(tf.sum(tf.square(t), 1, true)), 1e-12) as tf.Tensor2D;
}

function randomStart(rng: Rng, b: number, d: number, norm: Norm, eps: number): Float32Array {
  const out = new Float32Array(b * d);
  for (let i = 0; i < b; i++) {
    if (norm === "linf") {
      for (let j = 0; j < d; j++) out[i * d + j] = (2 * rng.next() - 1) * eps;
    } else {
      // Uniform in the L2 ball: gaussian direction, radius eps * u^(1/d).
      let s = 0;
      for (let j = 0; j < d; j++) {
        const g = rng.gaussian();
        out[i * d + j] = g;
        s += g * g;
      }
      const r = (eps * Math.pow(rng.next(), 1 / d)) / Math.max(Math.sqrt(s), 1e-12);
      for (let j = 0; j < d; j++) out[i * d + j]! *= r;
    }
  }
  return out;
}

export async function runGradientAttack(ctx: AttackContext, spec: GradientAttackSpec): Promise<AttackResult> {
  const { model, data, clip } = ctx;
  const logitsOf = model.logits;
  if (!logitsOf) throw new Error(`${spec.name} needs gradients, which this model does not provide`);
  const started = performance.now();
  const d = data.size;
  const classes = model.numClasses;
  const fooled = new Uint8Array(data.n);
  const perturbation = new Float32Array(data.n);
  const rng = new Rng(ctx.seed);
  for (let s = 0; s < data.n; s += ctx.batchSize) {
    const b = Math.min(ctx.batchSize, data.n - s);
    const labels = data.labels.subarray(s, s + b);
    const x0 = tf.tensor2d(data.x.subarray(s * d, (s + b) * d), [b, d]);
    const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), classes).toFloat() as tf.Tensor2D;
    const lo = x0.sub(spec.eps).maximum(clip[0]);
    const hi = x0.add(spec.eps).minimum(clip[1]);
    let xAdv: tf.Tensor2D = spec.randomStart
      ? tf.tidy(() => tf.clipByValue(x0.add(tf.tensor2d(randomStart(rng, b, d, spec.norm, spec.eps), [b, d])), clip[0], clip[1]) as tf.Tensor2D)
      : x0.clone();
    let predsAtIterate: tf.Tensor | undefined;
    const lossOf = (x: tf.Tensor): tf.Scalar => {
      const logits = logitsOf(x as tf.Tensor2D);
      predsAtIterate = tf.keep(tf.argMax(logits, 1));
      return crossEntropySum(logits, onehot);
    };
    const gradOf = tf.grad(lossOf);
    // Records iterate `t` (its predictions were computed with it) as fooling where it is misclassified.
    const record = async (x: tf.Tensor2D, preds: tf.Tensor): Promise<void> => {
      const [p, norms] = await Promise.all([
        preds.data(),
        tf.tidy(() => (spec.norm === "linf" ? tf.max(tf.abs(x.sub(x0)), 1) : tf.sqrt(tf.sum(tf.square(x.sub(x0)), 1)))).data(),
      ]);
      for (let i = 0; i < b; i++) {
        const k = s + i;
        if (!ctx.cleanCorrect[k] || fooled[k]) continue;
        if (p[i] !== labels[i]) {
          fooled[k] = 1;
          perturbation[k] = norms[i]!;
        }
      }
    };
    for (let t = 0; t < spec.steps; t++) {
      const g = gradOf(xAdv);
      await record(xAdv, predsAtIterate!);
      predsAtIterate!.dispose();
      const next = tf.tidy(() => {
        if (spec.norm === "linf") {
          const stepped = xAdv.add(exactSign(g).mul(spec.stepSize));
          return tf.minimum(tf.maximum(stepped, lo), hi) as tf.Tensor2D;
        }
        const stepped = xAdv.add(g.div(rowNorms(g as tf.Tensor2D)).mul(spec.stepSize));
        const delta = stepped.sub(x0) as tf.Tensor2D;
        const factor = tf.minimum(tf.div(spec.eps, rowNorms(delta)), 1);
        return tf.clipByValue(x0.add(delta.mul(factor)), clip[0], clip[1]) as tf.Tensor2D;
      });
      g.dispose();
      xAdv.dispose();
      xAdv = next;
    }
    const finalPreds = tf.tidy(() => tf.argMax(logitsOf(xAdv), 1));
    await record(xAdv, finalPreds);
    tf.dispose([finalPreds, xAdv, x0, onehot, lo, hi]);
    ctx.onProgress?.(s + b, data.n);
  }
  const outcome: SampleOutcome = { fooled, perturbation };
  return summariseAttack({ name: spec.name, norm: spec.norm, eps: spec.eps, steps: spec.steps, stepSize: spec.stepSize }, ctx.cleanCorrect, outcome, 0, (performance.now() - started) / 1000);
}
