import type { Rule, Severity } from "../../../types";
import type { DatasetDocument } from "../document";
import type { DatasetThresholds } from "../thresholds";
import { GramTable, mixA, mixB, SEED_A, SEED_B } from "../analysis/gram-table";
import { HeldOutReader, modelTokens, textModelOf } from "../analysis/text-evidence";

export interface TextTrigger {
  phrase: string;
  target: string;
  /** Rows labelled the target that carry the phrase. */
  rows: number[];
  documentFrequency: number;
  purity: number;
  z: number;
  /** Share of the rows whose text, with the phrase taken out, the held-out text model reads as another label. */
  disagreement: number;
  /** Share of all rows labelled the target that the held-out model reads as another label (the label-noise base rate). */
  baseDisagreement: number;
  /** Mean drop of the target's probability when the phrase is taken out. */
  shift: number;
  /** One-sided binomial tail of the disagreement against the base rate, times the candidates tested (Bonferroni). */
  pValue: number;
  candidatesTested: number;
  rowsAnalysed: number;
  severity: Severity;
}

const TOKEN = /[a-z0-9][a-z0-9'_-]*/g;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

interface Candidate {
  slot: number;
  target: number;
  total: number;
  hits: number;
  /** First occurrence: row, token position, length in tokens. */
  row: number;
  pos: number;
  len: number;
  rows: number[];
}

/**
 * Text backdoor triggers (dirty-label: a rare word or phrase stamped on texts of other classes,
 * relabelled to the target). Three tests, each one a thing a trigger does and ordinary text does
 * not:
 *  1. rare yet tied to one label: n-grams (up to `maxNgram` words) in few texts, almost all of
 *     one label, far above its base rate (z-score, as in Z-defence, He et al. 2023);
 *  2. out of character for its texts: taken out of each text (ONION-style deletion), the
 *     held-out text model (the fold model that never saw the row's label) reads the rest as
 *     another label. Boilerplate and topic words sit among words of their own label: a
 *     newsletter's template still reads as its label without one of its phrases;
 *  3. more than label noise: that share of disagreeing texts is compared with the rate at which
 *     the model disagrees with any text of the target label (binomial tail, Bonferroni over the
 *     candidates tested), so rows of a phrase that are simply mislabelled like the rest of the
 *     data do not make a trigger.
 * Severity follows the corrected p-value.
 */
export function findTextTriggers(doc: DatasetDocument): TextTrigger[] {
  const label = doc.table.label;
  const col = doc.table.textColumn;
  if (!label || !col || label.classes.length < 2) return [];
  const texts = doc.table.strings.get(col);
  if (!texts) return [];
  const t = doc.thresholds.textTrigger;
  const m = doc.thresholds.labelNoise.textModel;
  const n = Math.min(texts.length, t.maxTextRows);
  const K = label.classes.length;
  const codes = label.codes;
  // Tokens once, as the text model reads them; ids for n-gram keys.
  const ids = new Map<string, number>();
  const words: string[] = [];
  const docTokens: string[][] = [];
  const docIds: Int32Array[] = [];
  const classDocs = new Float64Array(K);
  let labelled = 0;
  for (let i = 0; i < n; i++) {
    const tokens = modelTokens(texts[i], m.maxTextChars);
    docTokens.push(tokens);
    const row = new Int32Array(tokens.length);
    for (let a = 0; a < tokens.length; a++) {
      let id = ids.get(tokens[a]!);
      if (id === undefined) {
        id = words.length;
        ids.set(tokens[a]!, id);
        words.push(tokens[a]!);
      }
      row[a] = id;
    }
    docIds.push(row);
    if (codes[i]! >= 0) {
      classDocs[codes[i]!]!++;
      labelled++;
    }
  }
  if (labelled === 0) return [];
  // Pass 1: document frequency and majority label of every n-gram.
  const table = new GramTable(t.maxNgrams);
  let rowsAnalysed = 0;
  for (let i = 0; i < n && !table.full; i++, rowsAnalysed++) {
    const c = codes[i]!;
    if (c < 0) continue;
    const row = docIds[i]!;
    for (let a = 0; a < row.length; a++) {
      let h1 = SEED_A;
      let h2 = SEED_B;
      for (let len = 1; len <= t.maxNgram && a + len <= row.length; len++) {
        h1 = mixA(h1, row[a + len - 1]!);
        h2 = mixB(h2, row[a + len - 1]!);
        table.add(h1, h2, i, c);
      }
    }
  }
  const analysedLabelled = Array.from(classDocs).reduce((x, y) => x + y, 0);
  const maxDf = t.maxDocShare * analysedLabelled;
  // Pass 2: exact count of the majority label and its rows, for n-grams of the right frequency.
  const candidateOf = new Int32Array(table.slots).fill(-1);
  const candidates: Candidate[] = [];
  // With every row in the majority label, z = sqrt(df (1 - p0) / p0): fewer rows cannot reach minZ.
  const minDf = Array.from(classDocs, (d) => {
    const p0 = d / analysedLabelled;
    return p0 >= 1 ? Infinity : Math.max(t.minRows, (t.minZ * t.minZ * p0) / (1 - p0));
  });
  for (let s = 0; s < table.slots; s++) {
    const df = table.df[s]!;
    if (df < t.minRows || df > maxDf || df < minDf[table.majority[s]!]!) continue;
    candidateOf[s] = candidates.length;
    candidates.push({ slot: s, target: table.majority[s]!, total: df, hits: 0, row: -1, pos: 0, len: 0, rows: [] });
  }
  const seenIn = new Int32Array(candidates.length).fill(-1);
  for (let i = 0; i < rowsAnalysed; i++) {
    const c = codes[i]!;
    if (c < 0) continue;
    const row = docIds[i]!;
    for (let a = 0; a < row.length; a++) {
      let h1 = SEED_A;
      let h2 = SEED_B;
      for (let len = 1; len <= t.maxNgram && a + len <= row.length; len++) {
        h1 = mixA(h1, row[a + len - 1]!);
        h2 = mixB(h2, row[a + len - 1]!);
        const s = table.find(h1, h2);
        if (s < 0) continue;
        const k = candidateOf[s]!;
        if (k < 0 || seenIn[k] === i) continue;
        seenIn[k] = i;
        const cand = candidates[k]!;
        if (cand.row < 0) {
          cand.row = i;
          cand.pos = a;
          cand.len = len;
        }
        if (c === cand.target) {
          cand.hits++;
          cand.rows.push(i);
        }
      }
    }
  }
  const tied: Array<Candidate & { purity: number; z: number }> = [];
  for (const cand of candidates) {
    const p0 = classDocs[cand.target]! / analysedLabelled;
    if (p0 >= 1) continue;
    const purity = cand.hits / cand.total;
    const z = (cand.hits - cand.total * p0) / Math.sqrt(cand.total * p0 * (1 - p0));
    if (purity >= t.minPurity && z >= t.minZ && cand.rows.length >= t.minRows) tied.push({ ...cand, purity, z });
  }
  if (tied.length === 0) return [];
  // Evidence from the held-out text model.
  const model = textModelOf(doc);
  const probs = model?.probs;
  const baseDisagree = new Float64Array(K);
  if (probs) {
    const wrong = new Float64Array(K);
    const count = new Float64Array(K);
    for (let i = 0; i < probs.rows; i++) {
      const c = codes[i]!;
      if (c < 0) continue;
      count[c]!++;
      if (argmax(probs.p, i * K, K) !== c) wrong[c]!++;
    }
    for (let c = 0; c < K; c++) baseDisagree[c] = count[c]! > 0 ? (wrong[c]! + 1) / (count[c]! + 2) : 0.5;
  }
  const logFactorial = new Float64Array(analysedLabelled + 2);
  for (let q = 1; q < logFactorial.length; q++) logFactorial[q] = logFactorial[q - 1]! + Math.log(q);
  // n-grams marking exactly the same rows (the words of one phrase, one template's lines) are
  // one candidate: the longest phrase stands for them.
  const groups = new Map<string, Candidate & { purity: number; z: number }>();
  for (const cand of tied) {
    const key = `${cand.target}:${cand.rows.join(",")}`;
    const have = groups.get(key);
    if (!have || cand.len > have.len) groups.set(key, cand);
  }
  const tested = groups.size;
  const reader = model ? HeldOutReader.of(model, K, m.hashBits) : undefined;
  const found: Array<TextTrigger & { targetCode: number; words: number; disagreeing: Set<number> }> = [];
  for (const group of groups.values()) {
    // A phrase longer than maxNgram words is read whole: extended while the words next to it
    // are the same in its rows (a sentence-level trigger deleted in full, not in part).
    const { gram, rows } = extend(docIds, docIds[group.row]!.subarray(group.pos, group.pos + group.len), group.rows, t.minPurity);
    if (rows.length < t.minRows) continue;
    const cand = { ...group, rows, len: gram.length };
    const phrase = Array.from(gram, (id) => words[id]!).join(" ");
    let disagree = 0;
    const disagreeing = new Set<number>();
    let shift = 0;
    let measured = 0;
    if (reader && probs) {
      const need = Math.ceil(t.minDisagreement * cand.rows.length);
      for (const r of cand.rows) {
        // Stop once the share that must read as another label can no longer be reached.
        if (disagree + (cand.rows.length - measured) < need) {
          measured = 0;
          break;
        }
        const { p, content } = reader.without(r, docTokens[r]!, occurrences(docIds[r]!, gram));
        measured++;
        // The rest must point elsewhere by its words, not by the prior alone (texts that are
        // mostly encoded data or unknown words say nothing and fall back to the larger class).
        if (argmax(p, 0, K) !== cand.target && argmax(content, 0, K) !== cand.target) {
          disagree++;
          disagreeing.add(r);
        }
        shift += probs.p[r * K + cand.target]! - p[cand.target]!;
      }
    }
    const disagreement = measured > 0 ? disagree / measured : 0;
    const q = baseDisagree[cand.target]!;
    const pValue = measured > 0 ? Math.min(1, binomialTail(disagree, measured, q, logFactorial) * tested) : 1;
    const severity = severityOf(disagreement, pValue, t);
    if (!severity) continue;
    found.push({
      phrase, target: label.classes[cand.target]!, targetCode: cand.target, rows: cand.rows, documentFrequency: cand.total, purity: cand.purity, z: cand.z,
      disagreement, baseDisagreement: q, shift: measured > 0 ? shift / measured : 0, pValue, candidatesTested: tested, rowsAnalysed, severity, words: cand.len, disagreeing,
    });
  }
  // Merge candidates whose rows lie (mostly) inside another's: the words of one phrase, a phrase
  // and a longer one that occurs in a few of its texts ("qz" and "qz but"), a trigger and a
  // sub-phrase that also has ordinary uses ("as we all know" and "we all"). The larger one
  // stands for both when its extra rows read as another label too; otherwise the smaller one
  // (the extra rows are ordinary texts).
  found.sort((a, b) => b.rows.length - a.rows.length || b.words - a.words);
  const merged: typeof found = [];
  for (const f of found) {
    const at = merged.findIndex((x) => x.targetCode === f.targetCode && containment(x.rows, f.rows) >= t.mergeJaccard);
    if (at < 0) {
      merged.push(f);
      continue;
    }
    const x = merged[at]!;
    const inner = new Set(f.rows);
    let extra = 0;
    let extraDisagree = 0;
    for (const r of x.rows) {
      if (inner.has(r)) continue;
      extra++;
      if (x.disagreeing.has(r)) extraDisagree++;
    }
    if (extra > 0 && extraDisagree / extra < t.minDisagreement) merged[at] = f;
  }
  merged.sort((a, b) => a.pValue - b.pValue || b.rows.length - a.rows.length);
  return merged.map(({ targetCode: _c, words: _w, disagreeing: _d, ...rest }) => rest);
}

/** Why the trigger check cannot weigh candidates on this table (it has a label and a text column), or undefined. */
export function textTriggerUnavailable(doc: DatasetDocument): string | undefined {
  const label = doc.table.label;
  if (!label || !doc.table.textColumn || label.classes.length < 2) return undefined;
  const m = doc.thresholds.labelNoise.textModel;
  const bytes = m.folds * label.classes.length * 2 ** m.hashBits * 4;
  const max = doc.thresholds.textTrigger.maxModelBytes;
  if (bytes <= max) return undefined;
  return `its held-out text models (${m.folds} folds x ${label.classes.length} classes x 2^${m.hashBits} features) would take ${Math.ceil(bytes / 2 ** 20)} MiB, over textTrigger.maxModelBytes (${Math.floor(max / 2 ** 20)} MiB)`;
}

function severityOf(disagreement: number, p: number, t: DatasetThresholds["textTrigger"]): Severity | undefined {
  if (disagreement < t.minDisagreement) return undefined;
  if (p <= t.highP) return "high";
  if (p <= t.mediumP) return "medium";
  if (p <= t.lowP) return "low";
  return undefined;
}

/** Marks every token position covered by an occurrence of `gram` in `row`. */
function occurrences(row: Int32Array, gram: Int32Array): Uint8Array {
  const out = new Uint8Array(row.length);
  const L = gram.length;
  for (let a = 0; a + L <= row.length; a++) {
    let match = true;
    for (let k = 0; k < L && match; k++) match = row[a + k] === gram[k];
    if (match) out.fill(1, a, a + L);
  }
  return out;
}

function argmax(p: ArrayLike<number>, from: number, K: number): number {
  let best = 0;
  for (let c = 1; c < K; c++) if (p[from + c]! > p[from + best]!) best = c;
  return best;
}

/** P(X >= k) for X ~ Binomial(n, q), summed in log space. */
export function binomialTail(k: number, n: number, q: number, logFactorial: Float64Array): number {
  if (k <= 0) return 1;
  if (q <= 0) return 0;
  if (q >= 1) return 1;
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  let sum = 0;
  for (let x = k; x <= n; x++) sum += Math.exp(logFactorial[n]! - logFactorial[x]! - logFactorial[n - x]! + x * lq + (n - x) * l1q);
  return Math.min(1, sum);
}

/** Share of the smaller row set that lies in the other. */
function containment(a: number[], b: number[]): number {
  const set = new Set(a);
  let both = 0;
  for (const x of b) if (set.has(x)) both++;
  return both / (Math.min(a.length, b.length) || 1);
}

/**
 * Grows `gram` right, then left, while at least `share` of its rows have the same word next to
 * its first occurrence; returns the grown phrase and the rows that carry it.
 */
function extend(docIds: Int32Array[], start: Int32Array, startRows: number[], share: number): { gram: Int32Array; rows: number[] } {
  let gram = Int32Array.from(start);
  let rows = startRows;
  for (const side of [1, -1] as const) {
    while (gram.length < MAX_PHRASE_WORDS) {
      const next = new Map<number, number>();
      for (const r of rows) {
        const row = docIds[r]!;
        const at = firstOccurrence(row, gram);
        const j = side === 1 ? at + gram.length : at - 1;
        if (at >= 0 && j >= 0 && j < row.length) next.set(row[j]!, (next.get(row[j]!) ?? 0) + 1);
      }
      let best = -1;
      let bestCount = 0;
      for (const [id, count] of next) if (count > bestCount) [best, bestCount] = [id, count];
      if (best < 0 || bestCount < share * rows.length) break;
      const grown = new Int32Array(gram.length + 1);
      if (side === 1) {
        grown.set(gram);
        grown[gram.length] = best;
      } else {
        grown[0] = best;
        grown.set(gram, 1);
      }
      gram = grown;
      rows = rows.filter((r) => firstOccurrence(docIds[r]!, gram) >= 0);
    }
  }
  return { gram, rows };
}

const MAX_PHRASE_WORDS = 12;

function firstOccurrence(row: Int32Array, gram: Int32Array): number {
  const L = gram.length;
  for (let a = 0; a + L <= row.length; a++) {
    let k = 0;
    while (k < L && row[a + k] === gram[k]) k++;
    if (k === L) return a;
  }
  return -1;
}

export const textTrigger: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/text-trigger",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    requires: [
      { id: "label-column", description: "a label column (recognised by name, or given with --label-column or scanners.datasets.labelColumn)", isMet: (doc) => doc.table.label !== undefined },
      { id: "text-column", description: "a text column (recognised by name, or given with --text-column or scanners.datasets.textColumn)", isMet: (doc) => doc.table.textColumn !== undefined },
    ],
    messages: {
      found: "The phrase \"{{phrase}}\" appears in {{documentFrequency}} texts of column {{column}}, {{value}}% labelled {{target}}, and {{value2}}% of those texts read as another label once it is taken out (against {{base}}% of all texts labelled {{target}}; p = {{p}}): a text backdoor trigger targeting label {{target}}.",
      found2: "Row {{r}} contains the trigger \"{{phrase}}\" and is labelled {{target}}.",
    },
  },
  check(doc, ctx) {
    const column = doc.table.textColumn;
    for (const tr of findTextTriggers(doc)) {
      ctx.report({
        messageId: "found",
        data: { phrase: tr.phrase, documentFrequency: tr.documentFrequency, column: column ?? "", value: (tr.purity * 100).toFixed(0), target: tr.target, value2: (tr.disagreement * 100).toFixed(0), base: (tr.baseDisagreement * 100).toFixed(0), p: tr.pValue.toExponential(1) },
        severity: tr.severity,
        location: { ...doc.summaryLocation(), ...(column ? { column } : {}) },
        evidence: {
          trigger: tr.phrase,
          targetLabel: tr.target,
          rows: doc.listRows(tr.rows),
          rowCount: tr.rows.length,
          documentFrequency: tr.documentFrequency,
          documentShare: Number((tr.documentFrequency / Math.max(1, tr.rowsAnalysed)).toPrecision(2)),
          purity: Number(tr.purity.toFixed(3)),
          zScore: Number(tr.z.toFixed(1)),
          contentDisagreement: Number(tr.disagreement.toFixed(3)),
          baseDisagreement: Number(tr.baseDisagreement.toFixed(3)),
          probabilityShift: Number(tr.shift.toFixed(3)),
          pValue: Number(tr.pValue.toPrecision(2)),
          candidatesTested: tr.candidatesTested,
          rowsAnalysed: tr.rowsAnalysed,
        },
        fingerprintKey: `trigger:${tr.target}:${tr.phrase}`,
      });
      // Rows carry at most medium each (the catalogue's severityOverride), never more than their trigger.
      const rowSeverity: Severity = tr.severity === "low" || tr.severity === "info" ? tr.severity : "medium";
      doc.reportRows(ctx, tr.rows, (r) => ({
        messageId: "found2", data: { r, phrase: tr.phrase, target: tr.target },
        severity: rowSeverity,
        location: doc.rowLocation(r, column),
        evidence: { trigger: tr.phrase, targetLabel: tr.target },
        fingerprintKey: `row:${r}:${tr.phrase}`,
      }));
    }
  },
};
