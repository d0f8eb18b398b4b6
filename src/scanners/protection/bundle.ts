// OpenSSF model signing (sigstore/model-transparency): a Sigstore bundle holding a DSSE
// envelope over an in-toto statement whose predicate.resources (or, in the older format,
// subjects) list each file's SHA-256. Verified offline with trusted public keys or
// certificates; the transparency log is not consulted.

import { createHash, verify as cryptoVerify, X509Certificate, type KeyObject } from "node:crypto";
import { buildChain, unanchoredVerdict, type SignatureVerdict } from "./cms";
import { verifyTlogEntries, type TlogKey } from "./tlog";
import { certDates, commonName, keyStrength, type TrustStore } from "./x509";

export interface BundleFile {
  name: string;
  sha256: string;
}

export interface BundleVerdict extends SignatureVerdict {
  /** Files the statement lists with a SHA-256 digest; undefined when the statement could not be read. */
  files?: BundleFile[];
  /** Paths the signer chose to leave out (predicate.serialization.ignore_paths). */
  ignorePaths: string[];
}

export interface BundleOptions {
  now: Date;
  weak: { minRsaBits: number; minEcBits: number; weakDigests: string[] };
  /** Transparency-log keys: entries are verified offline against them (none: entries not checked). */
  logs?: ReadonlyArray<TlogKey>;
}

interface Envelope {
  payload: Buffer;
  payloadType: string;
  signatures: Buffer[];
}

export const NO_LOG_KEY_REASON = "its transparency-log entry was not verified: no log key is configured (--tlog-key or scanners.protection.transparencyLogKeys)";

export class BundleError extends Error {
  override name = "BundleError";
}

const asObject = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** DSSE pre-authentication encoding. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

export function isModelSigningBundle(doc: unknown): boolean {
  const o = asObject(doc);
  return typeof o?.mediaType === "string" && o.mediaType.startsWith("application/vnd.dev.sigstore.bundle") && asObject(o.dsseEnvelope) !== undefined;
}

function envelopeOf(bundle: Record<string, unknown>): Envelope {
  const env = asObject(bundle.dsseEnvelope);
  if (!env) throw new BundleError("the bundle has no DSSE envelope (message signatures are not model signing bundles)");
  if (typeof env.payload !== "string" || typeof env.payloadType !== "string" || !Array.isArray(env.signatures)) throw new BundleError("the DSSE envelope lacks payload, payloadType or signatures");
  const signatures = env.signatures.map((s) => asObject(s)?.sig).filter((s): s is string => typeof s === "string").map((s) => Buffer.from(s, "base64"));
  if (signatures.length === 0) throw new BundleError("the DSSE envelope carries no signature");
  return { payload: Buffer.from(env.payload, "base64"), payloadType: env.payloadType, signatures };
}

export function materialOf(bundle: Record<string, unknown>): { certificates: X509Certificate[]; hint?: string; integratedTime?: Date; tlogEntries: unknown[] } {
  const vm = asObject(bundle.verificationMaterial) ?? {};
  const certificates: X509Certificate[] = [];
  const raw = (v: unknown): string | undefined => (typeof asObject(v)?.rawBytes === "string" ? (asObject(v)!.rawBytes as string) : undefined);
  const single = raw(vm.certificate);
  if (single) certificates.push(new X509Certificate(Buffer.from(single, "base64")));
  const chain = asObject(vm.x509CertificateChain)?.certificates;
  if (Array.isArray(chain)) for (const c of chain) { const r = raw(c); if (r) certificates.push(new X509Certificate(Buffer.from(r, "base64"))); }
  const hint = asObject(vm.publicKey)?.hint;
  const entries = Array.isArray(vm.tlogEntries) ? vm.tlogEntries : [];
  const t = Number(asObject(entries[0])?.integratedTime);
  return { certificates, tlogEntries: entries, ...(typeof hint === "string" ? { hint } : {}), ...(Number.isFinite(t) && t > 0 ? { integratedTime: new Date(t * 1000) } : {}) };
}

function keyHint(key: KeyObject): string {
  return createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("base64");
}

function verifyWith(key: KeyObject, data: Buffer, sig: Buffer): boolean {
  try {
    // ECDSA and RSA PKCS#1 v1.5 with SHA-256 (model_signing's default); Ed25519 takes no digest.
    return cryptoVerify(key.asymmetricKeyType === "ed25519" ? null : "sha256", data, key, sig);
  } catch {
    return false;
  }
}

function statementFiles(payload: Buffer): { files: BundleFile[]; ignorePaths: string[]; unsupported: string[] } {
  const st = asObject(JSON.parse(payload.toString("utf8")));
  if (!st || typeof st._type !== "string" || !st._type.startsWith("https://in-toto.io/Statement/")) throw new BundleError("the payload is not an in-toto statement");
  const predicate = asObject(st.predicate) ?? {};
  const files: BundleFile[] = [];
  const unsupported: string[] = [];
  const resources = predicate.resources;
  if (Array.isArray(resources)) {
    for (const r of resources.map(asObject)) {
      if (!r || typeof r.name !== "string" || typeof r.digest !== "string") continue;
      if (r.algorithm === "sha256" || r.algorithm === undefined) files.push({ name: r.name, sha256: r.digest.toLowerCase() });
      else unsupported.push(`${r.name} (${String(r.algorithm)})`);
    }
  } else if (Array.isArray(st.subject)) {
    // Older model_signing format: one subject per file.
    for (const s of st.subject.map(asObject)) {
      const d = asObject(s?.digest)?.sha256;
      if (s && typeof s.name === "string" && typeof d === "string") files.push({ name: s.name, sha256: d.toLowerCase() });
    }
  }
  const serialization = asObject(predicate.serialization);
  const ignorePaths = Array.isArray(serialization?.ignore_paths) ? serialization.ignore_paths.filter((p): p is string => typeof p === "string") : [];
  return { files, ignorePaths, unsupported };
}

/** Verifies a model signing bundle's DSSE signature and reads the file digests it signs; malformed input is an invalid verdict, never a throw. */
export function verifyBundle(text: string, trust: TrustStore, options: BundleOptions): BundleVerdict {
  try {
    return verifyBundleUnchecked(text, trust, options);
  } catch (e) {
    return { status: "invalid", reasons: [`the bundle could not be read: ${(e as Error).message}`], ignorePaths: [] };
  }
}

function verifyBundleUnchecked(text: string, trust: TrustStore, options: BundleOptions): BundleVerdict {
  let bundle: Record<string, unknown>;
  let envelope: Envelope;
  let material: ReturnType<typeof materialOf>;
  try {
    const parsed = asObject(JSON.parse(text));
    if (!parsed) throw new BundleError("the bundle is not a JSON object");
    bundle = parsed;
    envelope = envelopeOf(bundle);
    material = materialOf(bundle);
  } catch (e) {
    return { status: "invalid", reasons: [`the bundle could not be read: ${(e as Error).message}`], ignorePaths: [] };
  }
  const data = pae(envelope.payloadType, envelope.payload);
  const invalid: string[] = [];
  const untrusted: string[] = [];
  const expired: string[] = [];
  const weak: string[] = [];
  const verdict: Partial<BundleVerdict> = { signatureAlgorithm: "DSSE" };
  let noKeyToCheck = false;

  // Transparency log: verified offline against the configured log keys, when there are any.
  const logs = options.logs ?? [];
  const leafCert = material.certificates[0];
  let logTime: Date | undefined;
  const logNotes: string[] = [];
  let logUnchecked = false;
  if (material.tlogEntries.length > 0 && logs.length > 0) {
    const t = verifyTlogEntries(material.tlogEntries, envelope, leafCert, logs);
    invalid.push(...t.invalid);
    untrusted.push(...t.untrusted);
    logNotes.push(...t.verified);
    logTime = t.integratedTime;
  } else if (material.tlogEntries.length > 0) {
    logUnchecked = true;
  }

  if (material.certificates.length > 0) {
    const leaf = material.certificates[0]!;
    // Fulcio certificates carry the identity in the SAN (email or URI), not in a CN.
    verdict.signer = (/(^|\n|,\s*)CN=/.test(leaf.subject) ? commonName(leaf.subject) : undefined) || leaf.subjectAltName || commonName(leaf.subject) || "certificate";
    const strength = keyStrength(leaf.publicKey, options.weak);
    verdict.key = strength.description;
    if (strength.weakReason) weak.push(strength.weakReason);
    if (!envelope.signatures.some((s) => verifyWith(leaf.publicKey, data, s))) invalid.push("the DSSE signature does not verify with the bundle's certificate");
    const { chain, anchored, problem } = buildChain(leaf, material.certificates.slice(1), trust);
    if (!anchored && trust.certificates.length > 0) untrusted.push(problem ?? "no chain to a trust anchor");
    else if (anchored) verdict.anchor = commonName(chain[chain.length - 1]!.subject);
    // Sigstore certificates live minutes: judge them at the log's integration time. Only a
    // time under a verified signed entry timestamp is trusted; an unverified one is used (and
    // said so) when no log key is configured, and the verdict is then at best unverified.
    const at = logTime ?? (logs.length === 0 ? material.integratedTime : undefined) ?? options.now;
    const when = logTime ? `the logged time ${at.toISOString()}` : material.integratedTime && logs.length === 0 ? `the unverified logged time ${at.toISOString()}` : `the time of this scan (${at.toISOString()}), no verified log time being available`;
    for (const c of chain) {
      const { notBefore, notAfter } = certDates(c);
      if (at > notAfter || at < notBefore) expired.push(`certificate "${commonName(c.subject)}" was not valid at ${when}`);
    }
  } else {
    const keys = [...trust.publicKeys, ...trust.certificates.map((c) => c.publicKey)];
    const signedBy = keys.find((k) => envelope.signatures.some((s) => verifyWith(k, data, s)));
    if (signedBy) {
      const strength = keyStrength(signedBy, options.weak);
      verdict.key = strength.description;
      verdict.signer = `public key ${keyHint(signedBy).slice(0, 16)}`;
      if (strength.weakReason) weak.push(strength.weakReason);
    } else if (keys.length === 0) {
      noKeyToCheck = true;
      if (material.hint) verdict.signer = `public key ${material.hint.slice(0, 16)}`;
    } else if (material.hint && keys.some((k) => keyHint(k) === material.hint)) {
      invalid.push("the DSSE signature does not verify with the trusted key the bundle names (payload or signature modified)");
    } else {
      untrusted.push("the DSSE signature does not verify with any trusted public key");
    }
  }

  let files: BundleFile[] | undefined;
  let ignorePaths: string[] = [];
  if (envelope.payloadType !== "application/vnd.in-toto+json") invalid.push(`payload type ${envelope.payloadType} is not an in-toto statement`);
  else {
    try {
      const st = statementFiles(envelope.payload);
      files = st.files;
      ignorePaths = st.ignorePaths;
      if (st.unsupported.length > 0) untrusted.push(`digests in unsupported serialisations were not checked: ${st.unsupported.slice(0, 3).join(", ")}`);
      if (files.length === 0 && st.unsupported.length === 0) invalid.push("the statement lists no file digests");
    } catch (e) {
      invalid.push(`the statement could not be read: ${(e as Error).message}`);
    }
  }
  const extra = { ...(files ? { files } : {}), ignorePaths };
  if (logUnchecked && material.certificates.length > 0 && invalid.length === 0 && (trust.certificates.length > 0 || trust.publicKeys.length > 0)) {
    // Keyless signing is only as good as its log entry: without a log key the signing time and
    // the entry are unverified, so the best verdict is `unverified`, never `valid`.
    const notes = [...untrusted, ...expired, ...weak];
    return {
      ...verdict,
      status: "unverified",
      reasons: [`the DSSE signature verifies with the certificate of ${verdict.signer}${verdict.anchor ? `, chained to trust anchor "${verdict.anchor}"` : ""}; ${NO_LOG_KEY_REASON}`, ...notes.map((n) => `once the log is checked, this would matter: ${n}`)],
      ...extra,
    };
  }
  if (trust.certificates.length === 0 && trust.publicKeys.length === 0) {
    const what = noKeyToCheck
      ? "the bundle carries no certificate and no public key was given, so its DSSE signature could not be checked"
      : `the DSSE signature verifies with the certificate of ${verdict.signer} (${verdict.key}) over ${files?.length ?? 0} file digests`;
    return { ...unanchoredVerdict(verdict, { invalid, untrusted, expired, weak }, what), ...extra };
  }
  const status: SignatureVerdict["status"] = invalid.length ? "invalid" : untrusted.length ? "untrusted" : expired.length ? "expired" : weak.length ? "weak" : "valid";
  const reasons = [...invalid, ...untrusted, ...expired, ...weak];
  if (status === "valid") reasons.push(`DSSE signature by ${verdict.signer} (${verdict.key}) verified over ${files?.length ?? 0} file digests`, ...logNotes);
  return { ...verdict, status, reasons, ...extra };
}

