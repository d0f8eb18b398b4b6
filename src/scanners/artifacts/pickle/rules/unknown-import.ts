import { PICKLE_CARRIER_KINDS } from "../../kinds";
import type { Rule } from "../../../../types";
import { groupImports, type PickleDocument } from "../document";

const MAX_LISTED = 10;

export const pickleUnknownImport: Rule<PickleDocument> = {
  meta: {
    id: "artifact/pickle-unknown-import",
    appliesTo: { kinds: PICKLE_CARRIER_KINDS },
    messages: {
      found: "Pickle imports `{{resolved}}` with {{opcode}} at offset {{offset}}, which is on neither the allow-list nor the deny-list{{calls}}.",
    },
  },
  check(doc, ctx) {
    for (const g of groupImports(doc, "unknown")) {
      ctx.report({
        messageId: "found", data: { resolved: g.resolved, opcode: g.first.opcode, offset: g.first.offset, calls: callSummary(g.calls) },
        location: { offset: g.first.offset },
        evidence: {
          callable: g.resolved,
          imported: `${g.first.module}.${g.first.name}`,
          opcode: g.first.opcode,
          pickle: g.first.pickle,
          occurrences: g.offsets.length,
          offsets: g.offsets.slice(0, MAX_LISTED),
          calls: g.calls.slice(0, MAX_LISTED).map((c) => ({ opcode: c.opcode, offset: c.offset, chain: c.chain })),
        },
        fingerprintKey: g.resolved,
      });
    }
  },
};

/** " and calls it twice and sets its state once": BUILD (__setstate__) is told apart from calls. */
function callSummary(calls: ReadonlyArray<{ opcode: string }>): string {
  const times = (n: number): string => (n === 1 ? "once" : n === 2 ? "twice" : `${n} times`);
  const builds = calls.filter((c) => c.opcode === "BUILD").length;
  const direct = calls.length - builds;
  const parts = [direct > 0 ? `calls it ${times(direct)}` : "", builds > 0 ? `sets its state ${times(builds)}` : ""].filter(Boolean);
  return parts.length > 0 ? ` and ${parts.join(" and ")}` : "";
}
