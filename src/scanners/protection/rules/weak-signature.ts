import { signatureStatusRule, sigName } from "./signature-status";

export const weakSignature = signatureStatusRule("protection/weak-signature", "weak", (d) => `The ${sigName(d)} over ${d.subject ?? d.uri} verifies but uses weak cryptography`);
