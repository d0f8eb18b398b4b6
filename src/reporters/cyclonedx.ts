// An AI bill of materials: CycloneDX 1.6 JSON. Every scanned artifact is a component (models as
// `machine-learning-model` with a model card where the file says what it is, datasets as `data`,
// the rest as `file`) with its SHA-256 and aigis's protection and signature verdicts as
// properties; findings are vulnerabilities, one per rule and artifact, rated with the rule's
// severity and pointing at the component they affect; probe results become the model card's
// quantitative analysis. Validated against the official schema in the tests.

import { randomUUID } from "node:crypto";
import type { Finding, ModelMetadata, ProbeResult, Report, Severity, Target } from "../types";
import { packageHomepage, type Catalog } from "../core/catalog";
import { inventoryClass, maxSeverity } from "../compliance/workpaper";
import { SECURITY_SEVERITY, ruleDocsUri } from "./sarif";

/** Fingerprints listed per vulnerability; the JSON report has every finding. */
const MAX_FINGERPRINTS = 20;

interface Property {
  name: string;
  value: string;
}

type Json = Record<string, unknown>;

export interface CycloneDxOptions {
  /** Fixed for reproducible output in tests; a random UUID otherwise. */
  serialNumber?: string;
  timestamp?: string;
}

function prop(name: string, value: unknown): Property[] {
  if (value === undefined || value === null || value === "") return [];
  return [{ name: `aigis:${name}`, value: String(value) }];
}

function componentRef(uri: string): string {
  return `aigis:artifact:${uri}`;
}

function shapeText(shape: ReadonlyArray<number | string> | undefined): string {
  return shape === undefined ? "" : `[${shape.join(",")}]`;
}

function ioFormat(io: NonNullable<ModelMetadata["inputs"]>[number]): string {
  return `${io.dtype ?? "tensor"}${shapeText(io.shape)}${io.name ? ` ${io.name}` : ""}`;
}

function metricsFor(uri: string, probes: ReadonlyArray<ProbeResult>): Json[] {
  const metrics: Json[] = [];
  for (const p of probes) {
    if (p.model !== uri) continue;
    metrics.push({ type: "accuracy", value: p.cleanAccuracy.toFixed(4), slice: `clean, ${p.samples} samples` });
    for (const a of p.attacks) metrics.push({ type: "robust-accuracy", value: a.robustAccuracy.toFixed(4), slice: `${a.name} ${a.norm} eps=${a.eps}${a.steps !== undefined ? ` steps=${a.steps}` : ""}` });
  }
  return metrics;
}

function modelCard(t: Pick<Target, "uri" | "kind"> & { model?: ModelMetadata }, probes: ReadonlyArray<ProbeResult>): Json | undefined {
  const m = t.model;
  const metrics = metricsFor(t.uri, probes);
  if (!m && metrics.length === 0) return undefined;
  const parameters: Json = {};
  if (m?.task) parameters.task = m.task;
  if (m?.architectureFamily) parameters.architectureFamily = m.architectureFamily;
  if (m?.architecture) parameters.modelArchitecture = m.architecture;
  if (m?.inputs && m.inputs.length > 0) parameters.inputs = m.inputs.map((i) => ({ format: ioFormat(i) }));
  if (m?.outputs && m.outputs.length > 0) parameters.outputs = m.outputs.map((o) => ({ format: ioFormat(o) }));
  const card: Json = {};
  if (Object.keys(parameters).length > 0) card.modelParameters = parameters;
  if (metrics.length > 0) card.quantitativeAnalysis = { performanceMetrics: metrics };
  const properties = [
    ...prop("model:format", m?.format),
    ...prop("model:framework", m?.framework),
    ...prop("model:parameters", m?.parameters),
    ...Object.entries(m?.properties ?? {}).flatMap(([k, v]) => prop(`model:${k}`, v)),
    ...probes.filter((p) => p.model === t.uri && p.backdoor).flatMap((p) => [...prop("probe:backdoor-suspected", p.backdoor!.suspected), ...prop("probe:backdoor-method", p.backdoor!.method), ...prop("probe:backdoor-target-label", p.backdoor!.targetLabel)]),
  ];
  if (properties.length > 0) card.properties = properties;
  return Object.keys(card).length > 0 ? card : undefined;
}

function targetProperties(t: Target): Property[] {
  return [
    ...prop("uri", t.uri),
    ...prop("kind", t.kind),
    ...prop("bytes", t.bytes),
    ...prop("protection:state", t.protection?.state),
    ...prop("protection:scheme", t.protection?.scheme),
    ...prop("signature:status", t.signature?.status ?? "none recorded"),
    ...prop("signature:reasons", t.signature?.reasons.join("; ")),
    ...prop("signature:uri", t.signature?.signatureUri),
  ];
}

function component(t: Target, probes: ReadonlyArray<ProbeResult>, personalData: ReadonlyMap<string, number>): Json {
  const cls = inventoryClass(t.kind);
  const type = cls === "model" ? "machine-learning-model" : cls === "dataset" ? "data" : "file";
  const c: Json = { type, "bom-ref": componentRef(t.uri), name: t.uri };
  if (/^[0-9a-f]{64}$/.test(t.sha256)) c.hashes = [{ alg: "SHA-256", content: t.sha256 }];
  c.properties = targetProperties(t);
  if (type === "machine-learning-model") {
    const card = modelCard(t, probes);
    if (card) c.modelCard = card;
  }
  if (type === "data") {
    const pii = personalData.get(t.uri);
    c.data = [{ type: "dataset", name: t.uri, ...(pii ? { sensitiveData: [`personal data: ${pii} finding${pii === 1 ? "" : "s"} of dataset/personal-data (values masked in the aigis report)`] } : {}) }];
  }
  return c;
}

/** Probed models that were not among the scanned targets still belong in the bill of materials. */
function probedOnlyComponents(report: Report): Json[] {
  const scanned = new Set(report.targets.map((t) => t.uri));
  const seen = new Set<string>();
  const out: Json[] = [];
  for (const p of report.probes) {
    if (scanned.has(p.model) || seen.has(p.model)) continue;
    seen.add(p.model);
    const card = modelCard({ uri: p.model, kind: "unknown" }, report.probes);
    out.push({ type: "machine-learning-model", "bom-ref": componentRef(p.model), name: p.model, properties: [...prop("uri", p.model), ...prop("probe:format", p.format), ...prop("scanned", "false")], ...(card ? { modelCard: card } : {}) });
  }
  return out;
}

function vulnerabilities(report: Report, catalog: Catalog, refs: ReadonlySet<string>): Json[] {
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    if (f.baselineState === "absent") continue;
    const key = `${f.ruleId}\u0000${f.location.uri}`;
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  const out: Json[] = [];
  for (const [key, fs] of groups) {
    const [ruleId, uri] = key.split("\u0000") as [string, string];
    const rule = catalog.rules.get(ruleId);
    const severity: Severity = fs.reduce<Severity>((s, f) => maxSeverity(s, f.severity), fs[0]!.severity);
    const suppressed = fs.every((f) => f.suppression !== undefined);
    const ref = componentRef(uri);
    const v: Json = {
      "bom-ref": `aigis:finding:${ruleId}:${uri}`,
      id: ruleId,
      source: { name: "aigis", url: ruleDocsUri(ruleId) },
      ratings: [{ source: { name: "aigis" }, score: Number(SECURITY_SEVERITY[severity]), severity, method: "other" }],
      description: rule?.title ?? ruleId,
      detail: fs.length === 1 ? fs[0]!.message : `${fs[0]!.message} (and ${fs.length - 1} more finding${fs.length === 2 ? "" : "s"} of this rule in this artifact)`,
      ...(rule ? { recommendation: rule.remediation } : {}),
      affects: refs.has(ref) ? [{ ref }] : [],
      properties: [
        ...prop("findings", fs.length),
        ...prop("controls", [...new Set(fs.flatMap((f) => f.controls))].sort().join(", ")),
        ...fs.slice(0, MAX_FINGERPRINTS).flatMap((f) => prop("fingerprint", f.fingerprint)),
        ...(fs.length > MAX_FINGERPRINTS ? prop("fingerprints-omitted", fs.length - MAX_FINGERPRINTS) : []),
      ],
    };
    if (suppressed) v.analysis = { state: "exploitable", response: ["will_not_fix"], detail: `Accepted risk: ${fs[0]!.suppression!.justification}` };
    out.push(v);
  }
  return out;
}

export function toCycloneDx(report: Report, catalog: Catalog, options: CycloneDxOptions = {}): Json {
  const personalData = new Map<string, number>();
  for (const f of report.findings) if (f.ruleId === "dataset/personal-data") personalData.set(f.location.uri, (personalData.get(f.location.uri) ?? 0) + 1);
  const components = [...report.targets.map((t) => component(t, report.probes, personalData)), ...probedOnlyComponents(report)];
  const refs = new Set(components.map((c) => c["bom-ref"] as string));
  const homepage = packageHomepage();
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: `urn:uuid:${options.serialNumber ?? randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: options.timestamp ?? report.invocation?.endTime ?? new Date().toISOString(),
      tools: { components: [{ type: "application", name: report.tool.name, version: report.tool.version, ...(homepage ? { externalReferences: [{ type: "website", url: homepage }] } : {}) }] },
      properties: [...prop("rulesVersion", report.tool.rulesVersion), ...prop("paths", report.invocation?.paths.join(", ")), ...prop("executionSuccessful", report.invocation?.executionSuccessful)],
    },
    components,
    vulnerabilities: vulnerabilities(report, catalog, refs),
  };
}
