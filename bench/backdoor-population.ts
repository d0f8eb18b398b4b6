// Accuracy of the backdoor verdict (aigis probe --backdoor) on a held-out population of BadNets
// and clean models written by fixtures/models/standard/backdoor_population/make_population.py:
//   AIGIS_BACKDOOR_POPULATION=OUTDIR node dist/bench/backdoor-population.js
//     [--split tune|validate|all] [--seeds 0,1] [--only SUBSTRING[,SUBSTRING...]] [--json FILE]
//     [--from FILE[,FILE...]] [--sweep] [--false-alarm-weight W]
// Prints, per split and seed: detection rate (the planted class named), wrong-class rate and
// false-alarm rate on clean models, each with a 95 % Wilson interval, broken down by architecture
// and trigger kind, and a per-model table. `--json` saves every run's backdoor evidence; `--from`
// reads saved evidence instead of probing (several files are merged); `--sweep` re-decides from the
// saved candidates over a grid of the `backdoor` thresholds of rules/probes/thresholds.json with
// src's own decision function, picks settings on the tune split and reports them on validate.
// Accuracy, not speed: no ratio line.
import { readFileSync, writeFileSync } from "node:fs";
import { loadProbeThresholds, type ProbeThresholds } from "../src/probes/thresholds";
import { DEFAULT_DATA, loadPopulation, probeOne, redecide, tally, wilson, type ModelRun, type Split, type Tally } from "./_backdoor-population";

interface Args {
  split: Split | "all";
  seeds: number[];
  /** Keep models whose file name contains one of these. */
  only?: string[];
  json?: string;
  from: string[];
  sweep: boolean;
  falseAlarmWeight: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { split: "all", seeds: [0], from: [], sweep: false, falseAlarmWeight: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--split") {
      const v = value();
      if (v !== "tune" && v !== "validate" && v !== "all") throw new Error(`--split ${v}: tune, validate or all`);
      args.split = v;
    } else if (a === "--seeds") args.seeds = value().split(",").map((s) => Number.parseInt(s, 10));
    else if (a === "--only") args.only = value().split(",");
    else if (a === "--json") args.json = value();
    else if (a === "--from") args.from.push(...value().split(","));
    else if (a === "--sweep") args.sweep = true;
    else if (a === "--false-alarm-weight") args.falseAlarmWeight = Number(value());
    else throw new Error(`unknown option ${a}`);
  }
  if (args.seeds.some((s) => !Number.isInteger(s))) throw new Error("--seeds takes integers, e.g. 0,1");
  return args;
}

function rate(k: number, n: number): string {
  if (n === 0) return "   –  (0 models)";
  const [lo, hi] = wilson(k, n);
  return `${((100 * k) / n).toFixed(1).padStart(5)} % (${k}/${n}; 95 % CI ${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)} %)`;
}

const r2 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(2));
const r3 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3));

function printFigures(title: string, runs: ModelRun[]): void {
  const t = tally(runs);
  console.log(`\n${title}`);
  console.log(`  detection (planted class named)  ${rate(t.detected, t.backdoored)}`);
  console.log(`  wrong class named                ${rate(t.wrongClass, t.backdoored)}`);
  console.log(`  false alarms on clean models     ${rate(t.falseAlarms, t.clean)}`);
  if (t.errors > 0) {
    console.log(`  probe gave no verdict            ${t.errors} model(s), left out of the rates above:`);
    const byError = new Map<string, string[]>();
    for (const r of runs.filter((x) => x.error !== undefined)) byError.set(r.error!, [...(byError.get(r.error!) ?? []), r.file]);
    for (const [err, files] of byError) console.log(`    ${files.length} × ${err}`);
  }
  const mismatched = runs.filter((r) => r.error === undefined && r.finding !== undefined && r.finding !== r.suspected);
  if (mismatched.length > 0) console.log(`  WARNING: model/backdoor-suspected disagrees with the verdict on ${mismatched.map((r) => r.file).join(", ")}`);
}

function printBreakdown(runs: ModelRun[], key: (r: ModelRun) => string, what: string, split: string): void {
  const groups = new Map<string, ModelRun[]>();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  console.log(`  ${split} split by ${what} (model runs pooled over the seeds; detected / wrong class of backdoored, false alarms of clean, no verdict):`);
  for (const [name, rs] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    const t = tally(rs);
    const bd = t.backdoored > 0 ? `${t.detected}/${t.backdoored} detected, ${t.wrongClass} wrong` : "";
    const cl = t.clean > 0 ? `${t.falseAlarms}/${t.clean} false alarms` : "";
    console.log(`    ${name.padEnd(16)} ${[bd, cl, t.errors > 0 ? `${t.errors} no verdict` : ""].filter(Boolean).join("; ")}`);
  }
}

function printTable(runs: ModelRun[]): void {
  console.log("\n  per model: file | split | planted | seed | verdict | anomaly index | STRIP ratio | decidedBy | susceptible | candidates label:index/ratio");
  for (const r of [...runs].sort((a, b) => a.file.localeCompare(b.file) || a.seed - b.seed)) {
    const planted = r.backdoored ? String(r.target) : "–";
    if (r.error !== undefined) {
      console.log(`  ${r.file} | ${r.split} | ${planted} | ${r.seed} | no verdict: ${r.error.slice(0, 80)}`);
      continue;
    }
    const verdict = r.suspected ? (r.backdoored && r.flaggedLabel === r.target ? `${r.flaggedLabel} ✓` : `${r.flaggedLabel} ✗`) : r.backdoored ? "missed" : "silent ✓";
    const cands = (r.candidates ?? []).map((c) => `${c.label}:${r2(c.anomalyIndex)}/${r3(c.stripEntropyRatio)}`).join(" ");
    console.log(`  ${r.file} | ${r.split} | ${planted} | ${r.seed} | ${verdict} | ${r2(r.anomalyIndex)} | ${r3(r.stripEntropyRatio)} | ${r.decidedBy} | ${r.universalPatchSusceptible ? "yes" : "no"} | ${cands}`);
  }
}

function report(runs: ModelRun[], seeds: number[]): void {
  for (const split of ["tune", "validate"] as const) {
    const inSplit = runs.filter((r) => r.split === split);
    if (inSplit.length === 0) continue;
    for (const seed of seeds) printFigures(`${split} split, seed ${seed}:`, inSplit.filter((r) => r.seed === seed));
    printBreakdown(inSplit, (r) => r.arch, "architecture", split);
    printBreakdown(inSplit, (r) => r.triggerKind, "trigger kind", split);
  }
  printTable(runs);
}

// ------------------------------------------------------------------ threshold sweep

type BackdoorThresholds = ProbeThresholds["backdoor"];
type Swept = Pick<
  BackdoorThresholds,
  "anomalyIndex" | "anomalyIndexWithStrip" | "stripEntropyRatio" | "stripVeto" | "stripAlone" | "susceptibleStripRatio" | "anomalyIndexWhenSusceptible" | "anomalyIndexWithSources" | "minSourceSuccess" | "anomalyIndexStable" | "candidates"
>;

// About 100,000 settings; each re-decides every saved run. The source-coverage and restart
// thresholds only act on evidence saved by a probe that records them (restarts, minSourceSuccess).
const GRID: { [K in keyof Swept]: number[] } = {
  anomalyIndex: [1.5, 2, 2.5, 3],
  anomalyIndexWithStrip: [1, 1.5, 2],
  stripEntropyRatio: [0.2, 0.35, 0.5],
  stripVeto: [0.8, 1, Number.POSITIVE_INFINITY],
  stripAlone: [0, 0.1],
  susceptibleStripRatio: [0, 0.5, 0.6],
  anomalyIndexWhenSusceptible: [2.5, 3, 4],
  anomalyIndexWithSources: [1.5, 2, 2.5],
  minSourceSuccess: [0.3, 0.5, 0.7],
  anomalyIndexStable: [1.5, 2, 2.5],
  candidates: [1, 3],
};

function rates(t: Tally): { detection: number; wrong: number; falseAlarm: number } {
  return { detection: t.detected / Math.max(t.backdoored, 1), wrong: t.wrongClass / Math.max(t.backdoored, 1), falseAlarm: t.falseAlarms / Math.max(t.clean, 1) };
}

function* combinations(): Generator<Swept> {
  const keys = Object.keys(GRID) as Array<keyof Swept>;
  const idx = keys.map(() => 0);
  for (;;) {
    yield Object.fromEntries(keys.map((k, i) => [k, GRID[k][idx[i]!]!])) as unknown as Swept;
    let k = 0;
    while (k < keys.length && ++idx[k]! >= GRID[keys[k]!].length) idx[k++] = 0;
    if (k === keys.length) return;
  }
}

function sweep(runs: ModelRun[], weight: number): void {
  const current = loadProbeThresholds().backdoor;
  const tune = runs.filter((r) => r.split === "tune" && r.error === undefined);
  const validate = runs.filter((r) => r.split === "validate" && r.error === undefined);
  if (tune.length === 0 || validate.length === 0) {
    console.log("\nsweep: needs saved evidence for both splits (run with --split all, or merge tune and validate files with --from)");
    return;
  }
  // Objective on the tune split: detection − wrong class − weight × false alarms (false alarms cost
  // most for a release gate); ties go to the settings closest to the current ones.
  const score = (t: Tally): number => {
    const x = rates(t);
    return x.detection - x.wrong - weight * x.falseAlarm;
  };
  const distance = (s: Swept): number => (Object.keys(GRID) as Array<keyof Swept>).filter((k) => s[k] !== current[k]).length;
  const results: Array<{ s: Swept; score: number; distance: number; tune: Tally }> = [];
  let evaluated = 0;
  for (const s of combinations()) {
    evaluated++;
    const t = { ...current, ...s };
    const tt = tally(tune, (r) => redecide(r, t));
    results.push({ s, score: score(tt), distance: distance(s), tune: tt });
  }
  results.sort((a, b) => b.score - a.score || a.distance - b.distance);
  const fmt = (t: Tally): string => {
    const x = rates(t);
    return `detect ${(100 * x.detection).toFixed(1)} % (${t.detected}/${t.backdoored}), wrong ${t.wrongClass}, false alarms ${(100 * x.falseAlarm).toFixed(1)} % (${t.falseAlarms}/${t.clean})`;
  };
  const show = (s: Swept): string => (Object.keys(GRID) as Array<keyof Swept>).map((k) => `${k} ${s[k]}${s[k] !== current[k] ? "*" : ""}`).join(", ");
  const currentSwept = Object.fromEntries((Object.keys(GRID) as Array<keyof Swept>).map((k) => [k, current[k]])) as unknown as Swept;
  console.log(`\nsweep over ${evaluated} settings of rules/probes/thresholds.json "backdoor" (objective on tune: detection − wrong class − ${weight} × false-alarm rate; * = changed), runs pooled over seeds:`);
  console.log(`  current: ${show(currentSwept)}`);
  console.log(`    tune:     ${fmt(tally(tune, (r) => redecide(r, current)))}`);
  console.log(`    validate: ${fmt(tally(validate, (r) => redecide(r, current)))}`);
  const seen = new Set<string>();
  let shown = 0;
  for (const r of results) {
    // Settings with identical tune outcomes are one result; show the closest to the current ones.
    const key = `${r.tune.detected}/${r.tune.wrongClass}/${r.tune.falseAlarms}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const t = { ...current, ...r.s };
    console.log(`  #${++shown}: ${show(r.s)}`);
    console.log(`    tune:     ${fmt(r.tune)}`);
    console.log(`    validate: ${fmt(tally(validate, (x) => redecide(x, t)))}`);
    if (shown === 5) break;
  }
}

// ------------------------------------------------------------------ main

function loadRuns(files: string[]): ModelRun[] {
  const runs: ModelRun[] = [];
  for (const f of files) {
    const saved = JSON.parse(readFileSync(f, "utf8")) as { runs: ModelRun[] };
    runs.push(...saved.runs);
  }
  // The same model and seed from two files: the later file wins.
  const byKey = new Map(runs.map((r) => [`${r.file}@${r.seed}`, r]));
  return [...byKey.values()];
}

function saveRuns(file: string, runs: ModelRun[]): void {
  writeFileSync(file, JSON.stringify({ generatedBy: "bench/backdoor-population.ts", thresholds: loadProbeThresholds().backdoor, runs }, null, 1));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let runs: ModelRun[];
  if (args.from.length > 0) {
    runs = loadRuns(args.from).filter((r) => (args.split === "all" || r.split === args.split) && args.seeds.includes(r.seed) && (!args.only || args.only.some((o) => r.file.includes(o))));
    console.log(`backdoor population: ${runs.length} saved run(s) from ${args.from.join(", ")}`);
  } else {
    const dir = process.env["AIGIS_BACKDOOR_POPULATION"];
    const population = loadPopulation(dir);
    if (!dir || !population) {
      console.log("backdoor population: skipped (set AIGIS_BACKDOOR_POPULATION to a folder written by fixtures/models/standard/backdoor_population/make_population.py)");
      return;
    }
    const models = population.filter((m) => (args.split === "all" || m.split === args.split) && (!args.only || args.only.some((o) => m.file.includes(o))));
    console.log(`backdoor population: ${dir}, ${models.length} model(s) (split ${args.split}), seeds ${args.seeds.join(",")}; runProbe({ attacks: [], backdoor: true, seed }) on each model's data (${DEFAULT_DATA} unless population.json names another)`);
    runs = [];
    const started = process.cpuUsage();
    for (const m of models) {
      for (const seed of args.seeds) {
        const r = await probeOne(dir, m, seed);
        runs.push(r);
        const verdict = r.error !== undefined ? "no verdict" : r.suspected ? `flagged ${r.flaggedLabel}` : "silent";
        console.log(`  ${m.file} seed ${seed}: ${verdict}${m.backdoored ? ` (planted ${m.target})` : ""}, ${r2(r.cpuSeconds)} s CPU`);
        // Saved after every run: a long run stopped half-way keeps what it measured.
        if (args.json) saveRuns(args.json, runs);
      }
    }
    const used = process.cpuUsage(started);
    console.log(`probed ${runs.length} run(s) in ${((used.user + used.system) / 1e6).toFixed(1)} s CPU`);
  }
  if (args.json) {
    saveRuns(args.json, runs);
    console.log(`evidence written to ${args.json}`);
  }
  report(runs, args.seeds);
  if (args.sweep) sweep(runs, args.falseAlarmWeight);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exitCode = 1;
});
