// Content detectors for encryption and signature formats.

import type { ContentDetector, FormatDeclaration, TargetKind } from "../../types";
import { startsWith } from "../../core/sniff";
import { cmsContentType, openPgpMessage } from "./formats";

export const PROTECTION_FORMATS: ReadonlyArray<FormatDeclaration> = [
  { kind: "age", category: "container", description: "age encrypted file (binary or armored)" },
  { kind: "openpgp", category: "container", description: "OpenPGP encrypted message (binary or armored)" },
  { kind: "openssl-enc", category: "container", description: "openssl enc output (Salted__)" },
  { kind: "cms-enveloped", category: "container", description: "CMS EnvelopedData / EncryptedData" },
  { kind: "jwe", category: "container", description: "JSON Web Encryption (compact or JSON)" },
  { kind: "cms-signature", category: "signature", description: "CMS / PKCS#7 SignedData (detached signature)" },
  { kind: "sigstore-bundle", category: "signature", description: "Sigstore bundle (OpenSSF model signing)" },
  { kind: "checksum-manifest", category: "signature", description: "SHA256SUMS manifest" },
  { kind: "pem", category: "other", description: "PEM text (certificates, keys)" },
];

const TEXT_KINDS: ReadonlyArray<TargetKind> = ["text", "yaml", "csv", "json", "jsonl"];

/** DER SEQUENCE holding a CMS ContentInfo; returns signedData / envelopedData or undefined. */
function cmsType(head: Buffer): "cms-signature" | "cms-enveloped" | undefined {
  if (head[0] !== 0x30) return undefined;
  const oidPrefix = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07]);
  const at = head.subarray(0, 16).indexOf(oidPrefix);
  if (at < 0) return undefined;
  const last = head[at + oidPrefix.length];
  return last === 0x02 ? "cms-signature" : last === 0x03 ? "cms-enveloped" : undefined;
}

function armored(text: string): TargetKind | undefined {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) return "age";
  if (trimmed.startsWith("-----BEGIN PGP MESSAGE-----")) return "openpgp";
  const pemCms = /^-----BEGIN (PKCS7|CMS)-----\r?\n([A-Za-z0-9+/=\r\n]{16,})/.exec(trimmed);
  if (pemCms) {
    // PEM CMS may be SignedData or EnvelopedData: decide from the content type inside.
    const der = Buffer.from(pemCms[2]!.replace(/\s+/g, "").slice(0, 64).replace(/=+$/, ""), "base64");
    const name = cmsContentType(der, Number.MAX_SAFE_INTEGER)?.name;
    return name === "EnvelopedData" || name === "AuthEnvelopedData" || name === "EncryptedData" ? "cms-enveloped" : "cms-signature";
  }
  if (/^-----BEGIN (PKCS7|CMS)-----/.test(trimmed)) return "cms-signature";
  if (/^-----BEGIN [A-Z0-9 ]+-----/.test(trimmed)) return "pem";
  if (/^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\s*$/.test(trimmed)) {
    try {
      const header = JSON.parse(Buffer.from(trimmed.split(".")[0]!, "base64url").toString("utf8")) as Record<string, unknown>;
      if (typeof header["enc"] === "string") return "jwe";
    } catch {
      /* not a JWE */
    }
  }
  return undefined;
}

export const PROTECTION_DETECTORS: ReadonlyArray<ContentDetector> = [
  { name: "age", order: 105, refines: "*", detect: ({ head }) => (startsWith(head, "age-encryption.org/v1\n") ? "age" : undefined) },
  { name: "openssl-enc", order: 106, refines: "*", detect: ({ head }) => (startsWith(head, "Salted__") ? "openssl-enc" : undefined) },
  { name: "cms-der", order: 160, refines: "*", detect: ({ head }) => cmsType(head) },
  { name: "openpgp-binary", order: 230, refines: ["unknown"], detect: ({ head }) => (openPgpMessage(head) !== undefined ? "openpgp" : undefined) },
  { name: "armored", order: 300, refines: TEXT_KINDS, detect: ({ text }) => (text === undefined ? undefined : armored(text)) },
  {
    name: "checksum-manifest",
    order: 302,
    refines: TEXT_KINDS,
    detect({ text, head, size }) {
      if (text === undefined) return undefined;
      // A manifest: every complete line is "<sha256>  name" (the last line may be cut by the head).
      const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
      const complete = head.length < size ? lines.slice(0, -1) : lines;
      return complete.length > 0 && complete.every((l) => /^[0-9a-fA-F]{64}\s+[* ]?\S.*$/.test(l)) ? "checksum-manifest" : undefined;
    },
  },
  {
    name: "sigstore-bundle",
    order: 311,
    refines: ["json"],
    detect({ json }) {
      const o = json as Record<string, unknown> | undefined;
      return o && typeof o === "object" && typeof o["mediaType"] === "string" && o["mediaType"].startsWith("application/vnd.dev.sigstore.bundle") ? "sigstore-bundle" : undefined;
    },
  },
  {
    name: "jwe-json",
    order: 315,
    refines: ["json"],
    detect({ json }) {
      const o = json as Record<string, unknown> | undefined;
      return o && typeof o === "object" && typeof o["protected"] === "string" && typeof o["ciphertext"] === "string" ? "jwe" : undefined;
    },
  },
];
