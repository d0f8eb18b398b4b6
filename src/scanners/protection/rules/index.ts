import type { Rule } from "../../../types";
import type { EncryptionDoc, FileModeDoc, IntegrityDoc, SignatureDoc } from "../documents";
import { integrityMismatch } from "./integrity-mismatch";
import { missingSignature } from "./missing-signature";
import { signatureExpired } from "./signature-expired";
import { signatureInvalid } from "./signature-invalid";
import { signatureUntrusted } from "./signature-untrusted";
import { unencryptedArtifact } from "./unencrypted-artifact";
import { unlistedFile } from "./unlisted-file";
import { weakSignature } from "./weak-signature";
import { worldReadablePersonalData } from "./world-readable-personal-data";
import { worldWritable } from "./world-writable";

export const encryptionRules: ReadonlyArray<Rule<EncryptionDoc>> = [unencryptedArtifact];
export const signatureRules: ReadonlyArray<Rule<SignatureDoc>> = [signatureInvalid, signatureUntrusted, signatureExpired, weakSignature, missingSignature];
export const integrityRules: ReadonlyArray<Rule<IntegrityDoc>> = [integrityMismatch, unlistedFile];
export const fileModeRules: ReadonlyArray<Rule<FileModeDoc>> = [worldWritable, worldReadablePersonalData];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ALL_RULES: ReadonlyArray<Rule<any>> = [...encryptionRules, ...signatureRules, ...integrityRules, ...fileModeRules];
export const ALL_RULE_IDS: ReadonlyArray<string> = ALL_RULES.map((r) => r.meta.id);
