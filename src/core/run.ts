// The pipeline: discover -> scan -> filter -> report. Returns data; prints nothing.

import type { Finding, Report, Severity, Target } from "../types";
import { SCANNERS } from "../scanners";
import { applyBaseline } from "./baseline";
import { packageVersion } from "./catalog";
import { catalogVersion } from "./catalog-version";
import type { AigisConfig } from "./config";
import { resolveLimits } from "./config";
import { discover, type SkippedPath } from "./discover";
import { defaultJobs, scanAll } from "./pool";
import { createRegistry, type Registry } from "./registry";
import type { ProjectContext, ScanHints, ScanSettings } from "./rule";
import { makeFinding } from "./scan-file";
import { inShard, type ShardSpec } from "./shard";
import { summarise } from "./summary";
import { applySuppressions, isoDay, type SuppressionSet } from "./suppressions";

export { summarise };

export interface ScanOptions {
  paths: string[];
  cwd: string;
  config?: AigisConfig;
  configPath?: string;
  /** Overrides config include/exclude/limits/hints (CLI flags win over the file). */
  include?: string[];
  exclude?: string[];
  maxFileSize?: number;
  hints?: ScanHints;
  jobs?: number;
  onProgress?: (done: number, total: number) => void;
  /** Accepted risks (.aigis-suppressions.yaml): matching findings are marked, expired entries become findings. */
  suppressions?: SuppressionSet;
  /** A previous report: sets baselineState on every finding and adds the ones that are gone as "absent". */
  baseline?: Report;
  baselinePath?: string;
  /** Scan only this part of the discovered files (see core/shard.ts). */
  shard?: ShardSpec;
  /** "Today" for suppression expiry; defaults to the scan's start. */
  now?: Date;
}

export interface ScanResult {
  report: Report;
  skipped: SkippedPath[];
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
export function suppressFindings(findings: Finding[], set: SuppressionSet, today: string, registry: Registry): Finding[] {
  const { findings: marked, expired } = applySuppressions(findings, set, today);
  for (const e of expired) {
    const what = [e.entry.rule && `rule ${e.entry.rule}`, e.entry.path && `path ${e.entry.path}`, e.entry.fingerprint && `fingerprint ${e.entry.fingerprint}`].filter(Boolean).join(", ");
    marked.push(
      makeFinding(registry, "aigis/expired-suppression", set.uri, {
        message: `Suppression ${e.index + 1} in ${set.uri} (${what}) expired on ${e.entry.expires ?? "?"}; ${e.matches === 1 ? "the finding it matched counts" : `the ${e.matches} findings it matched count`} again.`,
        location: e.line !== undefined ? { line: e.line } : {},
        evidence: { expires: e.entry.expires, justification: e.entry.justification, ...(e.entry.author ? { author: e.entry.author } : {}), matches: e.matches },
        fingerprintKey: `suppression:${e.entry.rule ?? ""}:${e.entry.path ?? ""}:${e.entry.fingerprint ?? ""}:${e.entry.expires ?? ""}`,
      }),
    );
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

export async function runScan(options: ScanOptions, registry: Registry = createRegistry(SCANNERS)): Promise<ScanResult> {
  const startTime = new Date();
  const config = options.config ?? {};
  const settings = buildSettings(options);
  const discovered = await discover(options.paths, {
    cwd: options.cwd,
    include: options.include ?? config.include ?? [],
    exclude: [...(config.exclude ?? []), ...(options.exclude ?? [])],
    ...(config.discovery?.defaultIgnores ? { defaultIgnores: config.discovery.defaultIgnores } : {}),
    maxFileSize: settings.limits.maxFileSize,
  });
  if (options.shard) {
    discovered.files = discovered.files.filter((f) => inShard(f.uri, options.shard));
    discovered.skipped = discovered.skipped.filter((s) => inShard(s.uri, options.shard));
  }
  const findings: Finding[] = [];
  for (const s of discovered.skipped) {
    if (s.reason === "too-large") {
      findings.push(
        makeFinding(registry, "aigis/limit-exceeded", s.uri, {
          message: `${s.uri} was not scanned: ${s.detail ?? "larger than the file size limit"} (raise it with --max-file-size).`,
          evidence: { limit: "maxFileSize", value: settings.limits.maxFileSize },
          fingerprintKey: "max-file-size",
        }),
      );
    } else if (s.reason === "unreadable") {
      findings.push(makeFinding(registry, "aigis/io-error", s.uri, { message: `${s.uri} could not be read: ${s.detail ?? "unknown error"}.`, fingerprintKey: "discover" }));
    }
  }
  const jobs = options.jobs ?? config.jobs ?? defaultJobs();
  const results = await scanAll(discovered.files, settings, registry, jobs, options.onProgress);
  const targets: Array<Target & { absPath: string }> = results.map((r, i) => ({ ...r.target, absPath: discovered.files[i]!.absPath }));
  // One push per finding: spreading a file's findings as call arguments overflows the stack past ~120k.
  for (const r of results) for (const f of r.findings) findings.push(f);

  const targetByUri = new Map(targets.map((t) => [t.uri, t]));
  const project: ProjectContext = {
    settings,
    cwd: options.cwd,
    targets,
    findings,
    report(ruleId, draft) {
      findings.push(makeFinding(registry, ruleId, draft.location.uri, draft));
    },
    annotate(uri, patch) {
      const t = targetByUri.get(uri);
      if (t) Object.assign(t, patch);
    },
  };
  for (const scanner of registry.scanners) {
    if (scanner.scanProject) await scanner.scanProject(project);
  }

  let filtered = options.suppressions ? suppressFindings(findings, options.suppressions, isoDay(options.now ?? startTime), registry) : findings;
  filtered = applyRuleOverrides(filtered, config.rules);
  if (options.baseline) filtered = applyBaseline(filtered, options.baseline);
  sortFindings(filtered);
  const endTime = new Date();
  const report: Report = {
    schemaVersion: 1,
    tool: { name: "aigis", version: packageVersion(), rulesVersion: catalogVersion() },
    invocation: {
      startTime: startTime.toISOString(),
      endTime: endTime.toISOString(),
      paths: options.paths,
      workingDirectory: options.cwd,
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
  return { report, skipped: discovered.skipped };
}
