import { signatureStatusRule, sigName } from "./signature-status";

export const signatureExpired = signatureStatusRule("protection/signature-expired", "expired", (d) => `The ${sigName(d)} over ${d.subject ?? d.uri} relies on a certificate outside its validity`);
