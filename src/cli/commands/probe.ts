// aigis probe MODEL --data FILE: adversarial robustness and backdoor probes as a release gate.
import { Command } from "commander";
import { loadCatalog } from "../../core/catalog";
import { loadConfig } from "../../core/config";
import { UsageError } from "../../core/errors";
import { ATTACK_NAMES, type AttackName } from "../../probes/attack-names";
import { parseMinRobustAccuracy, loadProbeThresholds } from "../../probes/thresholds";
import { ENDPOINT_PROTOCOLS, type EndpointOptions, type EndpointProtocol } from "../../probes/loaders/http";
import type { CliIO, CommandOutcome } from "../io";
import { DatasetColumnError } from "../../probes/data";
import { checkConfigRuleIds } from "../config-check";
import { applyEnvDefaults, gateExitCode, parseFailOn, progressReporter, trackOutputs, writeOutputs } from "../output";

const EXAMPLES = `
Examples:
  $ aigis probe model/model.json --data test.csv --label-column label
  $ aigis probe model.onnx --data x_test.npy --eps 0.01,0.03 --attack pgd --steps 40
  $ aigis probe model.onnx --data test.csv --norm l2 --eps 0.5,1 --format sarif --output probe.sarif
  $ aigis probe model.onnx --data test.csv --backdoor --min-robust-accuracy 0.03=0.6,0.1=0.3
  $ aigis probe model.onnx --data test.csv --extraction --attack none
  $ aigis probe model.onnx --members train_sample.csv --non-members holdout.csv
  $ aigis probe http://127.0.0.1:8080/v2/models/digits/infer --data test.csv --queries 500 --concurrency 8
  $ aigis probe http://127.0.0.1:5000/invocations --data test.csv --extraction --header "Authorization: Bearer $TOKEN"

Models: TensorFlow.js layers or graph models (model.json or its folder), ONNX files, and
KServe v2 / Open Inference Protocol (/v2/models/NAME/infer: Triton, Seldon MLServer), TensorFlow
Serving REST or KServe v1 (/v1/models/NAME:predict) and MLflow scoring server (/invocations) URLs.
Data: CSV/TSV, JSON Lines, Parquet with a label column; .npy features with a labels file
(--labels); image folders (one folder per class). Inputs must lie in --clip (default 0,1).

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, configuration or I/O error.`;

function numberList(flag: string, value: string): number[] {
  const out = value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (out.length === 0 || out.some((v) => !Number.isFinite(v))) throw new UsageError(`invalid ${flag} '${value}' (comma-separated numbers)`);
  return out;
}

function integer(flag: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`invalid ${flag} '${String(value)}' (a whole number from ${min})`);
  return n;
}

function positive(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`invalid ${flag} '${String(value)}' (a positive number)`);
  return n;
}

export function register(program: Command, io: CliIO, outcome: CommandOutcome): void {
  const cmd = new Command("probe")
    .description("attack a model with adversarial inputs built from data, measure robustness, look for backdoors")
    .argument("<model>", "tfjs model.json (or its folder), ONNX file, or KServe v2 / TF Serving / MLflow URL")
    .option("-d, --data <file>", "labelled data: CSV/TSV/JSONL/Parquet, .npy features, or an image folder (required unless --members and --non-members are given)")
    .option("--label-column <name>", "the label column (default: label, target, class or y)")
    .option("--labels <file>", ".npy data: the labels file (default: found beside the features)")
    .option("--clip <min,max>", "valid input range; attacks stay inside it", "0,1")
    .option("-n, --samples <n>", "probe a seeded random subset of N rows (default 500)")
    .option("--seed <n>", "seed for the subset, random starts and black-box attacks", "0")
    .option("-a, --attack <names>", `attacks, comma-separated: ${ATTACK_NAMES.join(", ")}, auto or none`, "auto")
    .option("-e, --eps <list>", "perturbation budgets, comma-separated (default per norm from rules/probes/thresholds.json)")
    .option("--norm <norm>", "linf or l2", "linf")
    .option("--steps <n>", "PGD iterations (default 20)")
    .option("--rel-step <x>", "PGD step size as a fraction of eps (default 2.5 / steps)")
    .option("--random-start", "PGD: start from a random point in the eps ball")
    .option("--queries <n>", "black-box attacks: query budget per sample (default 1000)")
    .option("--backdoor", "look for a planted backdoor (Neural Cleanse, STRIP)")
    .option("--extraction", "model theft: train a surrogate from black-box queries, report fidelity against queries")
    .option("--members <file>", "membership inference: labelled rows known to be training data (with --non-members)")
    .option("--non-members <file>", "membership inference: labelled rows known not to be training data")
    .option("--min-robust-accuracy <spec>", "required robust accuracy: 0.5 for every eps, or EPS=MIN,... (default rules/probes/thresholds.json)")
    .option("-f, --format <format>", "output format: text, json, sarif, markdown (repeatable; each pairs with the --output after it)")
    .option("-o, --output <file>", "write the preceding --format to FILE (or, alone, the format its extension names)")
    .option("--fail-on <severity>", "exit 1 when a finding is at or above: critical, high, medium, low, info, none (default: high)")
    .option("-c, --config <file>", "configuration file (default: aigis.config.json/.yaml in the working directory)")
    .option("--protocol <name>", "endpoint protocol: kserve, tfserving or mlflow (default: from the URL path)")
    .option("--output-name <name>", "endpoint: the output holding class scores or labels (default: chosen by name and shape)")
    .option("--max-response-bytes <n>", "endpoint: largest answer accepted (default: max(1 MiB, rows x classes x 64))")
    .option("--input-name <name>", "endpoint: input name (KServe: default from metadata, else input; TF Serving, MLflow: unnamed)")
    .option("--input-shape <dims>", "endpoint: per-sample input shape, e.g. 28,28,1 (default: from metadata, else one flat row)")
    .option("--concurrency <n>", "endpoint: requests in flight", "4")
    .option("--rate-limit <n>", "endpoint: most requests started per second (0: no limit)", "0")
    .option("--timeout <ms>", "endpoint: per-attempt timeout in milliseconds, headers and body", "30000")
    .option("--retries <n>", "endpoint: retries on network errors, 429 and 5xx", "3")
    .option("--request-batch <n>", "endpoint: rows per request", "64")
    .option("--header <name:value>", "endpoint: extra HTTP header (repeatable)", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option("-q, --quiet", "no progress bar and no text summary on stdout; files are still written")
    .option("--no-progress", "no progress bar")
    .addHelpText("after", EXAMPLES);
  const outputs = trackOutputs(cmd);
  cmd.action(async (model: string, opts: Record<string, unknown>) => {
    applyEnvDefaults(opts, io.env, { failOn: "AIGIS_FAIL_ON", config: "AIGIS_CONFIG", labelColumn: "AIGIS_LABEL_COLUMN", quiet: "AIGIS_QUIET" });
    const { config, path: configPath } = loadConfig(opts.config as string | undefined, io.cwd);
    checkConfigRuleIds(config.rules as Record<string, unknown> | undefined, new Set(loadCatalog().rules.keys()), configPath);
    const progressOn = opts.progress !== false && !/^(1|true|yes)$/i.test(io.env.AIGIS_NO_PROGRESS ?? "");
    const targets = outputs();
    const failOn = parseFailOn((opts.failOn as string | undefined) ?? config.failOn ?? "high");
    const quiet = opts.quiet === true;
    const clip = numberList("--clip", opts.clip as string);
    if (clip.length !== 2 || !(clip[0]! < clip[1]!)) throw new UsageError(`invalid --clip '${String(opts.clip)}' (MIN,MAX with MIN < MAX)`);
    const norm = opts.norm as string;
    if (norm !== "linf" && norm !== "l2") throw new UsageError(`invalid --norm '${norm}' (linf or l2)`);
    const attackText = (opts.attack as string).trim();
    let attacks: AttackName[] | "auto" = "auto";
    // "none": only the other probes (backdoor, extraction, membership); without --data, none is the default.
    if (attackText === "none" || (attackText === "auto" && opts.data === undefined)) attacks = [];
    else if (attackText !== "auto") {
      attacks = attackText.split(",").map((s) => s.trim().toLowerCase()) as AttackName[];
      const bad = attacks.find((a) => !(ATTACK_NAMES as readonly string[]).includes(a));
      if (bad) throw new UsageError(`unknown attack '${bad}' (use ${ATTACK_NAMES.join(", ")} or auto)`);
    }
    const thresholds = loadProbeThresholds();
    const eps = opts.eps !== undefined ? numberList("--eps", opts.eps as string) : undefined;
    if (eps?.some((e) => !(e > 0))) throw new UsageError("--eps values must be positive");
    const epsForMin = eps ?? (norm === "linf" ? thresholds.defaults.linfEps : thresholds.defaults.l2Eps);
    let minRobustAccuracy;
    try {
      minRobustAccuracy = opts.minRobustAccuracy !== undefined ? parseMinRobustAccuracy(opts.minRobustAccuracy as string, norm, epsForMin) : undefined;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const headers: Record<string, string> = {};
    for (const h of (opts.header as string[] | undefined) ?? []) {
      const i = h.indexOf(":");
      // The value may be a token: never echoed.
      if (i <= 0) throw new UsageError("invalid --header (NAME:VALUE expected; the argument is not shown)");
      headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
    }
    const protocol = opts.protocol as string | undefined;
    if (protocol !== undefined && !(ENDPOINT_PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError(`invalid --protocol '${protocol}' (${ENDPOINT_PROTOCOLS.join(", ")})`);
    const maxResponseBytes = integer("--max-response-bytes", opts.maxResponseBytes, 1024);
    const endpoint: Partial<EndpointOptions> = {
      concurrency: integer("--concurrency", opts.concurrency, 1)!,
      rateLimit: Number(opts.rateLimit) >= 0 ? Number(opts.rateLimit) : 0,
      timeoutMs: integer("--timeout", opts.timeout, 1)!,
      retries: integer("--retries", opts.retries, 0)!,
      batchSize: integer("--request-batch", opts.requestBatch, 1)!,
      ...(protocol ? { protocol: protocol as EndpointProtocol } : {}),
      ...(opts.outputName !== undefined ? { outputName: opts.outputName as string } : {}),
      ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}),
      ...(opts.inputName ? { inputName: opts.inputName as string } : {}),
      ...(opts.inputShape ? { inputShape: numberList("--input-shape", opts.inputShape as string) } : {}),
      ...(Object.keys(headers).length ? { headers } : {}),
    };
    const samples = integer("--samples", opts.samples, 1);
    const steps = integer("--steps", opts.steps, 1);
    const queries = integer("--queries", opts.queries, 1);
    const relStep = positive("--rel-step", opts.relStep);
    const seed = integer("--seed", opts.seed, 0)!;
    let progress = progressReporter(io, quiet, "probing", { enabled: progressOn });
    let phase = "";
    // TensorFlow.js and ONNX Runtime load only when a probe runs, not with every command.
    const { runProbe } = require("../../probes/run") as typeof import("../../probes/run");
    let report: Awaited<ReturnType<typeof runProbe>>;
    try {
      report = await runProbe({
        model,
        ...(opts.data !== undefined ? { data: opts.data as string } : {}),
        ...(opts.members !== undefined ? { members: opts.members as string } : {}),
        ...(opts.nonMembers !== undefined ? { nonMembers: opts.nonMembers as string } : {}),
        extraction: opts.extraction === true,
        cwd: io.cwd,
        clip: [clip[0]!, clip[1]!],
        seed,
        attacks,
        norm,
        backdoor: opts.backdoor === true,
        randomStart: opts.randomStart === true,
        endpoint,
        config,
        ...(configPath ? { configPath } : {}),
        ...(opts.labelColumn ? { labelColumn: opts.labelColumn as string } : {}),
        ...(opts.labels ? { labelsPath: opts.labels as string } : {}),
        ...(samples !== undefined ? { samples } : {}),
        ...(eps ? { eps } : {}),
        ...(steps !== undefined ? { steps } : {}),
        ...(relStep !== undefined ? { relStep } : {}),
        ...(queries !== undefined ? { queries } : {}),
        ...(minRobustAccuracy ? { minRobustAccuracy } : {}),
        onProgress: (label, done, total) => {
          if (label !== phase) {
            progress.end();
            progress = progressReporter(io, quiet, `probing: ${label}`, { enabled: progressOn });
            phase = label;
          }
          progress.update(done, total);
        },
      });
    } catch (e) {
      // A label column the data does not have is a usage error naming the columns it has.
      if (e instanceof DatasetColumnError) throw new UsageError(`--label-column '${e.wanted}' is not a column of ${String(opts.data)} (columns: ${e.existing.slice(0, 30).join(", ")})`);
      throw e;
    }
    progress.end();
    if (!quiet) for (const note of (report.probes[0]?.["notes"] as string[] | undefined) ?? []) io.stderr.write(`aigis probe: ${note}\n`);
    writeOutputs(report, targets, io, { catalog: loadCatalog(), quiet });
    outcome.exitCode = gateExitCode(report, failOn);
  });
  program.addCommand(cmd);
}
