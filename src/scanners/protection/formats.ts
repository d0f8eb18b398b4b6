// Recognises encrypted containers by their format, never by entropy: a scheme is named only
// when its structure checks out (magic, versions, algorithm ids, packet sequence), so random
// bytes are not mistaken for a known scheme.

import type { RandomAccessFile } from "../../core/random-access";
import { listZip, peekZipEntry, type ZipEntry } from "../artifacts/archive/zip";

export type EncryptionScheme = "age" | "openpgp" | "openssl-enc" | "cms" | "jwe" | "zip-aes" | "zipcrypto";

export interface EncryptionMatch {
  scheme: EncryptionScheme;
  /** What was recognised, for evidence (e.g. "public-key encrypted session key, RSA"). */
  detail: string;
}

const AGE_MAGIC = "age-encryption.org/v1\n";

function age(head: Buffer): EncryptionMatch | undefined {
  if (head.subarray(0, AGE_MAGIC.length).toString("latin1") === AGE_MAGIC) {
    // The header continues with recipient stanzas ("-> TYPE ...").
    const next = head.subarray(AGE_MAGIC.length, AGE_MAGIC.length + 3).toString("latin1");
    if (next === "-> " || head.length <= AGE_MAGIC.length) return { scheme: "age", detail: "age v1 binary" };
  }
  return undefined;
}

// --- OpenPGP (RFC 4880 / RFC 9580) -----------------------------------------------------------

const PK_ALGOS = new Set([1, 2, 16, 18, 20, 22, 25, 26]);
const SYM_ALGOS = new Set([1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13]);
const HASH_ALGOS = new Set([1, 2, 3, 8, 9, 10, 11, 12, 14]);
const S2K_TYPES = new Set([0, 1, 3, 4]);
const PK_NAMES: Record<number, string> = { 1: "RSA", 2: "RSA", 16: "ElGamal", 18: "ECDH", 25: "X25519", 26: "X448" };

interface Packet {
  tag: number;
  bodyStart: number;
  /** Body length, or undefined for partial / indeterminate lengths (data packets only). */
  length: number | undefined;
}

function packetAt(buf: Buffer, pos: number): Packet | undefined {
  if (pos >= buf.length) return undefined;
  const b = buf[pos]!;
  if ((b & 0x80) === 0) return undefined;
  if (b & 0x40) {
    const tag = b & 0x3f;
    const l = buf[pos + 1];
    if (l === undefined) return undefined;
    if (l < 192) return { tag, bodyStart: pos + 2, length: l };
    if (l < 224) {
      const l2 = buf[pos + 2];
      return l2 === undefined ? undefined : { tag, bodyStart: pos + 3, length: ((l - 192) << 8) + l2 + 192 };
    }
    if (l === 255) return pos + 6 <= buf.length ? { tag, bodyStart: pos + 6, length: buf.readUInt32BE(pos + 2) } : undefined;
    return { tag, bodyStart: pos + 2, length: undefined }; // partial body length
  }
  const tag = (b >> 2) & 0x0f;
  const lenType = b & 0x03;
  if (lenType === 0) return pos + 2 <= buf.length ? { tag, bodyStart: pos + 2, length: buf[pos + 1]! } : undefined;
  if (lenType === 1) return pos + 3 <= buf.length ? { tag, bodyStart: pos + 3, length: buf.readUInt16BE(pos + 1) } : undefined;
  if (lenType === 2) return pos + 5 <= buf.length ? { tag, bodyStart: pos + 5, length: buf.readUInt32BE(pos + 1) } : undefined;
  return { tag, bodyStart: pos + 1, length: undefined };
}

function validEsk(buf: Buffer, p: Packet): string | undefined {
  const body = buf.subarray(p.bodyStart, p.length === undefined ? buf.length : p.bodyStart + p.length);
  if (p.length === undefined || body.length < p.length) return undefined;
  if (p.tag === 1) {
    // Public-key encrypted session key: v3 = version, 8-byte key id, algorithm, MPIs.
    if (body[0] === 3 && body.length > 12 && PK_ALGOS.has(body[9]!)) return `public-key encrypted session key (${PK_NAMES[body[9]!] ?? `algorithm ${body[9]}`})`;
    if (body[0] === 6 && body.length > 4) return "public-key encrypted session key (v6)";
    return undefined;
  }
  if (p.tag === 3) {
    // Symmetric-key encrypted session key: v4 = version, cipher, S2K (type, hash, ...).
    if (body[0] === 4 && body.length >= 4 && SYM_ALGOS.has(body[1]!) && S2K_TYPES.has(body[2]!) && (body[2] === 4 || HASH_ALGOS.has(body[3]!))) {
      return "symmetric-key encrypted session key (passphrase)";
    }
    if ((body[0] === 5 || body[0] === 6) && body.length >= 4 && SYM_ALGOS.has(body[1]!)) return `symmetric-key encrypted session key (v${body[0]})`;
    return undefined;
  }
  return undefined;
}

/** A binary OpenPGP message: one or more session-key packets, then an encrypted data packet. */
export function openPgpMessage(buf: Buffer): EncryptionMatch | undefined {
  let pos = 0;
  const esks: string[] = [];
  for (let i = 0; i < 64; i++) {
    const p = packetAt(buf, pos);
    if (!p) return undefined;
    if (p.tag === 1 || p.tag === 3) {
      const what = validEsk(buf, p);
      if (!what || p.length === undefined) return undefined;
      esks.push(what);
      pos = p.bodyStart + p.length;
      continue;
    }
    // 18 = SEIPD (v1 starts with 1, v2 with 2), 20 = AEAD (v1), 9 = legacy SED (no version byte).
    if (esks.length === 0) return undefined;
    const version = buf[p.bodyStart];
    if ((p.tag === 18 && (version === 1 || version === 2)) || (p.tag === 20 && version === 1) || p.tag === 9) {
      return { scheme: "openpgp", detail: [...new Set(esks)].join(", ") };
    }
    return undefined;
  }
  return undefined;
}

function dearmor(text: string, label: string): Buffer | undefined {
  const start = text.indexOf(`-----BEGIN ${label}-----`);
  if (start < 0) return undefined;
  const lines = text.slice(start).split(/\r?\n/).slice(1);
  const body: string[] = [];
  let inHeaders = true;
  for (const line of lines) {
    if (line.startsWith("-----END")) break;
    if (inHeaders) {
      if (/^[A-Za-z-]+: /.test(line)) continue;
      inHeaders = false;
      if (line.trim() === "") continue;
    }
    if (line.startsWith("=")) break; // OpenPGP armor checksum
    body.push(line.trim());
  }
  const b64 = body.join("");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length < 8) return undefined;
  return Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), "base64");
}

// --- CMS EnvelopedData / AuthEnvelopedData / EncryptedData ------------------------------------

const CMS_ENCRYPTED_OIDS: Record<string, string> = {
  "2a864886f70d010703": "EnvelopedData",
  "2a864886f70d010706": "EncryptedData",
  "2a864886f70d0109100117": "AuthEnvelopedData",
};

/** DER length at pos: the length and where the value starts. */
function derLength(buf: Buffer, pos: number): { length: number; next: number } | undefined {
  const first = buf[pos];
  if (first === undefined) return undefined;
  if (first < 0x80) return { length: first, next: pos + 1 };
  const n = first & 0x7f;
  if (n === 0 || n > 4 || pos + 1 + n > buf.length) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + buf[pos + 1 + i]!;
  return { length, next: pos + 1 + n };
}

/** The CMS content type of a ContentInfo that starts the buffer (outer SEQUENCE, then the OID). */
export function cmsContentType(buf: Buffer, size: number): { oidHex: string; name?: string } | undefined {
  if (buf[0] !== 0x30) return undefined;
  const outer = derLength(buf, 1);
  if (!outer || outer.next + outer.length > size) return undefined;
  if (buf[outer.next] !== 0x06) return undefined;
  const oid = derLength(buf, outer.next + 1);
  if (!oid || oid.length > 16 || oid.next + oid.length > buf.length) return undefined;
  const oidHex = buf.subarray(oid.next, oid.next + oid.length).toString("hex");
  // The content follows as [0] EXPLICIT.
  if (buf[oid.next + oid.length] !== 0xa0) return undefined;
  const name = CMS_ENCRYPTED_OIDS[oidHex] ?? (oidHex === "2a864886f70d010702" ? "SignedData" : undefined);
  return name ? { oidHex, name } : { oidHex };
}

function cms(buf: Buffer, size: number): EncryptionMatch | undefined {
  const type = cmsContentType(buf, size);
  return type && CMS_ENCRYPTED_OIDS[type.oidHex] ? { scheme: "cms", detail: `CMS ${CMS_ENCRYPTED_OIDS[type.oidHex]}` } : undefined;
}

// --- JWE (RFC 7516) ---------------------------------------------------------------------------

function jweHeader(b64: string): Record<string, unknown> | undefined {
  try {
    const header = JSON.parse(Buffer.from(b64, "base64url").toString("utf8")) as unknown;
    return header && typeof header === "object" && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function jwe(text: string): EncryptionMatch | undefined {
  const trimmed = text.trim();
  const parts = trimmed.split(".");
  if (parts.length === 5 && parts.every((p, i) => /^[A-Za-z0-9_-]*$/.test(p) && (i === 1 || i === 4 || p.length > 0))) {
    const header = jweHeader(parts[0]!);
    if (header && typeof header.enc === "string" && typeof header.alg === "string") return { scheme: "jwe", detail: `JWE compact, ${header.alg} / ${header.enc}` };
  }
  if (trimmed.startsWith("{")) {
    try {
      const o = JSON.parse(trimmed) as Record<string, unknown>;
      if (typeof o.ciphertext === "string" && typeof o.protected === "string") {
        const header = jweHeader(o.protected);
        if (header && typeof header.enc === "string") return { scheme: "jwe", detail: `JWE JSON, ${String(header.alg ?? "per-recipient alg")} / ${header.enc}` };
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// --- zip with encrypted entries ---------------------------------------------------------------

export interface ZipProtection {
  entries: number;
  aes: number;
  /** Entries whose data is ZipCrypto ciphertext, not just flagged as encrypted. */
  zipCrypto: number;
  /** Entries flagged as encrypted whose data reads as plain data (the fake-encryption trick). */
  fakeFlag: number;
  deflated: number;
}

/** Flagged entries whose data is checked; past this the sample speaks for the rest. */
const MAX_ZIPCRYPTO_CHECKS = 64;

/**
 * Whether a ZipCrypto-flagged entry really holds ciphertext: the flag alone is a known trick
 * (loaders ignore it and read the data plain), and counting it as encryption would be false
 * assurance. Deflated data that will not inflate is ciphertext; stored data must carry the
 * 12-byte ZipCrypto header in its size.
 */
async function zipCryptoGenuine(file: RandomAccessFile, entry: ZipEntry): Promise<boolean> {
  if (entry.method === 0) return entry.compressedSize === entry.uncompressedSize + 12;
  try {
    await peekZipEntry(file, entry, 4096);
    return false;
  } catch {
    return true;
  }
}

export async function zipProtection(file: RandomAccessFile, maxEntries: number): Promise<ZipProtection | undefined> {
  try {
    const { entries } = await listZip(file, maxEntries);
    const files = entries.filter((e) => !e.name.endsWith("/"));
    const flagged = files.filter((e) => e.method !== 99 && (e.flags & 1) === 1);
    const checked = flagged.slice(0, MAX_ZIPCRYPTO_CHECKS);
    let genuine = 0;
    for (const e of checked) if (await zipCryptoGenuine(file, e)) genuine++;
    const zipCrypto = checked.length === flagged.length ? genuine : genuine === checked.length ? flagged.length : Math.round((genuine / checked.length) * flagged.length);
    return {
      entries: files.length,
      aes: files.filter((e) => e.method === 99).length,
      zipCrypto,
      fakeFlag: flagged.length - zipCrypto,
      deflated: files.filter((e) => e.method === 8 || e.method === 12 || e.method === 14 || e.method === 93 || e.method === 95).length,
    };
  } catch {
    return undefined;
  }
}

/** Recognises an encrypted container from the first bytes of a file (the whole file when small). */
export function recogniseEncryption(head: Buffer, size: number): EncryptionMatch | undefined {
  const binary = age(head) ?? (head.subarray(0, 8).toString("latin1") === "Salted__" && size >= 17 ? { scheme: "openssl-enc" as const, detail: "OpenSSL enc, salted" } : undefined) ?? cms(head, size) ?? openPgpMessage(head);
  if (binary) return binary;
  // Text forms: armor and JSON / compact serialisations.
  const text = head.subarray(0, Math.min(head.length, 64 * 1024)).toString("latin1");
  const trimmed = text.trimStart();
  if (trimmed.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) {
    const inner = dearmor(trimmed, "AGE ENCRYPTED FILE");
    if (inner && age(inner)) return { scheme: "age", detail: "age v1 armored" };
    return undefined;
  }
  if (trimmed.startsWith("-----BEGIN PGP MESSAGE-----")) {
    const inner = dearmor(trimmed, "PGP MESSAGE");
    const match = inner && openPgpMessage(inner);
    return match ? { scheme: "openpgp", detail: `${match.detail}, armored` } : undefined;
  }
  const pem = /^-----BEGIN (CMS|PKCS7)-----/.exec(trimmed);
  if (pem) {
    const inner = dearmor(trimmed, pem[1]!);
    const match = inner && cms(inner, Number.MAX_SAFE_INTEGER);
    return match ? { scheme: "cms", detail: `${match.detail}, PEM` } : undefined;
  }
  return jwe(text);
}
