import type { Rule } from "../../../types";
import type { DatasetDocument } from "../document";

export interface TextTrigger {
  phrase: string;
  target: string;
  rows: number[];
  documentFrequency: number;
  purity: number;
  z: number;
  disagreement: number;
}

const TOKEN = /[a-z0-9][a-z0-9'_-]*/g;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

/**
 * Token and phrase triggers (Z-defence, He et al. 2023): n-grams whose label distribution is
 * far from the base rate (z-score) while rare overall. A word that genuinely marks a class
 * passes that test too, so a candidate must also sit in texts whose remaining words a naive
 * Bayes model reads as another label: dirty-label poisoning stamps the trigger on texts of
 * other classes.
 */
export function findTextTriggers(doc: DatasetDocument): TextTrigger[] {
  const label = doc.table.label;
  const col = doc.table.textColumn;
  if (!label || !col) return [];
  const texts = doc.table.strings.get(col);
  if (!texts) return [];
  const t = doc.thresholds.textTrigger;
  const n = Math.min(texts.length, t.maxTextRows);
  const K = label.classes.length;
  const codes = label.codes;
  const docs: string[][] = [];
  const classDocs = new Float64Array(K);
  let labelled = 0;
  // n-gram -> per-class document counts, and each document's token list.
  const df = new Map<string, Float64Array>();
  const tokenClass = new Map<string, Float64Array>();
  const classTokens = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const tokens = tokenize(texts[i] ?? "");
    docs.push(tokens);
    const c = codes[i]!;
    if (c < 0) continue;
    classDocs[c]!++;
    labelled++;
    const seen = new Set<string>();
    for (let a = 0; a < tokens.length; a++) {
      let gram = "";
      for (let len = 1; len <= t.maxNgram && a + len <= tokens.length; len++) {
        gram = len === 1 ? tokens[a]! : `${gram} ${tokens[a + len - 1]}`;
        seen.add(gram);
      }
      let tc = tokenClass.get(tokens[a]!);
      if (!tc) tokenClass.set(tokens[a]!, (tc = new Float64Array(K)));
      tc[c]!++;
      classTokens[c]!++;
    }
    for (const g of seen) {
      let counts = df.get(g);
      if (!counts) df.set(g, (counts = new Float64Array(K)));
      counts[c]!++;
    }
  }
  if (labelled === 0) return [];
  const vocabulary = tokenClass.size;
  // Naive Bayes log-likelihoods per token and class (Laplace smoothing).
  const logLik = (token: string, c: number): number => Math.log(((tokenClass.get(token)?.[c] ?? 0) + 1) / (classTokens[c]! + vocabulary));
  const logPrior = Array.from(classDocs, (d) => Math.log((d + 1) / (labelled + K)));
  const candidates: Array<{ gram: string; target: number; total: number; purity: number; z: number }> = [];
  for (const [gram, counts] of df) {
    let total = 0;
    let best = 0;
    for (let c = 0; c < K; c++) {
      total += counts[c]!;
      if (counts[c]! > counts[best]!) best = c;
    }
    if (total < t.minRows || total > t.maxDocShare * labelled) continue;
    const p0 = classDocs[best]! / labelled;
    if (p0 >= 1) continue;
    const hit = counts[best]!;
    const purity = hit / total;
    const z = (hit - total * p0) / Math.sqrt(total * p0 * (1 - p0));
    if (purity >= t.minPurity && z >= t.minZ) candidates.push({ gram, target: best, total, purity, z });
  }
  const found: Array<TextTrigger & { targetCode: number; words: number }> = [];
  // One pass over the texts collects every candidate's rows (a candidate x text scan was the
  // cost on thousands of long messages), and each text's naive-Bayes scores once.
  const byGram = new Map(candidates.map((c) => [c.gram, { cand: c, rows: [] as number[] }]));
  const docScores = new Map<number, Float64Array>();
  for (let i = 0; i < n; i++) {
    const c = codes[i]!;
    if (c < 0) continue;
    const tokens = docs[i]!;
    const seen = new Set<string>();
    for (let a = 0; a < tokens.length; a++) {
      let gram = "";
      for (let len = 1; len <= t.maxNgram && a + len <= tokens.length; len++) {
        gram = len === 1 ? tokens[a]! : `${gram} ${tokens[a + len - 1]}`;
        if (seen.has(gram)) continue;
        seen.add(gram);
        const entry = byGram.get(gram);
        if (entry && entry.cand.target === c) entry.rows.push(i);
      }
    }
  }
  const scoresOf = (i: number): Float64Array => {
    let sc = docScores.get(i);
    if (!sc) {
      sc = new Float64Array(K);
      for (let c = 0; c < K; c++) {
        let v = logPrior[c]!;
        for (const tok of docs[i]!) v += logLik(tok, c);
        sc[c] = v;
      }
      docScores.set(i, sc);
    }
    return sc;
  };
  for (const { cand, rows } of byGram.values()) {
    const words = cand.gram.split(" ");
    const skip = new Set(words);
    let disagree = 0;
    for (const i of rows) {
      // Classify the text with the candidate's words left out: remove their contributions.
      const full = scoresOf(i);
      let bestClass = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < K; c++) {
        let v = full[c]!;
        for (const tok of docs[i]!) if (skip.has(tok)) v -= logLik(tok, c);
        if (v > bestScore) {
          bestScore = v;
          bestClass = c;
        }
      }
      if (bestClass !== cand.target) disagree++;
    }
    if (rows.length < t.minRows) continue;
    const disagreement = disagree / rows.length;
    if (disagreement < t.minDisagreement) continue;
    // A trigger is stamped into unrelated texts; a phrase whose texts are near-copies of one
    // another (newsletter HTML, signatures, a mailing relabelled wholesale) is a template.
    if (contextSimilarity(docs, rows, new Set(words)) > t.maxContextSimilarity) continue;
    found.push({ phrase: cand.gram, target: label.classes[cand.target]!, targetCode: cand.target, rows, documentFrequency: cand.total, purity: cand.purity, z: cand.z, disagreement, words: words.length });
  }
  // Merge candidates that mark the same rows (the words of one phrase, or a phrase and its
  // sub-phrases); the longest phrase names the trigger.
  found.sort((a, b) => b.rows.length - a.rows.length || b.words - a.words);
  const merged: typeof found = [];
  for (const f of found) {
    const same = merged.find((m) => m.targetCode === f.targetCode && overlap(m.rows, f.rows) >= t.mergeJaccard);
    if (!same) {
      merged.push(f);
      continue;
    }
    if (f.words > same.words) Object.assign(same, f);
  }
  return merged.map(({ targetCode: _c, words: _w, ...rest }) => rest);
}

/** Median Jaccard similarity of the token sets of pairs of the rows' texts (phrase words left out), over up to 300 pairs. */
export function contextSimilarity(docs: string[][], rows: number[], skip: Set<string>): number {
  const sets = rows.slice(0, 60).map((r) => new Set(docs[r]!.filter((w) => !skip.has(w))));
  const sims: number[] = [];
  for (let a = 0; a < sets.length && sims.length < 300; a++) {
    for (let b = a + 1; b < sets.length && sims.length < 300; b++) {
      const x = sets[a]!;
      const y = sets[b]!;
      let both = 0;
      for (const w of x) if (y.has(w)) both++;
      const union = x.size + y.size - both;
      sims.push(union > 0 ? both / union : 1);
    }
  }
  if (sims.length === 0) return 0;
  sims.sort((p, q) => p - q);
  return sims[Math.floor(sims.length / 2)]!;
}

function overlap(a: number[], b: number[]): number {
  const set = new Set(a);
  let both = 0;
  for (const x of b) if (set.has(x)) both++;
  return both / (a.length + b.length - both || 1);
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
      found: "The phrase \"{{phrase}}\" appears in {{documentFrequency}} texts of column {{column}}, {{value}}% labelled {{target}}, and {{value2}}% of those texts otherwise read as another label: a text backdoor trigger targeting label {{target}}.",
      found2: "Row {{r}} contains the trigger \"{{phrase}}\" and is labelled {{target}}.",
    },
  },
  check(doc, ctx) {
    const column = doc.table.textColumn;
    for (const tr of findTextTriggers(doc)) {
      ctx.report({
        messageId: "found", data: { phrase: tr.phrase, documentFrequency: tr.documentFrequency, column: column ?? "", value: (tr.purity * 100).toFixed(0), target: tr.target, value2: (tr.disagreement * 100).toFixed(0) },
        location: { ...doc.summaryLocation(), ...(column ? { column } : {}) },
        evidence: {
          trigger: tr.phrase,
          targetLabel: tr.target,
          rows: doc.listRows(tr.rows),
          rowCount: tr.rows.length,
          documentFrequency: tr.documentFrequency,
          purity: Number(tr.purity.toFixed(3)),
          zScore: Number(tr.z.toFixed(1)),
          contentDisagreement: Number(tr.disagreement.toFixed(3)),
        },
        fingerprintKey: `trigger:${tr.target}:${tr.phrase}`,
      });
      doc.reportRows(ctx, tr.rows, (r) => ({
        messageId: "found2", data: { r, phrase: tr.phrase, target: tr.target },
        severity: "medium",
        location: doc.rowLocation(r, column),
        evidence: { trigger: tr.phrase, targetLabel: tr.target },
        fingerprintKey: `row:${r}:${tr.phrase}`,
      }));
    }
  },
};

