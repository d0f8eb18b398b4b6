import { Command } from "commander";
import { loadConfig, parseSize } from "../../core/config";
import { UsageError } from "../../core/errors";
import { runScan } from "../../core/run";
import { loadReport } from "../../core/load-report";
import { parseShard } from "../../core/shard";
import { loadSuppressions } from "../../core/suppressions";
import { loadSigningIdentity, signFiles } from "../../compliance/sign";
import type { CliIO, CommandOutcome } from "../io";
import { collect, dropAbsent, gateExitCode, parseFailOn, progressReporter, trackOutputs, writeOutputs } from "../output";

const EXAMPLES = `
Examples:
  $ aigis scan models/                          text summary of a model folder
  $ aigis scan . --format sarif --output aigis.sarif
  $ aigis scan data/ --format json --output report.json --format text
  $ aigis scan --output report.sarif --output report.md --fail-on critical
  $ aigis scan train.csv --label-column y --fail-on medium
  $ aigis scan . -o aigis.sarif --baseline main.sarif --fail-on-new   gate only on new findings
  $ aigis scan models/ --shard 2/8 -o shard-2.json                     one of 8 machines; join with aigis merge
  $ aigis scan models/ -o evidence.html --sign-key key.pem --sign-cert cert.pem

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, configuration or I/O error.`;

export function register(program: Command, io: CliIO, outcome: CommandOutcome): void {
  const cmd = new Command("scan")
    .description("scan model artifacts, datasets, policies and signatures for security and compliance findings")
    .argument("[paths...]", "files or folders to scan", ["."])
    .option("-f, --format <format>", "output format: text, json, sarif, markdown, html (repeatable; each pairs with the --output after it)")
    .option("-o, --output <file>", "write the preceding --format to FILE (or, alone, the format its extension names: .sarif .json .md .html .txt)")
    .option("--fail-on <severity>", "exit 1 when a finding is at or above: critical, high, medium, low, info, none (default: high, or failOn in the config)")
    .option("--baseline <file>", "a previous JSON report or SARIF log: mark findings new, unchanged, updated or absent by fingerprint")
    .option("--fail-on-new", "with --baseline: only new findings at or above --fail-on fail the run")
    .option("--no-absent", "with --baseline: leave findings that are gone out of the outputs (GitHub code scanning closes those alerts itself)")
    .option("--suppressions <file>", "accepted risks (default: .aigis-suppressions.yaml in the working directory if present)")
    .option("--shard <i/n>", "scan only shard I of N of the discovered files (deterministic by path); join the parts with aigis merge")
    .option("--category <name>", "SARIF: analysis category, written as runAutomationDetails.id (GitHub keeps one alert set per category)")
    .option("--sign-key <pem>", "write a detached CMS signature FILE.p7s beside each output file, with this RSA private key")
    .option("--sign-cert <pem>", "the signer's certificate for --sign-key (further certificates in the file are included as the chain)")
    .option("-c, --config <file>", "configuration file (default: aigis.config.json/.yaml in the working directory)")
    .option("--include <glob>", "scan only files matching GLOB (repeatable)", collect)
    .option("--exclude <glob>", "skip files matching GLOB (repeatable; adds to the config's exclude)", collect)
    .option("--max-file-size <size>", "skip files larger than SIZE, e.g. 500MiB or 10GB (default 64GiB)")
    .option("-j, --jobs <n>", "worker threads for scanning many files (default: number of cores)")
    .option("--plugin <module>", "register a custom scanner module (CommonJS, exports `scanner`; repeatable)", collect)
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
    if (opts.failOnNew === true && opts.baseline === undefined) throw new UsageError("--fail-on-new needs --baseline (the findings to compare with)");
    if ((opts.signKey === undefined) !== (opts.signCert === undefined)) throw new UsageError("--sign-key and --sign-cert go together");
    const signer = opts.signKey !== undefined ? loadSigningIdentity(opts.signKey as string, opts.signCert as string, io.cwd) : undefined;
    if (signer && !targets.some((t) => t.path !== undefined)) throw new UsageError("--sign-key signs output files: add --output FILE");
    const suppressions = loadSuppressions(opts.suppressions as string | undefined, io.cwd);
    const baseline = opts.baseline !== undefined ? loadReport(opts.baseline as string, io.cwd) : undefined;
    const shard = opts.shard !== undefined ? parseShard(opts.shard as string) : undefined;
    const progress = progressReporter(io, quiet, "scanning");
    const { report, skipped, catalog } = await runScan({
      paths,
      cwd: io.cwd,
      config,
      ...(configPath ? { configPath } : {}),
      ...(opts.include ? { include: opts.include as string[] } : {}),
      ...(opts.exclude ? { exclude: opts.exclude as string[] } : {}),
      ...(opts.maxFileSize !== undefined ? { maxFileSize: parseSize(opts.maxFileSize as string) } : {}),
      ...(jobs !== undefined ? { jobs } : {}),
      ...(opts.plugin ? { plugins: opts.plugin as string[] } : {}),
      hints,
      onProgress: (d, t) => progress.update(d, t),
      ...(suppressions ? { suppressions } : {}),
      ...(baseline ? { baseline, baselinePath: opts.baseline as string } : {}),
      ...(shard ? { shard } : {}),
    });
    progress.end();
    if (opts.absent === false) dropAbsent(report);
    const written = writeOutputs(report, targets, io, { catalog, quiet, skipped, ...(opts.category !== undefined ? { category: opts.category as string } : {}) });
    if (signer) signFiles(written, signer);
    outcome.exitCode = gateExitCode(report, failOn, { onlyNew: opts.failOnNew === true });
  });
  program.addCommand(cmd);
}
