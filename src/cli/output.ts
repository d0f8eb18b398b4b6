// Output options shared by every command that writes a report (scan, probe, report):
// repeatable --format, each paired with its own --output, or an --output whose extension
// decides the format; the gate (--fail-on) that turns findings into exit code 1.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
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
    // `-f json -f sarif -o a.json` pairs sarif with a.json: refuse rather than write SARIF into a .json file.
    const extFormat = entry.path !== undefined ? formatOfPath(entry.path) : undefined;
    // A bill of materials is JSON: "bom.json" is a fine name for it.
    const compatible = extFormat === format || (format === "cyclonedx" && extFormat === "json");
    if (entry.format !== undefined && extFormat !== undefined && !compatible) {
      throw new UsageError(`--format ${format} is paired with --output ${entry.path}, whose extension says ${extFormat}; each --output pairs with the --format just before it`);
    }
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

export interface SarifOutputOptions {
  maxPerRuleFile?: number;
  localPaths?: boolean;
}

export function writeOutputs(
  report: Report,
  outputs: OutputTarget[],
  io: CliIO,
  context: { catalog: Catalog; quiet: boolean; skipped?: Array<{ uri: string; reason: string }>; category?: string; sarif?: SarifOutputOptions },
): string[] {
  const written: string[] = [];
  const jsonReport = outputs.find((o) => o.format === "json" && o.path !== undefined)?.path;
  for (const out of outputs) {
    const text = render(out.format, report, {
      catalog: context.catalog,
      color: out.path === undefined && useColor(io),
      ...(context.skipped ? { skipped: context.skipped } : {}),
      ...(context.category !== undefined ? { category: context.category } : {}),
      ...(jsonReport !== undefined ? { jsonReportPath: jsonReport } : {}),
      ...(context.sarif?.maxPerRuleFile !== undefined ? { sarifMaxPerRuleFile: context.sarif.maxPerRuleFile } : {}),
      ...(context.sarif?.localPaths ? { sarifLocalPaths: true } : {}),
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

/**
 * A progress line on stderr, only on a TTY, not with --quiet or --no-progress. `unit` "bytes"
 * shows sizes (scans: bytes across the whole scan, moving inside long files), "steps" counts.
 */
export function progressReporter(
  io: CliIO,
  quiet: boolean,
  label: string,
  options: { enabled?: boolean; unit?: "bytes" | "steps" } = {},
): { update(done: number, total: number, files?: { done: number; total: number }): void; end(): void } {
  const enabled = !quiet && options.enabled !== false && io.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(done, total, files) {
      if (!enabled) return;
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      shown = true;
      const width = 30;
      const share = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(share * width);
      const amount = options.unit === "bytes" ? `${formatBytes(done)}/${formatBytes(total)}` : `${Math.floor(done)}/${total}`;
      const fileCount = files ? ` ${files.done}/${files.total} files` : "";
      io.stderr.write(`\r\x1b[K${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.floor(share * 100)}% ${amount}${fileCount}`);
    },
    end() {
      if (enabled && shown) io.stderr.write("\r\x1b[K");
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/**
 * The one-line summary on stderr after a run: what was scanned, what was found, where it was
 * written. Skipped when the text report already ends with it on the same terminal.
 */
export function summaryLine(report: Report, written: string[], io: CliIO, seconds: number): string {
  const bytes = report.targets.reduce((n, t) => n + t.bytes, 0);
  const s = report.summary.bySeverity;
  const total = SEVERITIES.reduce((n, sev) => n + s[sev], 0);
  const files = `${report.targets.length} file${report.targets.length === 1 ? "" : "s"}`;
  const counts = SEVERITIES.map((sev) => `${s[sev]} ${sev}`).join(", ");
  const wrote = written.length > 0 ? `; wrote ${written.map((p) => relativeOrSelf(io.cwd, p)).join(", ")}` : "";
  return `aigis: scanned ${files} (${formatBytes(bytes)}) in ${seconds.toFixed(1)} s; ${total} finding${total === 1 ? "" : "s"} (${counts})${wrote}.\n`;
}

function relativeOrSelf(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/**
 * Fills options the user did not give from AIGIS_* environment variables (flags win). Boolean
 * flags take 1/true/yes; an unusable value is a usage error rather than silently ignored.
 */
export function applyEnvDefaults(opts: Record<string, unknown>, env: CliIO["env"], names: Record<string, string>): void {
  for (const [key, variable] of Object.entries(names)) {
    const raw = env[variable];
    if (raw === undefined || raw === "" || opts[key] !== undefined) continue;
    if (key === "quiet" || key === "verbose" || key === "failOnNew") {
      if (/^(1|true|yes)$/i.test(raw)) opts[key] = true;
      else if (!/^(0|false|no)$/i.test(raw)) throw new UsageError(`${variable}=${raw}: use 1 or 0`);
    } else if (key === "progress") {
      // --no-progress: commander stores progress=true by default, so the variable only turns it off.
      if (/^(0|false|no)$/i.test(raw)) opts[key] = false;
    } else opts[key] = raw;
  }
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
