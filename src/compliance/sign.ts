// Signed evidence: a detached CMS (PKCS#7 SignedData) signature in DER beside each report
// file (REPORT.p7s), made with node-forge, so `openssl cms -verify -binary -inform DER
// -content REPORT -in REPORT.p7s -CAfile CA.pem` checks that the report is unchanged and who
// signed it. node-forge signs with RSA keys only; an EC key is a usage error.

import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import forge from "node-forge";
import { UsageError } from "../core/errors";

export interface SigningIdentity {
  key: forge.pki.rsa.PrivateKey;
  cert: forge.pki.Certificate;
  /** Intermediate certificates found after the first one in the cert file, included in the signature. */
  chain: forge.pki.Certificate[];
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
  let key: forge.pki.rsa.PrivateKey;
  try {
    key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  } catch (e) {
    throw new UsageError(`--sign-key ${keyPath}: not an unencrypted RSA private key in PEM (${(e as Error).message}); evidence signing supports RSA keys`);
  }
  const blocks = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new UsageError(`--sign-cert ${certPath}: no PEM certificate found`);
  let certs: forge.pki.Certificate[];
  try {
    certs = blocks.map((b) => forge.pki.certificateFromPem(b));
  } catch (e) {
    throw new UsageError(`--sign-cert ${certPath}: ${(e as Error).message} (evidence signing supports RSA certificates)`);
  }
  const cert = certs[0]!;
  const pub = cert.publicKey as forge.pki.rsa.PublicKey;
  if (pub.n.compareTo(key.n) !== 0) throw new UsageError(`--sign-cert ${certPath} does not belong to --sign-key ${keyPath}`);
  return { key, cert, chain: certs.slice(1) };
}

/** A detached CMS SignedData over `content` (SHA-256, signed attributes), as DER bytes. */
export function signDetached(content: Buffer, id: SigningIdentity, signingTime = new Date()): Buffer {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(content.toString("binary"));
  p7.addCertificate(id.cert);
  for (const c of id.chain) p7.addCertificate(c);
  p7.addSigner({
    key: id.key,
    certificate: id.cert,
    digestAlgorithm: forge.pki.oids.sha256!,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType!, value: forge.pki.oids.data! },
      { type: forge.pki.oids.messageDigest! },
      { type: forge.pki.oids.signingTime!, value: signingTime as unknown as string },
    ],
  });
  p7.sign({ detached: true });
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary");
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
