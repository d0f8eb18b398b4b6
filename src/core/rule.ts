// How scanners and rules plug into the pipeline.
//
// A scanner reads one target (by kind), parses it into a document, and runs its rules on
// that document. A rule is `{ meta, check }` like an ESLint rule, except that the
// metadata (severity, controls, texts) lives in rules/catalog/*.json so a security team
// can review and extend it; code names only the rule id.

import type { Finding, FindingDraft, FindingLocation, Protection, RuleMeta, Severity, SignatureInfo, Target, TargetKind } from "../types";
import type { RandomAccessFile } from "./random-access";

export interface RuleContext {
  report(draft: FindingDraft): void;
}

/** What a rule module exports: the id (joined with catalog metadata by the registry) and its check. */
export interface RuleModule<Doc> {
  id: string;
  check(doc: Doc, ctx: RuleContext): void;
}

/** A rule with its catalog metadata attached. */
export interface Rule<Doc> extends RuleModule<Doc> {
  meta: RuleMeta;
}

export interface Limits {
  /** Files larger than this are not scanned (aigis/limit-exceeded). */
  maxFileSize: number;
  /** Largest file or member a parser may hold in memory at once. */
  maxInMemoryBytes: number;
  /** Archives: deepest nesting followed. */
  maxArchiveDepth: number;
  /** Archives: most entries read per archive. */
  maxArchiveEntries: number;
  /** Archives: most bytes decompressed per archive, over all members. */
  maxArchiveTotalBytes: number;
  /** Archives: highest compression ratio accepted for one member. */
  maxCompressionRatio: number;
  /** Heap limit of each scanning worker thread, in MiB. */
  workerHeapMb: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileSize: 64 * 1024 ** 3,
  maxInMemoryBytes: 1024 ** 3,
  maxArchiveDepth: 3,
  maxArchiveEntries: 100_000,
  maxArchiveTotalBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 200,
  workerHeapMb: 4096,
};

/** Hints later scanners need; accepted by the CLI and config now so the contract is stable. */
export interface ScanHints {
  labelColumn?: string;
  textColumn?: string;
  labels?: string;
  trustAnchors?: string[];
  /** PEM public keys of transparency logs for offline Sigstore bundle verification. */
  transparencyLogKeys?: string[];
}

export interface ScanSettings {
  limits: Limits;
  hints: ScanHints;
  /** Scanner-specific settings from the config file, keyed by scanner id. */
  scannerOptions: Record<string, unknown>;
}

/** One file handed to a scanner. */
export interface ScanFile {
  uri: string;
  absPath: string;
  kind: TargetKind;
  size: number;
  /** The first bytes of the file (up to 64 KiB), already read for sniffing. */
  head: Buffer;
  /** Random access to the file's bytes, without loading it whole. */
  file: RandomAccessFile;
}

export interface ScanContext {
  settings: ScanSettings;
  /** Reports a finding for a rule this scanner owns, or an aigis/* notice. */
  report(ruleId: string, draft: FindingDraft): void;
  /** Runs rules over a parsed document, binding each rule's report to its id. */
  runRules<Doc>(rules: ReadonlyArray<RuleModule<Doc>>, doc: Doc, base?: Partial<FindingLocation>): void;
  /** Records how the target is protected (encryption state, signature) in the report's target entry. */
  annotate(patch: { protection?: Protection; signature?: SignatureInfo }): void;
  /** How far a long scan of this one file has come, 0..1, for the progress bar. */
  progress(fraction: number): void;
}

/** What a scanner sees after every file was scanned: for checks that span files (signatures beside artifacts, manifests, image folders). */
export interface ProjectContext {
  settings: ScanSettings;
  cwd: string;
  targets: ReadonlyArray<Target & { absPath: string }>;
  /** Every finding the per-file scans produced (e.g. which files hold personal data). */
  findings: ReadonlyArray<Finding>;
  /** Reports a finding; `location.uri` must name a file. */
  report(ruleId: string, draft: FindingDraft & { location: Partial<FindingLocation> & { uri: string } }): void;
  annotate(uri: string, patch: { protection?: Protection; signature?: SignatureInfo }): void;
}

export interface Scanner {
  id: string;
  /** The target kinds this scanner reads. */
  kinds: ReadonlyArray<TargetKind>;
  /** Every rule the scanner may report (aigis/* notices excepted); the registry checks them against the catalog. */
  ruleIds: ReadonlyArray<string>;
  scan(file: ScanFile, ctx: ScanContext): Promise<void>;
  /** Optional: runs once in the main thread after all files were scanned. */
  scanProject?(ctx: ProjectContext): Promise<void>;
}

export type SeverityOverride = Severity | "off";
