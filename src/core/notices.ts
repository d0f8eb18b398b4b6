// The tool's own notices (aigis/*), defined as rules like every other: a scanner raises one
// through the notice helpers on its context, which run the rule's check on a small document,
// so each notice has one message template and one evidence shape.

import type { FindingLocation, LimitExceededNotice, ParseErrorNotice, Rule, RulePack, UnsupportedFormatNotice } from "../types";

/** Where a notice is, in words: the archive member when there is one, else the file. */
export interface Placed {
  where: string;
}

const placed = (uri: string, location: Partial<FindingLocation> | undefined): string => (location?.member ? `Member ${location.member} of ${location.uri ?? uri}` : (location?.uri ?? uri));

export const parseError: Rule<ParseErrorNotice & Placed> = {
  meta: {
    id: "aigis/parse-error",
    appliesTo: { kinds: "*", conditions: ["a parser stopped on malformed, truncated or hostile content"] },
    messages: { unreadable: "{{where}} could not be read as {{format}}: {{reason}}." },
  },
  check(doc, ctx) {
    ctx.report({
      messageId: "unreadable",
      data: { where: doc.where, format: doc.format, reason: doc.reason.replace(/\.$/, "") },
      ...(doc.location ? { location: doc.location } : {}),
      ...(doc.severity ? { severity: doc.severity } : {}),
      evidence: { format: doc.format, reason: doc.reason, ...(doc.detail ?? {}) },
      fingerprintKey: `parse:${doc.key ?? `${doc.format}:${doc.location?.member ?? ""}`}`,
    });
  },
};

export const limitExceeded: Rule<LimitExceededNotice & Placed> = {
  meta: {
    id: "aigis/limit-exceeded",
    appliesTo: { kinds: "*", conditions: ["a configured limit stopped a read"] },
    messages: { stopped: "{{what}}: the {{limit}} limit ({{value}}) stopped the read, and what lies beyond it was not checked." },
  },
  check(doc, ctx) {
    ctx.report({
      messageId: "stopped",
      data: { what: doc.what.replace(/\.$/, ""), limit: doc.limit, value: doc.value },
      ...(doc.location ? { location: doc.location } : {}),
      evidence: { limit: doc.limit, value: doc.value, ...(doc.detail ?? {}) },
      fingerprintKey: `limit:${doc.key ?? `${doc.limit}:${doc.location?.member ?? ""}`}`,
    });
  },
};

export const unsupportedFormat: Rule<UnsupportedFormatNotice & Placed> = {
  meta: {
    id: "aigis/unsupported-format",
    appliesTo: { kinds: "*", conditions: ["the content's format was recognised but no scanner checks it"] },
    messages: { unchecked: "{{where}} is {{format}} content, which no aigis scanner checks yet; only its hash was recorded." },
  },
  check(doc, ctx) {
    ctx.report({
      messageId: "unchecked",
      data: { where: doc.where, format: doc.format },
      ...(doc.location ? { location: doc.location } : {}),
      evidence: { format: doc.format, ...(doc.reason ? { reason: doc.reason } : {}) },
      fingerprintKey: `unsupported:${doc.key ?? doc.format}`,
    });
  },
};

export interface IoErrorDoc extends Placed {
  reason: string;
  /** "open", "read", "discover": where the I/O failed. */
  stage: string;
}
export const ioError: Rule<IoErrorDoc> = {
  meta: {
    id: "aigis/io-error",
    appliesTo: { kinds: "*", conditions: ["the file could not be opened or read"] },
    messages: { unreadable: "{{where}} could not be {{action}}: {{reason}}." },
  },
  check(doc, ctx) {
    ctx.report({ messageId: "unreadable", data: { where: doc.where, action: doc.stage === "open" ? "opened" : "read", reason: doc.reason.replace(/\.$/, "") }, evidence: { reason: doc.reason, stage: doc.stage }, fingerprintKey: doc.stage });
  },
};

export interface RuleErrorDoc extends Placed {
  rule: string;
  reason: string;
}
export const ruleError: Rule<RuleErrorDoc> = {
  meta: {
    id: "aigis/rule-error",
    appliesTo: { kinds: "*", conditions: ["a rule threw or reported something its contract forbids"] },
    messages: { failed: "Rule {{rule}} failed on {{where}}: {{reason}}; it did not assess this target, so its findings here may be missing." },
  },
  check(doc, ctx) {
    ctx.report({ messageId: "failed", data: { rule: doc.rule, where: doc.where, reason: doc.reason.replace(/\.$/, "") }, evidence: { rule: doc.rule, reason: doc.reason }, fingerprintKey: doc.rule });
  },
};

export interface ExpiredSuppressionDoc {
  index: number;
  file: string;
  what: string;
  expires: string;
  matches: number;
  justification: string;
  author?: string;
  line?: number;
  key: string;
}
export const expiredSuppression: Rule<ExpiredSuppressionDoc> = {
  meta: {
    id: "aigis/expired-suppression",
    appliesTo: { kinds: "*", conditions: ["a suppressions file is given"] },
    messages: {
      expiredOne: "Suppression {{index}} in {{file}} ({{what}}) expired on {{expires}}; the finding it matched counts again.",
      expiredMany: "Suppression {{index}} in {{file}} ({{what}}) expired on {{expires}}; the {{matches}} findings it matched count again.",
    },
  },
  check(doc, ctx) {
    ctx.report({
      messageId: doc.matches === 1 ? "expiredOne" : "expiredMany",
      data: { index: doc.index + 1, file: doc.file, what: doc.what, expires: doc.expires, matches: doc.matches },
      location: doc.line !== undefined ? { line: doc.line } : {},
      evidence: { expires: doc.expires, justification: doc.justification, ...(doc.author ? { author: doc.author } : {}), matches: doc.matches },
      fingerprintKey: doc.key,
    });
  },
};

export const AIGIS_NOTICES: RulePack = {
  id: "aigis",
  rules: [parseError, limitExceeded, unsupportedFormat, ioError, ruleError, expiredSuppression],
};

export { placed as placeOf };
export type { LimitExceededNotice, ParseErrorNotice, UnsupportedFormatNotice };
