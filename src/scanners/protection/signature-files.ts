// Signature files themselves (detached CMS / PKCS#7, Sigstore and model signing bundles,
// SHA256SUMS manifests) are protection artifacts: their structure is checked here, file by
// file, and what they cover is verified across files by the project pass (project.ts).
// Without this, a scanned `.p7s` would be reported as a format no scanner reads.

import { createPublicKey, X509Certificate } from "node:crypto";
import type { ScanContext, ScanFile, ScannerPlugin, TargetKind } from "../../types";
import { parseSignedData, signatureDer } from "./cms";
import { parseSha256Manifest } from "./manifest";

export const SIGNATURE_FILE_KINDS: ReadonlyArray<TargetKind> = ["cms-signature", "sigstore-bundle", "checksum-manifest", "pem"];

/** Largest signature file whose structure is checked here (the project pass has the same bound). */
export const MAX_SIGNATURE_FILE_BYTES = 16 * 1024 * 1024;

const asObject = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** Why a signature file's structure is broken, or undefined when it reads. */
export function signatureFileProblem(kind: TargetKind, bytes: Buffer): { format: string; reason: string } | undefined {
  if (kind === "cms-signature") {
    try {
      parseSignedData(signatureDer(bytes));
      return undefined;
    } catch (e) {
      return { format: "CMS SignedData", reason: (e as Error).message };
    }
  }
  if (kind === "sigstore-bundle") {
    let doc: Record<string, unknown> | undefined;
    try {
      doc = asObject(JSON.parse(bytes.toString("utf8")));
    } catch (e) {
      return { format: "Sigstore bundle", reason: (e as Error).message };
    }
    if (!doc || (!asObject(doc.dsseEnvelope) && !asObject(doc.messageSignature))) return { format: "Sigstore bundle", reason: "neither dsseEnvelope nor messageSignature is present" };
    if (!asObject(doc.verificationMaterial)) return { format: "Sigstore bundle", reason: "verificationMaterial is missing" };
    return undefined;
  }
  if (kind === "pem") return pemProblem(bytes.toString("latin1"));
  const { entries, malformed } = parseSha256Manifest(bytes.toString("utf8"));
  if (entries.length === 0) return { format: "SHA256SUMS manifest", reason: "no checksum line" };
  if (malformed.length > 0) return { format: "SHA256SUMS manifest", reason: `line ${malformed[0]} is not a checksum line` };
  return undefined;
}

/**
 * PEM files around signing (certificates, public keys, trust anchors, armored OpenPGP
 * signatures): every block must be complete base64, and certificates and public keys must
 * parse. Private keys are not read.
 */
function pemProblem(text: string): { format: string; reason: string } | undefined {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g)];
  if (blocks.length === 0) return { format: "PEM", reason: "no complete BEGIN / END block" };
  for (const [block, label, body, end] of blocks) {
    if (label !== end) return { format: "PEM", reason: `block ${label} ends with ${end}` };
    if (label!.includes("PRIVATE KEY") || label!.startsWith("PGP")) continue;
    const b64 = body!.split(/\r?\n/).filter((l) => l !== "" && !/^[A-Za-z-]+: /.test(l)).join("");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return { format: "PEM", reason: `block ${label} is not base64` };
    try {
      if (label === "CERTIFICATE" || label === "TRUSTED CERTIFICATE") new X509Certificate(block);
      else if (label === "PUBLIC KEY") createPublicKey(block);
    } catch (e) {
      return { format: `PEM ${label!.toLowerCase()}`, reason: (e as Error).message };
    }
  }
  return undefined;
}

/**
 * A plugin of its own (registered in src/plugins.ts) so signature files have a scanner that
 * reads their format; the kinds are declared, with their detectors, by the protection scanner.
 */
export const signatureFileScanner: ScannerPlugin = {
  id: "signature-files",
  kinds: SIGNATURE_FILE_KINDS,
  rules: [],
  async scan(file: ScanFile, ctx: ScanContext): Promise<void> {
    if (file.size > MAX_SIGNATURE_FILE_BYTES) {
      ctx.limitExceeded({ what: `${file.uri} is ${file.size} bytes, more than is read for a signature file; its structure was not checked`, limit: "signatureBytes", value: MAX_SIGNATURE_FILE_BYTES, key: "signature-file-size" });
      return;
    }
    const problem = signatureFileProblem(file.kind, await file.file.read(0, file.size));
    if (!problem) return;
    ctx.parseError({ format: problem.format, reason: problem.reason, key: `signature-file:${file.kind}` });
  },
};

export { signatureFileScanner as scanner };
