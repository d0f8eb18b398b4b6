import type { Rule } from "../../../types";
import type { IntegrityDoc } from "../documents";

export const integrityMismatch: Rule<IntegrityDoc> = {
  meta: {
    id: "protection/integrity-mismatch",
    appliesTo: { kinds: "*", conditions: ["a SHA256SUMS manifest or model signing bundle lists the file or its folder"] },
    messages: {
      found: "{{name}} is listed in {{what}} but is missing.",
      found2: "{{uri}} does not match the SHA-256 recorded in {{what}} (modified after it was recorded).",
    },
  },
  check(doc, ctx) {
    const what = doc.source.type === "manifest" ? `checksum manifest ${doc.source.uri}` : `model signing bundle ${doc.source.uri}`;
    for (const e of doc.entries) {
      if (e.actual === e.expected) continue;
      const evidence = { source: doc.source.uri, sourceType: doc.source.type, name: e.name, expectedSha256: e.expected, actualSha256: e.actual, ...(e.line ? { line: e.line } : {}) };
      if (e.actual === null) {
        ctx.report({
          messageId: "found", data: { name: e.name, what },
          location: { uri: doc.source.uri, ...(e.line ? { line: e.line } : {}) },
          evidence,
          fingerprintKey: `missing:${e.name}`,
        });
      } else {
        ctx.report({
          messageId: "found2", data: { uri: e.uri, what },
          location: { uri: e.uri },
          evidence,
          fingerprintKey: `mismatch:${doc.source.uri}`,
        });
      }
    }
  },
};
