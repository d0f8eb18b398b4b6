// Neural Cleanse (Wang et al. 2019): for every class, the smallest mask m and pattern p such
// that (1 - m) * x + m * p sends clean inputs to that class. A planted backdoor shows as a class
// whose mask is far smaller than the others': an outlier by median absolute deviation (anomaly
// index above 2). All classes are optimised at once, as blocks of one batch.
//
// The search follows the reference implementation (and IBM ART's port of it): the mask starts
// uniform in [0, 1]; the mask-norm cost starts at 0 and is set to `initCost` only once the trigger
// works, then raised by `costMultiplier` while the trigger keeps working and lowered by
// `costMultiplier^1.5` while it does not (each after `patience` steps); the mask reported is the
// smallest that reached `attackSuccessThreshold`, not the last one. A fixed L1 weight instead makes
// the result depend on how hard each class is to reach: a trigger whose pixels overlap natural
// strokes (a ring in the centre of a digit) then ends no smaller than a generic class-flipping
// mask, and the outlier disappears.

import { tf } from "../backend";
import type { ProbeModel } from "../model";
import { Rng } from "../random";
import { crossEntropySum } from "../attacks/gradient";
import { argmaxRows } from "../attacks/common";

export interface NeuralCleanseOptions {
  /** Clean inputs used for the search ([n, size], or [restarts * n, size] for a different sample per restart). */
  x: Float32Array;
  /** Inputs per search. */
  n: number;
  clip: [number, number];
  /** Most optimisation steps (each a full pass over the n inputs, for all classes at once). */
  steps: number;
  learningRate: number;
  /** Weight of the mask's L1 norm once a class's trigger first reaches the success threshold. */
  initCost: number;
  /** Share of inputs a trigger must send to its class for its mask to count. */
  attackSuccessThreshold: number;
  /** Steps above (below) the success threshold before the cost is raised (lowered). */
  patience: number;
  /** Cost raised by this factor, lowered by its 1.5th power. */
  costMultiplier: number;
  /** A class stops when its best mask has not shrunk by 1% for this many steps after the cost went both ways. */
  earlyStopPatience: number;
  /**
   * Weight of the mask's total variation (over image rows and columns) beside its L1, as in TABOR
   * (Guo et al. 2019): scattered masks cost more than compact ones. 0 for plain Neural Cleanse.
   */
  smoothness: number;
  /** Image layout of the flat input, for the total variation: [channels, height, width] and the flat index of each pixel. */
  image?: { c: number; h: number; w: number; index: (c: number, y: number, x: number) => number };
  /**
   * Independent searches per class from different random initial masks and patterns (blocks of the
   * same batch); each class keeps its smallest mask that reached the threshold. One search can stall
   * in a poor local optimum (a large mask for an easy class), which moves the median and MAD and
   * flips the verdict between seeds; the minimum over restarts is an upper bound on the true
   * smallest trigger that only tightens with more restarts. 1 for the reference's single search.
   */
  restarts?: number;
  seed: number;
}

export interface ClassTrigger {
  label: number;
  /** L1 norm of the mask (sum of its values in [0, 1]): the smallest that reached the success threshold, else the last. */
  maskL1: number;
  /** Total variation of that mask over the image (0 without an image layout). */
  maskTV: number;
  /** The size compared across classes: maskL1 + smoothness * maskTV. */
  maskSize: number;
  /** Share of inputs of other classes the trigger sends to this class. */
  successRate: number;
  /** Whether some mask reached the success threshold on the search inputs. */
  reachedThreshold: boolean;
  /** Steps this class was optimised for. */
  steps: number;
  mask: Float32Array;
  pattern: Float32Array;
}

export interface NeuralCleanseResult {
  triggers: ClassTrigger[];
  /** Per class: (median - L1) / (1.4826 * MAD), for classes below the median; 0 otherwise. */
  anomalyIndex: number[];
  /** The class with the largest anomaly index. */
  suspect: number;
  /** Steps run (the longest of the classes). */
  steps: number;
  /** Searches per class. */
  restarts: number;
  /** Per restart, per class: the anomaly index of that restart's masks alone (how stable the outlier is). */
  anomalyIndexByRestart: number[][];
  /** Per restart, per class: the compared mask size that restart found. */
  maskSizeByRestart: number[][];
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

/** Whether a flat image layout is channel-first or channel-last (undefined when it is neither). */
function flatLayout(img: NonNullable<NeuralCleanseOptions["image"]>): "chw" | "hwc" | undefined {
  let chw = true;
  let hwc = true;
  for (let c = 0; c < img.c; c++)
    for (let y = 0; y < img.h; y++)
      for (let x = 0; x < img.w; x++) {
        const i = img.index(c, y, x);
        if (i !== (c * img.h + y) * img.w + x) chw = false;
        if (i !== (y * img.w + x) * img.c + c) hwc = false;
      }
  return chw ? "chw" : hwc ? "hwc" : undefined;
}

/** The per-class cost schedule of the reference implementation. */
class CostSchedule {
  cost = 0;
  bestL1 = Infinity;
  done = false;
  steps = 0;
  private setCounter = 0;
  private upCounter = 0;
  private downCounter = 0;
  private upFlag = false;
  private downFlag = false;
  private earlyStopCounter = 0;
  private earlyStopBest = Infinity;

  constructor(private readonly o: NeuralCleanseOptions) {}

  /** Records one step's success rate and mask size; returns whether this mask is the new best. */
  update(success: number, l1: number): boolean {
    const o = this.o;
    this.steps++;
    const ok = success >= o.attackSuccessThreshold;
    const best = ok && l1 < this.bestL1;
    if (best) this.bestL1 = l1;
    if (this.bestL1 < Infinity) {
      this.earlyStopCounter = this.bestL1 >= 0.99 * this.earlyStopBest ? this.earlyStopCounter + 1 : 0;
    }
    this.earlyStopBest = Math.min(this.earlyStopBest, this.bestL1);
    if (this.upFlag && this.downFlag && this.earlyStopCounter >= o.earlyStopPatience) this.done = true;
    if (this.cost === 0 && ok) {
      if (++this.setCounter >= o.patience) {
        this.cost = o.initCost;
        this.upCounter = this.downCounter = 0;
        this.upFlag = this.downFlag = false;
      }
      return best;
    }
    if (this.cost === 0) {
      this.setCounter = 0;
      return best;
    }
    if (ok) {
      this.upCounter++;
      this.downCounter = 0;
    } else {
      this.upCounter = 0;
      this.downCounter++;
    }
    if (this.upCounter >= o.patience) {
      this.upCounter = 0;
      this.cost *= o.costMultiplier;
      this.upFlag = true;
    } else if (this.downCounter >= o.patience) {
      this.downCounter = 0;
      this.cost /= o.costMultiplier ** 1.5;
      this.downFlag = true;
    }
    return best;
  }
}

export async function neuralCleanse(model: ProbeModel, options: NeuralCleanseOptions): Promise<NeuralCleanseResult> {
  const logitsOf = model.logits;
  if (!logitsOf) throw new Error("Neural Cleanse needs gradients, which this model does not provide");
  const K = model.numClasses;
  const D = model.inputSize;
  const B = options.n;
  const R = Math.max(1, Math.floor(options.restarts ?? 1));
  // Block j searches class j % K in restart floor(j / K).
  const KR = K * R;
  const [lo, hi] = options.clip;
  const rng = new Rng(options.seed);
  // Mask and pattern uniform in their ranges, through the inverse of their squashing functions.
  const logit = (u: number): number => Math.log(u / (1 - u));
  const uniform = (): number => 0.005 + 0.99 * rng.next();
  const maskRaw = tf.variable(tf.tensor2d(new Float32Array(KR * D).map(() => logit(uniform())), [KR, D]));
  const patternRaw = tf.variable(tf.tensor2d(new Float32Array(KR * D).map(() => logit(uniform())), [KR, D]));
  const x = tf.tensor2d(options.x.subarray(0, B * D), [B, D]);
  // Each restart searches on its own n inputs when x holds R * n rows (a different sample, so the
  // spread over restarts also covers the choice of inputs), else all share the first n.
  const disjoint = R > 1 && options.x.length >= R * B * D;
  const xSearch = disjoint ? tf.tensor4d(options.x.subarray(0, R * B * D), [R, 1, B, D]) : x.reshape([1, 1, B, D]);
  const targetOf = Int32Array.from({ length: KR * B }, (_, r) => Math.floor(r / B) % K);
  const targets = tf.tidy(() => tf.oneHot(tf.tensor1d(targetOf, "int32"), K).toFloat() as tf.Tensor2D);
  // The reference's Adam (beta1 0.5, beta2 0.9): the search follows the cost schedule closely.
  const optimizer = tf.train.adam(options.learningRate, 0.5, 0.9);
  const stamped = (): tf.Tensor2D => {
    const m = tf.sigmoid(maskRaw).reshape([R, K, 1, D]);
    const p = tf.add(lo, tf.mul(hi - lo, tf.sigmoid(patternRaw))).reshape([R, K, 1, D]);
    return tf.add(tf.mul(tf.sub(1, m), xSearch), tf.mul(m, p)).reshape([KR * B, D]) as tf.Tensor2D;
  };
  // The regulariser per class ([K, 1]): L1, plus the weighted total variation over the image.
  // Channel-first or channel-last flat layouts become [K, c, h, w] by reshape (and transpose):
  // gather's gradient has no kernel on tfjs's wasm backend.
  const img = options.image && options.image.h > 1 && options.image.w > 1 && options.smoothness > 0 ? options.image : undefined;
  const layout = img ? flatLayout(img) : undefined;
  const totalVariation = (m: tf.Tensor2D): tf.Tensor2D => {
    const rows = m.shape[0];
    const im = layout === "chw" ? m.reshape([rows, img!.c, img!.h, img!.w]) : m.reshape([rows, img!.h, img!.w, img!.c]).transpose([0, 3, 1, 2]);
    const dx = tf.abs(tf.sub(im.slice([0, 0, 0, 1], [-1, -1, -1, -1]), im.slice([0, 0, 0, 0], [-1, -1, -1, img!.w - 1])));
    const dy = tf.abs(tf.sub(im.slice([0, 0, 1, 0], [-1, -1, -1, -1]), im.slice([0, 0, 0, 0], [-1, -1, img!.h - 1, -1])));
    return tf.add(tf.sum(dx.reshape([rows, -1]), 1, true), tf.sum(dy.reshape([rows, -1]), 1, true)) as tf.Tensor2D;
  };
  const regulariser = (m: tf.Tensor2D): tf.Tensor2D =>
    layout ? (tf.add(tf.sum(m, 1, true), tf.mul(options.smoothness, totalVariation(m))) as tf.Tensor2D) : (tf.sum(m, 1, true) as tf.Tensor2D);
  const schedules = Array.from({ length: KR }, () => new CostSchedule(options));
  const bestMask = new Float32Array(KR * D);
  const bestPattern = new Float32Array(KR * D);
  const hasBest = new Uint8Array(KR);
  let steps = 0;
  for (let step = 0; step < options.steps && schedules.some((s) => !s.done); step++) {
    steps = step + 1;
    const cost = tf.tensor2d(schedules.map((s) => s.cost), [KR, 1]);
    let preds: tf.Tensor | undefined;
    // Per class: mean cross-entropy + cost * L1(mask). Classes are independent rows of the
    // variables, so one summed loss gives each its own gradient.
    const loss = optimizer.minimize(
      () => {
        const logits = logitsOf(stamped());
        preds = tf.keep(tf.argMax(logits, 1));
        return tf.add(tf.div(crossEntropySum(logits, targets), B), tf.sum(tf.mul(cost, regulariser(tf.sigmoid(maskRaw))))) as tf.Scalar;
      },
      true,
      [maskRaw, patternRaw],
    );
    loss?.dispose();
    cost.dispose();
    // The success rate and L1 of the masks the step was computed with (as the reference does).
    const [p, l1] = await Promise.all([preds!.data() as Promise<Int32Array>, tf.tidy(() => regulariser(tf.sigmoid(maskRaw))).data() as Promise<Float32Array>]);
    preds!.dispose();
    const newBest: number[] = [];
    for (let j = 0; j < KR; j++) {
      if (schedules[j]!.done) continue;
      let hit = 0;
      for (let b = 0; b < B; b++) if (p[j * B + b] === j % K) hit++;
      if (schedules[j]!.update(hit / B, l1[j]!)) newBest.push(j);
    }
    if (newBest.length > 0) {
      const [m, pt] = await Promise.all([
        tf.tidy(() => tf.sigmoid(maskRaw)).data() as Promise<Float32Array>,
        tf.tidy(() => tf.add(lo, tf.mul(hi - lo, tf.sigmoid(patternRaw)))).data() as Promise<Float32Array>,
      ]);
      for (const k of newBest) {
        bestMask.set(m.subarray(k * D, (k + 1) * D), k * D);
        bestPattern.set(pt.subarray(k * D, (k + 1) * D), k * D);
        hasBest[k] = 1;
      }
    }
    if (step % 25 === 0) await tf.nextFrame();
  }
  // Classes that never reached the threshold keep their last mask (as the reference does).
  const [lastMask, lastPattern] = await Promise.all([
    tf.tidy(() => tf.sigmoid(maskRaw)).data() as Promise<Float32Array>,
    tf.tidy(() => tf.add(lo, tf.mul(hi - lo, tf.sigmoid(patternRaw)))).data() as Promise<Float32Array>,
  ]);
  for (let j = 0; j < KR; j++) {
    if (hasBest[j]) continue;
    bestMask.set(lastMask.subarray(j * D, (j + 1) * D), j * D);
    bestPattern.set(lastPattern.subarray(j * D, (j + 1) * D), j * D);
  }
  tf.dispose([maskRaw, patternRaw, targets, xSearch]);
  optimizer.dispose();
  const tvAll = layout ? ((await tf.tidy(() => totalVariation(tf.tensor2d(bestMask, [KR, D]))).data()) as Float32Array) : new Float32Array(KR);
  const sizeOf = (j: number): number => {
    let l1 = 0;
    for (let i = j * D; i < (j + 1) * D; i++) l1 += bestMask[i]!;
    return l1 + (layout ? options.smoothness * tvAll[j]! : 0);
  };
  const blockSize = Array.from({ length: KR }, (_, j) => sizeOf(j));
  // Per class, the restart whose mask is smallest among those that reached the threshold (among
  // all of them when none did).
  const chosenBlock = Array.from({ length: K }, (_, k) => {
    let best = -1;
    for (let r = 0; r < R; r++) {
      const j = r * K + k;
      const better = best < 0 || (hasBest[j]! > hasBest[best]! ? true : hasBest[j] === hasBest[best] && blockSize[j]! < blockSize[best]!);
      if (better) best = j;
    }
    return best;
  });
  const maskSizeByRestart = Array.from({ length: R }, (_, r) => Array.from({ length: K }, (_, k) => blockSize[r * K + k]!));
  const anomalyIndexByRestart = maskSizeByRestart.map((sizes) => madAnomalyIndex(sizes));
  const tv = Float32Array.from(chosenBlock, (j) => tvAll[j]!);
  const chosenMask = new Float32Array(K * D);
  const chosenPattern = new Float32Array(K * D);
  chosenBlock.forEach((j, k) => {
    chosenMask.set(bestMask.subarray(j * D, (j + 1) * D), k * D);
    chosenPattern.set(bestPattern.subarray(j * D, (j + 1) * D), k * D);
  });
  // Success of each reported trigger on the inputs of other classes.
  const scores = await tf.tidy(() => {
    const m = tf.tensor2d(chosenMask, [K, D]).expandDims(1);
    const p = tf.tensor2d(chosenPattern, [K, D]).expandDims(1);
    return logitsOf(tf.add(tf.mul(tf.sub(1, m), x.expandDims(0)), tf.mul(m, p)).reshape([K * B, D]) as tf.Tensor2D);
  }).data() as Float32Array;
  x.dispose();
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
    const mask = chosenMask.slice(k * D, (k + 1) * D);
    const maskL1 = mask.reduce((a, v) => a + v, 0);
    triggers.push({
      label: k,
      maskL1,
      maskTV: tv[k]!,
      maskSize: maskL1 + (layout ? options.smoothness * tv[k]! : 0),
      successRate: others ? hit / others : 0,
      reachedThreshold: hasBest[chosenBlock[k]!] === 1,
      steps: schedules[chosenBlock[k]!]!.steps,
      mask,
      pattern: chosenPattern.slice(k * D, (k + 1) * D),
    });
  }
  const anomalyIndex = madAnomalyIndex(triggers.map((t) => t.maskSize));
  let suspect = 0;
  anomalyIndex.forEach((v, k) => {
    if (v > anomalyIndex[suspect]!) suspect = k;
  });
  return { triggers, anomalyIndex, suspect, steps, restarts: R, anomalyIndexByRestart, maskSizeByRestart };
}
