// Certificates and trust anchors: node:crypto's X509Certificate for validity, issuance and
// signature checks; node-forge's ASN.1 reader for the extensions node does not expose.

import { createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type forge from "node-forge";

let forgeModule: typeof forge | undefined;
/** node-forge, loaded on first use: only signature work needs it (start-up cost, test/core/lazy-loading.test.ts). */
function forgeLib(): typeof forge {
  return (forgeModule ??= require("node-forge") as typeof forge);
}

export interface TrustStore {
  certificates: X509Certificate[];
  publicKeys: KeyObject[];
  /** Where each anchor came from, for messages. */
  sources: string[];
}

export class TrustAnchorError extends Error {
  override name = "TrustAnchorError";
}

/** Reads PEM files holding certificates and / or public keys. */
export function loadTrustAnchors(paths: ReadonlyArray<string>, cwd: string): TrustStore {
  const store: TrustStore = { certificates: [], publicKeys: [], sources: [] };
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let text: string;
    try {
      text = readFileSync(abs, "utf8");
    } catch (e) {
      throw new TrustAnchorError(`trust anchor ${p} could not be read: ${(e as Error).message}`);
    }
    let found = 0;
    for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
      try {
        if (m[1] === "CERTIFICATE" || m[1] === "TRUSTED CERTIFICATE") {
          store.certificates.push(new X509Certificate(m[0]));
          found++;
        } else if (m[1] === "PUBLIC KEY") {
          store.publicKeys.push(createPublicKey(m[0]));
          found++;
        }
      } catch (e) {
        throw new TrustAnchorError(`trust anchor ${p} holds an unreadable ${m[1]!.toLowerCase()}: ${(e as Error).message}`);
      }
    }
    if (found === 0) throw new TrustAnchorError(`trust anchor ${p} holds no PEM certificate or public key`);
    store.sources.push(p);
  }
  return store;
}

/** Reads PEM public keys of transparency logs (Rekor); a certificate's key is accepted too. */
export function loadLogKeys(paths: ReadonlyArray<string>, cwd: string): KeyObject[] {
  const store = loadTrustAnchors(paths, cwd);
  return [...store.publicKeys, ...store.certificates.map((c) => c.publicKey)];
}

export function certificatesFromPem(text: string): X509Certificate[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]));
}

interface ForgeExtension {
  id: string;
  name?: string;
  critical?: boolean;
  digitalSignature?: boolean;
  nonRepudiation?: boolean;
  keyCertSign?: boolean;
  subjectKeyIdentifier?: string;
  codeSigning?: boolean;
  emailProtection?: boolean;
  [k: string]: unknown;
}

// node-forge exposes this at run time but its type definitions omit it.
const extensionFromAsn1 = (ext: forge.asn1.Asn1): ForgeExtension => (forgeLib().pki as unknown as { certificateExtensionFromAsn1(ext: forge.asn1.Asn1): ForgeExtension }).certificateExtensionFromAsn1(ext);

export function asn1FromDer(der: Uint8Array): forge.asn1.Asn1 {
  const fromDer = forgeLib().asn1.fromDer as unknown as (b: forge.util.ByteStringBuffer, o: object) => forge.asn1.Asn1;
  return fromDer(forgeLib().util.createBuffer(Buffer.from(der).toString("binary")), { strict: true, decodeBitStrings: false, parseAllBytes: true });
}

export function asn1ToDer(node: forge.asn1.Asn1): Buffer {
  return Buffer.from(forgeLib().asn1.toDer(node).getBytes(), "binary");
}

export function oidOf(node: forge.asn1.Asn1 | undefined): string | undefined {
  if (!node || node.tagClass !== forgeLib().asn1.Class.UNIVERSAL || node.type !== forgeLib().asn1.Type.OID || typeof node.value !== "string") return undefined;
  return forgeLib().asn1.derToOid(node.value);
}

export interface CertExtensions {
  keyUsage?: { digitalSignature: boolean; nonRepudiation: boolean; keyCertSign: boolean };
  /** basicConstraints pathLenConstraint of a CA. */
  pathLen?: number;
  extKeyUsage?: string[];
  subjectKeyIdentifier?: string;
}

const EKU_NAMES: Record<string, string> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "2.5.29.37.0": "anyExtendedKeyUsage",
};

/** Key usage, extended key usage and subject key id of a certificate. */
export function certExtensions(cert: X509Certificate): CertExtensions {
  const out: CertExtensions = {};
  const tbs = asn1FromDer(cert.raw).value[0] as forge.asn1.Asn1 | undefined;
  if (!tbs || !Array.isArray(tbs.value)) return out;
  const wrapper = tbs.value.find((n) => n.tagClass === forgeLib().asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  const seq = Array.isArray(wrapper?.value) ? (wrapper.value[0] as forge.asn1.Asn1 | undefined) : undefined;
  if (!seq || !Array.isArray(seq.value)) return out;
  for (const extNode of seq.value) {
    const ext = extensionFromAsn1(extNode);
    if (ext.name === "keyUsage") out.keyUsage = { digitalSignature: ext.digitalSignature === true, nonRepudiation: ext.nonRepudiation === true, keyCertSign: ext.keyCertSign === true };
    if (ext.name === "basicConstraints" && typeof ext.pathLenConstraint === "number") out.pathLen = ext.pathLenConstraint;
    if (ext.name === "subjectKeyIdentifier" && typeof ext.subjectKeyIdentifier === "string") out.subjectKeyIdentifier = ext.subjectKeyIdentifier.toLowerCase();
    if (ext.id === "2.5.29.37") {
      const list = asn1FromDer(Buffer.from(String(ext.value), "binary"));
      out.extKeyUsage = (Array.isArray(list.value) ? list.value : []).map((n) => oidOf(n) ?? "?").map((o) => EKU_NAMES[o] ?? o);
    }
  }
  return out;
}

const CERT_SIGNATURE_HASH: Record<string, string> = {
  "1.2.840.113549.1.1.4": "md5",
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10040.4.3": "sha1",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};

/** The hash of the issuer's signature on a certificate (undefined when the algorithm carries it in parameters, e.g. RSA-PSS). */
export function certSignatureHash(cert: X509Certificate): string | undefined {
  const alg = asn1FromDer(cert.raw).value[1] as forge.asn1.Asn1 | undefined;
  const oid = Array.isArray(alg?.value) ? oidOf(alg.value[0]) : undefined;
  return oid ? CERT_SIGNATURE_HASH[oid] : undefined;
}

export function commonName(dn: string): string {
  const m = /(?:^|\n|,\s*)CN=([^\n,]+)/.exec(dn);
  return m ? m[1]!.trim() : dn.replace(/\n/g, ", ");
}

export function certDates(cert: X509Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

/** Normalises a serial number to upper-case hex without leading zeros. */
export function normaliseSerial(hex: string): string {
  return hex.replace(/^(00)+/, "").toUpperCase().replace(/^0+(?=.)/, "");
}

/** Key size description and whether it is weak. */
export function keyStrength(key: KeyObject, weak: { minRsaBits: number; minEcBits: number }): { description: string; weakReason?: string } {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") {
    const bits = details.modulusLength ?? 0;
    return bits < weak.minRsaBits ? { description: `RSA-${bits}`, weakReason: `RSA key of ${bits} bits is under ${weak.minRsaBits}` } : { description: `RSA-${bits}` };
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = details.namedCurve ?? "unknown curve";
    const bits = CURVE_BITS[curve] ?? 0;
    return bits < weak.minEcBits ? { description: `EC ${curve}`, weakReason: `EC key on ${curve} (${bits} bits) is under ${weak.minEcBits} bits` } : { description: `EC ${curve}` };
  }
  return { description: key.asymmetricKeyType ?? "unknown key" };
}

const CURVE_BITS: Record<string, number> = { prime192v1: 192, secp224r1: 224, prime256v1: 256, secp256k1: 256, secp384r1: 384, secp521r1: 521, "P-256": 256, "P-384": 384, "P-521": 521 };
