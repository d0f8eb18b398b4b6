import type { RuleModule } from "../../../core/rule";
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

export const encryptionRules: ReadonlyArray<RuleModule<EncryptionDoc>> = [unencryptedArtifact];
export const signatureRules: ReadonlyArray<RuleModule<SignatureDoc>> = [signatureInvalid, signatureUntrusted, signatureExpired, weakSignature, missingSignature];
export const integrityRules: ReadonlyArray<RuleModule<IntegrityDoc>> = [integrityMismatch, unlistedFile];
export const fileModeRules: ReadonlyArray<RuleModule<FileModeDoc>> = [worldWritable, worldReadablePersonalData];

export const ALL_RULE_IDS: ReadonlyArray<string> = [...encryptionRules, ...signatureRules, ...integrityRules, ...fileModeRules].map((r) => r.id);
