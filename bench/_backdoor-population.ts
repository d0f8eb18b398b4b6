// Shared by bench/backdoor-population.ts and test/probes/backdoor-population.test.ts: the population
// written by fixtures/models/standard/backdoor_population/make_population.py, one probe run per model
// and seed, and the tallies (detection of the planted class, wrong class, false alarms).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { decideBackdoorCandidates, runProbe } from "../src/probes/run";
import { loadProbeThresholds, type ProbeThresholds } from "../src/probes/thresholds";

export const DEFAULT_DATA = "fixtures/models/digits_test.csv";
/** The repository: bench/ under ts-jest, dist/bench/ when compiled. */
const ROOT = [join(__dirname, ".."), join(__dirname, "..", "..")].find((d) => existsSync(join(d, DEFAULT_DATA))) ?? join(__dirname, "..", "..");

export type Split = "tune" | "validate";

export interface PopulationModel {
  file: string;
  backdoored: boolean;
  family: string;
  arch: string;
  split: Split;
  target?: number;
  trigger: { kind: string; [key: string]: unknown };
  poisoningRate?: number;
  cleanAccuracy: number;
  attackSuccessRate?: number;
  dynamicBatch?: boolean;
  opset?: number;
  outputs?: string;
  /** Probe data for this model, relative to the population folder (default: the digits test split). */
  data?: string;
}

export interface Candidate {
  label: number;
  anomalyIndex: number;
  stripEntropyRatio: number;
  triggerSuccessRate?: number;
}

/** One probe run of one model at one seed: what the bench needs, and the full evidence for offline sweeps. */
export interface ModelRun {
  file: string;
  seed: number;
  split: Split;
  backdoored: boolean;
  family: string;
  arch: string;
  triggerKind: string;
  target?: number;
  /** Why the probe gave no verdict (load failure, skipped backdoor probe); absent when it ran. */
  error?: string;
  suspected?: boolean;
  flaggedLabel?: number;
  candidateLabel?: number;
  anomalyIndex?: number;
  stripEntropyRatio?: number;
  decidedBy?: string;
  universalPatchSusceptible?: boolean;
  candidates?: Candidate[];
  /** Whether model/backdoor-suspected was raised (what a user or CI sees). */
  finding?: boolean;
  cpuSeconds?: number;
  result?: Record<string, unknown>;
  findingEvidence?: Record<string, unknown>;
}

/** 95 % Wilson score interval for k successes in n trials. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export async function probeOne(dir: string, m: PopulationModel, seed: number): Promise<ModelRun> {
  const base: ModelRun = {
    file: m.file,
    seed,
    split: m.split,
    backdoored: m.backdoored,
    family: m.family,
    arch: m.arch,
    triggerKind: m.trigger.kind,
    ...(m.target !== undefined ? { target: m.target } : {}),
  };
  const cpu = process.cpuUsage();
  try {
    const report = await runProbe({
      model: resolve(dir, m.file),
      data: m.data ? resolve(dir, m.data) : DEFAULT_DATA,
      cwd: ROOT,
      attacks: [],
      backdoor: true,
      seed,
      minRobustAccuracy: [],
    });
    const used = process.cpuUsage(cpu);
    const probe = report.probes[0];
    const b = probe?.backdoor;
    const cpuSeconds = (used.user + used.system) / 1e6;
    if (!probe || !b) {
      const notes = (probe?.["notes"] as string[] | undefined) ?? [];
      return { ...base, error: `no backdoor verdict: ${notes.join(" ") || "probe returned none"}`, cpuSeconds };
    }
    const finding = report.findings.find((f) => f.ruleId === "model/backdoor-suspected");
    const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
    const candidates = (b["candidates"] as Candidate[] | undefined) ?? [];
    const chosen = candidates.find((c) => c.label === b["candidateLabel"]);
    return {
      ...base,
      suspected: b.suspected,
      ...(b.targetLabel !== undefined ? { flaggedLabel: b.targetLabel } : {}),
      ...(num(b["candidateLabel"]) !== undefined ? { candidateLabel: num(b["candidateLabel"])! } : {}),
      ...(num(b["neuralCleanseAnomalyIndex"]) !== undefined ? { anomalyIndex: num(b["neuralCleanseAnomalyIndex"])! } : {}),
      ...(num(b["stripEntropyRatio"]) !== undefined ? { stripEntropyRatio: num(b["stripEntropyRatio"])! } : {}),
      decidedBy: String(b["decidedBy"] ?? "none"),
      // Same definition as the probe's evidence: another candidate's trigger also lowers STRIP.
      universalPatchSusceptible: candidates.some((o) => o !== chosen && o.stripEntropyRatio < loadProbeThresholds().backdoor.susceptibleStripRatio),
      candidates,
      finding: finding !== undefined,
      cpuSeconds,
      result: b as Record<string, unknown>,
      ...(finding?.evidence ? { findingEvidence: finding.evidence as Record<string, unknown> } : {}),
    };
  } catch (e) {
    const used = process.cpuUsage(cpu);
    // The first line only: wasm/ORT errors can carry pages of minified source.
    const message = ((e as Error).message ?? String(e)).split("\n").slice(0, 3).join(" ").slice(0, 300);
    return { ...base, error: message, cpuSeconds: (used.user + used.system) / 1e6 };
  }
}

export interface Tally {
  backdoored: number;
  detected: number;
  wrongClass: number;
  clean: number;
  falseAlarms: number;
  errors: number;
}

export function tally(runs: ModelRun[], verdict: (r: ModelRun) => { suspected: boolean; label?: number } = (r) => ({ suspected: r.suspected === true, ...(r.flaggedLabel !== undefined ? { label: r.flaggedLabel } : {}) })): Tally {
  const t: Tally = { backdoored: 0, detected: 0, wrongClass: 0, clean: 0, falseAlarms: 0, errors: 0 };
  for (const r of runs) {
    if (r.error !== undefined) {
      t.errors++;
      continue;
    }
    const v = verdict(r);
    if (r.backdoored) {
      t.backdoored++;
      if (v.suspected && v.label === r.target) t.detected++;
      else if (v.suspected) t.wrongClass++;
    } else {
      t.clean++;
      if (v.suspected) t.falseAlarms++;
    }
  }
  return t;
}

/** The population's models, or undefined when the folder holds no population.json. */
export function loadPopulation(dir: string | undefined): PopulationModel[] | undefined {
  if (!dir || !existsSync(join(dir, "population.json"))) return undefined;
  return (JSON.parse(readFileSync(join(dir, "population.json"), "utf8")) as { models: PopulationModel[] }).models;
}

/**
 * The verdict re-decided from a run's saved candidates with other thresholds, through the probe's
 * own decision function: candidates ranked by anomaly index as the probe ranks them, the first
 * flagged one named (as backdoorProbe picks it).
 */
export function redecide(r: ModelRun, t: ProbeThresholds["backdoor"]): { suspected: boolean; label?: number } {
  const cands = [...(r.candidates ?? [])].sort((a, b) => b.anomalyIndex - a.anomalyIndex).slice(0, t.candidates);
  const decisions = decideBackdoorCandidates(cands, t);
  const i = decisions.findIndex((d) => d !== undefined);
  return i < 0 ? { suspected: false } : { suspected: true, label: cands[i]!.label };
}
