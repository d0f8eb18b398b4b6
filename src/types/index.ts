// The contract shared by every scanner, rule and reporter. No runtime imports here.

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface FindingLocation {
  /** Path relative to the working directory, forward slashes. */
  uri: string;
  /** Path inside an archive ("archive/data.pkl"); nested archives joined with "!/". */
  member?: string;
  /** Dataset: 0-based data row (header not counted). */
  row?: number;
  /** Dataset column. */
  column?: string;
  /** Text files: 1-based line. */
  line?: number;
  /** Binary files: byte offset (e.g. of the opcode). */
  offset?: number;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  location: FindingLocation;
  controls: string[];
  evidence?: Record<string, unknown>;
  fingerprint: string;
  /** Set when an entry of the suppressions file accepts this finding as a risk; it then does not count for the gate. */
  suppression?: FindingSuppression;
  /** Set when the scan was compared with a baseline (--baseline); "absent" findings were in the baseline only. */
  baselineState?: BaselineState;
}

export type BaselineState = "new" | "unchanged" | "updated" | "absent";

/** An accepted risk: why, until when, and who accepted it. */
export interface FindingSuppression {
  justification: string;
  /** ISO date (YYYY-MM-DD) after which the suppression no longer applies. */
  expires?: string;
  author?: string;
  /** Where the suppression is written: "<file>#<entry index>". */
  source?: string;
}

/**
 * Target kinds are decided from content (magic bytes, structure), never from the file name.
 * Core decides the generic kinds below; every other kind is contributed by the scanner that
 * reads it, through its content detectors (see `ScannerPlugin.formats`).
 */
export const GENERIC_KINDS = ["zip", "tar", "gzip", "bzip2", "xz", "zstd", "json", "jsonl", "yaml", "csv", "text", "unknown"] as const;
export type GenericKind = (typeof GENERIC_KINDS)[number];
/**
 * What core's generic kinds are, declared once like a scanner's `formats` (see KindCategory):
 * archives and compressed streams may hold models or data. A scanner may declare a text kind
 * more precisely (the dataset scanner: csv and jsonl are data).
 */
export const GENERIC_KIND_CATEGORIES: Readonly<Record<GenericKind, "container" | "data" | "other">> = {
  zip: "container",
  tar: "container",
  gzip: "container",
  bzip2: "container",
  xz: "container",
  zstd: "container",
  json: "other",
  jsonl: "other",
  yaml: "other",
  csv: "other",
  text: "other",
  unknown: "other",
};
/** A kind name in kebab case: one of GENERIC_KINDS or one a scanner contributes ("pickle", "onnx", "iam-policy"...). */
export type TargetKind = string;

export type ProtectionState = "plaintext" | "compressed" | "encrypted" | "unknown-high-entropy";
export interface Protection {
  state: ProtectionState;
  scheme?: string;
}

/**
 * `unverified`: the signature verifies cryptographically but no trust anchor (or, for a
 * Sigstore bundle, no transparency-log key) is configured, so the signer was not checked;
 * informational, never worse than no signature. See docs/protection.md for the table.
 */
export type SignatureStatus = "valid" | "invalid" | "untrusted" | "expired" | "weak" | "unverified" | "missing";
export interface SignatureInfo {
  status: SignatureStatus;
  reasons: string[];
  signatureUri?: string;
  /** Who signed (certificate subject or identity, or a key hint), when the signature names one. */
  signer?: string;
}

/** What a model file says about itself (ONNX graph inputs, GGUF metadata, ...), for model cards in the bill of materials. */
export interface ModelMetadata {
  /** The file format ("onnx", "gguf", "safetensors", "tfjs-layers", ...). */
  format: string;
  /** The producing framework and its version, as the file records it. */
  framework?: string;
  /** e.g. "llama", "Sequential". */
  architecture?: string;
  architectureFamily?: string;
  task?: string;
  /** Number of trainable values (sum of tensor element counts). */
  parameters?: number;
  inputs?: Array<{ name?: string; shape?: Array<number | string>; dtype?: string }>;
  outputs?: Array<{ name?: string; shape?: Array<number | string>; dtype?: string }>;
  /** Further facts the file states (opset, quantisation, ...), as strings. */
  properties?: Record<string, string>;
}

/** What a scanner may record about the target it read, beside its findings. */
export interface TargetAnnotation {
  protection?: Protection;
  signature?: SignatureInfo;
  model?: ModelMetadata;
}

export interface Target {
  uri: string;
  kind: TargetKind;
  bytes: number;
  sha256: string;
  protection?: Protection;
  signature?: SignatureInfo;
  /** Set for model files whose metadata could be read. */
  model?: ModelMetadata;
  /** Which rules assessed this target and which were skipped, and why (schema version 2). */
  assessment?: AssessmentFacts;
}

export interface AttackResult {
  name: string;
  norm: "linf" | "l2";
  eps: number;
  steps?: number;
  stepSize?: number;
  robustAccuracy: number;
  attackSuccessRate: number;
  meanPerturbation: number;
  queries: number;
  seconds: number;
}

export interface BackdoorResult {
  suspected: boolean;
  targetLabel?: number;
  score: number;
  method: string;
  [key: string]: unknown;
}

export interface ProbeResult {
  model: string;
  format: "tfjs-layers" | "tfjs-graph" | "onnx" | "http";
  samples: number;
  cleanAccuracy: number;
  attacks: AttackResult[];
  backdoor?: BackdoorResult;
  /** Which model/* rules assessed the model and which were skipped, and why (schema version 2). */
  assessment?: AssessmentFacts;
  [key: string]: unknown;
}

/**
 * The JSON report's schema version. 2 added assessment facts (targets[].assessment,
 * probes[].assessment); version 1 reports still load and assess no control (see docs/report.md).
 */
export const REPORT_SCHEMA_VERSION = 2;

export interface Report {
  schemaVersion: 1 | 2;
  tool: { name: "aigis"; version: string; rulesVersion?: string };
  invocation?: {
    startTime: string;
    endTime: string;
    paths: string[];
    workingDirectory: string;
    executionSuccessful: boolean;
    configFile?: string;
    /** Set for `aigis scan --shard I/N`: this report covers only shard I of N. */
    shard?: { index: number; count: number };
    suppressionsFile?: string;
    baselineFile?: string;
  };
  targets: Target[];
  findings: Finding[];
  probes: ProbeResult[];
  /** bySeverity counts findings that count for the gate: neither suppressed nor absent. */
  summary: { bySeverity: Record<Severity, number>; suppressed?: number; new?: number; absent?: number };
}

/** The reviewable half of a rule: kept as data in rules/catalog/*.json, validated by rules/schemas/rule-catalog.schema.json. */
export interface CatalogRule {
  id: string;
  severity: Severity;
  title: string;
  description: string;
  /** Markdown: how to fix. */
  remediation: string;
  controls: string[];
  tags: string[];
  /**
   * Per mapped control, one line: why a finding of this rule is evidence the control is not met
   * (reviewed with the mapping). The catalogue loader and the registry require exactly one per
   * control; optional here only so hand-built catalogues in tests stay short.
   */
  rationale?: Record<string, string>;
  /** Why the rule maps to no control at all (a notice that can neither fail nor assess one); only with empty `controls`. */
  unmappedReason?: string;
  /** Set when findings of this rule may carry their own severity; says why (e.g. "critical when the role grants every verb"). */
  severityOverride?: string;
}

export interface ControlMeta {
  id: string;
  title: string;
  description?: string;
}

export interface Framework {
  id: string;
  name: string;
  version: string;
  /** Stable SARIF taxonomy GUID. */
  guid: string;
  informationUri: string;
  controls: ControlMeta[];
}

export * from "./rule";
import type { AssessmentFacts } from "./rule";
