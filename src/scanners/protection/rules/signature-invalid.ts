import { signatureStatusRule } from "./signature-status";

export const signatureInvalid = signatureStatusRule("protection/signature-invalid", "invalid", "The {{signature}} does not verify for {{subject}}: {{reasons}}.");
