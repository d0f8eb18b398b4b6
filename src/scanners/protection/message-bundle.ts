// Sigstore bundles over one file with a message signature (what `cosign sign-blob --bundle`
// and `sigstore sign` write as NAME.sigstore.json): the SHA-256 message digest against the
// file, the signature over the file's bytes with the bundle's certificate (chained to a trust
// anchor) or a trusted public key, and the transparency-log entry (`hashedrekord`) offline.

import { createHash, createVerify, type KeyObject, type X509Certificate } from "node:crypto";
import { createReadStream } from "node:fs";
import { buildChain, unanchoredVerdict, type SignatureVerdict } from "./cms";
import { materialOf, NO_LOG_KEY_REASON, type BundleOptions } from "./bundle";
import { verifyTlogEntries } from "./tlog";
import { certDates, commonName, keyStrength, type TrustStore } from "./x509";

const asObject = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

export function isMessageSignatureBundle(doc: unknown): boolean {
  const o = asObject(doc);
  return typeof o?.mediaType === "string" && o.mediaType.startsWith("application/vnd.dev.sigstore.bundle") && asObject(o.messageSignature) !== undefined;
}

/** Streams the file once: its SHA-256 and, for each key, whether the signature verifies over its bytes. */
async function digestAndVerify(path: string, keys: KeyObject[], signature: Buffer): Promise<{ sha256: Buffer; verified: boolean[] }> {
  const hash = createHash("sha256");
  const verifiers = keys.map(() => createVerify("sha256"));
  await new Promise<void>((resolve, reject) => {
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on("data", (c) => {
        hash.update(c);
        for (const v of verifiers) v.update(c);
      })
      .on("error", reject)
      .on("end", () => resolve());
  });
  const verified = keys.map((k, i) => {
    try {
      return verifiers[i]!.verify(k, signature);
    } catch {
      return false;
    }
  });
  return { sha256: hash.digest(), verified };
}

/** Verifies a message-signature bundle over the file at contentPath; malformed input is an invalid verdict. */
export async function verifyMessageBundle(text: string, contentPath: string, trust: TrustStore, options: BundleOptions): Promise<SignatureVerdict> {
  let bundle: Record<string, unknown>;
  let digest: Buffer;
  let signature: Buffer;
  let material: ReturnType<typeof materialOf>;
  try {
    const parsed = asObject(JSON.parse(text));
    const ms = asObject(parsed?.messageSignature);
    const md = asObject(ms?.messageDigest);
    if (!parsed || !ms || typeof ms.signature !== "string") throw new Error("the bundle has no message signature");
    if (md && md.algorithm !== "SHA2_256") throw new Error(`message digest algorithm ${String(md.algorithm)} is not SHA2_256`);
    bundle = parsed;
    digest = Buffer.from(typeof md?.digest === "string" ? md.digest : "", "base64");
    signature = Buffer.from(ms.signature, "base64");
    material = materialOf(bundle);
  } catch (e) {
    return { status: "invalid", reasons: [`the bundle could not be read: ${(e as Error).message}`] };
  }
  const invalid: string[] = [];
  const untrusted: string[] = [];
  const expired: string[] = [];
  const weak: string[] = [];
  const verdict: Partial<SignatureVerdict> = { signatureAlgorithm: "Sigstore message signature", digestAlgorithm: "sha256" };
  const leaf: X509Certificate | undefined = material.certificates[0];
  const keys = leaf ? [leaf.publicKey] : [...trust.publicKeys, ...trust.certificates.map((c) => c.publicKey)];
  const { sha256, verified } = await digestAndVerify(contentPath, keys, signature);
  if (digest.length > 0 && !digest.equals(sha256)) invalid.push("the file's SHA-256 differs from the signed message digest (modified after signing)");

  const logs = options.logs ?? [];
  let logTime: Date | undefined;
  const logNotes: string[] = [];
  const logUnchecked = material.tlogEntries.length > 0 && logs.length === 0;
  if (material.tlogEntries.length > 0 && logs.length > 0) {
    const t = verifyTlogEntries(material.tlogEntries, { payloadSha256: sha256, signatures: [signature] }, leaf, logs);
    invalid.push(...t.invalid);
    untrusted.push(...t.untrusted);
    logNotes.push(...t.verified);
    logTime = t.integratedTime;
  }

  let noKeyToCheck = false;
  if (leaf) {
    verdict.signer = (/(^|\n|,\s*)CN=/.test(leaf.subject) ? commonName(leaf.subject) : undefined) || leaf.subjectAltName || commonName(leaf.subject) || "certificate";
    const strength = keyStrength(leaf.publicKey, options.weak);
    verdict.key = strength.description;
    if (strength.weakReason) weak.push(strength.weakReason);
    if (!verified[0]) invalid.push("the signature over the file does not verify with the bundle's certificate");
    const { chain, anchored, problem } = buildChain(leaf, material.certificates.slice(1), trust);
    if (!anchored && trust.certificates.length > 0) untrusted.push(problem ?? "no chain to a trust anchor");
    else if (anchored) verdict.anchor = commonName(chain[chain.length - 1]!.subject);
    const at = logTime ?? (logs.length === 0 ? material.integratedTime : undefined) ?? options.now;
    for (const c of chain) {
      const { notBefore, notAfter } = certDates(c);
      if (at > notAfter || at < notBefore) expired.push(`certificate "${commonName(c.subject)}" was not valid at ${at.toISOString()}${logTime ? " (the logged time)" : ""}`);
    }
  } else {
    const i = verified.indexOf(true);
    if (i >= 0) {
      const strength = keyStrength(keys[i]!, options.weak);
      verdict.key = strength.description;
      verdict.signer = `public key ${createHash("sha256").update(keys[i]!.export({ type: "spki", format: "der" })).digest("base64").slice(0, 16)}`;
      if (strength.weakReason) weak.push(strength.weakReason);
    } else if (keys.length === 0) {
      noKeyToCheck = true;
    } else {
      untrusted.push("the signature does not verify with any trusted public key");
    }
  }

  if (logUnchecked && leaf && invalid.length === 0 && (trust.certificates.length > 0 || trust.publicKeys.length > 0)) {
    return { ...verdict, status: "unverified", reasons: [`the signature verifies with the certificate of ${verdict.signer}; ${NO_LOG_KEY_REASON}`, ...[...untrusted, ...expired, ...weak].map((n) => `once the log is checked, this would matter: ${n}`)] };
  }
  if (trust.certificates.length === 0 && trust.publicKeys.length === 0) {
    const what = noKeyToCheck ? "the bundle carries no certificate and no public key was given, so its signature could not be checked" : `the signature over the file verifies with the certificate of ${verdict.signer} (${verdict.key})`;
    return unanchoredVerdict(verdict, { invalid, untrusted, expired, weak }, what);
  }
  const status: SignatureVerdict["status"] = invalid.length ? "invalid" : untrusted.length ? "untrusted" : expired.length ? "expired" : weak.length ? "weak" : "valid";
  const reasons = [...invalid, ...untrusted, ...expired, ...weak];
  if (status === "valid") reasons.push(`message signature by ${verdict.signer} (${verdict.key}) verified over the file's SHA-256`, ...logNotes);
  return { ...verdict, status, reasons };
}
