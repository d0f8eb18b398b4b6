// Accepted risks: .aigis-suppressions.yaml, validated by rules/schemas/suppressions.schema.json
// (every error reported at once). A matching entry marks the finding as suppressed: it stays
// in every report with its justification, but no longer counts for the gate. An entry past
// its expiry date stops applying and becomes an aigis/expired-suppression finding itself.

import { existsSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseYamlData } from "./yaml";
import picomatch from "picomatch";
import type { Finding, FindingSuppression } from "../types";
import { formatAjvErrors, schemaValidator } from "./catalog";
import { UsageError } from "./errors";

export const SUPPRESSION_FILE_NAMES = [".aigis-suppressions.yaml", ".aigis-suppressions.yml"];

export interface SuppressionEntry {
  rule?: string;
  path?: string;
  fingerprint?: string;
  justification: string;
  expires?: string;
  author?: string;
}

export interface SuppressionSet {
  /** The file's path relative to the working directory, forward slashes. */
  uri: string;
  entries: SuppressionEntry[];
  /** 1-based line of each entry in the file, for findings about the entry. */
  lines: number[];
}

/** Line of each top-level "- " list item under `suppressions:`, in order. */
function entryLines(text: string): number[] {
  const lines = text.split(/\r?\n/);
  const out: number[] = [];
  let inList = false;
  let indent: number | undefined;
  lines.forEach((line, i) => {
    if (/^suppressions\s*:/.test(line)) {
      inList = true;
      return;
    }
    if (!inList) return;
    if (/^\S/.test(line) && !line.startsWith("#") && !line.startsWith("-")) {
      inList = false;
      return;
    }
    const m = /^(\s*)-(\s|$)/.exec(line);
    if (!m) return;
    const width = m[1]!.length;
    if (indent === undefined) indent = width;
    if (width === indent) out.push(i + 1);
  });
  return out;
}

/** The properties an entry needs at least one of (the schema's anyOf alternatives). */
const SELECTORS = new Set(["rule", "path", "fingerprint"]);

export function parseSuppressions(text: string, uri: string): SuppressionSet {
  let data: unknown;
  try {
    // The core schema keeps dates as strings (no implicit timestamp type).
    data = parseYamlData(text) ?? { suppressions: [] };
  } catch (e) {
    throw new UsageError(`suppressions ${uri}: ${(e as Error).message.split("\n")[0]}`);
  }
  const validate = schemaValidator("suppressions");
  if (!validate(data)) {
    // anyOf reports one "required" error per alternative; say it once, plainly. Decided on ajv's
    // keyword and params, never on its message text.
    const kept = (validate.errors ?? []).filter((e) => !(e.keyword === "required" && SELECTORS.has(String((e.params as { missingProperty?: unknown }).missingProperty))));
    const plain = kept.map((e) => (e.keyword === "anyOf" ? `${e.instancePath || "(root)"}: needs at least one of rule, path or fingerprint` : formatAjvErrors([e])[0]!));
    throw new UsageError(`suppressions ${uri} is invalid (${plain.length} error${plain.length === 1 ? "" : "s"}): ${plain.join("; ")}`);
  }
  const entries = (data as { suppressions: SuppressionEntry[] }).suppressions;
  return { uri, entries, lines: entryLines(text) };
}

/** Loads the given file, or .aigis-suppressions.yaml/.yml in `cwd`; none is fine. */
export function loadSuppressions(explicit: string | undefined, cwd: string): SuppressionSet | undefined {
  let path: string | undefined;
  if (explicit) {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new UsageError(`suppressions file not found: ${explicit}`);
  } else {
    path = SUPPRESSION_FILE_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
  }
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`suppressions ${explicit ?? path}: ${(e as Error).message}`);
  }
  const uri = relative(cwd, path).split("\\").join("/") || path;
  return parseSuppressions(text, uri);
}

/** "YYYY-MM-DD" of a date in UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Expired when today is after the expiry day (the expiry day itself still counts as valid). */
export function isExpired(entry: SuppressionEntry, today: string): boolean {
  return entry.expires !== undefined && today > entry.expires;
}

function matcher(entry: SuppressionEntry): (f: Finding) => boolean {
  const pathMatch = entry.path !== undefined ? picomatch(entry.path, { dot: true }) : undefined;
  const area = entry.rule?.endsWith("/*") ? entry.rule.slice(0, -1) : undefined;
  return (f) =>
    (entry.rule === undefined || (area !== undefined ? f.ruleId.startsWith(area) : f.ruleId === entry.rule)) &&
    (entry.fingerprint === undefined || f.fingerprint === entry.fingerprint) &&
    (pathMatch === undefined || pathMatch(f.location.uri));
}

export interface ExpiredSuppression {
  entry: SuppressionEntry;
  index: number;
  line?: number;
  /** Findings the entry would still match. */
  matches: number;
}

/**
 * Marks findings matched by a live entry (the first matching entry wins) and returns the
 * expired entries, so the caller can report them. Findings already suppressed are left as they are.
 */
export function applySuppressions(findings: Finding[], set: SuppressionSet, today: string): { findings: Finding[]; expired: ExpiredSuppression[] } {
  const live: Array<{ match: (f: Finding) => boolean; suppression: FindingSuppression }> = [];
  const expired: ExpiredSuppression[] = [];
  const expiredMatchers: Array<(f: Finding) => boolean> = [];
  set.entries.forEach((entry, index) => {
    if (isExpired(entry, today)) {
      const line = set.lines[index];
      expired.push({ entry, index, ...(line !== undefined ? { line } : {}), matches: 0 });
      expiredMatchers.push(matcher(entry));
      return;
    }
    live.push({
      match: matcher(entry),
      suppression: {
        justification: entry.justification.trim(),
        ...(entry.expires !== undefined ? { expires: entry.expires } : {}),
        ...(entry.author !== undefined ? { author: entry.author } : {}),
        source: `${set.uri}#${index + 1}`,
      },
    });
  });
  const out = findings.map((f) => {
    expiredMatchers.forEach((m, i) => {
      if (m(f)) expired[i]!.matches++;
    });
    if (f.suppression) return f;
    const hit = live.find((l) => l.match(f));
    return hit ? { ...f, suppression: hit.suppression } : f;
  });
  return { findings: out, expired };
}

/** Counts for the gate and the summary: neither an accepted risk nor gone since the baseline. */
export function isActive(f: Finding): boolean {
  return f.suppression === undefined && f.baselineState !== "absent";
}
