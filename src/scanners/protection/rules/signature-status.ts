// Shared by the signature rules: each reports the verdicts of one status.

import type { Rule, SignatureStatus } from "../../../types";
import type { SignatureDoc } from "../documents";

/** `template` may use {{signature}} (which signature), {{subject}} (what it covers) and {{reasons}}. */
export function signatureStatusRule(id: string, status: SignatureStatus, template: string): Rule<SignatureDoc> {
  return {
    meta: {
      id,
      appliesTo: { kinds: "*", conditions: ["a detached signature or model signing bundle covers the file"] },
      messages: { [status]: template },
    },
    check(doc, ctx) {
      if (doc.status !== status) return;
      ctx.report({
        messageId: status,
        data: { signature: sigName(doc), subject: doc.subject ?? doc.uri, reasons: doc.reasons.join("; ") },
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
