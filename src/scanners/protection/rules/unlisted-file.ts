import type { RuleModule } from "../../../core/rule";
import type { IntegrityDoc } from "../documents";

export const unlistedFile: RuleModule<IntegrityDoc> = {
  id: "protection/unlisted-file",
  check(doc, ctx) {
    const what = doc.source.type === "manifest" ? `checksum manifest ${doc.source.uri}` : `model signing bundle ${doc.source.uri}`;
    for (const uri of doc.unlisted) {
      ctx.report({
        message: `${uri} sits in the folder covered by ${what} but is not listed there, so its integrity is not protected.`,
        location: { uri },
        evidence: { source: doc.source.uri, sourceType: doc.source.type },
        fingerprintKey: `unlisted:${doc.source.uri}`,
      });
    }
  },
};
