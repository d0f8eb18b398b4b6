// Signed evidence: a detached CMS (PKCS#7 SignedData, RFC 5652) signature in DER beside each
// report file (REPORT.p7s), so `openssl cms -verify -binary -inform DER -content REPORT -in
// REPORT.p7s -CAfile CA.pem` checks that the report is unchanged and who signed it.
// The structure is encoded with node-forge's ASN.1 writer and signed with node:crypto, which
// handles RSA (PKCS#1 v1.5) and EC (ECDSA on P-256, P-384, P-521) keys alike; node-forge's own
// PKCS#7 signer knows RSA only.

import { X509Certificate, createHash, createPrivateKey, sign as cryptoSign, type KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type forge from "node-forge";
import { UsageError } from "../core/errors";

let forgeModule: typeof forge | undefined;
/** node-forge, loaded when something is signed, not on every run (test/core/lazy-loading.test.ts). */
function forgeLib(): typeof forge {
  return (forgeModule ??= require("node-forge") as typeof forge);
}
const asn1 = (): typeof forge.asn1 => forgeLib().asn1;
const T = (): typeof forge.asn1.Type => forgeLib().asn1.Type;
const C = (): typeof forge.asn1.Class => forgeLib().asn1.Class;

const OID = {
  signedData: "1.2.840.113549.1.7.2",
  data: "1.2.840.113549.1.7.1",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
} as const;

/** Digest per EC curve, as RFC 5753 pairs them; RSA uses SHA-256. */
const EC_DIGEST: Record<string, { hash: "sha256" | "sha384" | "sha512"; digestOid: string; sigOid: string }> = {
  prime256v1: { hash: "sha256", digestOid: OID.sha256, sigOid: OID.ecdsaWithSha256 },
  secp384r1: { hash: "sha384", digestOid: OID.sha384, sigOid: OID.ecdsaWithSha384 },
  secp521r1: { hash: "sha512", digestOid: OID.sha512, sigOid: OID.ecdsaWithSha512 },
};

export interface SigningIdentity {
  key: KeyObject;
  /** "rsa" or "ec". */
  keyType: "rsa" | "ec";
  hash: "sha256" | "sha384" | "sha512";
  digestOid: string;
  /** signatureAlgorithm of the SignerInfo. */
  signatureOid: string;
  /** The signer's certificate, DER. */
  cert: Buffer;
  /** Intermediate certificates found after the first one in the cert file (DER), included in the signature. */
  chain: Buffer[];
}

export function loadSigningIdentity(keyPath: string, certPath: string, cwd: string): SigningIdentity {
  let keyPem: string;
  let certPem: string;
  try {
    keyPem = readFileSync(resolve(cwd, keyPath), "utf8");
    certPem = readFileSync(resolve(cwd, certPath), "utf8");
  } catch (e) {
    throw new UsageError(`cannot read the signing key or certificate: ${(e as Error).message}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: "pem" });
  } catch (e) {
    throw new UsageError(`--sign-key ${keyPath}: not an unencrypted private key in PEM (${(e as Error).message}); evidence signing takes RSA or EC (P-256, P-384, P-521) keys`);
  }
  const blocks = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new UsageError(`--sign-cert ${certPath}: no PEM certificate found`);
  let certs: X509Certificate[];
  try {
    certs = blocks.map((b) => new X509Certificate(b));
  } catch (e) {
    throw new UsageError(`--sign-cert ${certPath}: ${(e as Error).message}`);
  }
  const cert = certs[0]!;
  if (!cert.checkPrivateKey(key)) throw new UsageError(`--sign-cert ${certPath} does not belong to --sign-key ${keyPath}`);
  const base = { key, cert: cert.raw, chain: certs.slice(1).map((c) => c.raw) };
  if (key.asymmetricKeyType === "rsa") return { ...base, keyType: "rsa", hash: "sha256", digestOid: OID.sha256, signatureOid: OID.rsaEncryption };
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "";
    const d = EC_DIGEST[curve];
    if (!d) throw new UsageError(`--sign-key ${keyPath}: EC curve ${curve || "unknown"} is not supported for evidence signing (use P-256, P-384 or P-521)`);
    return { ...base, keyType: "ec", hash: d.hash, digestOid: d.digestOid, signatureOid: d.sigOid };
  }
  throw new UsageError(`--sign-key ${keyPath}: ${key.asymmetricKeyType ?? "this"} keys are not supported for evidence signing (use RSA or EC P-256, P-384, P-521)`);
}

function oid(id: string): forge.asn1.Asn1 {
  return asn1().create(C().UNIVERSAL, T().OID, false, asn1().oidToDer(id).getBytes());
}

function seq(items: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1().create(C().UNIVERSAL, T().SEQUENCE, true, items);
}

function set(items: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  // DER orders SET OF by the elements' encodings.
  const sorted = [...items].sort((a, b) => Buffer.compare(der(a), der(b)));
  return asn1().create(C().UNIVERSAL, T().SET, true, sorted);
}

function der(node: forge.asn1.Asn1): Buffer {
  return Buffer.from(asn1().toDer(node).getBytes(), "binary");
}

function fromDer(buf: Buffer): forge.asn1.Asn1 {
  return asn1().fromDer(forgeLib().util.createBuffer(buf.toString("binary")), true);
}

function integer(n: number): forge.asn1.Asn1 {
  return asn1().create(C().UNIVERSAL, T().INTEGER, false, asn1().integerToDer(n).getBytes());
}

function algorithm(id: string, nullParams: boolean): forge.asn1.Asn1 {
  return seq(nullParams ? [oid(id), asn1().create(C().UNIVERSAL, T().NULL, false, "")] : [oid(id)]);
}

/** issuer Name and serialNumber of a certificate, as they are encoded in it. */
function issuerAndSerial(certDer: Buffer): forge.asn1.Asn1 {
  const cert = fromDer(certDer);
  const tbs = (cert.value as forge.asn1.Asn1[])[0]!;
  const fields = tbs.value as forge.asn1.Asn1[];
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, ...
  const offset = fields[0]!.tagClass === C().CONTEXT_SPECIFIC ? 1 : 0;
  return seq([fields[offset + 2]!, fields[offset]!]);
}

function utcTime(d: Date): forge.asn1.Asn1 {
  // UTCTime for 1950-2049 as RFC 5652 asks, GeneralizedTime after.
  return d.getUTCFullYear() < 2050 ? asn1().create(C().UNIVERSAL, T().UTCTIME, false, asn1().dateToUtcTime(d)) : asn1().create(C().UNIVERSAL, T().GENERALIZEDTIME, false, asn1().dateToGeneralizedTime(d));
}

/** A detached CMS SignedData over `content` (signed attributes: content type, message digest, signing time), as DER bytes. */
export function signDetached(content: Buffer, id: SigningIdentity, signingTime = new Date()): Buffer {
  const digest = createHash(id.hash).update(content).digest();
  const attributes = [
    seq([oid(OID.contentType), set([oid(OID.data)])]),
    seq([oid(OID.signingTime), set([utcTime(signingTime)])]),
    seq([oid(OID.messageDigest), set([asn1().create(C().UNIVERSAL, T().OCTETSTRING, false, digest.toString("binary"))])]),
  ];
  // The signature covers the attributes encoded as a SET OF; in the SignerInfo they carry tag [0].
  const attrSet = set(attributes);
  const signature = cryptoSign(id.hash, der(attrSet), id.keyType === "ec" ? { key: id.key, dsaEncoding: "der" } : id.key);
  const signedAttrs = asn1().create(C().CONTEXT_SPECIFIC, 0, true, attrSet.value as forge.asn1.Asn1[]);
  const signerInfo = seq([
    integer(1),
    issuerAndSerial(id.cert),
    algorithm(id.digestOid, false),
    signedAttrs,
    algorithm(id.signatureOid, id.keyType === "rsa"),
    asn1().create(C().UNIVERSAL, T().OCTETSTRING, false, signature.toString("binary")),
  ]);
  const signedData = seq([
    integer(1),
    set([algorithm(id.digestOid, false)]),
    seq([oid(OID.data)]),
    asn1().create(C().CONTEXT_SPECIFIC, 0, true, [id.cert, ...id.chain].map(fromDer)),
    set([signerInfo]),
  ]);
  return der(seq([oid(OID.signedData), asn1().create(C().CONTEXT_SPECIFIC, 0, true, [signedData])]));
}

/** Writes FILE.p7s beside each file; returns the signature paths. */
export function signFiles(paths: string[], id: SigningIdentity): string[] {
  return paths.map((p) => {
    const sigPath = `${p}.p7s`;
    try {
      writeFileSync(sigPath, signDetached(readFileSync(p), id));
    } catch (e) {
      throw new UsageError(`cannot sign ${p}: ${(e as Error).message}`);
    }
    return sigPath;
  });
}
