// Out-of-sample class probabilities for texts: hashed TF-IDF features (word unigrams and
// bigrams, sublinear term frequency, L2-normalised rows; the hashing trick keeps memory
// fixed whatever the vocabulary) and a multinomial logistic regression trained by SGD on
// all folds but one, predicting the held-out fold. Every row is predicted by a model that
// never saw its label, which is what confident learning needs.

import { mulberry32 } from "../../../core/random";
import type { ClassProbabilities } from "./confident-learning";

export interface SparseRows {
  rows: number;
  dims: number;
  /** Row i's entries are indices/values[indptr[i] .. indptr[i+1]). */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

export interface TextModelOptions {
  /** log2 of the hashed feature space. */
  hashBits: number;
  folds: number;
  epochs: number;
  /** L2 penalty per SGD step. */
  l2: number;
  learningRate: number;
  seed: number;
  /** Longest text (characters) read per row; the rest is ignored. */
  maxTextChars: number;
}

const TOKEN = /[a-z0-9][a-z0-9'_-]*/g;

/** FNV-1a, 32-bit. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hashed TF-IDF of each text (unigrams and bigrams). Missing texts are empty rows. */
export function hashedTfidf(texts: ReadonlyArray<string | null>, opts: Pick<TextModelOptions, "hashBits" | "maxTextChars">): SparseRows {
  const dims = 1 << opts.hashBits;
  const mask = dims - 1;
  const rows = texts.length;
  const indptr = new Int32Array(rows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  const df = new Float64Array(dims);
  const counts = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    const text = (texts[i] ?? "").slice(0, opts.maxTextChars).toLowerCase();
    const tokens = text.match(TOKEN) ?? [];
    counts.clear();
    for (let a = 0; a < tokens.length; a++) {
      const u = hash(tokens[a]!) & mask;
      counts.set(u, (counts.get(u) ?? 0) + 1);
      if (a + 1 < tokens.length) {
        const b = hash(`${tokens[a]} ${tokens[a + 1]}`) & mask;
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
    }
    for (const [j, n] of counts) {
      idx.push(j);
      val.push(1 + Math.log(n));
      df[j]!++;
    }
    indptr[i + 1] = idx.length;
  }
  const indices = Int32Array.from(idx);
  const values = Float32Array.from(val);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let e = indptr[i]!; e < indptr[i + 1]!; e++) {
      const v = values[e]! * (Math.log((1 + rows) / (1 + df[indices[e]!]!)) + 1);
      values[e] = v;
      norm += v * v;
    }
    const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let e = indptr[i]!; e < indptr[i + 1]!; e++) values[e]! *= s;
  }
  return { rows, dims, indptr, indices, values };
}

/** Each fold's trained model (weights w_true = scale * w, class-major K x dims) and which fold held out each row (-1: unlabelled, predicted by the last fold's model). */
export interface FoldModels {
  models: Array<{ w: Float32Array; bias: Float64Array; scale: number }>;
  fold?: Int32Array;
}

/**
 * Held-out probabilities: rows are split into `folds` stratified folds; each fold is
 * predicted by a softmax regression trained on the others. Unlabelled rows (code < 0) are
 * predicted but never trained on.
 */
export function crossValidatedProbabilities(x: SparseRows, codes: Int32Array, classes: number, opts: TextModelOptions, keep?: FoldModels): ClassProbabilities {
  const K = classes;
  const { rows, dims, indptr, indices, values } = x;
  const random = mulberry32(opts.seed);
  // Stratified folds: each class's rows dealt round-robin after a seeded shuffle.
  const fold = new Int32Array(rows).fill(-1);
  const byClass: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < rows; i++) if (codes[i]! >= 0) byClass[codes[i]!]!.push(i);
  let next = 0;
  for (const members of byClass) {
    shuffle(members, random);
    for (const i of members) fold[i] = next++ % opts.folds;
  }
  const p = new Float64Array(rows * K);
  const w = new Float32Array(K * dims);
  const bias = new Float64Array(K);
  const scores = new Float64Array(K);
  const order: number[] = [];
  for (let f = 0; f < opts.folds; f++) {
    w.fill(0);
    bias.fill(0);
    order.length = 0;
    for (let i = 0; i < rows; i++) if (fold[i]! >= 0 && fold[i] !== f) order.push(i);
    // Weight decay through one shared scale (w_true = scale * w), so a step costs the row's entries, not the weights.
    let scale = 1;
    let step = 0;
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      shuffle(order, random);
      for (const i of order) {
        const lr = opts.learningRate / (1 + opts.learningRate * opts.l2 * step++);
        softmaxScores(w, bias, scale, dims, K, indices, values, indptr[i]!, indptr[i + 1]!, scores);
        scale *= 1 - lr * opts.l2;
        if (scale < 1e-6) {
          for (let q = 0; q < w.length; q++) w[q]! *= scale;
          scale = 1;
        }
        const y = codes[i]!;
        for (let c = 0; c < K; c++) {
          const g = scores[c]! - (c === y ? 1 : 0);
          if (g === 0) continue;
          bias[c]! -= lr * g;
          const base = c * dims;
          const u = (lr * g) / scale;
          for (let e = indptr[i]!; e < indptr[i + 1]!; e++) w[base + indices[e]!]! -= u * values[e]!;
        }
      }
    }
    if (keep) keep.models[f] = { w: w.slice(), bias: bias.slice(), scale };
    for (let i = 0; i < rows; i++) {
      if (fold[i] !== f && fold[i]! >= 0) continue;
      softmaxScores(w, bias, scale, dims, K, indices, values, indptr[i]!, indptr[i + 1]!, scores);
      for (let c = 0; c < K; c++) p[i * K + c] = scores[c]!;
    }
  }
  // Unlabelled rows were predicted by every fold's model; keep the last one's view, already written.
  if (keep) keep.fold = fold;
  return { rows, classes: K, p };
}

function softmaxScores(
  w: Float32Array,
  bias: Float64Array,
  scale: number,
  dims: number,
  K: number,
  indices: Int32Array,
  values: Float32Array,
  from: number,
  to: number,
  out: Float64Array,
): void {
  let max = -Infinity;
  for (let c = 0; c < K; c++) {
    let s = 0;
    const base = c * dims;
    for (let e = from; e < to; e++) s += w[base + indices[e]!]! * values[e]!;
    s = s * scale + bias[c]!;
    out[c] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let c = 0; c < K; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < K; c++) out[c]! /= sum;
}

function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
