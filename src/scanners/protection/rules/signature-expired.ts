import { signatureStatusRule } from "./signature-status";

export const signatureExpired = signatureStatusRule("protection/signature-expired", "expired", "The {{signature}} over {{subject}} relies on a certificate outside its validity: {{reasons}}.");
