import { signatureStatusRule, sigName } from "./signature-status";

export const signatureInvalid = signatureStatusRule("protection/signature-invalid", "invalid", (d) => `The ${sigName(d)} does not verify for ${d.subject ?? d.uri}`);
