// The evidence report as an audit workpaper: findings grouped by rule and artifact with rows
// aggregated, the top risks, a verdict per framework and an inventory of what was in scope.
// Pure data built from a report; the HTML and markdown reporters render it. Sizes are bounded so
// that the printed report of a scan of thousands of files stays a readable document: what is
// left out is counted and pointed at the JSON report, never silently dropped.

import { createHash } from "node:crypto";
import type { Finding, Report, Severity, Target, TargetKind } from "../types";
import { SEVERITIES } from "../types";
import { isActive } from "../core/suppressions";
import type { FrameworkAssessment } from "./index";

/** How much of each group the printed report shows. */
export interface WorkpaperLimits {
  /** Artifacts listed under one rule; the rest are counted. */
  artifactsPerRule: number;
  /** Sub-groups (columns, archive members) listed under one artifact. */
  subgroupsPerArtifact: number;
  /** Example findings shown per sub-group. */
  examplesPerSubgroup: number;
  /** Top risks in the executive summary. */
  topRisks: number;
  /** Inventory rows printed; artifacts with findings come first, the rest are counted (the bill of materials lists all). */
  inventoryRows: number;
}

export const DEFAULT_WORKPAPER_LIMITS: WorkpaperLimits = { artifactsPerRule: 12, subgroupsPerArtifact: 6, examplesPerSubgroup: 3, topRisks: 5, inventoryRows: 300 };

/** Findings of one rule in one artifact that share a column or an archive member. */
export interface FindingSubgroup {
  /** "column email", "member weights/data.pkl", or "" for the artifact as a whole. */
  label: string;
  count: number;
  /** The first findings by position. */
  examples: Finding[];
}

export interface ArtifactFindings {
  uri: string;
  count: number;
  severity: Severity;
  subgroups: FindingSubgroup[];
  /** Sub-groups beyond the limit: how many, and how many findings they hold. */
  moreSubgroups: number;
  moreSubgroupFindings: number;
}

export interface RuleFindings {
  ruleId: string;
  /** The highest severity among the rule's findings. */
  severity: Severity;
  count: number;
  artifactCount: number;
  controls: string[];
  artifacts: ArtifactFindings[];
  moreArtifacts: number;
  moreArtifactFindings: number;
}

export type FrameworkVerdict = "non-conformities" | "no-failures-in-assessed" | "not-assessed";

export interface FrameworkSummary {
  id: string;
  /** Name with version, the version not repeated when the name holds it. */
  label: string;
  verdict: FrameworkVerdict;
  failed: number;
  passed: number;
  notAssessed: number;
}

/** Broad classes of artifact an auditor asks about, in the order the inventory lists them. */
export const INVENTORY_CLASSES = ["model", "dataset", "policy", "protection", "archive", "other"] as const;
export type InventoryClass = (typeof INVENTORY_CLASSES)[number];

export interface InventoryEntry {
  uri: string;
  kind: TargetKind;
  class: InventoryClass;
  bytes: number;
  sha256: string;
  protection?: Target["protection"];
  signature?: Target["signature"];
  /** Set when this entry stands for a folder of files of one kind (an image dataset). */
  files?: number;
  /** Findings that count in this artifact (or folder). */
  findings: number;
}

export interface Inventory {
  entries: InventoryEntry[];
  /** Files of kinds no aigis check is specific to (text, generic JSON/YAML, unknown): counted by kind. */
  others: Array<{ kind: TargetKind; files: number; bytes: number }>;
}

const SEVERITY_RANK: Record<Severity, number> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] <= SEVERITY_RANK[b] ? a : b;
}

/** Findings that count for the gate and the controls: neither accepted risks nor absent since the baseline. */
export function countingFindings(report: Report): Finding[] {
  return report.findings.filter(isActive);
}

/** A framework's name with its version, without repeating a version the name already holds. */
export function frameworkLabel(name: string, version: string): string {
  return name.includes(version) ? name : `${name} (${version})`;
}

function subgroupLabel(f: Finding): string {
  if (f.location.column !== undefined) return `column ${f.location.column}`;
  if (f.location.member !== undefined) return `member ${f.location.member}`;
  return "";
}

function position(f: Finding): number {
  return f.location.row ?? f.location.line ?? f.location.offset ?? 0;
}

/** Groups findings by rule (most severe first), then by artifact, then by column or member. */
export function groupFindings(findings: ReadonlyArray<Finding>, limits: WorkpaperLimits = DEFAULT_WORKPAPER_LIMITS): RuleFindings[] {
  const byRule = new Map<string, Map<string, Finding[]>>();
  for (const f of findings) {
    let byUri = byRule.get(f.ruleId);
    if (!byUri) byRule.set(f.ruleId, (byUri = new Map()));
    const list = byUri.get(f.location.uri);
    if (list) list.push(f);
    else byUri.set(f.location.uri, [f]);
  }
  const rules: RuleFindings[] = [];
  for (const [ruleId, byUri] of byRule) {
    const artifacts: ArtifactFindings[] = [];
    const controls = new Set<string>();
    let severity: Severity = "info";
    let count = 0;
    for (const [uri, list] of byUri) {
      let artSeverity: Severity = "info";
      const bySub = new Map<string, Finding[]>();
      for (const f of list) {
        artSeverity = maxSeverity(artSeverity, f.severity);
        for (const c of f.controls) controls.add(c);
        const key = subgroupLabel(f);
        const sub = bySub.get(key);
        if (sub) sub.push(f);
        else bySub.set(key, [f]);
      }
      const subs = [...bySub.entries()]
        .map(([label, fs]): FindingSubgroup => ({ label, count: fs.length, examples: [...fs].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || position(a) - position(b)).slice(0, limits.examplesPerSubgroup) }))
        .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
      const shown = subs.slice(0, limits.subgroupsPerArtifact);
      const hidden = subs.slice(limits.subgroupsPerArtifact);
      artifacts.push({ uri, count: list.length, severity: artSeverity, subgroups: shown, moreSubgroups: hidden.length, moreSubgroupFindings: hidden.reduce((a, s) => a + s.count, 0) });
      severity = maxSeverity(severity, artSeverity);
      count += list.length;
    }
    artifacts.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.count - a.count || a.uri.localeCompare(b.uri));
    const shown = artifacts.slice(0, limits.artifactsPerRule);
    const hidden = artifacts.slice(limits.artifactsPerRule);
    rules.push({
      ruleId,
      severity,
      count,
      artifactCount: artifacts.length,
      controls: [...controls].sort(),
      artifacts: shown,
      moreArtifacts: hidden.length,
      moreArtifactFindings: hidden.reduce((a, s) => a + s.count, 0),
    });
  }
  return rules.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.count - a.count || a.ruleId.localeCompare(b.ruleId));
}

/** The rule groups an auditor should read first: most severe, then most widespread; the tool's own notices last. */
export function topRisks(groups: ReadonlyArray<RuleFindings>, limit = DEFAULT_WORKPAPER_LIMITS.topRisks): RuleFindings[] {
  return groups
    .filter((g) => g.severity !== "info" && !g.ruleId.startsWith("aigis/"))
    .slice()
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.artifactCount - a.artifactCount || b.count - a.count)
    .slice(0, limit);
}

export function frameworkSummaries(assessments: ReadonlyArray<FrameworkAssessment>): FrameworkSummary[] {
  return assessments.map((a) => ({
    id: a.framework.id,
    label: frameworkLabel(a.framework.name, a.framework.version),
    verdict: a.counts.failed > 0 ? "non-conformities" : a.counts.passed > 0 ? "no-failures-in-assessed" : "not-assessed",
    failed: a.counts.failed,
    passed: a.counts.passed,
    notAssessed: a.counts["not-assessed"],
  }));
}

const CLASS_OF_KIND: Partial<Record<TargetKind, InventoryClass>> = {
  pickle: "model",
  "pytorch-zip": "model",
  numpy: "model",
  hdf5: "model",
  onnx: "model",
  safetensors: "model",
  gguf: "model",
  "tfjs-model": "model",
  "tf-saved-model": "model",
  csv: "dataset",
  jsonl: "dataset",
  parquet: "dataset",
  image: "dataset",
  "iam-policy": "policy",
  "gcs-iam-policy": "policy",
  "k8s-rbac": "policy",
  pem: "protection",
  "cms-signature": "protection",
  "cms-enveloped": "protection",
  "sigstore-bundle": "protection",
  "checksum-manifest": "protection",
  age: "protection",
  openpgp: "protection",
  "openssl-enc": "protection",
  jwe: "protection",
  zip: "archive",
  tar: "archive",
  gzip: "archive",
  bzip2: "archive",
  xz: "archive",
  zstd: "archive",
  zlib: "archive",
  lzma: "archive",
};

/** The class of an artifact kind for the inventory; kinds added later fall under "other" until listed. */
export function inventoryClass(kind: string): InventoryClass {
  return CLASS_OF_KIND[kind as TargetKind] ?? "other";
}

function dirOf(uri: string): string {
  const i = uri.lastIndexOf("/");
  return i < 0 ? "." : uri.slice(0, i);
}

/**
 * The inventory: models, datasets, policies, protection and archive files one row each; the
 * images of one folder as one dataset row whose digest is the SHA-256 of its manifest (one
 * "sha256  path" line per file, sorted by path, as `sha256sum` writes it); other files counted by kind.
 */
export function buildInventory(targets: ReadonlyArray<Target>, findings: ReadonlyArray<Finding> = []): Inventory {
  const findingsIn = new Map<string, number>();
  for (const f of findings) findingsIn.set(f.location.uri, (findingsIn.get(f.location.uri) ?? 0) + 1);
  const entries: InventoryEntry[] = [];
  const imageFolders = new Map<string, Target[]>();
  const others = new Map<TargetKind, { files: number; bytes: number }>();
  for (const t of targets) {
    const cls = inventoryClass(t.kind);
    if (t.kind === "image") {
      const dir = dirOf(t.uri);
      const list = imageFolders.get(dir);
      if (list) list.push(t);
      else imageFolders.set(dir, [t]);
      continue;
    }
    if (cls === "other" && !findingsIn.has(t.uri)) {
      const o = others.get(t.kind) ?? { files: 0, bytes: 0 };
      o.files++;
      o.bytes += t.bytes;
      others.set(t.kind, o);
      continue;
    }
    entries.push({ uri: t.uri, kind: t.kind, class: cls, bytes: t.bytes, sha256: t.sha256, findings: findingsIn.get(t.uri) ?? 0, ...(t.protection ? { protection: t.protection } : {}), ...(t.signature ? { signature: t.signature } : {}) });
  }
  // Class folders (dataset/cat, dataset/dog) belong to one dataset: group by the parent of the class folder when it holds several.
  const parents = new Map<string, string[]>();
  for (const dir of imageFolders.keys()) {
    const parent = dirOf(dir);
    parents.set(parent, [...(parents.get(parent) ?? []), dir]);
  }
  for (const [parent, dirs] of parents) {
    const groups = dirs.length > 1 ? [{ root: parent, files: dirs.flatMap((d) => imageFolders.get(d)!) }] : dirs.map((d) => ({ root: d, files: imageFolders.get(d)! }));
    for (const g of groups) {
      if (g.files.length === 1) {
        const t = g.files[0]!;
        entries.push({ uri: t.uri, kind: t.kind, class: "dataset", bytes: t.bytes, sha256: t.sha256, findings: findingsIn.get(t.uri) ?? 0, ...(t.protection ? { protection: t.protection } : {}), ...(t.signature ? { signature: t.signature } : {}) });
        continue;
      }
      const sorted = [...g.files].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
      const manifest = sorted.map((t) => `${t.sha256}  ${t.uri}\n`).join("");
      entries.push({ uri: `${g.root}/`, kind: "image", class: "dataset", bytes: sorted.reduce((a, t) => a + t.bytes, 0), sha256: createHash("sha256").update(manifest).digest("hex"), files: sorted.length, findings: sorted.reduce((a, t) => a + (findingsIn.get(t.uri) ?? 0), 0) });
    }
  }
  entries.sort((a, b) => INVENTORY_CLASSES.indexOf(a.class) - INVENTORY_CLASSES.indexOf(b.class) || (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  return { entries, others: [...others.entries()].map(([kind, o]) => ({ kind, ...o })).sort((a, b) => b.files - a.files) };
}

/** The inventory rows to print: artifacts with findings first, then by class; at most `limit`. */
export function inventoryToPrint(inv: Inventory, limit = DEFAULT_WORKPAPER_LIMITS.inventoryRows): Set<InventoryEntry> {
  const ranked = [...inv.entries].sort((a, b) => Number(b.findings > 0) - Number(a.findings > 0) || INVENTORY_CLASSES.indexOf(a.class) - INVENTORY_CLASSES.indexOf(b.class) || (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  return new Set(ranked.slice(0, limit));
}
