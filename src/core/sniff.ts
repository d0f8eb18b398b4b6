// Decides a target's kind from its content (magic bytes and structure), never from its name.

import type { TargetKind } from "../types";
import type { RandomAccessFile } from "./random-access";
// Format probes shared with the scanners that read these formats in full.
import { listZip } from "../scanners/artifacts/archive/zip";
import { looksLikePickle } from "../scanners/artifacts/pickle/machine";
import { compressionOf } from "../scanners/artifacts/archive/decompress";
import { constants as zlibConstants, inflateSync } from "node:zlib";
import { cmsContentType, openPgpMessage } from "../scanners/protection/formats";
import { detectPolicyKind, MAX_POLICY_DETECT_BYTES } from "../scanners/policies/detect";

export const HEAD_BYTES = 64 * 1024;

const startsWith = (buf: Buffer, magic: number[] | string, at = 0): boolean => {
  const bytes = typeof magic === "string" ? Buffer.from(magic, "latin1") : Buffer.from(magic);
  return buf.length >= at + bytes.length && buf.subarray(at, at + bytes.length).equals(bytes);
};

/** Reads a protobuf varint; undefined when malformed or past the end. */
function varint(buf: Buffer, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) return undefined;
    const b = buf[pos + i]!;
    value += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  return undefined;
}

/** Walks top-level protobuf fields over the head; returns the field numbers seen, or undefined if the bytes are not protobuf. */
function protobufFields(head: Buffer, totalSize: number): Array<{ field: number; wire: number; value?: number }> | undefined {
  const fields: Array<{ field: number; wire: number; value?: number }> = [];
  let p = 0;
  while (p < head.length) {
    const key = varint(head, p);
    if (!key) return head.length < totalSize && fields.length > 0 ? fields : undefined;
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    if (field === 0 || field > 1000) return undefined;
    p = key.next;
    if (wire === 0) {
      const v = varint(head, p);
      if (!v) return head.length < totalSize ? fields : undefined;
      fields.push({ field, wire, value: v.value });
      p = v.next;
    } else if (wire === 2) {
      const len = varint(head, p);
      if (!len) return head.length < totalSize ? fields : undefined;
      if (len.next + len.value > totalSize) return undefined;
      fields.push({ field, wire });
      p = len.next + len.value;
    } else if (wire === 1) {
      fields.push({ field, wire });
      p += 8;
    } else if (wire === 5) {
      fields.push({ field, wire });
      p += 4;
    } else {
      return undefined;
    }
    if (p > totalSize) return undefined;
  }
  return fields;
}

function sniffProtobuf(head: Buffer, size: number): TargetKind | undefined {
  // ONNX ModelProto starts with ir_version (field 1, varint) and carries graph (7) / opset_import (8).
  // TensorFlow SavedModel starts with saved_model_schema_version (1) then meta_graphs (2) only.
  if (head[0] !== 0x08) return undefined;
  const fields = protobufFields(head, size);
  if (!fields || fields.length < 2) return undefined;
  const numbers = new Set(fields.map((f) => f.field));
  const first = fields[0]!;
  if (first.field !== 1 || first.wire !== 0) return undefined;
  if ((numbers.has(7) || numbers.has(8)) && [...numbers].every((n) => n <= 20) && (first.value ?? 99) <= 20) return "onnx";
  if ([...numbers].every((n) => n === 1 || n === 2) && fields.filter((f) => f.field === 2).every((f) => f.wire === 2)) return "tf-saved-model";
  return undefined;
}

function isLikelyText(head: Buffer): boolean {
  if (head.length === 0) return false;
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) control++;
  }
  if (control > head.length / 100) return false;
  // Reject invalid UTF-8 (a cut multi-byte sequence at the very end is fine).
  const decoded = head.toString("utf8");
  const replacements = (decoded.match(/\uFFFD/g) ?? []).length;
  return replacements <= 1;
}

function sniffJson(text: string): TargetKind {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Malformed policies still go to the policy scanner, which reports where the JSON breaks.
    if (/"Statement"\s*:/.test(text) && /"Effect"\s*:/.test(text)) return "iam-policy";
    if (/"bindings"\s*:/.test(text) && /"role"\s*:\s*"roles\//.test(text)) return "gcs-iam-policy";
    return "json";
  }
  if (!doc || typeof doc !== "object") return "json";
  const o = doc as Record<string, unknown>;
  if ("modelTopology" in o || ("weightsManifest" in o && "format" in o)) return "tfjs-model";
  if (typeof o.mediaType === "string" && o.mediaType.startsWith("application/vnd.dev.sigstore.bundle")) return "sigstore-bundle";
  if ("Statement" in o && ("Version" in o || Array.isArray(o.Statement) || typeof o.Statement === "object")) return "iam-policy";
  if (hasPolicyDocument(o, 0)) return "iam-policy";
  if (Array.isArray(o.bindings) && o.bindings.every((b) => b && typeof b === "object" && "role" in (b as object))) return "gcs-iam-policy";
  if (isRbacObject(o) || (Array.isArray(o.items) && o.items.some(isRbacObject))) return "k8s-rbac";
  if (typeof o.protected === "string" && typeof o.ciphertext === "string") return "jwe";
  return "json";
}

/** Kubernetes RBAC objects as `kubectl get -o json` prints them. */
function isRbacObject(o: unknown): boolean {
  if (!o || typeof o !== "object") return false;
  const { apiVersion, kind } = o as Record<string, unknown>;
  return typeof apiVersion === "string" && apiVersion.startsWith("rbac.authorization.k8s.io/") && typeof kind === "string" && /^(Cluster)?Role(Binding)?$/.test(kind);
}

/** CloudFormation and Terraform plans carry IAM policies in PolicyDocument / policy fields. */
function hasPolicyDocument(o: unknown, depth: number): boolean {
  if (depth > 8 || !o || typeof o !== "object") return false;
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if ((k === "PolicyDocument" || k === "AssumeRolePolicyDocument" || k === "KeyPolicy") && v && typeof v === "object" && "Statement" in (v as object)) return true;
    if ((k === "policy" || k === "Policy" || k === "assume_role_policy" || k === "json") && typeof v === "string" && v.includes('"Statement"')) return true;
    // Policies nested under other keys (aws iam get-account-authorization-details: PolicyVersionList[].Document).
    if (k === "Statement" && Array.isArray(v) && v.length > 0 && v.every((s) => s && typeof s === "object" && "Effect" in (s as object))) return true;
    if (typeof v === "object" && hasPolicyDocument(v, depth + 1)) return true;
  }
  return false;
}

function sniffText(head: Buffer, size: number): TargetKind {
  const text = head.toString("utf8");
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
      if (typeof header.enc === "string") return "jwe";
    } catch {
      /* not a JWE */
    }
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  // A manifest: every complete line is "<sha256>  name" (the last line may be cut by the head).
  const completeLines = head.length < size ? lines.slice(0, -1) : lines;
  if (completeLines.length > 0 && completeLines.every((l) => /^[0-9a-fA-F]{64}\s+[* ]?\S.*$/.test(l))) {
    return "checksum-manifest";
  }
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    if (head.length >= size) {
      const kind = sniffJson(text);
      if (kind !== "json") return kind;
      // JSON Lines: every non-empty line is a JSON value of its own.
      if (lines.length > 1 && lines.every((l) => isJson(l))) return "jsonl";
      if (isJson(text)) return "json";
    } else {
      const complete = head.length < size ? lines.slice(0, -1) : lines;
      if (complete.length > 1 && complete.every((l) => isJson(l) && l.trim().startsWith("{"))) return "jsonl";
      // Large JSON: judge by the keys seen in the head.
      if (/"modelTopology"\s*:/.test(text)) return "tfjs-model";
      // Policies, also as JSON strings inside Terraform plans (escaped quotes), and plans with IAM resources.
      if (/\\?"Statement\\?"\s*:/.test(text)) return "iam-policy";
      if (/"terraform_version"\s*:/.test(text) && /"type"\s*:\s*"aws_(iam_|s3_bucket_policy|kms_key)/.test(text)) return "iam-policy";
      return "json";
    }
  }
  if (/^\s*(apiVersion|kind)\s*:/m.test(text) && /rbac\.authorization\.k8s\.io/.test(text) && /^\s*kind\s*:\s*(Cluster)?Role(Binding)?\s*$/m.test(text)) {
    return "k8s-rbac";
  }
  // IAM policies in YAML: CloudFormation templates (PolicyDocument, KeyPolicy, ...) and bare policies.
  // SAM templates may inline statements under Policies without a PolicyDocument key.
  if (
    /^\s*(-\s+)?Statement\s*:/m.test(text) &&
    (/^\s*(-\s+)?(PolicyDocument|AssumeRolePolicyDocument|KeyPolicy)\s*:/m.test(text) ||
      /^Version\s*:\s*["']?2012-10-17/m.test(text) ||
      (/^(AWSTemplateFormatVersion|Resources)\s*:/m.test(text) && /^\s*(-\s+)?Effect\s*:\s*["']?(Allow|Deny)\b/m.test(text)))
  ) {
    return "iam-policy";
  }
  // GCS IAM policies as gcloud prints them (YAML).
  if (/^bindings\s*:/m.test(text) && /^\s*-?\s*role\s*:\s*["']?roles\//m.test(text)) return "gcs-iam-policy";
  if (isDelimited(lines, head.length < size)) return "csv";
  if (/^(---\s*\n)?([A-Za-z_][\w.-]*\s*:(\s|$))/m.test(text) && /^[A-Za-z_][\w.-]*\s*:/m.test(lines[0] ?? "")) return "yaml";
  return "text";
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** CSV/TSV: at least two lines with the same, non-zero count of one delimiter outside quotes. */
function isDelimited(lines: string[], truncated: boolean): boolean {
  const sample = joinQuotedLines(truncated ? lines.slice(0, -1) : lines).slice(0, 50);
  if (sample.length < 2) return false;
  for (const delim of [",", "\t", ";", "|"]) {
    const counts = sample.map((l) => countOutsideQuotes(l, delim));
    if (counts[0]! > 0 && counts.every((c) => c === counts[0])) return true;
  }
  return false;
}

/** Rejoins records whose quoted fields hold newlines (an odd count of quotes leaves a field open). */
function joinQuotedLines(lines: string[]): string[] {
  const out: string[] = [];
  let open: string | undefined;
  for (const line of lines) {
    const record = open === undefined ? line : `${open}\n${line}`;
    if ((record.split('"').length - 1) % 2 === 1) open = record;
    else {
      out.push(record);
      open = undefined;
    }
  }
  return out;
}

function countOutsideQuotes(line: string, delim: string): number {
  let n = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === delim && !quoted) n++;
  }
  return n;
}

/** An encrypted OpenPGP message: session-key packets (tags 1/3) followed by an encrypted data packet. */
function isOpenPgpBinary(head: Buffer): boolean {
  return openPgpMessage(head) !== undefined;
}

/** DER SEQUENCE holding a CMS ContentInfo; returns signedData / envelopedData or undefined. */
function cmsType(head: Buffer): "signed" | "enveloped" | undefined {
  if (head[0] !== 0x30) return undefined;
  const oidPrefix = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07]);
  const at = head.subarray(0, 16).indexOf(oidPrefix);
  if (at < 0) return undefined;
  const last = head[at + oidPrefix.length];
  return last === 0x02 ? "signed" : last === 0x03 ? "enveloped" : undefined;
}

async function zipKind(file: RandomAccessFile): Promise<TargetKind> {
  // PyTorch checkpoints are zips whose members sit under one folder and include data.pkl.
  try {
    const { entries } = await listZip(file, 100_000);
    // Local header names count too: PyTorch reads those when the central directory disagrees.
    const names = entries.flatMap((e) => (e.localName !== undefined ? [e.name, e.localName] : [e.name]));
    if (names.some((n) => /(^|\/)data\.pkl$/.test(n)) && names.some((n) => /(^|\/)(data\/\d+|version|byteorder|\.data\/version)$/.test(n))) {
      return "pytorch-zip";
    }
  } catch {
    /* unreadable zip: still a zip */
  }
  return "zip";
}

function inflatesCleanly(head: Buffer): boolean {
  try {
    return inflateSync(head.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 }).length > 0;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
  }
}

/** A head that may open a YAML stream whose policy objects come later (a Helm render starts with `---` and comments). */
const YAMLISH = /^\s*(apiVersion|kind|Resources|AWSTemplateFormatVersion|bindings)\s*:/m;

async function policyByStructure(head: Buffer, file: RandomAccessFile): Promise<TargetKind | undefined> {
  if (file.size > MAX_POLICY_DETECT_BYTES) return undefined;
  const bytes = head.length >= file.size ? head : await file.read(0, file.size);
  return detectPolicyKind(bytes.toString("utf8"));
}

export async function sniffKind(head: Buffer, file: RandomAccessFile): Promise<TargetKind> {
  const size = file.size;
  if (size === 0) return "unknown";
  if (startsWith(head, "PK\x03\x04") || startsWith(head, "PK\x05\x06")) return zipKind(file);
  if (startsWith(head, [0x1f, 0x8b])) return "gzip";
  if (startsWith(head, "BZh") && head.length > 3 && head[3]! >= 0x31 && head[3]! <= 0x39) return "bzip2";
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (startsWith(head, "\x93NUMPY")) return "numpy";
  if (startsWith(head, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])) return "hdf5";
  if (startsWith(head, "GGUF")) return "gguf";
  if (startsWith(head, "PAR1")) return "parquet";
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47]) || startsWith(head, [0xff, 0xd8, 0xff]) || startsWith(head, "GIF8") || (startsWith(head, "RIFF") && startsWith(head, "WEBP", 8))) {
    return "image";
  }
  if (startsWith(head, "age-encryption.org/v1\n")) return "age";
  if (startsWith(head, "Salted__")) return "openssl-enc";
  if (head.length >= 262 && startsWith(head, "ustar", 257)) return "tar";
  // safetensors: u64 header length, then a JSON object that fits in the file.
  if (head.length >= 10) {
    const headerLen = Number(head.readBigUInt64LE(0));
    if (headerLen > 1 && headerLen <= size - 8 && head[8] === 0x7b /* { */) {
      const end = Math.min(head.length, 8 + headerLen);
      const json = head.subarray(8, end).toString("utf8");
      if (end === 8 + headerLen ? isJson(json.trimEnd()) : /^\{\s*"/.test(json)) return "safetensors";
    }
    // A header length past the end of the file is a malformed safetensors file, not an unknown one.
    if (headerLen > size - 8 && head[8] === 0x7b && /^\{\s*"(__metadata__|[^"]{1,200}"\s*:\s*\{\s*"(dtype|shape|data_offsets)")/.test(head.subarray(8, 512).toString("utf8"))) return "safetensors";
  }
  const cms = cmsType(head);
  if (cms === "signed") return "cms-signature";
  if (cms === "enveloped") return "cms-enveloped";
  if (looksLikePickle(head, size)) return "pickle";
  const proto = sniffProtobuf(head, size);
  if (proto) return proto;
  // Raw zlib and lzma-alone streams (joblib's compressors) have weak magic: require a clean decode of the head.
  const compression = compressionOf(head);
  if (compression === "zlib" && inflatesCleanly(head)) return "zlib";
  if (compression === "lzma") return "lzma";
  if (isOpenPgpBinary(head)) return "openpgp";
  if (isLikelyText(head)) {
    const kind = sniffText(head, size);
    // JSON and YAML are judged by structure over the whole file (bounded), not by the head alone.
    if (kind === "json" || kind === "yaml" || (kind === "text" && head.length < size && YAMLISH.test(head.toString("utf8")))) return (await policyByStructure(head, file)) ?? kind;
    return kind;
  }
  return "unknown";
}
