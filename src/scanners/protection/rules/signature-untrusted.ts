import { signatureStatusRule, sigName } from "./signature-status";

export const signatureUntrusted = signatureStatusRule("protection/signature-untrusted", "untrusted", (d) => `The ${sigName(d)} over ${d.subject ?? d.uri} is not from a trusted signer`);
