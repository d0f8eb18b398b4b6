import type { RuleModule } from "../../../core/rule";
import type { IntegrityDoc } from "../documents";

export const integrityMismatch: RuleModule<IntegrityDoc> = {
  id: "protection/integrity-mismatch",
  check(doc, ctx) {
    const what = doc.source.type === "manifest" ? `checksum manifest ${doc.source.uri}` : `model signing bundle ${doc.source.uri}`;
    for (const e of doc.entries) {
      if (e.actual === e.expected) continue;
      const evidence = { source: doc.source.uri, sourceType: doc.source.type, name: e.name, expectedSha256: e.expected, actualSha256: e.actual, ...(e.line ? { line: e.line } : {}) };
      if (e.actual === null) {
        ctx.report({
          message: `${e.name} is listed in ${what} but is missing.`,
          location: { uri: doc.source.uri, ...(e.line ? { line: e.line } : {}) },
          evidence,
          fingerprintKey: `missing:${e.name}`,
        });
      } else {
        ctx.report({
          message: `${e.uri} does not match the SHA-256 recorded in ${what} (modified after it was recorded).`,
          location: { uri: e.uri },
          evidence,
          fingerprintKey: `mismatch:${doc.source.uri}`,
        });
      }
    }
  },
};
