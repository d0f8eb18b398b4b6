// Personal data can sit where no cell scan looks: a column named after an e-mail address, a
// label value that is a card number, a trigger phrase holding a phone number. Every finding
// the dataset scanner reports passes through here, so its message, column and evidence carry
// such values only masked, whichever rule wrote them and whatever the output format.

import type { FindingDraft, Rule } from "../../types";
import { maskPersonalData, PiiDetector } from "./analysis/pii";

/** No decoy context: in a name or message, a number introduced as an order number is masked too. */
const detector = new PiiDetector([]);

export function maskText(text: string): string {
  return maskPersonalData(text, detector);
}

function maskValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return maskText(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[maskText(k)] = maskValue(v, depth + 1);
  return out;
}

export function maskDraft(draft: FindingDraft): FindingDraft {
  const out: FindingDraft = { ...draft };
  if (draft.data) out.data = Object.fromEntries(Object.entries(draft.data).map(([k, v]) => [k, typeof v === "string" ? maskText(v) : v]));
  if (draft.location?.column !== undefined) out.location = { ...draft.location, column: maskText(draft.location.column) };
  if (draft.evidence) out.evidence = maskValue(draft.evidence, 0) as Record<string, unknown>;
  return out;
}

/** The rule with every report it makes masked before it becomes a finding (message data, column, evidence). */
export function maskingRule<Doc>(rule: Rule<Doc>): Rule<Doc> {
  return {
    meta: rule.meta,
    check(doc, ctx) {
      rule.check(doc, { settings: ctx.settings, report: (draft) => ctx.report(maskDraft(draft)) });
    },
  };
}
