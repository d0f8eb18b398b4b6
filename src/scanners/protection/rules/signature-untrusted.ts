import { signatureStatusRule } from "./signature-status";

export const signatureUntrusted = signatureStatusRule("protection/signature-untrusted", "untrusted", "The {{signature}} over {{subject}} is not from a trusted signer: {{reasons}}.");
