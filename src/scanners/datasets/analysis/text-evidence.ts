// The text model of a dataset, computed once per document and shared by the label-error check
// and the text-trigger check: hashed TF-IDF features of the text column, held-out class
// probabilities from cross-validation, and (memory permitting) each fold's model, so a text
// can be re-read by the model that never saw its label with some of its words taken out.

import type { DatasetDocument } from "../document";
import type { ClassProbabilities } from "./confident-learning";
import { crossValidatedProbabilities, hash, hashedTfidf, type FoldModels, type SparseRows } from "./text-model";

export interface TextModel {
  x: SparseRows;
  probs: ClassProbabilities;
  /** Inverse document frequency per hashed feature, as the features were weighted. */
  idf: Float64Array;
  /** Fold models, or undefined when keeping them would exceed `maxModelBytes`. */
  folds: FoldModels | undefined;
}

const TOKEN = /[a-z0-9][a-z0-9'_-]*/g;

/** The words the text model reads: lower-cased, the first `maxTextChars` characters. */
export function modelTokens(text: string | null | undefined, maxTextChars: number): string[] {
  return (text ?? "").slice(0, maxTextChars).toLowerCase().match(TOKEN) ?? [];
}

const cache = new WeakMap<DatasetDocument, TextModel | null>();

/** The document's text model, or undefined without a label or a text column. */
export function textModelOf(doc: DatasetDocument): TextModel | undefined {
  const hit = cache.get(doc);
  if (hit !== undefined) return hit ?? undefined;
  const label = doc.table.label;
  const column = doc.table.textColumn;
  const texts = column ? (doc.table.strings.get(column) ?? []) : undefined;
  if (!label || !texts || label.classes.length < 2) {
    cache.set(doc, null);
    return undefined;
  }
  const m = doc.thresholds.labelNoise.textModel;
  const K = label.classes.length;
  const x = hashedTfidf(texts, m);
  const bytes = m.folds * K * x.dims * 4;
  const folds: FoldModels | undefined = bytes <= doc.thresholds.textTrigger.maxModelBytes ? { models: [] } : undefined;
  const probs = crossValidatedProbabilities(x, label.codes, K, m, folds);
  const df = new Float64Array(x.dims);
  for (let e = 0; e < x.indptr[x.rows]!; e++) df[x.indices[e]!]!++;
  const idf = new Float64Array(x.dims);
  for (let j = 0; j < x.dims; j++) idf[j] = Math.log((1 + x.rows) / (1 + df[j]!)) + 1;
  const model = { x, probs, idf, folds };
  cache.set(doc, model);
  return model;
}

/**
 * Re-reads rows with some of their tokens deleted (the words around them joined, as a reader
 * would see the text without them), by the fold model that held each row out. A row's hashed
 * term counts and raw class scores are computed once; a deletion then costs only the features
 * it touches (the deleted words' unigrams, the bigrams around them, the bigrams the join makes),
 * with the row's norm updated, so the scores equal a full recomputation.
 */
export class HeldOutReader {
  private readonly rowsCache = new Map<number, { dims: Int32Array; counts: Float64Array; raw: Float64Array; norm2: number }>();
  private readonly mask: number;
  private readonly dims: number;

  constructor(
    private readonly model: TextModel & { folds: FoldModels & { fold: Int32Array } },
    private readonly classes: number,
    hashBits: number,
  ) {
    this.dims = 1 << hashBits;
    this.mask = this.dims - 1;
  }

  static of(model: TextModel, classes: number, hashBits: number): HeldOutReader | undefined {
    const folds = model.folds;
    if (!folds?.fold || folds.models.length === 0) return undefined;
    return new HeldOutReader(model as TextModel & { folds: FoldModels & { fold: Int32Array } }, classes, hashBits);
  }

  private foldModel(row: number): { w: Float32Array; bias: Float64Array; scale: number } {
    const folds = this.model.folds;
    const f = folds.fold[row]! >= 0 ? folds.fold[row]! : folds.models.length - 1;
    return folds.models[f]!;
  }

  private weight(count: number, dim: number): number {
    return count > 0 ? (1 + Math.log(count)) * this.model.idf[dim]! : 0;
  }

  private rowState(row: number, tokens: ReadonlyArray<string>): { dims: Int32Array; counts: Float64Array; raw: Float64Array; norm2: number } {
    let st = this.rowsCache.get(row);
    if (st) return st;
    const counts = new Map<number, number>();
    for (let a = 0; a < tokens.length; a++) {
      const u = hash(tokens[a]!) & this.mask;
      counts.set(u, (counts.get(u) ?? 0) + 1);
      if (a + 1 < tokens.length) {
        const b = hash(`${tokens[a]} ${tokens[a + 1]}`) & this.mask;
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
    }
    const dims = Int32Array.from(counts.keys()).sort();
    const c = new Float64Array(dims.length);
    const fm = this.foldModel(row);
    const raw = new Float64Array(this.classes);
    let norm2 = 0;
    for (let e = 0; e < dims.length; e++) {
      const j = dims[e]!;
      c[e] = counts.get(j)!;
      const u = this.weight(c[e]!, j);
      norm2 += u * u;
      for (let k = 0; k < this.classes; k++) raw[k]! += fm.w[k * this.dims + j]! * u;
    }
    st = { dims, counts: c, raw, norm2 };
    this.rowsCache.set(row, st);
    return st;
  }

  /**
   * Class probabilities and content-only scores (the bias left out: what the words alone say)
   * of row `row` with the tokens at `removed` positions deleted.
   */
  without(row: number, tokens: ReadonlyArray<string>, removed: Uint8Array): { p: Float64Array; content: Float64Array } {
    const st = this.rowState(row, tokens);
    const fm = this.foldModel(row);
    // Count changes per hashed feature.
    const delta = new Map<number, number>();
    const bump = (j: number, d: number): void => {
      delta.set(j, (delta.get(j) ?? 0) + d);
    };
    const L = tokens.length;
    for (let a = 0; a < L; a++) {
      if (!removed[a]) continue;
      bump(hash(tokens[a]!) & this.mask, -1);
      // Bigrams with the previous and next token: each pair once (counted from its left side).
      if (a > 0 && !removed[a - 1]) bump(hash(`${tokens[a - 1]} ${tokens[a]}`) & this.mask, -1);
      if (a + 1 < L) bump(hash(`${tokens[a]} ${tokens[a + 1]}`) & this.mask, -1);
    }
    // Bigrams the deletion creates: across each removed span with kept tokens on both sides.
    for (let a = 0; a < L; a++) {
      if (!removed[a] || (a > 0 && removed[a - 1])) continue;
      let b = a;
      while (b < L && removed[b]) b++;
      if (a > 0 && b < L) bump(hash(`${tokens[a - 1]} ${tokens[b]}`) & this.mask, +1);
    }
    const raw = Float64Array.from(st.raw);
    let norm2 = st.norm2;
    for (const [j, d] of delta) {
      if (d === 0) continue;
      const at = binarySearch(st.dims, j);
      const before = at >= 0 ? st.counts[at]! : 0;
      const u0 = this.weight(before, j);
      const u1 = this.weight(Math.max(0, before + d), j);
      norm2 += u1 * u1 - u0 * u0;
      const du = u1 - u0;
      for (let k = 0; k < this.classes; k++) raw[k]! += fm.w[k * this.dims + j]! * du;
    }
    const s = norm2 > 1e-12 ? fm.scale / Math.sqrt(norm2) : 0;
    const content = new Float64Array(this.classes);
    const p = new Float64Array(this.classes);
    let max = -Infinity;
    for (let k = 0; k < this.classes; k++) {
      content[k] = raw[k]! * s;
      p[k] = content[k]! + fm.bias[k]!;
      if (p[k]! > max) max = p[k]!;
    }
    let sum = 0;
    for (let k = 0; k < this.classes; k++) sum += p[k] = Math.exp(p[k]! - max);
    for (let k = 0; k < this.classes; k++) p[k]! /= sum;
    return { p, content };
  }
}

function binarySearch(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = a[mid]!;
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
