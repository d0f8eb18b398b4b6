// SARIF 2.1.0 for code-scanning dashboards. Frameworks are run.taxonomies; each rule links
// to its controls through relationships, and (because GitHub ignores taxonomies) the control
// ids are also copied into rule tags and help text.

import { pathToFileURL } from "node:url";
import type * as Sarif from "sarif";
import type { Finding, Framework, Report, CatalogRule, Severity } from "../types";
import { packageHomepage, type Catalog } from "../core/catalog";

export const SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const SRCROOT = "%SRCROOT%";
/** GitHub code scanning shows at most 10 tags per rule; every control id stays in help and properties. */
export const MAX_TAGS = 10;
/** Results per rule and file before the rest are summarised in one result (GitHub shows 5,000 per run). */
export const DEFAULT_MAX_RESULTS_PER_RULE_FILE = 100;
/** Target kinds that are text: a finding with no line of its own is placed on line 1 (the file, or a table's header). */
const TEXT_KINDS: ReadonlySet<string> = new Set(["csv", "jsonl", "json", "yaml", "iam-policy", "gcs-iam-policy", "k8s-rbac", "pem", "checksum-manifest", "text"]);
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
  /** Results per rule and file before the rest are summarised in one result; default DEFAULT_MAX_RESULTS_PER_RULE_FILE. */
  maxResultsPerRuleFile?: number;
  /** Where the full JSON report is written in the same run, named in summary results. */
  jsonReportPath?: string;
  /** Write the working directory's absolute file:// URI (originalUriBaseIds, workingDirectory); off by default. */
  localPaths?: boolean;
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
      const why = rule.rationale?.[c];
      return `${entry ? `- **${c}**: ${entry.control.title} (${entry.framework.name})` : `- **${c}**`}${why ? `. Why a finding fails it: ${why}` : ""}`;
    })
    .join("\n");
  const controlsText = rule.controls.length > 0 ? `**Controls**\n${controls}` : `**Controls**: none. ${rule.unmappedReason ?? ""}`.trimEnd();
  return `${rule.description}\n\n**How to fix.** ${rule.remediation}\n\n${controlsText}\n\n[Rule documentation](${ruleDocsUri(rule.id)})`;
}

/** Control ids come before the rule's own tags; GitHub shows 10 tags, and help.markdown and properties.controls list every control. */
export function tagsFor(rule: CatalogRule): string[] {
  const tags = ["security", ...rule.controls, ...rule.tags.filter((t) => t !== "security")];
  return [...new Set(tags)].slice(0, MAX_TAGS);
}

function physicalLocation(f: Finding, artifactIndex: Map<string, number>, textUris: ReadonlySet<string>): Sarif.PhysicalLocation {
  const artifactLocation: Sarif.ArtifactLocation = { uri: encodeURI(f.location.uri), uriBaseId: SRCROOT };
  const index = artifactIndex.get(f.location.uri);
  if (index !== undefined) artifactLocation.index = index;
  const loc: Sarif.PhysicalLocation = { artifactLocation };
  if (f.location.line !== undefined) loc.region = { startLine: f.location.line };
  else if (f.location.offset !== undefined && f.location.member === undefined) loc.region = { byteOffset: f.location.offset };
  // Text files: a finding about the whole file (or a table column) sits on line 1, so code
  // scanning shows it in the file rather than without a location.
  else if (f.location.member === undefined && textUris.has(f.location.uri)) loc.region = { startLine: 1 };
  return loc;
}

/**
 * Keeps the first `perRuleFile` findings of each rule in each file (findings arrive most severe
 * first) and counts the rest, which become one summary result per rule and file.
 */
function capPerRuleFile(findings: Finding[], perRuleFile: number): { kept: Finding[]; overflow: Map<string, { first: Finding; count: number }> } {
  const seen = new Map<string, number>();
  const overflow = new Map<string, { first: Finding; count: number }>();
  const kept: Finding[] = [];
  for (const f of findings) {
    const key = `${f.ruleId}\u0000${f.location.uri}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n <= perRuleFile) {
      kept.push(f);
      continue;
    }
    const o = overflow.get(key);
    if (!o) overflow.set(key, { first: f, count: 1 });
    else o.count++;
  }
  return { kept, overflow };
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
    properties: { "security-severity": SECURITY_SEVERITY[rule.severity], severity: rule.severity, tags: tagsFor(rule), controls: rule.controls, precision: "high" },
    relationships: rule.controls.flatMap((c) => {
      const entry = catalog.controls.get(c);
      if (!entry) return [];
      const why = rule.rationale?.[c];
      return [{ target: { id: c, toolComponent: toolComponentRef(entry.framework) }, kinds: ["relevant"], ...(why ? { description: { text: why } } : {}) }];
    }),
  }));

  const textUris = new Set(report.targets.filter((t) => TEXT_KINDS.has(t.kind)).map((t) => t.uri));
  const perRuleFile = options.maxResultsPerRuleFile ?? DEFAULT_MAX_RESULTS_PER_RULE_FILE;
  const { kept: listed, overflow } = capPerRuleFile(report.findings, perRuleFile);
  const jsonPointer = options.jsonReportPath !== undefined ? `the JSON report ${options.jsonReportPath}` : "the JSON report (aigis scan --format json --output FILE)";
  // One result per rule and file stands for the findings beyond the cap, with their count.
  const summaries: Finding[] = [...overflow.values()].map(({ first, count }) => ({
    ruleId: first.ruleId,
    severity: first.severity,
    controls: first.controls,
    message: `${count} more ${first.ruleId} findings in ${first.location.uri} are not listed here (at most ${perRuleFile} per rule and file); ${jsonPointer} has all of them.`,
    location: { uri: first.location.uri, ...(first.location.line !== undefined ? { line: first.location.line } : {}), ...(first.location.row !== undefined ? { row: first.location.row } : {}) },
    fingerprint: `${first.fingerprint.slice(0, 16)}${"summary".padEnd(16, "0")}`,
    evidence: { omitted: count, perRuleFileLimit: perRuleFile },
  }));
  const capped = [...listed, ...summaries];
  const maxResults = options.maxResults ?? MAX_RESULTS;
  const kept = capped.slice(0, maxResults);
  const omitted = capped.length - kept.length;
  // The spec wants suppressions on every result or on none.
  const withSuppressions = kept.some((f) => f.suppression !== undefined);
  const results: Sarif.Result[] = kept.map((f) => {
    const result: Sarif.Result = {
      ruleId: f.ruleId,
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [
        {
          physicalLocation: physicalLocation(f, artifactIndex, textUris),
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
    // A local absolute path says where someone's checkout lives; only on request.
    ...(options.localPaths ? { workingDirectory: { uri: baseUri } } : {}),
    ...(omitted > 0
      ? {
          toolExecutionNotifications: [
            {
              level: "warning",
              message: { text: `${omitted} of ${capped.length} results were left out of this run: GitHub code scanning accepts at most ${maxResults} per run. The JSON report has all of them.` },
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
        // Without a uri, consumers resolve %SRCROOT% themselves (GitHub: the repository root).
        originalUriBaseIds: { [SRCROOT]: options.localPaths ? { uri: baseUri } : { description: { text: "The folder aigis scanned from (the repository root in CI)." } } },
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
          ...(summaries.length > 0 ? { resultsSummarised: summaries.reduce((n, s) => n + ((s.evidence?.omitted as number | undefined) ?? 0), 0), maxResultsPerRuleFile: perRuleFile } : {}),
        },
      },
    ],
  };
}
