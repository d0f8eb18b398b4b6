// aigis probe as a library call: load the model and the data, attack, look for a backdoor, and
// return a full Report (targets with hashes, findings, probes, summary). Prints nothing.

import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import type { AttackResult, BackdoorResult, Finding, ProbeResult, Report, Target, TargetKind } from "../types";
import { REPORT_SCHEMA_VERSION } from "../types";
import { formatAjvErrors, packageVersion, schemaValidator } from "../core/catalog";
import type { AigisConfig } from "../core/config";
import { UsageError } from "../core/errors";
import { sha256File } from "../core/hash";
import { FactBook, runRule } from "../core/findings";
import { builtinRegistry } from "../core/registry";
import { applyRuleOverrides, buildSettings, sortFindings, summarise } from "../core/run";
import { rulePack as probeRules, type ProbeDocument } from "./rules";
import { detectFormat } from "../scanners/datasets/loaders";
import { initTf, tf } from "./backend";
import { argmaxRows, type AttackContext, type Norm, type ProbeSet } from "./attacks/common";
import { fgsmSpec, pgdSpec, runGradientAttack } from "./attacks/gradient";
import { hopSkipJumpResults, runHopSkipJump } from "./attacks/hopskipjump";
import { layoutOf, runSquareAttack } from "./attacks/square";
import { neuralCleanse } from "./backdoor/neural-cleanse";
import { extractionProbe, type ExtractionResult } from "./privacy/extraction";
import { membershipProbe, type MembershipResult } from "./privacy/membership";
import { stripEntropy } from "./backdoor/strip";
import { loadProbeData, type ProbeData } from "./data";
import { displayUrl, isHttpUrl, loadHttpModel, type EndpointOptions } from "./loaders/http";
import { loadOnnxModel } from "./loaders/onnx";
import { isTfjsModelJson, loadTfjsModel, resolveModelJson, type TfjsLoadLimits } from "./loaders/tfjs";
import { looksLikeProbabilities, type ProbeModel } from "./model";
import { Rng } from "./random";
import { ATTACK_NAMES, type AttackName } from "./attack-names";
import { loadProbeThresholds, type ProbeThresholds, type RobustnessMinimum } from "./thresholds";

/** Square attack's initial fraction of changed pixels; larger than the paper's 0.05 suits small inputs and budgets. */
const SQUARE_P_INIT = 0.3;

export { ATTACK_NAMES, type AttackName };

export interface ProbeOptions {
  /** Model path (tfjs model.json or folder, ONNX file) or endpoint URL. */
  model: string;
  /** Data file: CSV with a label column, or NPY features with a labels NPY beside them. Optional when members and non-members are given. */
  data?: string;
  /** Train a surrogate from black-box queries and report fidelity against queries (model/extraction-risk). */
  extraction?: boolean;
  /** Query budgets for the extraction probe (default: extraction.budgets in the thresholds file). */
  extractionBudgets?: number[];
  /** Membership inference: labelled rows known to be training data, and rows known not to be. */
  members?: string;
  nonMembers?: string;
  cwd: string;
  labelColumn?: string;
  labelsPath?: string;
  clip?: [number, number];
  samples?: number;
  seed?: number;
  /** Attacks to run; "auto" (default) picks white-box ones when gradients are available. */
  attacks?: AttackName[] | "auto";
  norm?: Norm;
  eps?: number[];
  steps?: number;
  /** PGD step = relStep x eps (default 2.5 / steps). */
  relStep?: number;
  randomStart?: boolean;
  /** Query budget per sample for black-box attacks. */
  queries?: number;
  backdoor?: boolean;
  /** Required robust accuracy; replaces the thresholds file's list for the norms it names. */
  minRobustAccuracy?: RobustnessMinimum[];
  endpoint?: Partial<EndpointOptions>;
  /** Bounds on what a tfjs model.json may make aigis read and allocate (defaults in DEFAULT_TFJS_LIMITS). */
  tfjsLimits?: TfjsLoadLimits;
  batchSize?: number;
  config?: AigisConfig;
  configPath?: string;
  onProgress?: (phase: string, done: number, total: number) => void;
}

/** Settings accepted in the config file under scanners.probe. */
export interface ProbeConfig {
  minRobustAccuracy?: number | Array<{ norm?: Norm; eps: number; min: number }>;
  eps?: number[];
  norm?: Norm;
  steps?: number;
  queries?: number;
  samples?: number;
}

function toUri(cwd: string, p: string): string {
  return isHttpUrl(p) ? displayUrl(p) : relative(cwd, resolve(cwd, p)).split("\\").join("/") || ".";
}

async function fileTarget(cwd: string, path: string, kind: TargetKind): Promise<Target> {
  const abs = resolve(cwd, path);
  return { uri: toUri(cwd, abs), kind, bytes: statSync(abs).size, sha256: await sha256File(abs) };
}


export async function runProbe(options: ProbeOptions): Promise<Report> {
  const startTime = new Date();
  const thresholds = loadProbeThresholds();
  const cfg = probeConfig(options.config, options.configPath);
  const norm: Norm = options.norm ?? cfg?.norm ?? "linf";
  const epsList = options.eps ?? cfg?.eps ?? (norm === "linf" ? thresholds.defaults.linfEps : thresholds.defaults.l2Eps);
  const steps = options.steps ?? cfg?.steps ?? thresholds.defaults.steps;
  const relStep = options.relStep ?? 2.5 / steps;
  const queries = options.queries ?? cfg?.queries ?? thresholds.defaults.queries;
  const clip = options.clip ?? [0, 1];
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 256;
  if (!(clip[0] < clip[1])) throw new UsageError(`--clip ${clip.join(",")}: MIN must be below MAX`);
  if (epsList.some((e) => !(e > 0))) throw new UsageError("--eps values must be positive");
  const minimums = resolveMinimums(options.minRobustAccuracy, cfg, thresholds.minRobustAccuracy, norm, epsList);
  const notes: string[] = [];
  const progress = options.onProgress ?? (() => undefined);

  // Data. Without --data, the non-members stand in for it (clean accuracy) and no attack runs.
  if ((options.members === undefined) !== (options.nonMembers === undefined)) throw new UsageError("--members and --non-members go together");
  const dataPath = options.data ?? options.nonMembers;
  if (dataPath === undefined) throw new UsageError("--data is required (or --members with --non-members)");
  const readData = async (path: string, what: string): Promise<ProbeData> => {
    const abs = resolve(options.cwd, path);
    if (!existsSync(abs)) throw new UsageError(`${what} file not found: ${path}`);
    try {
      return await loadProbeData(abs, {
        clip,
        ...(options.labelColumn ? { labelColumn: options.labelColumn } : {}),
        ...(options.labelsPath && what === "data" ? { labelsPath: resolve(options.cwd, options.labelsPath) } : {}),
      });
    } catch (e) {
      throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
    }
  };
  const dataAbs = resolve(options.cwd, dataPath);
  const all = await readData(dataPath, "data");
  const wanted = options.samples ?? cfg?.samples ?? thresholds.defaults.samples;
  const data = subset(all, wanted, seed);
  if (data.n === 0) throw new UsageError(`${dataPath} holds no rows`);
  let outOfRange = 0;
  for (const v of data.x) if (v < clip[0] - 1e-6 || v > clip[1] + 1e-6) outOfRange++;
  if (outOfRange > 0) notes.push(`${outOfRange} input values lie outside --clip ${clip.join(",")}; attacks clip them into range.`);

  // Model.
  await initTf();
  const backend = tf.getBackend();
  let model: ProbeModel;
  const targets: Target[] = [];
  // Findings point at a file: model.json for tfjs folders.
  let modelUri = toUri(options.cwd, options.model);
  try {
    if (isHttpUrl(options.model)) {
      model = await loadHttpModel(options.model, options.endpoint ?? {}, data.size, maxLabel(all.labels) + 1);
    } else {
      const abs = resolve(options.cwd, options.model);
      if (!existsSync(abs)) throw new UsageError(`model not found: ${options.model}`);
      if (isTfjsModelJson(abs)) {
        model = await loadTfjsModel(abs, options.tfjsLimits ?? {});
        targets.push(await fileTarget(options.cwd, resolveModelJson(abs), "tfjs-model"));
        modelUri = targets[0]!.uri;
      } else {
        const check = { data: data.x.slice(0, Math.min(8, data.n) * data.size), n: Math.min(8, data.n) };
        model = await loadOnnxModel(abs, check.data.length > 0 ? { checkRows: check } : {});
        targets.push(await fileTarget(options.cwd, abs, "onnx"));
      }
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot load model ${isHttpUrl(options.model) ? displayUrl(options.model) : options.model}: ${(e as Error).message}`);
  }
  // What any loader had to assume or chose (endpoint answers, fixed-batch ONNX exports).
  notes.push(...(model.notes ?? []));
  // A data file is recorded with its hash; an image folder is named in the probe entry only.
  if (!statSync(dataAbs).isDirectory()) targets.push(await fileTarget(options.cwd, dataAbs, dataKind(dataAbs)));

  try {
    if (data.size !== model.inputSize) throw new UsageError(`${dataPath} has ${data.size} values per row but the model takes ${model.inputSize} (${model.inputShape.join("x")})`);
    const badLabel = Array.from(data.labels).find((l) => !Number.isInteger(l) || l < 0 || l >= model.numClasses);
    if (badLabel !== undefined) throw new UsageError(`label ${badLabel} in ${dataPath} is not a class of the model (0..${model.numClasses - 1})`);
    if (model.whiteBoxUnavailable) notes.push(`White-box attacks are unavailable: ${model.whiteBoxUnavailable}.`);

    // Clean accuracy, and log-probabilities for gradients when the model outputs probabilities.
    const cleanScores = new Float32Array(data.n * model.numClasses);
    for (let s = 0; s < data.n; s += batchSize) {
      const b = Math.min(batchSize, data.n - s);
      cleanScores.set(await model.predict(data.x.subarray(s * data.size, (s + b) * data.size), b), s * model.numClasses);
    }
    const areProbabilities = !model.labelsOnly && looksLikeProbabilities(cleanScores, model.numClasses);
    if (areProbabilities && model.logits) {
      const probs = model.logits;
      model.logits = (x) => tf.log(tf.maximum(probs(x), 1e-12)) as tf.Tensor2D;
    }
    const preds = argmaxRows(cleanScores, data.n, model.numClasses);
    const cleanCorrect = Uint8Array.from(preds, (p, i) => (p === data.labels[i] ? 1 : 0));
    const cleanAccuracy = cleanCorrect.reduce((a, b) => a + b, 0) / data.n;
    const ctx: AttackContext = { model, data, clip, cleanCorrect, seed, batchSize };

    // Attacks.
    const plan = options.data === undefined && options.attacks === undefined ? [] : planAttacks(options.attacks ?? "auto", model, norm, notes);
    const attacks: AttackResult[] = [];
    for (const name of plan) {
      const phase = (label: string): AttackContext => ({ ...ctx, onProgress: (d, t) => progress(label, d, t) });
      if (name === "fgsm" || name === "pgd") {
        for (const eps of epsList) {
          const spec = name === "fgsm" ? fgsmSpec(norm, eps) : pgdSpec(norm, eps, steps, relStep, options.randomStart ?? false);
          attacks.push(await runGradientAttack(phase(`${name} ${norm} eps=${eps}`), spec));
        }
      } else if (name === "square") {
        for (const eps of epsList) attacks.push(await runSquareAttack(phase(`square eps=${eps}`), { eps, queries, pInit: SQUARE_P_INIT }));
      } else {
        const run = await runHopSkipJump(phase("hopskipjump"), { queries });
        attacks.push(...hopSkipJumpResults(ctx, run, norm, epsList));
      }
    }
    const curves = robustnessCurves(attacks, cleanAccuracy);

    // Backdoor.
    let backdoor: BackdoorResult | undefined;
    let backdoorEvidence: Record<string, unknown> | undefined;
    if (options.backdoor) {
      if (!model.logits) notes.push(`The backdoor probe was skipped: Neural Cleanse needs gradients and ${model.whiteBoxUnavailable ?? "the model gives none"}.`);
      else {
        progress("backdoor", 0, 1);
        if (layoutOf(model.inputShape).h <= 1) notes.push("Neural Cleanse ran without its mask compactness term: the model's input has no image layout (a flat vector).");
        const r = await backdoorProbe(model, data, clip, seed, thresholds, areProbabilities);
        backdoor = r.result;
        backdoorEvidence = r.evidence;
        progress("backdoor", 1, 1);
      }
    }

    // Model theft: a surrogate trained from black-box queries.
    let extraction: ExtractionResult | undefined;
    if (options.extraction) {
      const t = thresholds.extraction;
      extraction = await extractionProbe(model, data, { ...t, ...(options.extractionBudgets ? { budgets: options.extractionBudgets } : {}), fidelityThreshold: t.fidelity, clip, seed, batchSize, onProgress: (d, n) => progress("extraction", d, n) });
    }

    // Privacy: membership inference on known members and non-members.
    let membership: MembershipResult | undefined;
    if (options.members !== undefined && options.nonMembers !== undefined) {
      const m = thresholds.membership;
      const cap = (set: ProbeData, what: string): ProbeSet => {
        if (set.size !== model.inputSize) throw new UsageError(`${what} has ${set.size} values per row but the model takes ${model.inputSize}`);
        const bad = Array.from(set.labels).find((l) => !Number.isInteger(l) || l < 0 || l >= model.numClasses);
        if (bad !== undefined) throw new UsageError(`label ${bad} in ${what} is not a class of the model (0..${model.numClasses - 1})`);
        return subset(set, m.maxRows, seed);
      };
      const members = cap(await readData(options.members, "members"), options.members);
      const nonMembers = cap(await readData(options.nonMembers, "non-members"), options.nonMembers);
      if (members.n === 0 || nonMembers.n === 0) throw new UsageError("--members and --non-members must both hold rows");
      progress("membership", 0, 1);
      membership = await membershipProbe(model, members, nonMembers, { fprs: m.fprs, areProbabilities, batchSize });
      if (membership.note) notes.push(`Membership inference: ${membership.note}`);
      progress("membership", 1, 1);
    }

    // Findings: the model/* rules judge what was measured; facts say which of them assessed the model.
    const registry = builtinRegistry();
    const findings: Finding[] = [];
    const facts = new FactBook();
    const doc: ProbeDocument = {
      model: modelUri,
      samples: data.n,
      cleanAccuracy,
      attacks,
      minimums,
      thresholds,
      ...(backdoor && backdoorEvidence ? { backdoor: { result: backdoor, evidence: backdoorEvidence } } : {}),
      ...(extraction ? { extraction } : {}),
      ...(membership ? { membership } : {}),
    };
    const settings = buildSettings({ paths: [], ...(options.config ? { config: options.config } : {}) });
    for (const rule of probeRules.rules) runRule(rule, doc, undefined, { uri: modelUri, settings, registry, facts, emit: (f) => findings.push(f) });
    const filtered = sortFindings(applyRuleOverrides(findings, options.config?.rules));

    const probe: ProbeResult = {
      model: modelUri,
      format: model.format,
      samples: data.n,
      cleanAccuracy,
      attacks,
      ...(backdoor ? { backdoor } : {}),
      ...(extraction ? { extraction } : {}),
      ...(membership ? { membership: { ...membership, membersFile: toUri(options.cwd, options.members!), nonMembersFile: toUri(options.cwd, options.nonMembers!) } } : {}),
      dataset: toUri(options.cwd, dataAbs),
      inputShape: model.inputShape,
      numClasses: model.numClasses,
      clip,
      seed,
      backend,
      whiteBox: model.logits !== undefined,
      curves,
      notes,
      assessment: facts.factsFor(modelUri),
    };
    const endTime = new Date();
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: "aigis", version: packageVersion() },
      invocation: {
        startTime: startTime.toISOString(),
        endTime: endTime.toISOString(),
        paths: [isHttpUrl(options.model) ? displayUrl(options.model) : options.model, dataPath, ...(options.members && options.data ? [options.members] : [])],
        workingDirectory: options.cwd,
        executionSuccessful: true,
        ...(options.configPath ? { configFile: options.configPath } : {}),
      },
      targets,
      findings: filtered,
      probes: [probe],
      summary: summarise(filtered),
    };
  } finally {
    model.dispose();
  }
}

/** scanners.probe from the config file, validated by rules/schemas/probe-config.schema.json. */
function probeConfig(config: AigisConfig | undefined, path: string | undefined): ProbeConfig | undefined {
  const raw = ((config?.scanners ?? {}) as Record<string, unknown>)["probe"];
  if (raw === undefined) return undefined;
  const validate = schemaValidator("probe-config");
  if (!validate(raw)) throw new UsageError(`config ${path ?? ""} scanners.probe is invalid: ${formatAjvErrors(validate.errors).join("; ")}`);
  return raw as ProbeConfig;
}

/** Target kind of the data file from its content (the dataset loaders' format detection). */
function dataKind(path: string): TargetKind {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(64 * 1024);
    const format = detectFormat(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
    return format === "npy" ? "numpy" : format === "parquet" ? "parquet" : format === "jsonl" ? "jsonl" : "csv";
  } finally {
    closeSync(fd);
  }
}

function maxLabel(labels: Int32Array): number {
  let m = 0;
  for (const l of labels) m = Math.max(m, l);
  return m;
}

function subset(all: ProbeSet, wanted: number, seed: number): ProbeSet {
  if (wanted >= all.n) return all;
  const idx = new Rng(seed ^ 0x5eed).sample(all.n, wanted).sort((a, b) => a - b);
  const x = new Float32Array(idx.length * all.size);
  const labels = new Int32Array(idx.length);
  idx.forEach((i, j) => {
    x.set(all.x.subarray(i * all.size, (i + 1) * all.size), j * all.size);
    labels[j] = all.labels[i]!;
  });
  return { x, labels, n: idx.length, size: all.size };
}

function resolveMinimums(cli: RobustnessMinimum[] | undefined, cfg: ProbeConfig | undefined, file: RobustnessMinimum[], norm: Norm, epsList: number[]): RobustnessMinimum[] {
  if (cli && cli.length > 0) return cli;
  const c = cfg?.minRobustAccuracy;
  if (typeof c === "number") return epsList.map((eps) => ({ norm, eps, min: c }));
  if (Array.isArray(c)) return c.map((m) => ({ norm: m.norm ?? norm, eps: m.eps, min: m.min }));
  return file;
}

function planAttacks(requested: AttackName[] | "auto", model: ProbeModel, norm: Norm, notes: string[]): AttackName[] {
  const blackBox: AttackName = model.labelsOnly || norm === "l2" ? "hopskipjump" : "square";
  if (requested === "auto") return model.logits ? ["fgsm", "pgd"] : [blackBox];
  const out: AttackName[] = [];
  for (const name of requested) {
    let use: AttackName = name;
    if ((name === "fgsm" || name === "pgd") && !model.logits) {
      use = blackBox;
      notes.push(`${name} needs gradients; ${blackBox} runs instead.`);
    } else if (name === "square" && model.labelsOnly) {
      use = "hopskipjump";
      notes.push("square needs scores and the endpoint returns labels only; hopskipjump runs instead.");
    } else if (name === "square" && norm === "l2") {
      use = "hopskipjump";
      notes.push("square is implemented for L-inf; hopskipjump covers L2.");
    }
    if (!out.includes(use)) out.push(use);
  }
  return out;
}

function robustnessCurves(attacks: AttackResult[], cleanAccuracy: number): Array<{ attack: string; norm: Norm; points: Array<{ eps: number; robustAccuracy: number }> }> {
  const groups = new Map<string, { attack: string; norm: Norm; points: Array<{ eps: number; robustAccuracy: number }> }>();
  for (const a of attacks) {
    const key = `${a.name}:${a.norm}`;
    if (!groups.has(key)) groups.set(key, { attack: a.name, norm: a.norm, points: [{ eps: 0, robustAccuracy: cleanAccuracy }] });
    groups.get(key)!.points.push({ eps: a.eps, robustAccuracy: a.robustAccuracy });
  }
  for (const g of groups.values()) g.points.sort((p, q) => p.eps - q.eps);
  return [...groups.values()];
}

export type BackdoorDecision = "neural-cleanse" | "neural-cleanse+strip" | "neural-cleanse+sources" | "neural-cleanse-restarts" | "strip";

/** One candidate's evidence: Neural Cleanse's anomaly index, STRIP's entropy ratio and, when measured, source-class coverage. */
export interface BackdoorEvidence {
  anomalyIndex: number;
  stripEntropyRatio: number;
  /**
   * The smallest share, over the classes other than the candidate, of held-out inputs of that class
   * the recovered trigger sends to the candidate (undefined when not measured: the path it gates
   * is then not taken).
   */
  minSourceSuccess?: number;
  /** The class's anomaly index in each Neural Cleanse restart (its own masks alone); stability needs 2 or more. */
  restartAnomalyIndex?: readonly number[];
}

function medianOf(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Both probes' evidence for one class. Neural Cleanse decides alone when its outlier is clear
 * (anomaly index above `anomalyIndex`) unless STRIP contradicts it (the trigger does not lower
 * prediction entropy at all: ratio at or above `stripVeto`); a STRIP ratio that merely fails to
 * separate does not veto. A weaker outlier (above `anomalyIndexWithStrip`) counts when STRIP
 * confirms it (ratio below `stripEntropyRatio`), or (above `anomalyIndexWithSources`) when its
 * trigger works from every source class (`minSourceSuccess` or more of each other class's held-out
 * inputs): a planted trigger was learnt from relabelled inputs of all classes, while a clean
 * model's smallest natural trigger mostly turns only similar-looking classes. STRIP decides only
 * for a class Neural Cleanse ranked as a candidate (mask below the median) and only when the
 * trigger all but fixes the prediction (ratio below `stripAlone`): on clean models optimised
 * triggers lower entropy too, but far less. Evidence stable across Neural Cleanse restarts counts
 * more: an outlier whose own index is above `anomalyIndexStable` in every restart is flagged
 * (`neural-cleanse-restarts`), and one above it in most restarts is not vetoed by STRIP.
 */
export function decideBackdoor(e: BackdoorEvidence, t: ProbeThresholds["backdoor"]): BackdoorDecision | undefined {
  const { anomalyIndex, stripEntropyRatio: strip } = e;
  const restarts = e.restartAnomalyIndex && e.restartAnomalyIndex.length >= 2 ? e.restartAnomalyIndex : undefined;
  if (anomalyIndex > t.anomalyIndexWithStrip && strip < t.stripEntropyRatio) return "neural-cleanse+strip";
  // STRIP cannot see triggers that superimposing covers (dark patches, rings over the strokes), so
  // its veto does not stand against an outlier most restarts found on their own.
  const stable = restarts !== undefined && medianOf(restarts) > t.anomalyIndexStable;
  if (anomalyIndex > t.anomalyIndex && (strip < t.stripVeto || stable)) return "neural-cleanse";
  if (anomalyIndex > t.anomalyIndexWithSources && e.minSourceSuccess !== undefined && e.minSourceSuccess >= t.minSourceSuccess && strip < t.stripVeto) return "neural-cleanse+sources";
  if (restarts !== undefined && Math.min(...restarts) > t.anomalyIndexStable) return "neural-cleanse-restarts";
  if (anomalyIndex > 0 && strip < t.stripAlone) return "strip";
  return undefined;
}

/**
 * The decision for each Neural Cleanse candidate. When another candidate class's recovered trigger
 * also pushes the STRIP ratio below `susceptibleStripRatio`, the model yields to small universal
 * patches in several classes (natural triggers of a clean model, Moosavi-Dezfooli et al. 2017), so
 * a low STRIP ratio is not counted as evidence: the candidate is judged on Neural Cleanse alone
 * (above `anomalyIndexWhenSusceptible`) or with source-class coverage, which is not STRIP evidence.
 */
export function decideBackdoorCandidates(candidates: ReadonlyArray<BackdoorEvidence>, t: ProbeThresholds["backdoor"]): Array<BackdoorDecision | undefined> {
  return candidates.map((c) => {
    const susceptible = candidates.some((o) => o !== c && o.stripEntropyRatio < t.susceptibleStripRatio);
    if (!susceptible) return decideBackdoor(c, t);
    const withoutStrip = decideBackdoor({ ...c, stripEntropyRatio: Math.max(c.stripEntropyRatio, t.stripEntropyRatio, t.stripAlone) }, t);
    if (withoutStrip === "neural-cleanse" && c.anomalyIndex <= t.anomalyIndexWhenSusceptible) return undefined;
    return withoutStrip === "neural-cleanse" || withoutStrip === "neural-cleanse+sources" || withoutStrip === "neural-cleanse-restarts" ? withoutStrip : undefined;
  });
}

async function backdoorProbe(
  model: ProbeModel,
  data: ProbeSet,
  clip: [number, number],
  seed: number,
  thresholds: ReturnType<typeof loadProbeThresholds>,
  areProbabilities: boolean,
): Promise<{ result: BackdoorResult; evidence: Record<string, unknown> }> {
  const t = thresholds.backdoor;
  const d = data.size;
  const rng = new Rng(seed ^ 0xbad);
  const order = rng.sample(data.n, data.n);
  const ncN = Math.min(t.neuralCleanse.samples, data.n);
  // Restarts search on disjoint samples when the data leaves enough rows for STRIP besides.
  const ncRestarts = Math.max(1, t.neuralCleanse.restarts);
  const ncRows = data.n >= ncRestarts * ncN + 2 * t.strip.samples ? ncRestarts * ncN : ncN;
  const pick = (idx: number[]): Float32Array => {
    const out = new Float32Array(idx.length * d);
    idx.forEach((i, j) => out.set(data.x.subarray(i * d, (i + 1) * d), j * d));
    return out;
  };
  const searchRows = pick(order.slice(0, ncRows));
  const { samples: _samples, ...search } = t.neuralCleanse;
  const layout = layoutOf(model.inputShape);
  const nc = await neuralCleanse(model, { ...search, image: layout, x: searchRows, n: ncN, clip, seed });
  // STRIP on inputs stamped with a candidate's trigger versus the same inputs clean.
  // The trigger is tested on inputs it was not optimised on when the data has enough rows: a
  // trigger fitted to the search inputs lowers their entropy without being a backdoor.
  const stripStart = data.n >= ncRows + 2 * t.strip.samples ? ncRows : data.n >= ncN + 2 * t.strip.samples ? ncN : 0;
  const stripIdx = order.slice(stripStart, stripStart + Math.min(t.strip.samples, data.n));
  const overlayIdx = [...order.slice(0, stripStart), ...order.slice(stripStart + stripIdx.length)];
  const overlays = pick(overlayIdx.length > 0 ? overlayIdx : stripIdx);
  const cleanRows = pick(stripIdx);
  const stripOpts = { n: stripIdx.length, overlays, m: overlays.length / d, perInput: t.strip.overlays, clip, seed, areProbabilities };
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);
  const hClean = mean(await stripEntropy(model, { ...stripOpts, x: cleanRows }));
  type Trigger = (typeof nc.triggers)[number];
  // The trigger as a hard stamp: the pattern at the mask's strong positions (the soft mask
  // otherwise). The diffuse rest of an optimised mask is noise that blending washes out.
  const stamp = (rows: Float32Array, tr: Trigger, positions: number[]): Float32Array => {
    const stamped = new Float32Array(rows.length);
    for (let i = 0; i < rows.length / d; i++) {
      if (positions.length > 0) {
        stamped.set(rows.subarray(i * d, (i + 1) * d), i * d);
        for (const k of positions) stamped[i * d + k] = tr.pattern[k]!;
      } else for (let k = 0; k < d; k++) stamped[i * d + k] = (1 - tr.mask[k]!) * rows[i * d + k]! + tr.mask[k]! * tr.pattern[k]!;
    }
    return stamped;
  };
  const stripOf = async (tr: Trigger): Promise<{ ratio: number; entropy: number; positions: number[] }> => {
    const positions = Array.from(tr.mask).flatMap((v, i) => (v > t.maskThreshold ? [i] : []));
    const entropy = mean(await stripEntropy(model, { ...stripOpts, x: stamp(cleanRows, tr, positions) }));
    return { ratio: entropy / Math.max(hClean, 1e-12), entropy, positions };
  };
  // Source-class coverage: a planted trigger works from inputs of every class (the poisoning
  // relabelled them all); a natural class feature often works only from similar-looking classes.
  // Measured on inputs the search did not use, per true class other than the candidate's.
  const heldIdx = data.n > ncRows ? order.slice(ncRows) : order;
  const heldRows = pick(heldIdx);
  const sourceSuccessOf = async (tr: Trigger, positions: number[]): Promise<number[]> => {
    const preds = argmaxRows(await model.predict(stamp(heldRows, tr, positions), heldIdx.length), heldIdx.length, model.numClasses);
    const hit = new Array<number>(model.numClasses).fill(0);
    const all = new Array<number>(model.numClasses).fill(0);
    heldIdx.forEach((row, i) => {
      const y = data.labels[row]!;
      all[y]!++;
      if (preds[i] === tr.label) hit[y]!++;
    });
    // A class with fewer than 3 held-out inputs gives no usable rate.
    return all.map((a, y) => (y === tr.label || a < 3 ? NaN : hit[y]! / a));
  };
  // Candidates: the classes with the most anomalous (smallest) masks, each checked by STRIP.
  const ranked = nc.anomalyIndex.map((a, k) => ({ k, a })).sort((p, q) => q.a - p.a).slice(0, Math.min(t.candidates, model.numClasses));
  const candidates: Array<{ label: number; anomalyIndex: number; stripEntropyRatio: number; stripEntropy: number; triggerSuccessRate: number; positions: number[]; minSourceSuccess: number; sourceSuccess: Array<number | null>; restartAnomalyIndex: number[]; maskSize: number; maskL1: number; decidedBy?: BackdoorDecision }> = [];
  for (const { k, a } of ranked) {
    const s = await stripOf(nc.triggers[k]!);
    const bySource = await sourceSuccessOf(nc.triggers[k]!, s.positions);
    const present = bySource.filter((v) => !Number.isNaN(v));
    const minSourceSuccess = present.length ? Math.min(...present) : 0;
    candidates.push({ label: k, anomalyIndex: a, stripEntropyRatio: s.ratio, stripEntropy: s.entropy, triggerSuccessRate: nc.triggers[k]!.successRate, positions: s.positions, minSourceSuccess, sourceSuccess: bySource.map((v) => (Number.isNaN(v) ? null : Math.round(v * 1000) / 1000)), restartAnomalyIndex: nc.anomalyIndexByRestart.map((r) => Math.round(r[k]! * 1000) / 1000), maskSize: nc.triggers[k]!.maskSize, maskL1: nc.triggers[k]!.maskL1 });
  }
  const decisions = decideBackdoorCandidates(candidates, t);
  candidates.forEach((c, i) => {
    const decided = decisions[i]!;
    if (decided) c.decidedBy = decided;
  });
  // The verdict: the first flagged candidate by anomaly index; else the most anomalous class.
  const chosen = candidates.find((c) => c.decidedBy) ?? candidates[0]!;
  const suspect = nc.triggers[chosen.label]!;
  const maskPositions = chosen.positions;
  const ratio = chosen.stripEntropyRatio;
  const score = chosen.anomalyIndex;
  const suspected = chosen.decidedBy !== undefined;
  // Position in (row, column) of the input image, whatever the channel order.
  const rowCol = new Map<number, readonly [number, number]>();
  for (let c = 0; c < layout.c; c++) for (let y = 0; y < layout.h; y++) for (let x = 0; x < layout.w; x++) rowCol.set(layout.index(c, y, x), [y, x]);
  const coords = maskPositions.map((i) => rowCol.get(i) ?? ([0, i] as const));
  const boundingBox = coords.length
    ? { rows: [Math.min(...coords.map((c) => c[0])), Math.max(...coords.map((c) => c[0]))], columns: [Math.min(...coords.map((c) => c[1])), Math.max(...coords.map((c) => c[1]))] }
    : undefined;
  const evidence: Record<string, unknown> = {
    method: "neural-cleanse+strip",
    targetLabel: suspect.label,
    anomalyIndex: score,
    maskL1: suspect.maskL1,
    maskTotalVariation: Math.round(suspect.maskTV * 1000) / 1000,
    maskSizeByClass: nc.triggers.map((tr) => Math.round(tr.maskSize * 1000) / 1000),
    neuralCleanseSteps: nc.steps,
    maskL1ByClass: nc.triggers.map((tr) => Math.round(tr.maskL1 * 1000) / 1000),
    triggerSuccessRate: suspect.successRate,
    maskPositions,
    maskShape: model.inputShape,
    ...(boundingBox ? { maskBoundingBox: boundingBox } : {}),
    patternAtMask: maskPositions.map((i) => Math.round(suspect.pattern[i]! * 1000) / 1000),
    stripEntropyTriggered: chosen.stripEntropy,
    stripEntropyClean: hClean,
    stripEntropyRatio: ratio,
    decidedBy: chosen.decidedBy ?? "none",
    candidates: candidates.map((c) => ({ label: c.label, anomalyIndex: c.anomalyIndex, stripEntropyRatio: c.stripEntropyRatio, triggerSuccessRate: c.triggerSuccessRate, minSourceSuccess: c.minSourceSuccess, sourceSuccess: c.sourceSuccess, restartAnomalyIndex: c.restartAnomalyIndex, maskSize: c.maskSize, maskL1: c.maskL1, positions: c.positions.length })),
    neuralCleanseRestarts: nc.restarts,
    maskSizeByRestart: nc.maskSizeByRestart.map((r) => r.map((v) => Math.round(v * 1000) / 1000)),
    universalPatchSusceptible: candidates.some((o) => o !== chosen && o.stripEntropyRatio < t.susceptibleStripRatio),
  };
  const result: BackdoorResult = {
    suspected,
    score,
    method: "neural-cleanse+strip",
    decidedBy: chosen.decidedBy ?? "none",
    neuralCleanseAnomalyIndex: score,
    stripEntropyRatio: ratio,
    candidateLabel: suspect.label,
    ...(suspected ? { targetLabel: suspect.label } : {}),
    triggerSuccessRate: suspect.successRate,
    anomalyIndexByClass: nc.anomalyIndex,
    maskPositions,
    candidates: evidence["candidates"],
  };
  return { result, evidence };
}
