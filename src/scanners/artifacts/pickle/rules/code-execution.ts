import { PICKLE_CARRIER_KINDS } from "../../kinds";
import type { Rule } from "../../../../types";
import { groupImports, type PickleDocument } from "../document";

const MAX_LISTED = 10;

export const pickleCodeExecution: Rule<PickleDocument> = {
  meta: {
    id: "artifact/pickle-code-execution",
    appliesTo: { kinds: PICKLE_CARRIER_KINDS },
    messages: {
      found: "Pickle imports `{{resolved}}`{{value}} with {{opcode}} at offset {{offset}} {{how}}; it {{reason}}.",
    },
  },
  check(doc, ctx) {
    for (const g of groupImports(doc, "deny")) {
      const j = g.first.judgement;
      if (j.verdict !== "deny") continue;
      const called = g.calls.length > 0;
      const written = `${g.first.module}.${g.first.name}`;
      const how = called ? `and calls it as ${g.calls[0]!.chain}` : "(imported; any later call or attribute use runs it)";
      ctx.report({
        messageId: "found", data: { resolved: g.resolved, value: written !== g.resolved ? ` (written as \`${written}\`)` : "", opcode: g.first.opcode, offset: g.first.offset, how, reason: j.reason },
        location: { offset: g.first.offset },
        evidence: {
          callable: g.resolved,
          imported: `${g.first.module}.${g.first.name}`,
          opcode: g.first.opcode,
          matched: j.matched,
          reason: j.reason,
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
