import { signatureStatusRule } from "./signature-status";

export const weakSignature = signatureStatusRule("protection/weak-signature", "weak", "The {{signature}} over {{subject}} verifies but uses weak cryptography: {{reasons}}.");
