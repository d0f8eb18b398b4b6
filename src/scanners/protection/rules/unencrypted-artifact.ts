import type { RuleModule } from "../../../core/rule";
import type { EncryptionDoc } from "../documents";

export const unencryptedArtifact: RuleModule<EncryptionDoc> = {
  id: "protection/unencrypted-artifact",
  check(doc, ctx) {
    if (!doc.requirement || doc.protection.state === "encrypted") return;
    const state = doc.protection.scheme ? `${doc.protection.state} (${doc.protection.scheme})` : doc.protection.state;
    const unknown = doc.protection.state === "unknown-high-entropy";
    ctx.report({
      message: unknown
        ? `${doc.uri} must be encrypted at rest because ${doc.requirement}, and its high-entropy content is in no encryption format aigis recognises.`
        : `${doc.uri} is stored ${state} although the policy requires encryption at rest because ${doc.requirement}.`,
      location: { uri: doc.uri },
      // An unrecognised high-entropy file may be encrypted by a tool aigis does not know.
      ...(unknown ? { severity: "medium" as const } : {}),
      evidence: { state: doc.protection.state, ...(doc.protection.scheme ? { scheme: doc.protection.scheme } : {}), kind: doc.kind, requirement: doc.requirement, detail: doc.detail },
      fingerprintKey: "unencrypted",
    });
  },
};
