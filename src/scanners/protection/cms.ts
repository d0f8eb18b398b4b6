// Verifies a detached CMS / PKCS#7 SignedData signature over a file, offline:
// messageDigest against the content, the signature over the DER of the signed attributes
// (RSA PKCS#1 v1.5, RSA-PSS, ECDSA) with node:crypto, the chain to a trust anchor, validity
// at signing time and now, key usage, and key / digest strength.
// node-forge parses the ASN.1; it cannot verify ECDSA nor PKCS#7 itself, so node:crypto does the maths.

import { constants, createHash, createVerify, verify as cryptoVerify, X509Certificate, type KeyObject } from "node:crypto";
import { createReadStream } from "node:fs";
import type forge from "node-forge";

let forgeModule: typeof forge | undefined;
/** node-forge, loaded on first use: only signature work needs it (start-up cost, test/core/lazy-loading.test.ts). */
function forgeLib(): typeof forge {
  return (forgeModule ??= require("node-forge") as typeof forge);
}
import type { SignatureStatus } from "../../types";
import { asn1FromDer, asn1ToDer, certDates, certExtensions, certSignatureHash, commonName, keyStrength, normaliseSerial, oidOf, type TrustStore } from "./x509";

export interface SignatureVerdict {
  status: Exclude<SignatureStatus, "missing">;
  reasons: string[];
  signer?: string;
  digestAlgorithm?: string;
  signatureAlgorithm?: string;
  key?: string;
  signingTime?: string;
  anchor?: string;
}

export interface VerifyOptions {
  now: Date;
  weak: { minRsaBits: number; minEcBits: number; weakDigests: string[] };
}

const DIGESTS: Record<string, string> = {
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

type SigScheme = { kind: "pkcs1" | "pss" | "ecdsa"; hash?: string };
const SIGNATURE_ALGS: Record<string, SigScheme & { name: string }> = {
  "1.2.840.113549.1.1.1": { kind: "pkcs1", name: "RSA PKCS#1 v1.5" },
  "1.2.840.113549.1.1.4": { kind: "pkcs1", hash: "md5", name: "md5WithRSA" },
  "1.2.840.113549.1.1.5": { kind: "pkcs1", hash: "sha1", name: "sha1WithRSA" },
  "1.2.840.113549.1.1.11": { kind: "pkcs1", hash: "sha256", name: "sha256WithRSA" },
  "1.2.840.113549.1.1.12": { kind: "pkcs1", hash: "sha384", name: "sha384WithRSA" },
  "1.2.840.113549.1.1.13": { kind: "pkcs1", hash: "sha512", name: "sha512WithRSA" },
  "1.2.840.113549.1.1.10": { kind: "pss", name: "RSA-PSS" },
  "1.2.840.10045.2.1": { kind: "ecdsa", name: "ECDSA" },
  "1.2.840.10045.4.1": { kind: "ecdsa", hash: "sha1", name: "ecdsa-with-SHA1" },
  "1.2.840.10045.4.3.2": { kind: "ecdsa", hash: "sha256", name: "ecdsa-with-SHA256" },
  "1.2.840.10045.4.3.3": { kind: "ecdsa", hash: "sha384", name: "ecdsa-with-SHA384" },
  "1.2.840.10045.4.3.4": { kind: "ecdsa", hash: "sha512", name: "ecdsa-with-SHA512" },
};

const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const OID_CONTENT_TYPE = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME = "1.2.840.113549.1.9.5";

export class CmsParseError extends Error {
  override name = "CmsParseError";
}

type Asn1 = forge.asn1.Asn1;
// X.690 tag classes and universal tags (the values of node-forge's asn1.Class and asn1.Type),
// spelled out so that loading this module does not load node-forge.
const Class = { UNIVERSAL: 0x00, CONTEXT_SPECIFIC: 0x80 } as Pick<typeof forge.asn1.Class, "UNIVERSAL" | "CONTEXT_SPECIFIC">;
const Type = { SEQUENCE: 16, SET: 17, UTCTIME: 23, GENERALIZEDTIME: 24 } as Pick<typeof forge.asn1.Type, "SEQUENCE" | "SET" | "UTCTIME" | "GENERALIZEDTIME">;

function children(node: Asn1 | undefined, what: string): Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new CmsParseError(`${what} is not a constructed value`);
  return node.value;
}

function bytesOf(node: Asn1 | undefined): Buffer {
  if (!node || typeof node.value !== "string") throw new CmsParseError("expected a primitive value");
  return Buffer.from(node.value, "binary");
}

/** DER or PEM ("-----BEGIN CMS-----" / "PKCS7") to DER. */
export function signatureDer(raw: Buffer): Buffer {
  const text = raw.subarray(0, 64).toString("latin1");
  if (/-----BEGIN (CMS|PKCS7)-----/.test(text) || /-----BEGIN (CMS|PKCS7)-----/.test(raw.toString("latin1"))) {
    const m = /-----BEGIN (CMS|PKCS7)-----([\s\S]*?)-----END \1-----/.exec(raw.toString("latin1"));
    if (!m) throw new CmsParseError("PEM block is not terminated");
    return Buffer.from(m[2]!.replace(/\s+/g, ""), "base64");
  }
  return raw;
}

interface SignerInfo {
  serial?: string;
  subjectKeyId?: string;
  digestOid: string;
  signedAttrs?: Asn1[];
  signatureAlgOid: string;
  signatureAlgParams?: Asn1;
  signature: Buffer;
}

interface SignedData {
  certificates: X509Certificate[];
  signers: SignerInfo[];
  detached: boolean;
}

export function parseSignedData(der: Buffer): SignedData {
  let root: Asn1;
  try {
    root = asn1FromDer(der);
  } catch (e) {
    throw new CmsParseError(`not DER: ${(e as Error).message}`);
  }
  const [typeNode, contentWrapper] = children(root, "ContentInfo");
  if (oidOf(typeNode) !== OID_SIGNED_DATA) throw new CmsParseError(`content type ${oidOf(typeNode) ?? "?"} is not SignedData`);
  const sd = children(contentWrapper, "ContentInfo content")[0];
  const parts = children(sd, "SignedData");
  const encap = parts[2];
  const detached = children(encap, "EncapsulatedContentInfo").length < 2;
  const certificates: X509Certificate[] = [];
  const signers: SignerInfo[] = [];
  for (const part of parts.slice(3)) {
    if (part.tagClass === Class.CONTEXT_SPECIFIC && part.type === 0) {
      for (const c of children(part, "certificates")) {
        if (c.tagClass === Class.UNIVERSAL && c.type === Type.SEQUENCE) certificates.push(new X509Certificate(asn1ToDer(c)));
      }
    } else if (part.tagClass === Class.UNIVERSAL && part.type === Type.SET) {
      for (const si of children(part, "signerInfos")) signers.push(parseSignerInfo(si));
    }
  }
  if (signers.length === 0) throw new CmsParseError("SignedData has no signer");
  return { certificates, signers, detached };
}

function parseSignerInfo(node: Asn1): SignerInfo {
  const f = children(node, "SignerInfo");
  const sid = f[1];
  const out: Partial<SignerInfo> = {};
  if (sid?.tagClass === Class.UNIVERSAL && sid.type === Type.SEQUENCE) {
    out.serial = normaliseSerial(bytesOf(children(sid, "issuerAndSerialNumber")[1]).toString("hex"));
  } else if (sid?.tagClass === Class.CONTEXT_SPECIFIC && sid.type === 0) {
    out.subjectKeyId = bytesOf(sid).toString("hex");
  } else {
    throw new CmsParseError("SignerInfo has no signer identifier");
  }
  out.digestOid = oidOf(children(f[2], "digestAlgorithm")[0]) ?? "?";
  let i = 3;
  if (f[i]?.tagClass === Class.CONTEXT_SPECIFIC && f[i]?.type === 0) {
    out.signedAttrs = children(f[i], "signedAttrs");
    i++;
  }
  const alg = children(f[i], "signatureAlgorithm");
  out.signatureAlgOid = oidOf(alg[0]) ?? "?";
  if (alg[1]) out.signatureAlgParams = alg[1];
  out.signature = bytesOf(f[i + 1]);
  return out as SignerInfo;
}

function attribute(attrs: Asn1[] | undefined, oid: string): Asn1 | undefined {
  for (const a of attrs ?? []) {
    const [t, values] = children(a, "Attribute");
    if (oidOf(t) === oid) return children(values, "Attribute values")[0];
  }
  return undefined;
}

function parseTime(node: Asn1 | undefined): Date | undefined {
  if (!node || typeof node.value !== "string") return undefined;
  if (node.type === Type.UTCTIME) return forgeLib().asn1.utcTimeToDate(node.value);
  if (node.type === Type.GENERALIZEDTIME) return forgeLib().asn1.generalizedTimeToDate(node.value);
  return undefined;
}

/** RSASSA-PSS-params: hash [0], mask gen [1], salt length [2]. */
function pssParams(params: Asn1 | undefined): { hash?: string; saltLength: number } {
  const out: { hash?: string; saltLength: number } = { saltLength: 20 };
  if (!params || !Array.isArray(params.value)) return out;
  for (const p of params.value) {
    if (p.tagClass !== Class.CONTEXT_SPECIFIC || !Array.isArray(p.value)) continue;
    if (p.type === 0) {
      const h = DIGESTS[oidOf(children(p.value[0], "hashAlgorithm")[0]) ?? ""];
      if (h) out.hash = h;
    }
    if (p.type === 2 && p.value[0] && typeof p.value[0].value === "string") out.saltLength = parseInt(Buffer.from(p.value[0].value, "binary").toString("hex"), 16);
  }
  return out;
}

export function digestFile(path: string, algorithm: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const hash = createHash(algorithm);
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on("data", (c) => hash.update(c))
      .on("error", reject)
      .on("end", () => resolve(hash.digest()));
  });
}

function verifyKeyOptions(scheme: SigScheme, key: KeyObject, saltLength: number): KeyObject | { key: KeyObject; padding: number; saltLength?: number } {
  if (scheme.kind === "pss") return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
  if (scheme.kind === "pkcs1") return { key, padding: constants.RSA_PKCS1_PADDING };
  return key;
}

function isAnchor(cert: X509Certificate, trust: TrustStore): boolean {
  return trust.certificates.some((a) => a.fingerprint256 === cert.fingerprint256);
}

/** Builds the path from the signer to a trust anchor; returns the chain (signer first) and whether it ends at an anchor. */
export function buildChain(signer: X509Certificate, pool: X509Certificate[], trust: TrustStore): { chain: X509Certificate[]; anchored: boolean; problem?: string } {
  const chain = [signer];
  let current = signer;
  for (let depth = 0; depth < 10; depth++) {
    if (isAnchor(current, trust)) return { chain, anchored: true };
    const candidates = [...trust.certificates, ...pool].filter((c) => c.fingerprint256 !== current.fingerprint256 && current.checkIssued(c));
    const issuer = candidates.find((c) => current.verify(c.publicKey));
    if (!issuer) return { chain, anchored: false, problem: `no trust anchor issued "${commonName(current.issuer)}"` };
    if (!issuer.ca) return { chain, anchored: false, problem: `issuer "${commonName(issuer.subject)}" is not a CA` };
    chain.push(issuer);
    current = issuer;
  }
  return { chain, anchored: false, problem: "certificate chain is longer than 10" };
}

/** Verifies a detached CMS signature over the file at contentPath. */
export async function verifyDetachedCms(signatureBytes: Buffer, contentPath: string, trust: TrustStore, options: VerifyOptions): Promise<SignatureVerdict> {
  let sd: SignedData;
  try {
    sd = parseSignedData(signatureDer(signatureBytes));
  } catch (e) {
    return { status: "invalid", reasons: [`the signature could not be parsed: ${(e as Error).message}`] };
  }
  const verdicts: SignatureVerdict[] = [];
  for (const signer of sd.signers) {
    try {
      verdicts.push(await verifySigner(signer, sd, contentPath, trust, options));
    } catch (e) {
      // The content could not be read: an I/O problem, not a verdict on the signature.
      if ((e as NodeJS.ErrnoException).syscall !== undefined) throw e;
      // Malformed ASN.1 deep inside a certificate or attribute (a flipped bit) is a broken signature.
      verdicts.push({ status: "invalid", reasons: [`the signature could not be parsed: ${(e as Error).message}`] });
    }
  }
  const order: SignatureVerdict["status"][] = ["invalid", "untrusted", "expired", "weak", "unverified", "valid"];
  verdicts.sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  return verdicts[0]!;
}

async function verifySigner(si: SignerInfo, sd: SignedData, contentPath: string, trust: TrustStore, options: VerifyOptions): Promise<SignatureVerdict> {
  const invalid: string[] = [];
  const untrusted: string[] = [];
  const expired: string[] = [];
  const weak: string[] = [];
  const verdict: Partial<SignatureVerdict> = {};

  const digest = DIGESTS[si.digestOid];
  const alg = SIGNATURE_ALGS[si.signatureAlgOid];
  if (!digest) return { status: "invalid", reasons: [`unsupported digest algorithm ${si.digestOid}`] };
  if (!alg) return { status: "invalid", reasons: [`unsupported signature algorithm ${si.signatureAlgOid}`] };
  verdict.digestAlgorithm = digest;
  verdict.signatureAlgorithm = alg.name;
  const pss = alg.kind === "pss" ? pssParams(si.signatureAlgParams) : undefined;
  const hash = pss?.hash ?? alg.hash ?? digest;
  if (options.weak.weakDigests.includes(digest)) weak.push(`digest algorithm ${digest.toUpperCase()} is weak`);
  else if (hash !== digest && options.weak.weakDigests.includes(hash)) weak.push(`signature hash ${hash.toUpperCase()} is weak`);

  const cert = sd.certificates.find((c) =>
    si.serial !== undefined ? normaliseSerial(c.serialNumber) === si.serial : certExtensions(c).subjectKeyIdentifier === si.subjectKeyId,
  );
  if (!cert) {
    const missing = "the signer's certificate is not in the signature, so its maths could not be checked";
    return trust.certificates.length === 0 ? { ...verdict, status: "unverified", reasons: [`${missing}; ${NO_ANCHOR_REASON}`] } : { ...verdict, status: "untrusted", reasons: [missing] };
  }
  verdict.signer = commonName(cert.subject);
  const strength = keyStrength(cert.publicKey, options.weak);
  verdict.key = strength.description;
  if (strength.weakReason) weak.push(strength.weakReason);

  // 1. Content: messageDigest (signed attributes) or the signature itself over the content.
  let signingTime: Date | undefined;
  if (si.signedAttrs) {
    const md = attribute(si.signedAttrs, OID_MESSAGE_DIGEST);
    if (!md || !attribute(si.signedAttrs, OID_CONTENT_TYPE)) invalid.push("signed attributes lack contentType or messageDigest");
    else {
      const actual = await digestFile(contentPath, digest);
      if (!actual.equals(bytesOf(md))) invalid.push(`the content does not match the signed ${digest.toUpperCase()} digest (modified after signing)`);
    }
    signingTime = parseTime(attribute(si.signedAttrs, OID_SIGNING_TIME));
    // The signature covers the DER of the attributes re-tagged as a SET OF (RFC 5652 5.4).
    const signedDer = asn1ToDer(forgeLib().asn1.create(Class.UNIVERSAL, Type.SET, true, si.signedAttrs));
    let ok = false;
    try {
      ok = cryptoVerify(hash, signedDer, verifyKeyOptions(alg, cert.publicKey, pss?.saltLength ?? 20), si.signature);
    } catch (e) {
      invalid.push(`the signature could not be checked: ${(e as Error).message}`);
    }
    if (!ok && invalid.length === 0) invalid.push("the signature over the signed attributes does not verify with the signer's key");
  } else {
    const v = createVerify(hash);
    await new Promise<void>((resolve, reject) => {
      createReadStream(contentPath).on("data", (c) => v.update(c)).on("error", reject).on("end", () => resolve());
    });
    if (!v.verify(verifyKeyOptions(alg, cert.publicKey, pss?.saltLength ?? 20), si.signature)) invalid.push("the signature over the content does not verify with the signer's key");
  }
  if (signingTime) verdict.signingTime = signingTime.toISOString();

  // 2. Chain to a trust anchor, validity, key usage.
  const { chain, anchored, problem } = buildChain(cert, sd.certificates, trust);
  if (!anchored && trust.certificates.length > 0) untrusted.push(problem ?? "no chain to a trust anchor");
  else if (anchored) verdict.anchor = commonName(chain[chain.length - 1]!.subject);
  chain.forEach((c, position) => {
    const ext = certExtensions(c);
    // A CA's pathLenConstraint bounds the intermediate CAs below it (position - 1 of them).
    if (position >= 1 && ext.pathLen !== undefined && position - 1 > ext.pathLen) untrusted.push(`CA "${commonName(c.subject)}" allows ${ext.pathLen} intermediate CA(s) below it, the chain has ${position - 1}`);
    // The anchor's self-signature is not relied on; every other issuer signature is.
    const certHash = isAnchor(c, trust) ? undefined : certSignatureHash(c);
    if (certHash && options.weak.weakDigests.includes(certHash)) weak.push(`certificate "${commonName(c.subject)}" is signed with ${certHash.toUpperCase()}`);
  });
  for (const c of chain) {
    const { notBefore, notAfter } = certDates(c);
    const who = `certificate "${commonName(c.subject)}"`;
    if (options.now > notAfter) expired.push(`${who} expired on ${notAfter.toISOString().slice(0, 10)}`);
    if (options.now < notBefore) expired.push(`${who} is not valid before ${notBefore.toISOString().slice(0, 10)}`);
    if (signingTime && (signingTime > notAfter || signingTime < notBefore)) expired.push(`${who} was not valid at signing time ${signingTime.toISOString()}`);
  }
  const ext = certExtensions(cert);
  if (ext.keyUsage && !ext.keyUsage.digitalSignature && !ext.keyUsage.nonRepudiation) untrusted.push("the signer's key usage does not allow digital signatures");
  if (ext.extKeyUsage && !ext.extKeyUsage.some((u) => u === "codeSigning" || u === "emailProtection" || u === "anyExtendedKeyUsage")) {
    untrusted.push(`the signer's extended key usage (${ext.extKeyUsage.join(", ")}) does not allow signing files`);
  }

  const described = `"${verdict.signer}" (${verdict.key}, ${alg.name}, ${digest.toUpperCase()})`;
  if (trust.certificates.length === 0) return unanchoredVerdict(verdict, { invalid, untrusted, expired, weak }, `the signature verifies with the key of ${described}`);
  const status: SignatureVerdict["status"] = invalid.length ? "invalid" : untrusted.length ? "untrusted" : expired.length ? "expired" : weak.length ? "weak" : "valid";
  const reasons = [...invalid, ...untrusted, ...expired, ...weak];
  if (status === "valid") reasons.push(`signed by ${described}, chain to trust anchor "${verdict.anchor}"`);
  return { ...verdict, status, reasons };
}

/** Why the signer was not judged, for `unverified` verdicts. */
export const NO_ANCHOR_REASON = "no trust anchor is configured (--trust-anchor or scanners.protection.trustAnchors), so the signer was not checked";

/**
 * The verdict when no trust anchor is configured: a signature whose content and maths check
 * out is `unverified` (informational), never worse than no signature at all. Chain, validity,
 * key-usage and strength problems only matter once a signer is trusted, so they are kept as
 * reasons, not as the status; a signature that does not match the content stays `invalid`.
 */
export function unanchoredVerdict<V extends Partial<SignatureVerdict>>(verdict: V, problems: { invalid: string[]; untrusted: string[]; expired: string[]; weak: string[] }, verified: string): V & Pick<SignatureVerdict, "status" | "reasons"> {
  if (problems.invalid.length > 0) return { ...verdict, status: "invalid", reasons: problems.invalid };
  const notes = [...problems.untrusted, ...problems.expired, ...problems.weak];
  return { ...verdict, status: "unverified", reasons: [`${verified}; ${NO_ANCHOR_REASON}`, ...notes.map((n) => `once trusted, this would matter: ${n}`)] };
}
