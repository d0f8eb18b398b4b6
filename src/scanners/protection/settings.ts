// The protection scanner's reviewed data (rules/lists/protection.json) and its config
// section (scanners.protection), both validated by JSON schemas in rules/schemas.

import picomatch from "picomatch";
import { formatAjvErrors, loadRulesData, schemaValidator } from "../../core/catalog";
import { UsageError } from "../../core/errors";
import type { ScanSettings } from "../../core/rule";
import type { Finding, KindCategory as FormatCategory, TargetKind } from "../../types";

export interface ProtectionData {
  entropy: { sampleBytes: number; minSampleBytes: number; highEntropyBitsPerByte: number };
  weakSignature: { minRsaBits: number; minEcBits: number; weakDigests: string[] };
  detachedSignatureSuffixes: string[];
  bundleSuffixes: string[];
}

export function protectionData(): ProtectionData {
  return loadRulesData<ProtectionData>("lists/protection.json", "protection");
}

export interface Selector {
  paths?: string[];
  kinds?: string[];
  personalData?: boolean;
}

export interface ProtectionOptions {
  requireEncryption?: Selector;
  requireSignature?: Selector;
  personalData?: string[];
  trustAnchors?: string[];
  transparencyLogKeys?: string[];
}

export const SCANNER_ID = "protection";

/** The config's scanners.protection section, validated; throws UsageError naming every problem. */
export function protectionOptions(settings: ScanSettings): ProtectionOptions {
  const raw = settings.scannerOptions[SCANNER_ID];
  if (raw === undefined) return {};
  const validate = schemaValidator("protection-options");
  if (!validate(raw)) {
    throw new UsageError(`config scanners.protection is invalid: ${formatAjvErrors(validate.errors).join("; ")}`);
  }
  return raw as ProtectionOptions;
}

/** Matches a path like discovery's --include: a glob without "/" matches the file name. */
export function globMatcher(globs: string[] | undefined): (uri: string) => boolean {
  if (!globs || globs.length === 0) return () => false;
  const matchers = globs.map((g) => picomatch(g, { dot: true, basename: !g.includes("/") }));
  return (uri) => matchers.some((m) => m(uri));
}

/** The categories the protection policies judge: files that are or may hold models and data. */
export type KindCategory = "model" | "data" | "container";

/**
 * A kind's category as its format declaration says (each scanner's `formats`, core's generic
 * kinds), narrowed to what protection judges; the kind lists are not repeated here.
 */
export function protectedCategory(category: FormatCategory | undefined): KindCategory | undefined {
  return category === "model" || category === "data" || category === "container" ? category : undefined;
}

/** Why a selector matches a file (for messages), or undefined when it does not. `categoryOf` is the scan context's. */
export function selectorMatch(selector: Selector | undefined, uri: string, kind: TargetKind, options: ProtectionOptions, categoryOf: (kind: TargetKind) => FormatCategory | undefined): string | undefined {
  if (!selector) return undefined;
  if (selector.paths && globMatcher(selector.paths)(uri)) return `path matches ${selector.paths.join(", ")}`;
  if (selector.kinds) {
    const category = protectedCategory(categoryOf(kind));
    for (const k of selector.kinds) {
      if (k === kind) return `kind is ${kind}`;
      if ((k === "model" || k === "data") && category === k) return `it is a ${k} file (${kind})`;
    }
  }
  if (selector.personalData && globMatcher(options.personalData)(uri)) return "it holds personal data";
  return undefined;
}

/** Rules whose findings say a file holds personal data. */
export const PERSONAL_DATA_RULES: ReadonlySet<string> = new Set(["dataset/personal-data"]);

/** Files the scan found personal data in (by the dataset scanner's findings). */
export function filesWithPersonalData(findings: ReadonlyArray<Finding>): Set<string> {
  return new Set(findings.filter((f) => PERSONAL_DATA_RULES.has(f.ruleId)).map((f) => f.location.uri));
}

/** Personal data by the config's globs, or found in the file by the scan. */
export function holdsPersonalData(uri: string, options: ProtectionOptions, found: ReadonlySet<string> = new Set()): boolean {
  return found.has(uri) || globMatcher(options.personalData)(uri);
}
