// The rule and scanner contract. Types only: no runtime imports, so every layer may use it.
//
// A rule is `{ meta, check }` as in ESLint: `meta` says what the rule applies to, the messages
// it may print and what it needs before it can assess anything; `check` reads a parsed
// document and reports findings. What a security team reviews (severity, controls with their
// rationale, remediation) is data in rules/catalog/*.json, joined to the rule by its id.
// A scanner is a plugin: the target kinds it reads, the content detectors that recognise
// them, its rules, its options schema, and the code that parses a target into documents.

import type { CatalogRule, Finding, FindingLocation, Severity, Target, TargetAnnotation, TargetKind } from "./index";

/** Positioned reads over a file or an in-memory buffer, so parsers never need the whole file. */
export interface RandomAccessFile {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

/** What a rule needs before it can assess a target; when it is missing the rule is skipped and the reason recorded. */
export interface RuleRequirement<Doc = unknown> {
  /** Stable id, e.g. "encryption-policy", "trust-anchors", "label-column". */
  id: string;
  /** What must hold, as one sentence fragment: "scanners.protection.requireEncryption selects the file". */
  description: string;
  /** Whether the requirement holds for this document. */
  isMet(doc: Doc, settings: ScanSettings): boolean;
}

export interface RuleMeta<Doc = unknown> {
  /** "<area>/<check>", kebab case; the key into rules/catalog. */
  id: string;
  appliesTo: {
    /** Target kinds the rule reads; "*" for every kind. */
    kinds: ReadonlyArray<TargetKind> | "*";
    /** What must be true of the target beyond its kind, in words (shown when the rule did not apply). */
    conditions?: ReadonlyArray<string>;
  };
  /** Message templates by message id; `{{name}}` is replaced by `data.name` of the report. */
  messages: Readonly<Record<string, string>>;
  /** What the rule needs before it can assess anything. */
  requires?: ReadonlyArray<RuleRequirement<Doc>>;
}

/** What a rule reports; the pipeline adds severity, controls and fingerprint from the catalogue. */
export interface FindingDraft {
  /** A key of `meta.messages`. */
  messageId: string;
  /** Values for the template's `{{name}}` placeholders. */
  data?: Readonly<Record<string, string | number | boolean>>;
  location?: Partial<FindingLocation>;
  /**
   * Per-finding severity override. Allowed only for rules whose catalogue entry declares
   * `severityOverride` (with the reason); otherwise the finding becomes aigis/rule-error.
   */
  severity?: Severity;
  evidence?: Record<string, unknown>;
  /**
   * What makes this finding distinct within its file for fingerprinting (e.g. the resolved
   * callable). Byte offsets are deliberately not used by default, so unrelated edits do not
   * change fingerprints. Defaults to the message id and data.
   */
  fingerprintKey?: string;
}

export interface RuleContext {
  report(draft: FindingDraft): void;
  readonly settings: ScanSettings;
}

export interface Rule<Doc = unknown> {
  meta: RuleMeta<Doc>;
  check(doc: Doc, ctx: RuleContext): void;
}

/** Any rule, whatever its document type (for lists of rules). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRule = Rule<any>;

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
  /** Seconds one file may take in its worker thread before the worker is stopped (aigis/limit-exceeded). */
  maxScanSeconds: number;
}

/** Hints the user gives on the command line or in the config. */
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
  /** Scanner-specific settings from the config file, keyed by scanner id, validated against each scanner's options schema. */
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

/** The tool's own notices, one evidence shape each (see docs/rules/aigis-*.md). */
export interface ParseErrorNotice {
  /** The format that could not be read ("zip", "pickle", "ONNX"...). */
  format: string;
  reason: string;
  location?: Partial<FindingLocation>;
  /** Extra evidence (kept small). */
  detail?: Record<string, unknown>;
  /** Distinguishes several parse errors in one file; defaults to format and member. */
  key?: string;
  /** Per-finding severity (aigis/parse-error declares the override: e.g. info for Helm templates). */
  severity?: Severity;
}
export interface LimitExceededNotice {
  /** The limit's name as in the config's `limits` ("maxInMemoryBytes") or a scanner's own. */
  limit: string;
  /** The limit's value. */
  value: number;
  /** What was not read, as a sentence fragment: "member a.pkl (3 GB) was not analysed". */
  what: string;
  location?: Partial<FindingLocation>;
  detail?: Record<string, unknown>;
  key?: string;
}
export interface UnsupportedFormatNotice {
  /** The kind or sub-format that no scanner checks. */
  format: string;
  reason?: string;
  location?: Partial<FindingLocation>;
  key?: string;
}

/** Notices any scanner may raise; each becomes an aigis/* finding. */
export interface NoticeContext {
  parseError(notice: ParseErrorNotice): void;
  limitExceeded(notice: LimitExceededNotice): void;
  unsupportedFormat(notice: UnsupportedFormatNotice): void;
}

export interface ScanContext extends NoticeContext {
  settings: ScanSettings;
  /** This scanner's options (config `scanners.<id>`), already validated against its schema; undefined when not configured. */
  options: unknown;
  /**
   * Runs rules over a parsed document: checks each rule's requirements, runs it isolated (a
   * rule that throws becomes one aigis/rule-error finding), and records that it assessed the target.
   */
  runRules<Doc>(rules: ReadonlyArray<Rule<Doc>>, doc: Doc, base?: Partial<FindingLocation>): void;
  /** Decides the kind of bytes (an archive member, a decompressed stream) with every registered detector. */
  sniff(head: Buffer, file: RandomAccessFile): Promise<TargetKind>;
  /** What a kind is (model, data, container, ...) by the formats every scanner declares; undefined for a kind nobody declares. */
  categoryOf(kind: TargetKind): KindCategory | undefined;
  /** Records how the target is protected (encryption state, signature) in the report's target entry. */
  annotate(patch: TargetAnnotation): void;
  /** How far a long scan of this one file has come, 0..1, for the progress bar. */
  progress(fraction: number): void;
}

/** What a scanner sees after every file was scanned: for checks that span files (signatures beside artifacts, manifests, image folders). */
export interface ProjectContext {
  settings: ScanSettings;
  options: unknown;
  cwd: string;
  targets: ReadonlyArray<Target & { absPath: string }>;
  /** Every finding the per-file scans produced (e.g. which files hold personal data). */
  findings: ReadonlyArray<Finding>;
  /** Runs rules over a document about the target `uri` (findings without a uri of their own land there). */
  runRules<Doc>(rules: ReadonlyArray<Rule<Doc>>, doc: Doc, uri: string): void;
  notices(uri: string): NoticeContext;
  annotate(uri: string, patch: TargetAnnotation): void;
  /** What a kind is (model, data, container, ...) by the formats every scanner declares; undefined for a kind nobody declares. */
  categoryOf(kind: TargetKind): KindCategory | undefined;
}

/** What a content detector sees. */
export interface DetectInput {
  /** The first bytes (up to 64 KiB). */
  head: Buffer;
  /** The whole size of what is sniffed. */
  size: number;
  file: RandomAccessFile;
  /** The generic kind core decided ("zip", "json", "text", "unknown"...); detectors refine it. */
  generic: TargetKind;
  /** The head decoded as UTF-8, when core judged it text. */
  text?: string;
  /** The parsed JSON value when the whole content is JSON that parsed; undefined otherwise. */
  json?: unknown;
}

export interface ContentDetector {
  /** Unique name, for errors and docs. */
  name: string;
  /**
   * Order among all detectors (lower first). Built-in ranges: 100-199 binary magic numbers,
   * 200-299 weak binary signatures (pickle, protobuf, raw zlib), 300-399 text and JSON structure.
   */
  order: number;
  /** Generic kinds this detector may refine; "*" sees every file before core's generic checks decide. */
  refines: ReadonlyArray<TargetKind> | "*";
  detect(input: DetectInput): TargetKind | undefined | Promise<TargetKind | undefined>;
}

/** What a kind is, for checks that judge files by role (encryption and file-mode policies). */
export type KindCategory = "model" | "data" | "container" | "signature" | "policy" | "other";

export interface FormatDeclaration {
  kind: TargetKind;
  category: KindCategory;
  /** One line: what the format is. */
  description: string;
}

export interface ScannerPlugin {
  /** Short id; also the config key `scanners.<id>` for its options. */
  id: string;
  /** Target kinds this scanner reads; "*" for every kind (protection state, file modes). */
  kinds: ReadonlyArray<TargetKind> | "*";
  /** Kinds this scanner contributes (recognised by its detectors). */
  formats?: ReadonlyArray<FormatDeclaration>;
  detectors?: ReadonlyArray<ContentDetector>;
  /** Every rule the scanner runs; the registry checks them against the catalogue. */
  rules: ReadonlyArray<AnyRule>;
  /**
   * Catalogue entries for rules that are not in aigis's own rules/catalog (custom scanners);
   * validated like the built-in catalogue.
   */
  catalog?: ReadonlyArray<CatalogRule>;
  /** JSON schema of the scanner's options (config `scanners.<id>`), validated once by core. */
  optionsSchema?: Record<string, unknown>;
  scan(file: ScanFile, ctx: ScanContext): Promise<void>;
  /** Optional: runs once in the main thread after all files were scanned. */
  scanProject?(ctx: ProjectContext): Promise<void>;
}

/** A module that exports a scanner plugin as `scanner` or `default`; how custom scanners reach worker threads. */
export interface ScannerModule {
  scanner?: ScannerPlugin;
  default?: ScannerPlugin;
}

/** Rules that run outside scanners (aigis/* notices, model/* probe results), registered the same way. */
export interface RulePack {
  id: string;
  rules: ReadonlyArray<AnyRule>;
}

/** Per target: which rules assessed it and which were skipped, and why. */
export interface AssessmentFacts {
  /** Rule ids that applied, had their requirements met and ran to completion on this target. */
  assessed: string[];
  skipped: Array<{ rule: string; reason: string }>;
}
