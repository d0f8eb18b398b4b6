import type { RuleModule } from "../../../core/rule";
import type { SignatureDoc } from "../documents";

export const missingSignature: RuleModule<SignatureDoc> = {
  id: "protection/missing-signature",
  check(doc, ctx) {
    if (doc.status !== "missing") return;
    ctx.report({
      message: `${doc.uri} has no detached signature (NAME.p7s or NAME.sig) and no model signing bundle covers it, although the policy requires one because ${doc.requirement ?? "it is selected by requireSignature"}.`,
      location: { uri: doc.uri },
      evidence: { status: "missing", ...(doc.requirement ? { requirement: doc.requirement } : {}) },
      fingerprintKey: "missing",
    });
  },
};
