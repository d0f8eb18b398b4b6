// Shared by the signature rules: each reports the verdicts of one status.

import type { RuleModule } from "../../../core/rule";
import type { SignatureStatus } from "../../../types";
import type { SignatureDoc } from "../documents";

export function signatureStatusRule(id: string, status: SignatureStatus, describe: (doc: SignatureDoc) => string): RuleModule<SignatureDoc> {
  return {
    id,
    check(doc, ctx) {
      if (doc.status !== status) return;
      ctx.report({
        message: `${describe(doc)}: ${doc.reasons.join("; ")}.`,
        location: { uri: doc.uri },
        evidence: {
          status: doc.status,
          via: doc.via,
          ...(doc.signatureUri ? { signature: doc.signatureUri } : {}),
          ...(doc.signer ? { signer: doc.signer } : {}),
          reasons: doc.reasons,
          ...(doc.evidence ?? {}),
        },
        fingerprintKey: `${status}:${doc.signatureUri ?? ""}`,
      });
    },
  };
}

export const sigName = (doc: SignatureDoc): string => (doc.via === "bundle" ? `model signing bundle ${doc.signatureUri ?? ""}` : `signature ${doc.signatureUri ?? ""}`);
