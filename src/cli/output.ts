// Output options shared by every command that writes a report (scan, probe, report):
// repeatable --format, each paired with its own --output, or an --output whose extension
// decides the format; the gate (--fail-on) that turns findings into exit code 1.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import type { Report, Severity } from "../types";
import { SEVERITIES } from "../types";
import { UsageError } from "../core/errors";
import { severityAtLeast } from "../core/run";
import { isActive } from "../core/suppressions";
import type { Catalog } from "../core/catalog";
import { FORMATS, formatOfPath, render, type Format } from "../reporters";
import type { CliIO } from "./io";

export interface OutputTarget {
  format: Format;
  /** File path, or undefined for stdout. */
  path?: string;
}

/** Records --format/--output in the order given, so each --output pairs with the --format before it. */
export function trackOutputs(cmd: Command): () => OutputTarget[] {
  const seq: Array<{ format?: string; path?: string }> = [];
  cmd.on("option:format", (value: string) => seq.push({ format: value }));
  cmd.on("option:output", (value: string) => {
    // Pairs only with a --format given just before it; otherwise the extension decides.
    const pending = seq[seq.length - 1];
    if (pending && pending.format !== undefined && pending.path === undefined) pending.path = value;
    else seq.push({ path: value });
  });
  return () => resolveOutputs(seq);
}

export function resolveOutputs(seq: Array<{ format?: string; path?: string }>): OutputTarget[] {
  const outputs: OutputTarget[] = [];
  for (const entry of seq) {
    let format = entry.format;
    if (format === undefined) {
      format = formatOfPath(entry.path ?? "");
      if (!format) throw new UsageError(`cannot tell the format of --output ${entry.path} from its extension; add --format (${FORMATS.join(", ")})`);
    }
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown format '${format}' (use ${FORMATS.join(", ")})`);
    outputs.push(entry.path === undefined ? { format: format as Format } : { format: format as Format, path: entry.path });
  }
  if (outputs.length === 0) outputs.push({ format: "text" });
  const toStdout = outputs.filter((o) => o.path === undefined);
  if (toStdout.length > 1) throw new UsageError(`only one format can go to standard output (${toStdout.map((o) => o.format).join(", ")}); give the others an --output file`);
  return outputs;
}

export function parseFailOn(value: string): Severity | "none" {
  if (value === "none" || (SEVERITIES as readonly string[]).includes(value)) return value as Severity | "none";
  throw new UsageError(`invalid --fail-on '${value}' (use ${[...SEVERITIES, "none"].join(", ")})`);
}

/**
 * 1 when a finding that counts is at or above the gate, else 0. Suppressed findings and
 * findings absent since the baseline never count; with `onlyNew`, only baselineState "new" does.
 */
export function gateExitCode(report: Report, failOn: Severity | "none", options: { onlyNew?: boolean } = {}): number {
  if (failOn === "none") return 0;
  return report.findings.some((f) => isActive(f) && (!options.onlyNew || f.baselineState === "new") && severityAtLeast(f.severity, failOn)) ? 1 : 0;
}

/** Removes findings absent since the baseline (they never count; some consumers would reopen them as alerts). */
export function dropAbsent(report: Report): void {
  const absent = report.findings.filter((f) => f.baselineState === "absent").length;
  if (absent === 0) return;
  report.findings = report.findings.filter((f) => f.baselineState !== "absent");
  report.summary = { ...report.summary, absent: 0 };
}

export function useColor(io: CliIO): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== "0") return true;
  return io.stdout.isTTY === true;
}

export function writeOutputs(
  report: Report,
  outputs: OutputTarget[],
  io: CliIO,
  context: { catalog: Catalog; quiet: boolean; skipped?: Array<{ uri: string; reason: string }>; category?: string },
): string[] {
  const written: string[] = [];
  for (const out of outputs) {
    const text = render(out.format, report, {
      catalog: context.catalog,
      color: out.path === undefined && useColor(io),
      ...(context.skipped ? { skipped: context.skipped } : {}),
      ...(context.category !== undefined ? { category: context.category } : {}),
    });
    if (out.path === undefined) {
      // --quiet drops the text summary; a machine format asked for on stdout is still written.
      if (!(context.quiet && out.format === "text")) io.stdout.write(text);
      continue;
    }
    const path = resolve(io.cwd, out.path);
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    } catch (e) {
      throw new UsageError(`cannot write ${out.path}: ${(e as Error).message}`);
    }
    written.push(path);
  }
  return written;
}

/** A progress line on stderr, only on a TTY and not with --quiet. */
export function progressReporter(io: CliIO, quiet: boolean, label: string): { update(done: number, total: number): void; end(): void } {
  const enabled = !quiet && io.stderr.isTTY === true;
  let last = 0;
  return {
    update(done, total) {
      if (!enabled) return;
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      // `done` may be fractional: a long file reports how far it has come.
      const width = 30;
      const share = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(share * width);
      io.stderr.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.floor(done)}/${total} files ${Math.floor(share * 100)}%`);
    },
    end() {
      if (enabled) io.stderr.write("\r\x1b[K");
    },
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
