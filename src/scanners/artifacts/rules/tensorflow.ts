import { ARCHIVE_KINDS } from "../kinds";
import type { Rule } from "../../../types";
import { formatLists } from "../formats/lists";
import type { SavedModelDocument } from "../formats/savedmodel";

export const tfUnsafeOp: Rule<SavedModelDocument> = {
  meta: {
    id: "artifact/tf-unsafe-op",
    appliesTo: { kinds: ["tf-saved-model", ...ARCHIVE_KINDS] },
    messages: {
      found: "{{where}} uses the {{op}} op (node {{name}}{{value}}), which {{reason}}.",
    },
  },
  check(doc, ctx) {
    const unsafe = new Map(formatLists().tensorflow.unsafeOps.map((o) => [o.op, o]));
    const seen = new Map<string, { count: number; first: (typeof doc.nodes)[number] }>();
    for (const n of doc.nodes) {
      if (!unsafe.has(n.op)) continue;
      const key = `${n.op}\0${n.fn}`;
      const s = seen.get(key);
      if (s) s.count++;
      else seen.set(key, { count: 1, first: n });
    }
    for (const { count, first } of seen.values()) {
      const o = unsafe.get(first.op)!;
      const where = first.fn ? `SavedModel function ${JSON.stringify(first.fn)}` : "The SavedModel's main graph";
      ctx.report({
        messageId: "found", data: { where, op: first.op, name: JSON.stringify(first.name), value: count > 1 ? ` and ${count - 1} more` : "", reason: o.reason },
        severity: o.severity,
        evidence: { op: first.op, node: first.name, function: first.fn, occurrences: count, metaGraph: first.metaGraph },
        fingerprintKey: `${first.op}:${first.fn}`,
      });
    }
  },
};
