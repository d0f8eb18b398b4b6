import { Command } from "commander";
import { loadCatalog } from "../../core/catalog";
import { UsageError } from "../../core/errors";
import { applyBaseline } from "../../core/baseline";
import { loadReport } from "../../core/load-report";
import { mergeReports } from "../../core/merge";
import { summarise } from "../../core/summary";
import type { CliIO, CommandOutcome } from "../io";
import { dropAbsent, gateExitCode, parseFailOn, trackOutputs, writeOutputs } from "../output";

const EXAMPLES = `
Examples:
  $ aigis merge shard-1.json shard-2.json shard-3.json -o all.json -o all.sarif
  $ aigis merge shards/*.json -o all.sarif --category aigis-models --fail-on high
  $ aigis merge shards/*.json -o all.json --baseline last-release.json --fail-on-new

Targets are joined by path, findings by fingerprint, probe results concatenated and the
summary recomputed. The gate (--fail-on) applies to the merged findings.`;

export function register(program: Command, io: CliIO, outcome: CommandOutcome): void {
  const cmd = new Command("merge")
    .description("combine JSON reports (e.g. from aigis scan --shard I/N on many machines) into one report")
    .argument("<reports...>", "aigis JSON reports (SARIF logs from aigis are read too)")
    .option("-f, --format <format>", "output format: json, sarif, markdown, html, text (repeatable; each pairs with the --output after it)")
    .option("-o, --output <file>", "write the preceding --format to FILE (or, alone, the format its extension names)")
    .option("--fail-on <severity>", "exit 1 when a merged finding is at or above: critical, high, medium, low, info, none", "high")
    .option("--baseline <file>", "compare the merged findings with a previous JSON report or SARIF log")
    .option("--fail-on-new", "with --baseline: only new findings at or above --fail-on fail")
    .option("--no-absent", "leave findings that are gone since the baseline out of the outputs (GitHub code scanning closes those alerts itself)")
    .option("--category <name>", "SARIF: analysis category (runAutomationDetails.id)")
    .option("-q, --quiet", "no text summary on stdout")
    .addHelpText("after", EXAMPLES);
  const outputs = trackOutputs(cmd);
  cmd.action((inputs: string[], opts: { failOn: string; baseline?: string; failOnNew?: boolean; absent: boolean; category?: string; quiet?: boolean }) => {
    const targets = outputs();
    const failOn = parseFailOn(opts.failOn);
    if (opts.failOnNew && opts.baseline === undefined) throw new UsageError("--fail-on-new needs --baseline (the findings to compare with)");
    const { report, warnings } = mergeReports(inputs.map((p) => loadReport(p, io.cwd)));
    for (const w of warnings) io.stderr.write(`aigis: warning: ${w}\n`);
    if (opts.baseline !== undefined) {
      // Shards compared with a baseline are re-compared as a whole.
      const current = report.findings.filter((f) => f.baselineState !== "absent").map(({ baselineState: _b, ...f }) => f);
      report.findings = applyBaseline(current, loadReport(opts.baseline, io.cwd));
      report.summary = summarise(report.findings);
      if (report.invocation) report.invocation.baselineFile = opts.baseline;
    }
    if (!opts.absent) dropAbsent(report);
    writeOutputs(report, targets, io, { catalog: loadCatalog(), quiet: opts.quiet === true, ...(opts.category !== undefined ? { category: opts.category } : {}) });
    outcome.exitCode = gateExitCode(report, failOn, { onlyNew: opts.failOnNew === true });
  });
  program.addCommand(cmd);
}
