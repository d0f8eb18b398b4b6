import { Command } from "commander";
import { loadConfig, parseSize } from "../../core/config";
import { UsageError } from "../../core/errors";
import { runScan } from "../../core/run";
import { loadCatalog } from "../../core/catalog";
import type { CliIO, CommandOutcome } from "../io";
import { collect, gateExitCode, parseFailOn, progressReporter, trackOutputs, writeOutputs } from "../output";

const EXAMPLES = `
Examples:
  $ aigis scan models/                          text summary of a model folder
  $ aigis scan . --format sarif --output aigis.sarif
  $ aigis scan data/ --format json --output report.json --format text
  $ aigis scan --output report.sarif --output report.md --fail-on critical
  $ aigis scan train.csv --label-column y --fail-on medium

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, configuration or I/O error.`;

export function register(program: Command, io: CliIO, outcome: CommandOutcome): void {
  const cmd = new Command("scan")
    .description("scan model artifacts, datasets, policies and signatures for security and compliance findings")
    .argument("[paths...]", "files or folders to scan", ["."])
    .option("-f, --format <format>", "output format: text, json, sarif, markdown (repeatable; each pairs with the --output after it)")
    .option("-o, --output <file>", "write the preceding --format to FILE (or, alone, the format its extension names: .sarif .json .md .txt)")
    .option("--fail-on <severity>", "exit 1 when a finding is at or above: critical, high, medium, low, info, none (default: high, or failOn in the config)")
    .option("-c, --config <file>", "configuration file (default: aigis.config.json/.yaml in the working directory)")
    .option("--include <glob>", "scan only files matching GLOB (repeatable)", collect)
    .option("--exclude <glob>", "skip files matching GLOB (repeatable; adds to the config's exclude)", collect)
    .option("--max-file-size <size>", "skip files larger than SIZE, e.g. 500MiB or 10GB (default 64GiB)")
    .option("-j, --jobs <n>", "worker threads for scanning many files (default: number of cores)")
    .option("--label-column <name>", "datasets: the label column")
    .option("--text-column <name>", "datasets: the free-text column")
    .option("--labels <file>", "datasets: labels file for .npy features")
    .option("--trust-anchor <pem>", "signatures: trusted root certificate (repeatable)", collect)
    .option("-q, --quiet", "no progress bar and no text summary on stdout; files are still written")
    .addHelpText("after", EXAMPLES);
  const outputs = trackOutputs(cmd);
  cmd.action(async (paths: string[], opts: Record<string, unknown>) => {
    const { config, path: configPath } = loadConfig(opts.config as string | undefined, io.cwd);
    const targets = outputs();
    const failOn = parseFailOn((opts.failOn as string | undefined) ?? config.failOn ?? "high");
    const quiet = opts.quiet === true;
    const hints = {
      ...(opts.labelColumn ? { labelColumn: opts.labelColumn as string } : {}),
      ...(opts.textColumn ? { textColumn: opts.textColumn as string } : {}),
      ...(opts.labels ? { labels: opts.labels as string } : {}),
      ...(opts.trustAnchor ? { trustAnchors: opts.trustAnchor as string[] } : {}),
    };
    let jobs: number | undefined;
    if (opts.jobs !== undefined) {
      jobs = Number(opts.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`invalid --jobs '${String(opts.jobs)}' (a whole number from 1)`);
    }
    const progress = progressReporter(io, quiet, "scanning");
    const { report, skipped } = await runScan({
      paths,
      cwd: io.cwd,
      config,
      ...(configPath ? { configPath } : {}),
      ...(opts.include ? { include: opts.include as string[] } : {}),
      ...(opts.exclude ? { exclude: opts.exclude as string[] } : {}),
      ...(opts.maxFileSize !== undefined ? { maxFileSize: parseSize(opts.maxFileSize as string) } : {}),
      ...(jobs !== undefined ? { jobs } : {}),
      hints,
      onProgress: (d, t) => progress.update(d, t),
    });
    progress.end();
    writeOutputs(report, targets, io, { catalog: loadCatalog(), quiet, skipped });
    outcome.exitCode = gateExitCode(report, failOn);
  });
  program.addCommand(cmd);
}
