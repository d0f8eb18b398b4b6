// Offline verification of a Sigstore bundle's transparency-log entries (Rekor), against log
// public keys the user gives: the entry's body matches the DSSE envelope and certificate, the
// signed entry timestamp (SET) verifies over {body, integratedTime, logID, logIndex}, the RFC
// 6962 / 9162 inclusion proof leads from the entry to the proof's root hash, and the
// checkpoint (signed note) commits to that root and tree size under the same log key. Only an
// integratedTime covered by a verified SET is a trusted signing time.
// Not checked: consistency between checkpoints, witness co-signatures, RFC 3161 timestamps,
// Rekor v2 (checkpoint-only) entries, and entry kinds other than dsse, intoto and hashedrekord.

import { createHash, verify as cryptoVerify, X509Certificate, type KeyObject } from "node:crypto";

export interface TlogKey {
  key: KeyObject;
  /** SHA-256 of the key's SubjectPublicKeyInfo DER: Rekor's log id. */
  logId: Buffer;
}

export function tlogKey(key: KeyObject): TlogKey {
  return { key, logId: createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest() };
}

export interface TlogVerdict {
  /** Every problem that shows the log evidence does not match or is forged. */
  invalid: string[];
  /** The entry comes from no configured log. */
  untrusted: string[];
  /** What was verified, for reasons. */
  verified: string[];
  /** The log time covered by a verified SET, the only trusted signing time. */
  integratedTime?: Date;
}

const asObject = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const b64 = (v: unknown): Buffer | undefined => (typeof v === "string" ? Buffer.from(v, "base64") : undefined);
const int = (v: unknown): number | undefined => {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : typeof v === "number" && Number.isInteger(v) ? v : undefined;
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
};
const sha256 = (...parts: Buffer[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

function verifySig(key: KeyObject, data: Buffer, sig: Buffer): boolean {
  try {
    return cryptoVerify(key.asymmetricKeyType === "ed25519" ? null : "sha256", data, key, sig);
  } catch {
    return false;
  }
}

/** RFC 8785-style canonical JSON for the SET payload: keys sorted, no whitespace. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** RFC 9162 2.1.3.2: the root an inclusion proof leads to, or undefined when the proof's shape is wrong. */
export function rootFromInclusionProof(index: number, treeSize: number, leafHash: Buffer, proof: Buffer[]): Buffer | undefined {
  if (index >= treeSize || treeSize < 1) return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = sha256(Buffer.from([1]), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** A checkpoint in the signed-note format: its origin, size and root, and whether a signature line verifies with the key. */
export function verifyCheckpoint(envelope: string, log: TlogKey): { size?: number; root?: Buffer; signed: boolean; problem?: string } {
  const split = envelope.indexOf("\n\n");
  if (split < 0) return { signed: false, problem: "the checkpoint has no signature block" };
  const note = envelope.slice(0, split + 1);
  const [, sizeLine, rootLine] = note.split("\n");
  const size = int(sizeLine);
  const root = rootLine ? Buffer.from(rootLine, "base64") : undefined;
  if (size === undefined || !root || root.length !== 32) return { signed: false, problem: "the checkpoint does not state a tree size and a 32-byte root hash" };
  const hint = log.logId.subarray(0, 4);
  for (const line of envelope.slice(split + 2).split("\n")) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) continue;
    const raw = Buffer.from(m[2]!, "base64");
    if (raw.length < 5 || !raw.subarray(0, 4).equals(hint)) continue;
    if (verifySig(log.key, Buffer.from(note), raw.subarray(4))) return { size, root, signed: true };
  }
  return { size, root, signed: false, problem: "no checkpoint signature verifies with the log key" };
}

/** The DSSE body (Rekor dsse v0.0.1 or intoto) agrees with the envelope and signer of the bundle. */
/** What the bundle signs: a DSSE payload, or (message signatures) the SHA-256 of the file. */
export interface SignedContent {
  payload?: Buffer;
  payloadSha256?: Buffer;
  signatures: Buffer[];
}

function sameCertificate(pemB64: unknown, certificate: X509Certificate | undefined): boolean {
  if (!certificate || typeof pemB64 !== "string") return true;
  try {
    return new X509Certificate(Buffer.from(pemB64, "base64").toString("utf8")).fingerprint256 === certificate.fingerprint256;
  } catch {
    return false;
  }
}

function checkBody(body: Buffer, kind: string, envelope: SignedContent, certificate: X509Certificate | undefined): string[] {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = asObject(JSON.parse(body.toString("utf8")));
  } catch {
    return ["the log entry's body is not JSON"];
  }
  const spec = asObject(doc?.spec);
  if (!doc || !spec || doc.kind !== kind) return [`the log entry's body is not a ${kind} entry`];
  const problems: string[] = [];
  const payloadHex = (envelope.payloadSha256 ?? (envelope.payload ? sha256(envelope.payload) : Buffer.alloc(0))).toString("hex");
  if (kind === "hashedrekord") {
    const hash = asObject(asObject(spec.data)?.hash);
    if (hash?.algorithm !== "sha256" || hash.value !== payloadHex) problems.push("the logged artifact hash differs from the file's SHA-256");
    const sig = asObject(spec.signature);
    if (typeof sig?.content !== "string" || !envelope.signatures.some((s) => s.equals(Buffer.from(sig.content as string, "base64")))) problems.push("the logged signature differs from the bundle's message signature");
    if (!sameCertificate(asObject(sig?.publicKey)?.content, certificate)) problems.push("the logged verifier is not the bundle's certificate");
    return problems;
  }
  if (kind === "dsse") {
    const payloadHash = asObject(spec.payloadHash);
    if (payloadHash?.algorithm !== "sha256" || payloadHash.value !== payloadHex) problems.push("the logged payload hash differs from the bundle's DSSE payload");
    const logged = (Array.isArray(spec.signatures) ? spec.signatures : []).map(asObject);
    const sigs = new Set(envelope.signatures.map((s) => s.toString("base64")));
    const match = logged.find((s) => typeof s?.signature === "string" && sigs.has(Buffer.from(s.signature, "base64").toString("base64")));
    if (!match) problems.push("the logged signature differs from the bundle's DSSE signature");
    else if (certificate && typeof match.verifier === "string") {
      const pem = Buffer.from(match.verifier, "base64").toString("utf8");
      let same = false;
      try {
        same = new X509Certificate(pem).fingerprint256 === certificate.fingerprint256;
      } catch {
        same = false;
      }
      if (!same) problems.push("the logged verifier is not the bundle's certificate");
    }
  } else {
    // intoto v0.0.2: spec.content.envelope.payload hash is logged as spec.content.payloadHash.
    const content = asObject(spec.content);
    const payloadHash = asObject(content?.payloadHash);
    if (payloadHash?.algorithm !== "sha256" || payloadHash.value !== payloadHex) problems.push("the logged payload hash differs from the bundle's DSSE payload");
  }
  return problems;
}

/** Verifies every transparency-log entry of a bundle against the configured log keys. */
export function verifyTlogEntries(entries: unknown[], envelope: SignedContent, certificate: X509Certificate | undefined, logs: ReadonlyArray<TlogKey>): TlogVerdict {
  const out: TlogVerdict = { invalid: [], untrusted: [], verified: [] };
  for (const [i, raw] of entries.entries()) {
    const e = asObject(raw);
    const what = entries.length > 1 ? `log entry ${i + 1}` : "the log entry";
    const keyId = b64(asObject(e?.logId)?.keyId);
    const body = b64(e?.canonicalizedBody);
    const kind = asObject(e?.kindVersion)?.kind;
    if (!e || !keyId || !body || typeof kind !== "string") {
      out.invalid.push(`${what} lacks logId, kindVersion or canonicalizedBody`);
      continue;
    }
    const log = logs.find((l) => l.logId.equals(keyId));
    if (!log) {
      out.untrusted.push(`${what} comes from log ${keyId.toString("hex").slice(0, 16)}…, which is not a configured transparency-log key`);
      continue;
    }
    if (kind !== "dsse" && kind !== "intoto" && kind !== "hashedrekord") {
      out.untrusted.push(`${what} is of kind ${kind}, which aigis does not check against a DSSE envelope`);
      continue;
    }
    const problems = checkBody(body, kind, envelope, certificate);
    // Signed entry timestamp: the log's promise, over the body and the time it integrated it.
    const time = int(e.integratedTime);
    const logIndex = int(e.logIndex);
    const set = b64(asObject(e.inclusionPromise)?.signedEntryTimestamp);
    let timeVerified = false;
    if (set && time !== undefined && logIndex !== undefined) {
      const payload = canonical({ body: body.toString("base64"), integratedTime: time, logID: keyId.toString("hex"), logIndex });
      if (verifySig(log.key, Buffer.from(payload), set)) timeVerified = true;
      else problems.push(`${what}'s signed entry timestamp does not verify with the log key (integratedTime, index or body changed)`);
    }
    // Inclusion proof and checkpoint.
    const proof = asObject(e.inclusionProof);
    let included = false;
    if (proof) {
      const index = int(proof.logIndex);
      const size = int(proof.treeSize);
      const rootHash = b64(proof.rootHash);
      const hashes = Array.isArray(proof.hashes) ? proof.hashes.map(b64) : [];
      if (index === undefined || size === undefined || !rootHash || hashes.some((h) => !h || h.length !== 32)) problems.push(`${what}'s inclusion proof is malformed`);
      else {
        const root = rootFromInclusionProof(index, size, sha256(Buffer.from([0]), body), hashes as Buffer[]);
        if (!root || !root.equals(rootHash)) problems.push(`${what}'s inclusion proof does not lead to the logged root hash (entry ${index} of ${size})`);
        const cp = typeof asObject(proof.checkpoint)?.envelope === "string" ? verifyCheckpoint(asObject(proof.checkpoint)!.envelope as string, log) : { signed: false, problem: "the inclusion proof has no checkpoint" };
        if (!cp.signed) problems.push(`${what}: ${cp.problem ?? "checkpoint not signed"}`);
        else if (cp.size !== size || !cp.root?.equals(rootHash)) problems.push(`${what}'s checkpoint commits to another tree (size ${cp.size}) than the proof (size ${size})`);
        else if (root?.equals(rootHash)) included = true;
      }
    }
    if (!set && !proof) problems.push(`${what} carries neither a signed entry timestamp nor an inclusion proof`);
    if (problems.length > 0) {
      out.invalid.push(...problems);
      continue;
    }
    if (timeVerified && time !== undefined) out.integratedTime ??= new Date(time * 1000);
    out.verified.push(`${what} is in the log${included ? " (inclusion proof to a signed checkpoint)" : ""}${timeVerified ? `, integrated at ${new Date(time! * 1000).toISOString()} (signed entry timestamp)` : ""}`);
  }
  return out;
}
