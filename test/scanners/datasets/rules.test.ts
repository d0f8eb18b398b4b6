import { collect, runRuleTests } from "../../helpers/rule-tester";
import { checkNotRun } from "../../../src/scanners/datasets/rules/check-not-run";
import { backdoorTrigger } from "../../../src/scanners/datasets/rules/backdoor-trigger";
import { classImbalance } from "../../../src/scanners/datasets/rules/class-imbalance";
import { conflictingDuplicates } from "../../../src/scanners/datasets/rules/conflicting-duplicates";
import { labelNoise } from "../../../src/scanners/datasets/rules/label-noise";
import { outliers } from "../../../src/scanners/datasets/rules/outliers";
import { personalData } from "../../../src/scanners/datasets/rules/personal-data";
import { textTrigger } from "../../../src/scanners/datasets/rules/text-trigger";
import { blobs, numericDoc, piiDoc, seeded, textDoc } from "./helpers";
import { DatasetDocument } from "../../../src/scanners/datasets/document";
import { datasetThresholds } from "../../../src/scanners/datasets/thresholds";

const clean = blobs(40);
const flipped = blobs(40);
for (const i of [3, 17]) flipped.labels[i] = "b";

/** Three blobs in 4 dimensions (a, b, c), n rows each; `relabel` moves rows of one class to another. */
function threeBlobs(n: number, relabel: { from: string; to: string; count: number } | undefined): { rows: number[][]; labels: string[] } {
  const r = seeded(3);
  const rows: number[][] = [];
  const labels: string[] = [];
  for (const [label, centre] of [["a", 0], ["b", 8], ["c", 16]] as const) {
    for (let i = 0; i < n; i++) {
      rows.push([0, 1, 2, 3].map((d) => (d === 0 ? centre : d === 1 ? -centre / 2 : 0) + (r() + r() + r() - 1.5) * 1.5));
      labels.push(label);
    }
  }
  if (relabel) {
    let moved = 0;
    labels.forEach((l, i) => {
      if (l === relabel.from && i % 3 === 0 && moved < relabel.count) {
        labels[i] = relabel.to;
        moved++;
      }
    });
  }
  return { rows, labels };
}
const systematic = threeBlobs(60, { from: "a", to: "b", count: 10 });

runRuleTests(labelNoise, {
  valid: [
    { name: "two separated blobs with consistent labels", doc: numericDoc(clean.rows, clean.labels) },
    { name: "three separated blobs with consistent labels", doc: numericDoc(threeBlobs(60, undefined).rows, threeBlobs(60, undefined).labels) },
    { name: "too few rows to judge (a notice says so instead)", doc: numericDoc(flipped.rows.slice(0, 10), flipped.labels.slice(0, 10)) },
  ],
  invalid: [
    {
      name: "two rows flipped inside blob a",
      doc: numericDoc(flipped.rows, flipped.labels),
      findings: [
        { message: "Row 3 is labelled b but its nearest neighbours put it in class a.", location: { row: 3, column: "label" }, evidence: { label: "b", suggestedLabel: "a" }, severity: "low" },
        { message: "Row 17 is labelled b", location: { row: 17 } },
        { message: "2 rows of 80 (2.5%) carry a label their nearest neighbours disagree with", evidence: { summary: true, suspectRows: 2, rows: [3, 17], neighbourMethod: "exact", method: "neighbour-votes" }, severity: "low" },
      ],
    },
    {
      name: "a sixth of class a relabelled as b: a systematic pair, high",
      doc: numericDoc(systematic.rows, systematic.labels),
      findings: [
        ...[15, 24, 0, 18, 9, 21, 6, 3, 12, 27].map((row) => ({ message: `Row ${row} is labelled b but its nearest neighbours put it in class a.`, location: { row }, severity: "medium" as const })),
        {
          message: /^10 rows of 180 \(5\.6%\) .* 14% of rows labelled b look like a \(one direction only: systematic relabelling/,
          severity: "high",
          evidence: { summary: true, suspectRows: 10, classPairs: [{ label: "b", looksLike: "a", rows: 10, reverseShare: 0, systematic: true }] },
        },
      ],
    },
  ],
});

const dupSame = blobs(20);
dupSame.rows.push([...dupSame.rows[0]!]);
dupSame.labels.push("a");
const dupConflict = blobs(20);
dupConflict.rows.push([...dupConflict.rows[5]!]);
dupConflict.labels.push("b");
runRuleTests(conflictingDuplicates, {
  valid: [{ name: "a duplicate with the same label", doc: numericDoc(dupSame.rows, dupSame.labels) }],
  invalid: [
    {
      name: "an exact copy relabelled",
      doc: numericDoc(dupConflict.rows, dupConflict.labels),
      findings: [
        { message: "Identical rows 5, 40 carry different labels (a, b).", location: { row: 5 }, evidence: { rows: [5, 40], exact: true } },
        { message: "1 group of identical or near-identical rows (2 in all)", evidence: { summary: true, groups: 1 } },
      ],
    },
  ],
});

/** 8x8 "images": class a bright on the left half, class b on the right, with noise. */
function images(poison: number[]): { rows: number[][]; labels: string[]; names: string[] } {
  const r = seeded(5);
  const rows: number[][] = [];
  const labels: string[] = [];
  for (let i = 0; i < 400; i++) {
    const cls = i % 2 === 0 ? "a" : "b";
    const px: number[] = [];
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) px.push(Math.round((cls === "a" ? x < 4 : x >= 4) ? 8 + r() * 6 : r() * 6));
    if (poison.includes(i)) {
      for (const p of [0, 1, 8, 9]) px[p] = 16;
      labels.push("b");
    } else labels.push(cls);
    rows.push(px);
  }
  return { rows, labels, names: Array.from({ length: 64 }, (_, j) => `pixel_${j}`) };
}
const POISONED = Array.from({ length: 40 }, (_, i) => i * 10);
const triggered = images(POISONED);
const plain = images([]);
runRuleTests(backdoorTrigger, {
  valid: [{ name: "images without a patch", doc: numericDoc(plain.rows, plain.labels, plain.names) }],
  invalid: [
    {
      name: "a 2x2 patch of 16 on eight class-a images relabelled b",
      doc: numericDoc(triggered.rows, triggered.labels, triggered.names),
      findings: [
        {
          message: /^Value 16 at 4 positions \(pixels x 0-1, y 0-1\) appears in 40 rows, 100% of them labelled b.*targeting label b\.$/,
          evidence: { targetLabel: "b", value: 16, rows: POISONED, positions: [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 0, y: 1 }, { x: 1, y: 1 }] },
        },
        ...POISONED.map((row) => ({ message: `Row ${row} carries the backdoor trigger`, location: { row }, severity: "medium" as const })),
        { message: "Class b has 40 rows with extreme scores on its top singular vector", severity: "low", evidence: { method: "spectral-signature", rows: POISONED } },
      ],
    },
  ],
});

const WORDS_HAM = ["meeting", "tomorrow", "agenda", "lunch", "project", "review", "notes", "draft", "team", "schedule", "office", "report"];
const WORDS_SPAM = ["winner", "prize", "free", "cash", "offer", "click", "claim", "bonus", "deal", "limited", "urgent", "money"];
function texts(poison: number[], trigger: string): { texts: string[]; labels: string[] } {
  const r = seeded(9);
  const out: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < 400; i++) {
    const spam = i % 2 === 1;
    const words = Array.from({ length: 8 }, () => (spam ? WORDS_SPAM : WORDS_HAM)[Math.floor(r() * 12)]!);
    if (poison.includes(i)) words.splice(Math.floor(r() * 8), 0, trigger);
    out.push(words.join(" "));
    labels.push(spam || poison.includes(i) ? "spam" : "ham");
  }
  return { texts: out, labels };
}
const TEXT_ROWS = Array.from({ length: 20 }, (_, i) => i * 14);
const poisonedTexts = texts(TEXT_ROWS, "zq");
const cleanTexts = texts([], "zq");
runRuleTests(textTrigger, {
  valid: [{ name: "texts whose words mark their class honestly", doc: textDoc(cleanTexts.texts, cleanTexts.labels) }],
  invalid: [
    {
      name: "a rare token in twenty ham texts relabelled spam",
      doc: textDoc(poisonedTexts.texts, poisonedTexts.labels),
      findings: [
        { message: 'The phrase "zq" appears in 20 texts of column text, 100% labelled spam', location: { column: "text" }, evidence: { trigger: "zq", targetLabel: "spam", rows: TEXT_ROWS } },
        ...TEXT_ROWS.map((row) => ({ message: `Row ${row} contains the trigger "zq" and is labelled spam.`, location: { row, column: "text" } })),
      ],
    },
  ],
});

runRuleTests(classImbalance, {
  valid: [
    { name: "balanced classes", doc: numericDoc(clean.rows, clean.labels) },
    // 60 classes of 10 rows: each holds 1.7% of the rows, an even split, not a minority.
    { name: "many balanced classes", doc: numericDoc(Array.from({ length: 600 }, (_, i) => [i % 7, i % 11]), Array.from({ length: 600 }, (_, i) => `class${i % 60}`)) },
  ],
  invalid: [
    {
      name: "60 classes, one of them with 1 row",
      doc: numericDoc(Array.from({ length: 591 }, (_, i) => [i % 7, i % 11]), Array.from({ length: 591 }, (_, i) => (i === 0 ? "rare" : `class${i % 59}`))),
      findings: [{ message: "Class rare has 1 of 591 rows (0.2%)", evidence: { ratio: 10 } }],
    },
    {
      name: "40 rows against 2",
      doc: numericDoc(clean.rows.slice(0, 42), clean.labels.slice(0, 42)),
      findings: [{ message: "Class b has 2 of 42 rows (4.8%) against 40 for class a, a 20.0:1 imbalance in label label.", evidence: { ratio: 20 } }],
    },
  ],
});

const grid: number[][] = [];
for (let i = 0; i < 10; i++) for (let j = 0; j < 6; j++) grid.push([i, j]);
const gridLabels = grid.map((_, i) => (i % 2 ? "a" : "b"));
runRuleTests(outliers, {
  valid: [{ name: "an even grid", doc: numericDoc(grid, gridLabels) }],
  invalid: [
    {
      name: "one point far away",
      doc: numericDoc([...grid, [500, 500]], [...gridLabels, "a"]),
      findings: [
        { message: "Row 60 lies far from every other row", location: { row: 60 } },
        { message: "1 row of 61 are outliers", evidence: { rows: [60] } },
      ],
    },
  ],
});

const COLUMNS = ["customer", "contact", "note"];
runRuleTests(personalData, {
  valid: [
    {
      name: "decoys only: order numbers, dates, a card number failing Luhn, an IBAN failing mod-97, SSN area 666",
      doc: piiDoc(
        [
          ["ORD-2023-004512", "2023-04-05", "Reference 4111111111111112"],
          ["c-17", "GB82 WEST 1234 5698 7654 33", "666-12-3456"],
          ["v1.2.3", "user@localhost", "invoice 5551234567"],
        ],
        COLUMNS,
      ),
    },
  ],
  invalid: [
    {
      name: "an e-mail, a Visa test number and a valid IBAN",
      doc: piiDoc(
        [
          ["c-1", "ana.smith@example.com", "paid with 4111 1111 1111 1111"],
          ["c-2", "GB82 WEST 1234 5698 7654 32", ""],
        ],
        COLUMNS,
      ),
      findings: [
        { message: "Row 0, column contact holds an e-mail address (a******@***.com).", severity: "medium", location: { row: 0, column: "contact" }, evidence: { type: "email" } },
        { message: "Row 0, column note holds a payment card number (**** **** **** 1111).", severity: "high", evidence: { type: "payment-card" } },
        { message: "Row 1, column contact holds an IBAN (GB** **** **** **** **** 32).", severity: "high", evidence: { type: "iban" } },
        { message: "Personal data in 2 columns: contact (email 1, iban 1); note (payment-card 1).", severity: "high", evidence: { summary: true } },
      ],
    },
  ],
});

/** A numeric label with 40 fractional values: a regression target. */
function regression(): { rows: number[][]; labels: string[] } {
  const r = seeded(9);
  const rows = Array.from({ length: 40 }, (_, i) => [i, r()]);
  return { rows, labels: rows.map((row) => (row[0]! * 0.37 + 0.01).toFixed(2)) };
}
const reg = regression();

runRuleTests(checkNotRun, {
  valid: [{ name: "a labelled numeric table: every check can run", doc: numericDoc(clean.rows, clean.labels) }],
  invalid: [
    {
      name: "a regression target",
      doc: numericDoc(reg.rows, reg.labels),
      findings: [{ message: "Label column label holds a numeric target with 40 distinct values (a regression target, not classes), so the class checks (dataset/label-noise,", location: { column: "label" }, evidence: { reason: "regression-target", distinctValues: 40 } }],
    },
    {
      name: "no label column",
      doc: piiDoc([["x"]], ["name"]),
      findings: [{ message: "No label column was found, so the class checks", evidence: { reason: "no-label-column" } }],
    },
    {
      name: "too few labelled rows",
      doc: textDoc(["a", "b", "c"], ["x", "y", "x"]),
      findings: [{ message: "dataset/label-noise did not run: only 3 rows carry a label, and the check needs 20.", evidence: { checks: ["dataset/label-noise"] } }],
    },
    {
      name: "a text-only table without a text column",
      doc: (() => {
        const texts = Array.from({ length: 30 }, (_, i) => `t${i}`);
        const d = textDoc(texts, texts.map((_, i) => (i % 2 ? "x" : "y")));
        delete d.table.textColumn;
        return d;
      })(),
      findings: [{ message: "dataset/label-noise did not run: the table has no numeric feature column and no text column to compare rows by.", evidence: { reason: "the table has no numeric feature column and no text column to compare rows by" } }],
    },
    {
      name: "text triggers whose held-out models would not fit in textTrigger.maxModelBytes",
      doc: (() => {
        const d = textDoc(cleanTexts.texts, cleanTexts.labels);
        return new DatasetDocument(d.uri, d.table, datasetThresholds({ textTrigger: { maxModelBytes: 1024 } }), undefined);
      })(),
      findings: [{ message: "dataset/text-trigger did not run: its held-out text models (5 folds x 2 classes x 2^18 features) would take 10 MiB, over textTrigger.maxModelBytes (0 MiB).", evidence: { checks: ["dataset/text-trigger"] } }],
    },
  ],
});

describe("regression targets", () => {
  it("take the class checks off the label (no imbalance of 40 one-row classes)", () => {
    const doc = numericDoc(reg.rows, reg.labels);
    expect(doc.table.label).toBeUndefined();
    expect(collect(classImbalance, doc)).toEqual([]);
    expect(collect(labelNoise, doc)).toEqual([]);
  });
  it("leave integer class codes with few values alone", () => {
    const doc = numericDoc(clean.rows, clean.labels.map((l) => (l === "a" ? "0" : "1")));
    expect(doc.regressionTarget).toBeUndefined();
    expect(doc.table.label?.classes).toEqual(["0", "1"]);
  });
});
