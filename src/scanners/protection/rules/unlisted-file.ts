import type { Rule } from "../../../types";
import type { IntegrityDoc } from "../documents";

export const unlistedFile: Rule<IntegrityDoc> = {
  meta: {
    id: "protection/unlisted-file",
    appliesTo: { kinds: "*", conditions: ["a SHA256SUMS manifest or model signing bundle lists the file or its folder"] },
    messages: {
      found: "{{uri}} sits in the folder covered by {{what}} but is not listed there, so its integrity is not protected.",
    },
  },
  check(doc, ctx) {
    const what = doc.source.type === "manifest" ? `checksum manifest ${doc.source.uri}` : `model signing bundle ${doc.source.uri}`;
    for (const uri of doc.unlisted) {
      ctx.report({
        messageId: "found", data: { uri, what },
        location: { uri },
        evidence: { source: doc.source.uri, sourceType: doc.source.type },
        fingerprintKey: `unlisted:${doc.source.uri}`,
      });
    }
  },
};
