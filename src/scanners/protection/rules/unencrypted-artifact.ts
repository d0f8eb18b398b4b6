import type { Rule } from "../../../types";
import type { EncryptionDoc } from "../documents";

export const unencryptedArtifact: Rule<EncryptionDoc> = {
  meta: {
    id: "protection/unencrypted-artifact",
    appliesTo: { kinds: "*", conditions: ["the encryption policy selects the file"] },
    requires: [{ id: "encryption-policy", description: "an encryption policy (scanners.protection.requireEncryption) that selects the file", isMet: (doc) => doc.requirement !== undefined }],
    messages: {
      found: "{{uri}} must be encrypted at rest because {{requirement}}, and its high-entropy content is in no encryption format aigis recognises.",
      found2: "{{uri}} is stored {{state}} although the policy requires encryption at rest because {{requirement}}.",
    },
  },
  check(doc, ctx) {
    if (!doc.requirement || doc.protection.state === "encrypted") return;
    const state = doc.protection.scheme ? `${doc.protection.state} (${doc.protection.scheme})` : doc.protection.state;
    const unknown = doc.protection.state === "unknown-high-entropy";
    ctx.report({
      messageId: unknown ? "found" : "found2", data: { uri: doc.uri, requirement: doc.requirement, state },
      location: { uri: doc.uri },
      // An unrecognised high-entropy file may be encrypted by a tool aigis does not know.
      ...(unknown ? { severity: "medium" as const } : {}),
      evidence: { state: doc.protection.state, ...(doc.protection.scheme ? { scheme: doc.protection.scheme } : {}), kind: doc.kind, requirement: doc.requirement, detail: doc.detail },
      fingerprintKey: "unencrypted",
    });
  },
};
