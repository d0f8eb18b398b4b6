// Runtime defaults for the contract in src/types/rule.ts, and the contract's types re-exported
// for code that imported them from here.

import type { Limits, ScannerPlugin } from "../types";

export type {
  AnyRule,
  FindingDraft,
  Limits,
  ProjectContext,
  Rule,
  RuleContext,
  RuleMeta,
  RuleRequirement,
  ScanContext,
  ScanFile,
  ScanHints,
  ScannerPlugin,
  ScanSettings,
} from "../types";

/** A scanner plugin (the name the pipeline used before plugins). */
export type Scanner = ScannerPlugin;

export const DEFAULT_LIMITS: Limits = {
  maxFileSize: 64 * 1024 ** 3,
  maxInMemoryBytes: 1024 ** 3,
  maxArchiveDepth: 3,
  maxArchiveEntries: 100_000,
  maxArchiveTotalBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 200,
  workerHeapMb: 4096,
};

export type SeverityOverride = import("../types").Severity | "off";
