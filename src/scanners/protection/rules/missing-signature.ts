import type { Rule } from "../../../types";
import type { SignatureDoc } from "../documents";

export const missingSignature: Rule<SignatureDoc> = {
  meta: {
    id: "protection/missing-signature",
    appliesTo: { kinds: "*", conditions: ["the signature policy selects the file"] },
    requires: [{ id: "signature-policy", description: "a signature policy (scanners.protection.requireSignature) that selects the file", isMet: (doc) => doc.requirement !== undefined }],
    messages: {
      found: "{{uri}} has no detached signature (NAME.p7s or NAME.sig) and no model signing bundle covers it, although the policy requires one because {{value}}.",
    },
  },
  check(doc, ctx) {
    if (doc.status !== "missing") return;
    ctx.report({
      messageId: "found", data: { uri: doc.uri, value: doc.requirement ?? "it is selected by requireSignature" },
      location: { uri: doc.uri },
      evidence: { status: "missing", ...(doc.requirement ? { requirement: doc.requirement } : {}) },
      fingerprintKey: "missing",
    });
  },
};
