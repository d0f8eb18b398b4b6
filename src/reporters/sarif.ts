// SARIF 2.1.0 for code-scanning dashboards. Frameworks are run.taxonomies; each rule links
// to its controls through relationships, and (because GitHub ignores taxonomies) the control
// ids are also copied into rule tags and help text.

import { pathToFileURL } from "node:url";
import type * as Sarif from "sarif";
import type { Finding, Framework, Report, CatalogRule, Severity } from "../types";
import { packageHomepage, type Catalog } from "../core/catalog";

export const SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const SRCROOT = "%SRCROOT%";
const MAX_TAGS = 20;
/** GitHub code scanning accepts at most 25,000 results per run (and shows 5,000); the rest are dropped with a notification. */
export const MAX_RESULTS = 25_000;

export interface SarifOptions {
  /** runAutomationDetails.id as given (overrides category). */
  automationId?: string;
  /** The analysis category (GitHub keeps one set of alerts per category): id becomes "<category>/". */
  category?: string;
  /** primaryLocationLineHash for results with a line, as GitHub computes it from the file's text. */
  lineHash?: (f: Finding) => string | undefined;
  /** Results per run before the rest are left out with a note; default MAX_RESULTS. */
  maxResults?: number;
}

/** A stable stand-in when there is no line to hash (binary files, archive members, rows). */
function locationHash(f: Finding): string {
  return `${f.fingerprint.slice(0, 16)}:1`;
}

export const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "1.0" };

export function sarifLevel(severity: Severity): Sarif.Result.level {
  return severity === "critical" || severity === "high" ? "error" : severity === "medium" ? "warning" : "note";
}

export function ruleDocsUri(ruleId: string): string {
  // Rule pages live in the repository under docs/rules; package.json `homepage` says where it is.
  return `${packageHomepage()}/blob/main/docs/rules/${ruleId.replace("/", "-")}.md`;
}

/** "artifact/pickle-code-execution" -> "PickleCodeExecution" (SARIF rule names are PascalCase identifiers). */
function ruleName(id: string): string {
  const check = id.split("/")[1] ?? id;
  return check
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function ruleHelpMarkdown(rule: CatalogRule, catalog: Catalog): string {
  const controls = rule.controls
    .map((c) => {
      const entry = catalog.controls.get(c);
      return entry ? `- **${c}**: ${entry.control.title} (${entry.framework.name})` : `- **${c}**`;
    })
    .join("\n");
  return `${rule.description}\n\n**How to fix.** ${rule.remediation}\n\n**Controls**\n${controls}\n\n[Rule documentation](${ruleDocsUri(rule.id)})`;
}

/** Control ids come before the rule's own tags, so GitHub's 20-tag cap never drops a control first (help.markdown lists them all). */
function tagsFor(rule: CatalogRule): string[] {
  const tags = ["security", ...rule.controls, ...rule.tags.filter((t) => t !== "security")];
  return [...new Set(tags)].slice(0, MAX_TAGS);
}

function physicalLocation(f: Finding, artifactIndex: Map<string, number>): Sarif.PhysicalLocation {
  const artifactLocation: Sarif.ArtifactLocation = { uri: encodeURI(f.location.uri), uriBaseId: SRCROOT };
  const index = artifactIndex.get(f.location.uri);
  if (index !== undefined) artifactLocation.index = index;
  const loc: Sarif.PhysicalLocation = { artifactLocation };
  if (f.location.line !== undefined) loc.region = { startLine: f.location.line };
  else if (f.location.offset !== undefined && f.location.member === undefined) loc.region = { byteOffset: f.location.offset };
  return loc;
}

export function toSarif(report: Report, catalog: Catalog, options: SarifOptions = {}): Sarif.Log {
  const frameworks = catalog.frameworks;
  const frameworkIndex = new Map(frameworks.map((f, i) => [f.id, i]));
  const rules = [...catalog.rules.values()].sort((a, b) => a.id.localeCompare(b.id));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const artifactIndex = new Map(report.targets.map((t, i) => [t.uri, i]));

  const toolComponentRef = (fw: Framework): Sarif.ToolComponentReference => ({
    name: fw.name,
    guid: fw.guid,
    index: frameworkIndex.get(fw.id) as number,
  });

  const sarifRules: Sarif.ReportingDescriptor[] = rules.map((rule) => ({
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: { text: rule.title.endsWith(".") ? rule.title : `${rule.title}.` },
    fullDescription: { text: rule.description },
    help: { text: `${rule.description} How to fix: ${rule.remediation}`, markdown: ruleHelpMarkdown(rule, catalog) },
    helpUri: ruleDocsUri(rule.id),
    defaultConfiguration: { level: sarifLevel(rule.severity) },
    properties: { "security-severity": SECURITY_SEVERITY[rule.severity], severity: rule.severity, tags: tagsFor(rule), precision: "high" },
    relationships: rule.controls.flatMap((c) => {
      const entry = catalog.controls.get(c);
      if (!entry) return [];
      return [{ target: { id: c, toolComponent: toolComponentRef(entry.framework) }, kinds: ["relevant"] }];
    }),
  }));

  const maxResults = options.maxResults ?? MAX_RESULTS;
  const kept = report.findings.slice(0, maxResults);
  const omitted = report.findings.length - kept.length;
  // The spec wants suppressions on every result or on none.
  const withSuppressions = kept.some((f) => f.suppression !== undefined);
  const results: Sarif.Result[] = kept.map((f) => {
    const result: Sarif.Result = {
      ruleId: f.ruleId,
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [
        {
          physicalLocation: physicalLocation(f, artifactIndex),
          ...(f.location.member !== undefined
            ? { logicalLocations: [{ name: f.location.member, fullyQualifiedName: `${f.location.uri}!/${f.location.member}`, kind: "resource" }] }
            : {}),
        },
      ],
      partialFingerprints: {
        "aigisFingerprint/v1": f.fingerprint,
        primaryLocationLineHash: (f.location.line !== undefined ? options.lineHash?.(f) : undefined) ?? locationHash(f),
      },
      properties: {
        severity: f.severity,
        "security-severity": SECURITY_SEVERITY[f.severity],
        controls: f.controls,
        ...(f.location.row !== undefined ? { row: f.location.row } : {}),
        ...(f.location.column !== undefined ? { column: f.location.column } : {}),
        ...(f.location.offset !== undefined ? { byteOffset: f.location.offset } : {}),
        ...(f.evidence ? { evidence: f.evidence } : {}),
      },
    };
    const idx = ruleIndex.get(f.ruleId);
    if (idx !== undefined) result.ruleIndex = idx;
    if (f.baselineState) result.baselineState = f.baselineState;
    if (withSuppressions) {
      result.suppressions = f.suppression
        ? [
            {
              kind: "external",
              status: "accepted",
              justification: f.suppression.justification,
              ...(f.suppression.source ? { location: { physicalLocation: { artifactLocation: { uri: encodeURI(f.suppression.source.split("#")[0]!), uriBaseId: SRCROOT } } } } : {}),
              properties: {
                ...(f.suppression.expires ? { expires: f.suppression.expires } : {}),
                ...(f.suppression.author ? { author: f.suppression.author } : {}),
                ...(f.suppression.source ? { source: f.suppression.source } : {}),
              },
            },
          ]
        : [];
    }
    const taxa = f.controls.flatMap((c) => {
      const entry = catalog.controls.get(c);
      return entry ? [{ id: c, toolComponent: toolComponentRef(entry.framework) }] : [];
    });
    if (taxa.length > 0) result.taxa = taxa;
    return result;
  });

  const taxonomies: Sarif.ToolComponent[] = frameworks.map((fw) => ({
    name: fw.name,
    guid: fw.guid,
    version: fw.version,
    informationUri: fw.informationUri,
    isComprehensive: false,
    shortDescription: { text: `${fw.name}.` },
    taxa: fw.controls.map((c) => ({
      id: c.id,
      shortDescription: { text: c.title.endsWith(".") ? c.title : `${c.title}.` },
      ...(c.description ? { fullDescription: { text: c.description } } : {}),
    })),
  }));

  const artifacts: Sarif.Artifact[] = report.targets.map((t) => ({
    location: { uri: encodeURI(t.uri), uriBaseId: SRCROOT },
    length: t.bytes,
    ...(t.sha256 ? { hashes: { "sha-256": t.sha256 } } : {}),
    properties: {
      kind: t.kind,
      ...(t.assessment ? { assessment: t.assessment } : {}),
      ...(t.protection ? { protection: t.protection } : {}),
      ...(t.signature ? { signature: t.signature } : {}),
    },
  }));

  const inv = report.invocation;
  const cwd = inv?.workingDirectory ?? process.cwd();
  const baseUri = pathToFileURL(cwd.endsWith("/") ? cwd : `${cwd}/`).href;
  const invocation: Sarif.Invocation = {
    executionSuccessful: inv?.executionSuccessful ?? true,
    ...(inv ? { startTimeUtc: inv.startTime, endTimeUtc: inv.endTime } : {}),
    workingDirectory: { uri: baseUri },
    ...(omitted > 0
      ? {
          toolExecutionNotifications: [
            {
              level: "warning",
              message: { text: `${omitted} of ${report.findings.length} results were left out of this run: GitHub code scanning accepts at most ${maxResults} per run. The JSON report has all of them.` },
              descriptor: { id: "aigis/results-capped" },
            },
          ],
        }
      : {}),
    ...(inv
      ? {
          properties: {
            paths: inv.paths,
            ...(inv.configFile ? { configFile: inv.configFile } : {}),
            ...(inv.shard ? { shard: inv.shard } : {}),
            ...(inv.suppressionsFile ? { suppressionsFile: inv.suppressionsFile } : {}),
            ...(inv.baselineFile ? { baselineFile: inv.baselineFile } : {}),
          },
        }
      : {}),
  };

  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "aigis",
            fullName: "aigis AI security and compliance scanner",
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: packageHomepage(),
            rules: sarifRules,
            supportedTaxonomies: frameworks.map((fw, i) => ({ name: fw.name, guid: fw.guid, index: i })),
          },
        },
        automationDetails: { id: options.automationId ?? (options.category ? `${options.category.replace(/\/+$/, "")}/` : "aigis/") },
        originalUriBaseIds: { [SRCROOT]: { uri: baseUri } },
        invocations: [invocation],
        artifacts,
        taxonomies,
        results,
        columnKind: "utf16CodeUnits",
        properties: {
          probes: report.probes,
          summary: report.summary,
          ...(report.tool.rulesVersion ? { rulesVersion: report.tool.rulesVersion } : {}),
          ...(omitted > 0 ? { resultsOmitted: omitted } : {}),
        },
      },
    ],
  };
}
