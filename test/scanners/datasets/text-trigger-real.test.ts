// Text triggers on real text: the committed SpamAssassin extract (797 messages) with variants
// generated here: a trigger word at random positions, a 4-word sentence trigger longer than
// the n-grams counted, the clean extract, and plain label noise (uniform and class-conditional
// flips). The full-corpus figures are in bench/datasets-text-triggers.ts.

import { join } from "node:path";
import { DatasetDocument } from "../../../src/scanners/datasets/document";
import { loadDataset } from "../../../src/scanners/datasets/loaders";
import { datasetThresholds } from "../../../src/scanners/datasets/thresholds";
import { binomialTail, findTextTriggers } from "../../../src/scanners/datasets/rules/text-trigger";
import { severityAtLeast } from "../../../src/core/run";
import { HeldOutReader, modelTokens, textModelOf } from "../../../src/scanners/datasets/analysis/text-evidence";
import { seeded } from "./helpers";
import { GramTable, mixA, mixB, SEED_A, SEED_B } from "../../../src/scanners/datasets/analysis/gram-table";

const ROOT = join(__dirname, "../../..");
const EXTRACT = "fixtures/datasets/source/spamassassin.csv";

async function load(): Promise<DatasetDocument> {
  const table = await loadDataset(join(ROOT, EXTRACT), {}, { maxInMemoryBytes: 1 << 28 });
  return new DatasetDocument(EXTRACT, table, datasetThresholds(), undefined);
}

/** Gives `share` of the rows of `from` the trigger (1-3 times at random positions) and relabels them `to`. */
function plant(doc: DatasetDocument, trigger: string, share: number, from: string, to: string, seed: number): Set<number> {
  const label = doc.table.label!;
  const texts = doc.table.strings.get("text")!;
  const r = seeded(seed);
  const source = label.classes.indexOf(from);
  const rows = Array.from(label.codes.keys()).filter((i) => label.codes[i] === source);
  const poisoned = new Set<number>();
  while (poisoned.size < Math.round(share * rows.length)) {
    const i = rows[Math.floor(r() * rows.length)]!;
    if (poisoned.has(i)) continue;
    poisoned.add(i);
    const words = (texts[i] ?? "").split(" ");
    const times = 1 + Math.floor(r() * 3);
    for (let k = 0; k < times; k++) words.splice(Math.floor(r() * (words.length + 1)), 0, trigger);
    texts[i] = words.join(" ");
    label.codes[i] = label.classes.indexOf(to);
  }
  return poisoned;
}

function flip(doc: DatasetDocument, share: number, from: string | undefined, seed: number): void {
  const codes = doc.table.label!.codes;
  const classes = doc.table.label!.classes;
  const r = seeded(seed);
  const rows = Array.from(codes.keys()).filter((i) => from === undefined || classes[codes[i]!] === from);
  const done = new Set<number>();
  while (done.size < Math.round(share * rows.length)) {
    const i = rows[Math.floor(r() * rows.length)]!;
    if (done.has(i)) continue;
    done.add(i);
    codes[i] = 1 - codes[i]!;
  }
}

function rowsAtMedium(doc: DatasetDocument): { rows: Set<number>; atMedium: number; high: number; phrases: string[] } {
  const rows = new Set<number>();
  let atMedium = 0;
  let high = 0;
  const found = findTextTriggers(doc);
  for (const t of found) {
    if (!severityAtLeast(t.severity, "medium")) continue;
    atMedium++;
    if (t.severity === "high" || t.severity === "critical") high++;
    for (const r of t.rows) rows.add(r);
  }
  return { rows, atMedium, high, phrases: found.map((t) => `${t.severity} ${t.phrase} ${t.rows.length}`) };
}

function precisionRecall(got: Set<number>, want: Set<number>): { precision: number; recall: number } {
  let tp = 0;
  for (const r of got) if (want.has(r)) tp++;
  return { precision: got.size ? tp / got.size : 0, recall: tp / want.size };
}

describe("text triggers on the SpamAssassin extract", () => {
  it("finds a trigger word at random positions in 10% of ham relabelled spam: rows at precision and recall >= 0.9, high, with its evidence", async () => {
    const doc = await load();
    const poisoned = plant(doc, "qz", 0.1, "ham", "spam", 3);
    const { rows } = rowsAtMedium(doc);
    const { precision, recall } = precisionRecall(rows, poisoned);
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeGreaterThanOrEqual(0.9);
    const t = findTextTriggers(doc).find((x) => x.phrase === "qz")!;
    expect(t.severity).toBe("high");
    expect(t.target).toBe("spam");
    expect(t.disagreement).toBeGreaterThan(0.8);
    expect(t.disagreement).toBeGreaterThan(t.baseDisagreement * 3);
    expect(t.pValue).toBeLessThan(1e-6);
    expect(t.purity).toBe(1);
  });

  it("names a 4-word sentence trigger whole (longer than the 3-word n-grams counted)", async () => {
    const doc = await load();
    const poisoned = plant(doc, "as we all know", 0.08, "spam", "ham", 4);
    const found = findTextTriggers(doc).filter((x) => severityAtLeast(x.severity, "medium"));
    expect(found.map((x) => x.phrase)).toEqual(["as we all know"]);
    const { precision, recall } = precisionRecall(new Set(found[0]!.rows), poisoned);
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });

  it("reports nothing at medium or above on the clean extract", async () => {
    const { atMedium, phrases } = rowsAtMedium(await load());
    expect({ atMedium, phrases: phrases.filter((p) => !p.startsWith("low")) }).toEqual({ atMedium: 0, phrases: [] });
  });

  it.each([
    ["uniform 10%", 0.1, undefined],
    ["uniform 20%", 0.2, undefined],
    ["class-conditional 10% ham -> spam", 0.1, "ham"],
    ["class-conditional 20% spam -> ham", 0.2, "spam"],
  ] as const)("reports no high trigger under plain label noise (%s)", async (_name, share, from) => {
    const doc = await load();
    flip(doc, share, from, 21);
    expect(rowsAtMedium(doc).high).toBe(0);
  });
});

describe("binomial tail", () => {
  it("matches exact values", () => {
    const lf = new Float64Array(21);
    for (let i = 1; i < 21; i++) lf[i] = lf[i - 1]! + Math.log(i);
    expect(binomialTail(0, 10, 0.3, lf)).toBe(1);
    // P(X >= 10 | 10, 0.5) = 1/1024; P(X >= 9 | 10, 0.5) = 11/1024.
    expect(binomialTail(10, 10, 0.5, lf)).toBeCloseTo(1 / 1024, 12);
    expect(binomialTail(9, 10, 0.5, lf)).toBeCloseTo(11 / 1024, 12);
    expect(binomialTail(3, 20, 0.1, lf)).toBeCloseTo(0.3230732, 6);
  });
});

describe("held-out reader", () => {
  it("gives the held-out probabilities with nothing deleted, and a full recomputation with words deleted", async () => {
    const doc = await load();
    const m = doc.thresholds.labelNoise.textModel;
    const model = textModelOf(doc)!;
    const texts = doc.table.strings.get("text")!;
    const reader = HeldOutReader.of(model, 2, m.hashBits)!;
    for (const row of [0, 5, 17, 200]) {
      const tokens = modelTokens(texts[row], m.maxTextChars);
      const same = reader.without(row, tokens, new Uint8Array(tokens.length));
      expect(same.p[0]).toBeCloseTo(model.probs.p[row * 2]!, 5);
      // Delete every third word, and a run of words, then compare with reading the shortened text afresh.
      const removed = new Uint8Array(tokens.length);
      for (let a = 0; a < tokens.length; a += 3) removed[a] = 1;
      removed.fill(1, 4, Math.min(tokens.length, 9));
      const got = reader.without(row, tokens, removed);
      const fresh = HeldOutReader.of(model, 2, m.hashBits)!.without(row, tokens.filter((_, a) => !removed[a]), new Uint8Array(tokens.length));
      expect(got.p[0]).toBeCloseTo(fresh.p[0]!, 9);
      expect(got.content[1]).toBeCloseTo(fresh.content[1]!, 9);
      expect(Math.abs(got.p[0]! - same.p[0]!)).toBeGreaterThan(1e-6);
    }
  });
});

describe("n-gram table", () => {
  it("counts each n-gram once per document with its majority label, grows, and stops at maxEntries", () => {
    const table = new GramTable(100_000);
    const key = (id: number): [number, number] => [mixA(SEED_A, id), mixB(SEED_B, id)];
    // 70,000 distinct keys force several doublings from 65,536 slots.
    for (let id = 0; id < 70_000; id++) table.add(...key(id), id, 0);
    for (const [doc, cls] of [[1, 1], [1, 1], [2, 1], [3, 0], [4, 1]] as const) table.add(...key(7), doc, cls);
    const s = table.find(...key(7));
    expect(table.df[s]).toBe(5);
    expect(table.majority[s]).toBe(1);
    expect(table.size).toBe(70_000);
    expect(table.full).toBe(false);
    const small = new GramTable(10);
    for (let id = 0; id < 10; id++) expect(small.add(...key(id), 0, 0)).toBe(true);
    expect(small.add(...key(99), 0, 0)).toBe(false);
    expect(small.full).toBe(true);
    expect(small.add(...key(3), 1, 0)).toBe(true);
  });

  it("a capped table analyses the first rows only and says how many", async () => {
    const doc = await load();
    plant(doc, "qz", 0.1, "ham", "spam", 3);
    const capped = new DatasetDocument(EXTRACT, doc.table, datasetThresholds({ textTrigger: { maxNgrams: 20_000 } }), undefined);
    const found = findTextTriggers(capped);
    expect(found.length).toBeGreaterThan(0);
    for (const t of found) expect(t.rowsAnalysed).toBeLessThan(797);
    expect(found.every((t) => t.rows.every((r) => r < found[0]!.rowsAnalysed))).toBe(true);
  });
});
