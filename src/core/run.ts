// The pipeline: discover -> scan -> filter -> report. Returns data; prints nothing.

import type { Finding, ProjectContext, Report, ScanHints, ScanSettings, Severity, Target } from "../types";
import { REPORT_SCHEMA_VERSION } from "../types";
import { applyBaseline } from "./baseline";
import { packageVersion } from "./catalog";
import { catalogVersion } from "./catalog-version";
import type { AigisConfig } from "./config";
import { resolveLimits } from "./config";
import { discover, type SkippedPath } from "./discover";
import { defaultJobs, scanAll, type ScanProgress } from "./pool";
import { UsageError } from "./errors";
import { FactBook, noticesFor, runRule, type RuleRunTarget } from "./findings";
import { expiredSuppression } from "./notices";
import { ownReportKindOfFile } from "./own-report";
import { registryWithPlugins, RegistryError, type Registry } from "./registry";
import { resolve } from "node:path";
import { compileSchema, formatAjvErrors, type Catalog } from "./catalog";
import { ioErrorFinding, rulesFor } from "./scan-file";
import { inShard, type ShardSpec } from "./shard";
import { summarise } from "./summary";
import { applySuppressions, isoDay, type SuppressionSet } from "./suppressions";

export { summarise };

export interface ScanOptions {
  paths: string[];
  /** Paths and report URIs are relative to it; defaults to process.cwd(). */
  cwd?: string;
  config?: AigisConfig;
  configPath?: string;
  /** Overrides config include/exclude/limits/hints (CLI flags win over the file). */
  include?: string[];
  exclude?: string[];
  maxFileSize?: number;
  hints?: ScanHints;
  jobs?: number;
  /** Bytes scanned of all bytes to scan (moving inside long files), and files done. */
  onProgress?: ScanProgress;
  /** Accepted risks (.aigis-suppressions.yaml): matching findings are marked, expired entries become findings. */
  suppressions?: SuppressionSet;
  /** A previous report: sets baselineState on every finding and adds the ones that are gone as "absent". */
  baseline?: Report;
  baselinePath?: string;
  /** Scan only this part of the discovered files (see core/shard.ts). */
  shard?: ShardSpec;
  /** Custom scanner modules (paths, absolute or relative to cwd) registered beside the built-in ones; ignored when a registry is passed. */
  plugins?: string[];
  /** "Today" for suppression expiry; defaults to the scan's start. */
  now?: Date;
}

export interface ScanResult {
  report: Report;
  skipped: SkippedPath[];
  /** The rule catalogue of the run: aigis's own plus entries custom scanners brought. */
  catalog: Catalog;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] <= SEVERITY_RANK[threshold];
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      a.location.uri.localeCompare(b.location.uri) ||
      (a.location.member ?? "").localeCompare(b.location.member ?? "") ||
      (a.location.row ?? -1) - (b.location.row ?? -1) ||
      (a.location.offset ?? -1) - (b.location.offset ?? -1) ||
      a.ruleId.localeCompare(b.ruleId),
  );
}

/** Marks accepted risks and reports expired suppressions as aigis/expired-suppression findings. */
export function suppressFindings(findings: Finding[], set: SuppressionSet, today: string, registry: Registry, settings?: ScanSettings): Finding[] {
  const { findings: marked, expired } = applySuppressions(findings, set, today);
  for (const e of expired) {
    const what = [e.entry.rule && `rule ${e.entry.rule}`, e.entry.path && `path ${e.entry.path}`, e.entry.fingerprint && `fingerprint ${e.entry.fingerprint}`].filter(Boolean).join(", ");
    const doc = {
      index: e.index,
      file: set.uri,
      what,
      expires: e.entry.expires ?? "?",
      matches: e.matches,
      justification: e.entry.justification,
      ...(e.entry.author ? { author: e.entry.author } : {}),
      ...(e.line !== undefined ? { line: e.line } : {}),
      key: `suppression:${e.entry.rule ?? ""}:${e.entry.path ?? ""}:${e.entry.fingerprint ?? ""}:${e.entry.expires ?? ""}`,
    };
    runRule(expiredSuppression, doc, undefined, { uri: set.uri, settings: settings ?? buildSettings({ paths: [] }), registry, facts: undefined, emit: (f) => marked.push(f) }, { record: false });
  }
  return marked;
}

/** Applies per-rule overrides from the config: "off" drops the rule's findings, a severity replaces it. */
export function applyRuleOverrides(findings: Finding[], overrides: AigisConfig["rules"]): Finding[] {
  if (!overrides) return findings;
  const out: Finding[] = [];
  for (const f of findings) {
    const o = overrides[f.ruleId];
    if (o === "off") continue;
    out.push(o ? { ...f, severity: o } : f);
  }
  return out;
}

export function buildSettings(options: ScanOptions): ScanSettings {
  const config = options.config ?? {};
  const limits = resolveLimits(config.limits);
  if (options.maxFileSize !== undefined) limits.maxFileSize = options.maxFileSize;
  return {
    limits,
    hints: { ...(config.hints ?? {}), ...(options.hints ?? {}) },
    scannerOptions: (config.scanners ?? {}) as Record<string, unknown>,
  };
}

/** Validates each scanner's options (config `scanners.<id>`) against its schema, once per run. */
export function validateScannerOptions(registry: Registry, settings: ScanSettings): void {
  const problems: string[] = [];
  for (const s of registry.scanners) {
    const value = settings.scannerOptions[s.id];
    if (value === undefined || !s.optionsSchema) continue;
    const validate = compileSchema(s.optionsSchema);
    if (!validate(value)) problems.push(...formatAjvErrors(validate.errors).map((e) => `scanners.${s.id}${e.startsWith("(root)") ? e.slice("(root)".length) : e.replace(/^\//, ".").replace(/\//g, ".")}`));
  }
  if (problems.length > 0) throw new UsageError(`invalid scanner options in the config:\n  ${problems.join("\n  ")}`);
}

/**
 * Rules that need something configured (an encryption or signature policy, a label column)
 * and never ran on a target of their kinds are recorded as skipped, with what they need,
 * so a report says why they did not assess it.
 */
function recordUnmetRequirements(registry: Registry, targets: ReadonlyArray<Target>, facts: FactBook): void {
  for (const t of targets) {
    for (const scanner of registry.scannersFor(t.kind)) {
      for (const rule of rulesFor(scanner, t.kind)) {
        const requires = rule.meta.requires ?? [];
        if (requires.length === 0 || facts.has(t.uri, rule.meta.id)) continue;
        facts.skipped(t.uri, rule.meta.id, `requires ${requires.map((r) => r.id).join(", ")}`);
      }
    }
  }
}

export async function runScan(options: ScanOptions, given?: Registry): Promise<ScanResult> {
  const startTime = new Date();
  const config = options.config ?? {};
  const cwd = options.cwd ?? process.cwd();
  const pluginPaths = [...(config.plugins ?? []), ...(options.plugins ?? [])].map((p) => resolve(cwd, p));
  let registry: Registry;
  try {
    registry = given ?? registryWithPlugins(pluginPaths);
  } catch (e) {
    if (e instanceof RegistryError && pluginPaths.length > 0) throw new UsageError(e.message);
    throw e;
  }
  const settings = buildSettings(options);
  validateScannerOptions(registry, settings);
  const discovered = await discover(options.paths, {
    cwd,
    include: options.include ?? config.include ?? [],
    exclude: [...(config.exclude ?? []), ...(options.exclude ?? [])],
    ...(config.discovery?.defaultIgnores ? { defaultIgnores: config.discovery.defaultIgnores } : {}),
    maxFileSize: settings.limits.maxFileSize,
  });
  if (options.shard) {
    discovered.files = discovered.files.filter((f) => inShard(f.uri, options.shard));
    discovered.skipped = discovered.skipped.filter((s) => inShard(s.uri, options.shard));
  }
  // Earlier aigis reports in the scanned folders are not content to scan.
  discovered.files = discovered.files.filter((f) => {
    const own = ownReportKindOfFile(f.absPath);
    if (own) discovered.skipped.push({ uri: f.uri, reason: "aigis-report", detail: own });
    return own === undefined;
  });
  const findings: Finding[] = [];
  const facts = new FactBook();
  const target = (uri: string): RuleRunTarget => ({ uri, settings, registry, facts, emit: (f) => findings.push(f) });
  for (const s of discovered.skipped) {
    if (s.reason === "too-large") {
      noticesFor(target(s.uri)).limitExceeded({
        what: `${s.uri} was not scanned: ${s.detail ?? "larger than the file size limit"} (raise it with --max-file-size)`,
        limit: "maxFileSize",
        value: settings.limits.maxFileSize,
        key: "max-file-size",
      });
    } else if (s.reason === "unreadable") {
      findings.push(...ioErrorFinding(registry, settings, s.uri, s.detail ?? "unknown error", "discover"));
    }
  }
  const jobs = options.jobs ?? config.jobs ?? defaultJobs();
  const results = await scanAll(discovered.files, settings, registry, jobs, options.onProgress);
  const targets: Array<Target & { absPath: string }> = results.map((r, i) => ({ ...r.target, absPath: discovered.files[i]!.absPath }));
  for (const r of results) {
    // One push per finding: spreading a file's findings as call arguments overflows the stack past ~120k.
    for (const f of r.findings) findings.push(f);
    facts.merge(r.target.uri, r.target.assessment);
  }

  const targetByUri = new Map(targets.map((t) => [t.uri, t]));
  for (const scanner of registry.scanners) {
    if (!scanner.scanProject) continue;
    const project: ProjectContext = {
      settings,
      options: settings.scannerOptions[scanner.id],
      cwd,
      targets,
      findings,
      runRules(rules, doc, uri) {
        for (const rule of rules) runRule(rule, doc, { uri }, target(uri));
      },
      notices: (uri) => noticesFor(target(uri)),
      categoryOf: (kind) => registry.categoryOf(kind),
      annotate(uri, patch) {
        const t = targetByUri.get(uri);
        if (t) Object.assign(t, patch);
      },
    };
    try {
      await scanner.scanProject(project);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const reason = e instanceof Error ? e.message : String(e);
      const where = targets[0]?.uri ?? ".";
      noticesFor(target(where)).parseError({ format: "project", reason: `the ${scanner.id} scanner's checks across files stopped: ${reason}`, detail: { scanner: scanner.id }, key: `project-error:${scanner.id}` });
      for (const t of targets) for (const r of rulesFor(scanner, t.kind)) facts.failed(t.uri, r.meta.id, `the ${scanner.id} scanner's checks across files stopped: ${reason}`);
    }
  }
  recordUnmetRequirements(registry, targets, facts);
  for (const t of targets) t.assessment = facts.factsFor(t.uri);

  let filtered = options.suppressions ? suppressFindings(findings, options.suppressions, isoDay(options.now ?? startTime), registry, settings) : findings;
  filtered = applyRuleOverrides(filtered, config.rules);
  if (options.baseline) filtered = applyBaseline(filtered, options.baseline);
  sortFindings(filtered);
  const endTime = new Date();
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "aigis", version: packageVersion(), rulesVersion: catalogVersion() },
    invocation: {
      startTime: startTime.toISOString(),
      endTime: endTime.toISOString(),
      paths: options.paths,
      workingDirectory: cwd,
      executionSuccessful: true,
      ...(options.configPath ? { configFile: options.configPath } : {}),
      ...(options.shard ? { shard: options.shard } : {}),
      ...(options.suppressions ? { suppressionsFile: options.suppressions.uri } : {}),
      ...(options.baselinePath ? { baselineFile: options.baselinePath } : {}),
    },
    targets: targets.map(({ absPath: _abs, ...t }) => t),
    findings: filtered,
    probes: [],
    summary: summarise(filtered),
  };
  return { report, skipped: discovered.skipped, catalog: registry.catalog };
}
