// RuleTester cases for every protection rule: documents in, findings out.
import { runRuleTests } from "../../../helpers/rule-tester";
import type { EncryptionDoc, FileModeDoc, IntegrityDoc, SignatureDoc } from "../../../../src/scanners/protection/documents";
import { integrityMismatch } from "../../../../src/scanners/protection/rules/integrity-mismatch";
import { missingSignature } from "../../../../src/scanners/protection/rules/missing-signature";
import { signatureExpired } from "../../../../src/scanners/protection/rules/signature-expired";
import { signatureInvalid } from "../../../../src/scanners/protection/rules/signature-invalid";
import { signatureUntrusted } from "../../../../src/scanners/protection/rules/signature-untrusted";
import { unencryptedArtifact } from "../../../../src/scanners/protection/rules/unencrypted-artifact";
import { unlistedFile } from "../../../../src/scanners/protection/rules/unlisted-file";
import { weakSignature } from "../../../../src/scanners/protection/rules/weak-signature";
import { worldReadablePersonalData } from "../../../../src/scanners/protection/rules/world-readable-personal-data";
import { worldWritable } from "../../../../src/scanners/protection/rules/world-writable";
import type { SignatureStatus } from "../../../../src/types";

const enc = (over: Partial<EncryptionDoc>): EncryptionDoc => ({ uri: "models/m.pt", kind: "pytorch-zip", protection: { state: "plaintext" }, detail: "readable", ...over });

runRuleTests(unencryptedArtifact, {
  valid: [
    { name: "plaintext with no policy", doc: enc({}) },
    { name: "encrypted where required", doc: enc({ kind: "age", protection: { state: "encrypted", scheme: "age" }, requirement: "it is a model file (pytorch-zip)" }) },
  ],
  invalid: [
    { name: "plaintext where required", doc: enc({ requirement: "it is a model file (pytorch-zip)" }), findings: [{ message: "models/m.pt is stored plaintext although the policy requires encryption at rest because it is a model file", location: { uri: "models/m.pt" }, evidence: { state: "plaintext" } }] },
    { name: "compressed is not encrypted", doc: enc({ kind: "gzip", protection: { state: "compressed", scheme: "gzip" }, requirement: "kind is gzip" }), findings: [{ message: "compressed (gzip)", evidence: { scheme: "gzip" } }] },
    { name: "unknown high entropy is medium", doc: enc({ kind: "unknown", protection: { state: "unknown-high-entropy" }, requirement: "path matches secure/**" }), findings: [{ message: "no encryption format aigis recognises", severity: "medium" }] },
  ],
});

const sig = (status: SignatureStatus, over: Partial<SignatureDoc> = {}): SignatureDoc => ({ uri: "m.pt", signatureUri: "m.pt.p7s", via: "cms", status, reasons: [`reason for ${status}`], ...over });
const others = (rule: string, keep: SignatureStatus): Array<{ name: string; doc: SignatureDoc }> =>
  (["valid", "invalid", "untrusted", "expired", "weak", "missing"] as SignatureStatus[]).filter((s) => s !== keep).map((s) => ({ name: `${rule} ignores ${s}`, doc: sig(s) }));

runRuleTests(signatureInvalid, {
  valid: others("invalid", "invalid"),
  invalid: [
    { name: "tampered content", doc: sig("invalid"), findings: [{ message: "The signature m.pt.p7s does not verify for m.pt: reason for invalid.", location: { uri: "m.pt" }, evidence: { signature: "m.pt.p7s" } }] },
    { name: "bundle over a folder", doc: sig("invalid", { uri: "b.sig", signatureUri: "b.sig", via: "bundle", subject: "model folder m/" }), findings: [{ message: "model signing bundle b.sig does not verify for model folder m/" }] },
  ],
});
runRuleTests(signatureUntrusted, { valid: others("untrusted", "untrusted"), invalid: [{ name: "unknown CA", doc: sig("untrusted", { signer: "x" }), findings: [{ message: "is not from a trusted signer: reason for untrusted.", evidence: { signer: "x" } }] }] });
runRuleTests(signatureExpired, { valid: others("expired", "expired"), invalid: [{ name: "expired certificate", doc: sig("expired"), findings: [{ message: "outside its validity" }] }] });
runRuleTests(weakSignature, { valid: others("weak", "weak"), invalid: [{ name: "RSA-1024", doc: sig("weak"), findings: [{ message: "weak cryptography" }] }] });
runRuleTests(missingSignature, {
  valid: others("missing", "missing"),
  invalid: [{ name: "required and absent", doc: sig("missing", { via: "policy", requirement: "it is a model file (onnx)" }), findings: [{ message: "m.pt has no detached signature", evidence: { requirement: "it is a model file (onnx)" } }] }],
});

const sha = (c: string): string => c.repeat(64);
const integrity = (over: Partial<IntegrityDoc>): IntegrityDoc => ({ source: { uri: "d/SHA256SUMS", type: "manifest" }, entries: [], unlisted: [], ...over });
runRuleTests(integrityMismatch, {
  valid: [{ name: "all match", doc: integrity({ entries: [{ uri: "d/a", name: "a", expected: sha("a"), actual: sha("a"), line: 1 }], unlisted: ["d/x"] }) }],
  invalid: [
    {
      name: "modified and missing files",
      doc: integrity({ entries: [{ uri: "d/a", name: "a", expected: sha("a"), actual: sha("b"), line: 1 }, { uri: "d/gone", name: "gone", expected: sha("c"), actual: null, line: 2 }] }),
      findings: [
        { message: "d/a does not match the SHA-256 recorded in checksum manifest d/SHA256SUMS", location: { uri: "d/a" }, evidence: { expectedSha256: sha("a"), actualSha256: sha("b") } },
        { message: "gone is listed in checksum manifest d/SHA256SUMS but is missing", location: { uri: "d/SHA256SUMS", line: 2 } },
      ],
    },
  ],
});
runRuleTests(unlistedFile, {
  valid: [{ name: "nothing unlisted", doc: integrity({}) }],
  invalid: [{ name: "extra file in a signed folder", doc: integrity({ source: { uri: "m.sig", type: "bundle" }, unlisted: ["m/extra.pkl"] }), findings: [{ message: "m/extra.pkl sits in the folder covered by model signing bundle m.sig", location: { uri: "m/extra.pkl" } }] }],
});

const mode = (over: Partial<FileModeDoc>): FileModeDoc => ({ uri: "m.onnx", kind: "onnx", category: "model", mode: 0o100644, personalData: false, ...over });
runRuleTests(worldWritable, {
  valid: [
    { name: "0644 model", doc: mode({}) },
    { name: "world-writable text file that is neither model nor data", doc: { uri: "notes.txt", kind: "text", mode: 0o100666, personalData: false } },
  ],
  invalid: [
    { name: "0666 model", doc: mode({ mode: 0o100666 }), findings: [{ message: "m.onnx is world-writable (mode 0666)", evidence: { mode: "0666" } }] },
    { name: "0777 data", doc: mode({ uri: "d.csv", kind: "csv", category: "data", mode: 0o100777 }), findings: [{ message: "data file" }] },
  ],
});
runRuleTests(worldReadablePersonalData, {
  valid: [
    { name: "world-readable without personal data", doc: mode({}) },
    { name: "personal data readable by owner and group only", doc: mode({ kind: "csv", category: "data", personalData: true, mode: 0o100640 }) },
  ],
  invalid: [{ name: "0644 personal data", doc: mode({ uri: "p.csv", kind: "csv", category: "data", personalData: true }), findings: [{ message: "p.csv holds personal data and is world-readable (mode 0644)" }] }],
});
