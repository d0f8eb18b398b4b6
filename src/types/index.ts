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

/** What a rule reports; the pipeline fills in severity, controls and fingerprint from rule metadata. */
export interface FindingDraft {
  message: string;
  location?: Partial<FindingLocation>;
  /** Overrides the rule's default severity (e.g. severity by margin). */
  severity?: Severity;
  evidence?: Record<string, unknown>;
  /**
   * What makes this finding distinct within its file for fingerprinting
   * (e.g. the resolved callable). Byte offsets are deliberately not used by default,
   * so unrelated edits do not change fingerprints.
   */
  fingerprintKey?: string;
}

/** Target kinds decided from content (magic bytes, structure), never from the file name. */
export const TARGET_KINDS = [
  "pickle",
  "pytorch-zip",
  "zip",
  "tar",
  "gzip",
  "bzip2",
  "xz",
  "zstd",
  "zlib",
  "lzma",
  "numpy",
  "hdf5",
  "onnx",
  "safetensors",
  "gguf",
  "tfjs-model",
  "tf-saved-model",
  "csv",
  "jsonl",
  "json",
  "yaml",
  "parquet",
  "image",
  "iam-policy",
  "gcs-iam-policy",
  "k8s-rbac",
  "pem",
  "cms-signature",
  "cms-enveloped",
  "sigstore-bundle",
  "checksum-manifest",
  "age",
  "openpgp",
  "openssl-enc",
  "jwe",
  "text",
  "unknown",
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

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

export interface Target {
  uri: string;
  kind: TargetKind;
  bytes: number;
  sha256: string;
  protection?: Protection;
  signature?: SignatureInfo;
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
  [key: string]: unknown;
}

export interface Report {
  schemaVersion: 1;
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

/** Rule metadata: kept as data in rules/catalog/*.json and validated by rules/schemas/rule.schema.json. */
export interface RuleMeta {
  id: string;
  severity: Severity;
  title: string;
  description: string;
  /** Markdown: how to fix. */
  remediation: string;
  controls: string[];
  tags: string[];
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
