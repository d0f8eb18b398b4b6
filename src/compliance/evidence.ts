// The evidence document: what an auditor reads. One scan report (or several merged) plus the
// control assessment per framework, the accepted risks and the scope of the run. The HTML,
// markdown and JSON evidence reports all render this one structure.

import type { Finding, Report, Target } from "../types";
import type { Catalog } from "../core/catalog";
import { catalogVersion } from "../core/catalog-version";
import { assessCompliance, type ControlFailure, type ControlStatus, type FrameworkAssessment } from "./index";

export interface AcceptedRisk {
  fingerprint: string;
  ruleId: string;
  severity: Finding["severity"];
  where: string;
  message: string;
  controls: string[];
  justification: string;
  expires?: string;
  author?: string;
  source?: string;
}

export interface EvidenceOptions {
  /** Framework ids to assess; all when empty. */
  frameworks?: string[];
  /** The result files the evidence was made from (for the scope section). */
  sources?: string[];
  generatedAt?: Date;
  title?: string;
}

export interface Evidence {
  title: string;
  generatedAt: string;
  report: Report;
  assessments: FrameworkAssessment[];
  acceptedRisks: AcceptedRisk[];
  sources: string[];
  /** Digest of the rule catalogue used to assess controls now (may differ from the scan's). */
  assessedWithRules: string;
}

export function locationText(f: Finding): string {
  let w = f.location.uri;
  if (f.location.member !== undefined) w += ` → ${f.location.member}`;
  if (f.location.line !== undefined) w += `:${f.location.line}`;
  if (f.location.row !== undefined) w += ` row ${f.location.row}`;
  if (f.location.column !== undefined) w += ` column ${f.location.column}`;
  if (f.location.offset !== undefined) w += ` @${f.location.offset}`;
  return w;
}

export function buildEvidence(report: Report, catalog: Catalog, options: EvidenceOptions = {}): Evidence {
  const assessments = assessCompliance(report, catalog, options.frameworks ?? []);
  const acceptedRisks: AcceptedRisk[] = report.findings
    .filter((f) => f.suppression !== undefined && f.baselineState !== "absent")
    .map((f) => ({
      fingerprint: f.fingerprint,
      ruleId: f.ruleId,
      severity: f.severity,
      where: locationText(f),
      message: f.message,
      controls: f.controls,
      justification: f.suppression!.justification,
      ...(f.suppression!.expires ? { expires: f.suppression!.expires } : {}),
      ...(f.suppression!.author ? { author: f.suppression!.author } : {}),
      ...(f.suppression!.source ? { source: f.suppression!.source } : {}),
    }));
  return {
    title: options.title ?? "aigis compliance evidence",
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    report,
    assessments,
    acceptedRisks,
    sources: options.sources ?? [],
    assessedWithRules: catalogVersion(),
  };
}

export interface EvidenceJson {
  kind: "aigis-evidence";
  schemaVersion: 1;
  title: string;
  generatedAt: string;
  tool: Report["tool"] & { assessedWithRules: string };
  scope: { sources: string[]; invocation?: Report["invocation"] };
  frameworks: Array<{
    id: string;
    name: string;
    version: string;
    informationUri: string;
    counts: Record<ControlStatus, number>;
    controls: Array<{ id: string; title: string; status: ControlStatus; findings: string[]; acceptedRisks: string[]; assessedBy: string[]; targetsAssessed: number; notAssessedReason?: string; failedBy?: ControlFailure[] }>;
  }>;
  acceptedRisks: AcceptedRisk[];
  summary: Report["summary"];
  targets: Target[];
  findings: Finding[];
  probes: Report["probes"];
}

/** The machine-readable evidence report: control statuses refer to findings by fingerprint. */
export function evidenceJson(e: Evidence): EvidenceJson {
  return {
    kind: "aigis-evidence",
    schemaVersion: 1,
    title: e.title,
    generatedAt: e.generatedAt,
    tool: { ...e.report.tool, assessedWithRules: e.assessedWithRules },
    scope: { sources: e.sources, ...(e.report.invocation ? { invocation: e.report.invocation } : {}) },
    frameworks: e.assessments.map((a) => ({
      id: a.framework.id,
      name: a.framework.name,
      version: a.framework.version,
      informationUri: a.framework.informationUri,
      counts: a.counts,
      controls: a.controls.map((c) => ({
        id: c.control.id,
        title: c.control.title,
        status: c.status,
        findings: c.findings.map((f) => f.fingerprint),
        acceptedRisks: c.accepted.map((f) => f.fingerprint),
        assessedBy: c.assessedBy,
        targetsAssessed: c.targetsAssessed,
        ...(c.notAssessedReason ? { notAssessedReason: c.notAssessedReason } : {}),
        ...(c.failedBy.length > 0 ? { failedBy: c.failedBy } : {}),
      })),
    })),
    acceptedRisks: e.acceptedRisks,
    summary: e.report.summary,
    targets: e.report.targets,
    findings: e.report.findings,
    probes: e.report.probes,
  };
}
