// Reads a previous aigis result back: the JSON report (validated against
// rules/schemas/report.schema.json) or an aigis SARIF log (converted to the same shape).
// Used by --baseline, `aigis report` and `aigis merge`.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type * as Sarif from "sarif";
import type { Finding, FindingLocation, ProbeResult, Report, Severity, Target, TargetKind } from "../types";
import { REPORT_SCHEMA_VERSION, SEVERITIES } from "../types";
import { formatAjvErrors, schemaValidator } from "./catalog";
import { UsageError } from "./errors";
import { summarise } from "./summary";

const LEVEL_SEVERITY: Record<string, Severity> = { error: "high", warning: "medium", note: "low", none: "info" };

function sarifUri(uri: string | undefined): string {
  if (!uri) return "";
  try {
    return decodeURI(uri);
  } catch {
    return uri;
  }
}

/** Converts an aigis SARIF log (one run) back to a report. Severity comes from the result's properties. */
export function reportFromSarif(log: Sarif.Log, source: string): Report {
  const run = log.runs?.[0];
  if (!run || run.tool?.driver?.name !== "aigis") throw new UsageError(`${source} is not an aigis SARIF log`);
  const findings: Finding[] = (run.results ?? []).map((r) => {
    const props = (r.properties ?? {}) as Record<string, unknown>;
    const phys = r.locations?.[0]?.physicalLocation;
    const location: FindingLocation = { uri: sarifUri(phys?.artifactLocation?.uri) };
    const member = r.locations?.[0]?.logicalLocations?.[0]?.name;
    if (member !== undefined) location.member = member;
    if (phys?.region?.startLine !== undefined) location.line = phys.region.startLine;
    if (typeof props.row === "number") location.row = props.row;
    if (typeof props.column === "string") location.column = props.column;
    if (typeof props.byteOffset === "number") location.offset = props.byteOffset;
    const severity = (SEVERITIES as readonly string[]).includes(props.severity as string) ? (props.severity as Severity) : (LEVEL_SEVERITY[r.level ?? "warning"] ?? "medium");
    const fingerprint = r.partialFingerprints?.["aigisFingerprint/v1"];
    if (!fingerprint || !r.ruleId) throw new UsageError(`${source}: a result has no ruleId or aigisFingerprint/v1 (not written by aigis?)`);
    const finding: Finding = {
      ruleId: r.ruleId,
      severity,
      message: r.message.text ?? "",
      location,
      controls: Array.isArray(props.controls) ? (props.controls as string[]) : [],
      fingerprint,
    };
    if (props.evidence && typeof props.evidence === "object") finding.evidence = props.evidence as Record<string, unknown>;
    const accepted = r.suppressions?.find((s) => s.status === undefined || s.status === "accepted");
    if (accepted) {
      const sp = (accepted.properties ?? {}) as Record<string, unknown>;
      finding.suppression = {
        justification: accepted.justification ?? "",
        ...(typeof sp.expires === "string" ? { expires: sp.expires } : {}),
        ...(typeof sp.author === "string" ? { author: sp.author } : {}),
        ...(typeof sp.source === "string" ? { source: sp.source } : {}),
      };
    }
    if (r.baselineState) finding.baselineState = r.baselineState;
    return finding;
  });
  const targets: Target[] = (run.artifacts ?? []).map((a) => {
    const props = (a.properties ?? {}) as Record<string, unknown>;
    const t: Target = { uri: sarifUri(a.location?.uri), kind: (props.kind as TargetKind | undefined) ?? "unknown", bytes: a.length ?? 0, sha256: a.hashes?.["sha-256"] ?? "" };
    if (props.protection) t.protection = props.protection as Target["protection"] & object;
    if (props.signature) t.signature = props.signature as Target["signature"] & object;
    if (props.assessment) t.assessment = props.assessment as Target["assessment"] & object;
    return t;
  });
  const inv = run.invocations?.[0];
  const runProps = (run.properties ?? {}) as Record<string, unknown>;
  const invProps = (inv?.properties ?? {}) as Record<string, unknown>;
  const version = run.tool.driver.version ?? "unknown";
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "aigis", version, ...(typeof runProps.rulesVersion === "string" ? { rulesVersion: runProps.rulesVersion } : {}) },
    targets,
    findings,
    probes: Array.isArray(runProps.probes) ? (runProps.probes as ProbeResult[]) : [],
    summary: summarise(findings),
  };
  if (inv?.startTimeUtc && inv.endTimeUtc) {
    const wd = inv.workingDirectory?.uri;
    report.invocation = {
      startTime: inv.startTimeUtc,
      endTime: inv.endTimeUtc,
      paths: Array.isArray(invProps.paths) ? (invProps.paths as string[]) : [],
      workingDirectory: wd?.startsWith("file://") ? decodeURIComponent(new URL(wd).pathname).replace(/\/$/, "") : (wd ?? ""),
      executionSuccessful: inv.executionSuccessful,
      ...(typeof invProps.configFile === "string" ? { configFile: invProps.configFile } : {}),
    };
  }
  return report;
}

export function parseReport(text: string, source: string): Report {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source} is not JSON: ${(e as Error).message}`);
  }
  if (data && typeof data === "object" && "runs" in data && (data as { version?: string }).version === "2.1.0") return reportFromSarif(data as Sarif.Log, source);
  const validate = schemaValidator("report");
  if (!validate(data)) {
    const errors = formatAjvErrors(validate.errors);
    throw new UsageError(`${source} is not an aigis JSON report (${errors.length} error${errors.length === 1 ? "" : "s"}): ${errors.slice(0, 10).join("; ")}`);
  }
  return data as Report;
}

/** Reads a JSON report or SARIF log from disk (relative to `cwd`). */
export function loadReport(path: string, cwd: string): Report {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseReport(text, path);
}
