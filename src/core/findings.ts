// Findings are built in one place: a rule's draft, its message template and the catalogue's
// severity and controls. Rules run isolated, and every run is recorded as an assessment fact.

import type { AnyRule, AssessmentFacts, Finding, FindingDraft, FindingLocation, NoticeContext, ScanSettings } from "../types";
import { fingerprintOf } from "./fingerprint";
import { limitExceeded, parseError, placeOf, ruleError, unsupportedFormat } from "./notices";
import type { Registry } from "./registry";

/**
 * A skipped rule's reason in the report (report.schema.json): "requires <id>" or "rule error:
 * <message>". The prefix is the report's documented format, written and read only here.
 */
const RULE_ERROR_PREFIX = "rule error: ";
export const ruleErrorReason = (message: string): string => `${RULE_ERROR_PREFIX}${message}`;
/** The rule's error message when `reason` records a rule that threw, else undefined. */
export const ruleErrorOf = (reason: string): string | undefined => (reason.startsWith(RULE_ERROR_PREFIX) ? reason.slice(RULE_ERROR_PREFIX.length) : undefined);

/** A rule broke its contract (unknown message id, missing template data, a severity it may not set). */
export class RuleContractError extends Error {
  override name = "RuleContractError";
}

/** Fills `{{name}}` placeholders; a placeholder without data is a contract error, not an empty string. */
export function interpolate(template: string, data: FindingDraft["data"], ruleId: string): string {
  return template.replace(/\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g, (_m, name: string) => {
    const v = data?.[name];
    if (v === undefined) throw new RuleContractError(`rule ${ruleId}: message data has no ${name}`);
    return String(v);
  });
}

/** The finding a rule's draft describes, with the catalogue's severity and controls. */
export function makeFinding(registry: Registry, ruleId: string, uri: string, draft: FindingDraft): Finding {
  const rule = registry.definition(ruleId);
  const meta = registry.rule(ruleId);
  const template = rule.meta.messages[draft.messageId];
  if (template === undefined) throw new RuleContractError(`rule ${ruleId} has no message ${JSON.stringify(draft.messageId)}`);
  const message = interpolate(template, draft.data, ruleId);
  if (draft.severity !== undefined && draft.severity !== meta.severity && meta.severityOverride === undefined) {
    throw new RuleContractError(`rule ${ruleId} sets severity ${draft.severity}, but its catalogue entry declares no severityOverride`);
  }
  const location: FindingLocation = { uri };
  for (const [k, v] of Object.entries(draft.location ?? {})) {
    if (v !== undefined && k !== "uri") (location as unknown as Record<string, unknown>)[k] = v;
  }
  if (draft.location?.uri) location.uri = draft.location.uri;
  const key = draft.fingerprintKey ?? `${draft.messageId}:${JSON.stringify(draft.data ?? {})}`;
  const finding: Finding = {
    ruleId,
    severity: draft.severity ?? meta.severity,
    message,
    location,
    controls: [...meta.controls],
    fingerprint: fingerprintOf(ruleId, location, key),
  };
  if (draft.evidence) finding.evidence = draft.evidence;
  return finding;
}

/** Assessment facts being gathered for many targets. Error beats assessed beats skipped. */
export class FactBook {
  private readonly byUri = new Map<string, { assessed: Set<string>; skipped: Map<string, string>; failed: Map<string, string> }>();

  private entry(uri: string): { assessed: Set<string>; skipped: Map<string, string>; failed: Map<string, string> } {
    let e = this.byUri.get(uri);
    if (!e) {
      e = { assessed: new Set(), skipped: new Map(), failed: new Map() };
      this.byUri.set(uri, e);
    }
    return e;
  }
  assessed(uri: string, rule: string): void {
    this.entry(uri).assessed.add(rule);
  }
  skipped(uri: string, rule: string, reason: string): void {
    const e = this.entry(uri);
    if (!e.skipped.has(rule)) e.skipped.set(rule, reason);
  }
  failed(uri: string, rule: string, reason: string): void {
    const e = this.entry(uri);
    if (!e.failed.has(rule)) e.failed.set(rule, reason);
  }
  has(uri: string, rule: string): boolean {
    const e = this.byUri.get(uri);
    return !!e && (e.assessed.has(rule) || e.skipped.has(rule) || e.failed.has(rule));
  }
  /** Adds facts gathered elsewhere (a worker thread, a shard). */
  merge(uri: string, facts: AssessmentFacts | undefined): void {
    if (!facts) return;
    for (const r of facts.assessed) this.assessed(uri, r);
    for (const s of facts.skipped) {
      const error = ruleErrorOf(s.reason);
      if (error !== undefined) this.failed(uri, s.rule, error);
      else this.skipped(uri, s.rule, s.reason);
    }
  }
  factsFor(uri: string): AssessmentFacts {
    const e = this.byUri.get(uri);
    if (!e) return { assessed: [], skipped: [] };
    const assessed = [...e.assessed].filter((r) => !e.failed.has(r)).sort();
    const skipped: AssessmentFacts["skipped"] = [];
    for (const [rule, reason] of e.failed) skipped.push({ rule, reason: ruleErrorReason(reason) });
    for (const [rule, reason] of e.skipped) if (!e.assessed.has(rule) && !e.failed.has(rule)) skipped.push({ rule, reason });
    skipped.sort((a, b) => a.rule.localeCompare(b.rule));
    return { assessed, skipped };
  }
}

export interface RuleRunTarget {
  /** The target the facts are about. */
  uri: string;
  settings: ScanSettings;
  registry: Registry;
  facts: FactBook | undefined;
  emit(finding: Finding): void;
}

/**
 * Runs one rule over one document, isolated: requirements first (unmet: skipped, with the
 * reason), then the check; a throw or a broken contract becomes one aigis/rule-error
 * finding and the rule counts as not having assessed the target.
 */
export function runRule(rule: AnyRule, doc: unknown, base: Partial<FindingLocation> | undefined, t: RuleRunTarget, options: { record?: boolean } = {}): void {
  const id = rule.meta.id;
  const record = options.record ?? true;
  for (const req of rule.meta.requires ?? []) {
    let met: boolean;
    try {
      met = req.isMet(doc, t.settings);
    } catch (e) {
      fail(rule, t, base, `requirement ${req.id} threw: ${(e as Error).message}`);
      return;
    }
    if (!met) {
      if (record) t.facts?.skipped(t.uri, id, `requires ${req.id}`);
      return;
    }
  }
  const produced: Finding[] = [];
  try {
    rule.check(doc, {
      settings: t.settings,
      report(draft) {
        const location: Partial<FindingLocation> = { ...(base ?? {}), ...(draft.location ?? {}) };
        produced.push(makeFinding(t.registry, id, t.uri, { ...draft, location }));
      },
    });
  } catch (e) {
    // Findings made before the throw are real: keep them, and say the rule did not finish.
    for (const f of produced) t.emit(f);
    fail(rule, t, base, e instanceof Error ? e.message : String(e));
    return;
  }
  for (const f of produced) t.emit(f);
  if (record) t.facts?.assessed(t.uri, id);
}

function fail(rule: AnyRule, t: RuleRunTarget, base: Partial<FindingLocation> | undefined, reason: string): void {
  const id = rule.meta.id;
  t.facts?.failed(t.uri, id, reason);
  const where = placeOf(t.uri, base);
  ruleError.check({ rule: id, reason, where }, {
    settings: t.settings,
    report: (draft) => {
      const location: Partial<FindingLocation> = { ...(base ?? {}), ...(draft.location ?? {}) };
      t.emit(makeFinding(t.registry, ruleError.meta.id, t.uri, { ...draft, location }));
    },
  });
}

/** The notice helpers of a scan or project context, for one target. */
export function noticesFor(t: RuleRunTarget): NoticeContext {
  const run = (rule: AnyRule, doc: object & { location?: Partial<FindingLocation> }): void =>
    runRule(rule, { ...doc, where: placeOf(t.uri, doc.location) }, undefined, t, { record: false });
  return {
    parseError: (n) => run(parseError, n),
    limitExceeded: (n) => run(limitExceeded, n),
    unsupportedFormat: (n) => run(unsupportedFormat, n),
  };
}
