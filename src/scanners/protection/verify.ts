// `aigis verify`: checks one artifact against one explicit signature (detached CMS / PKCS#7,
// or an OpenSSF model signing bundle over a model folder), offline, with given trust anchors.

import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { UsageError } from "../../core/errors";
import { sha256File } from "../../core/hash";
import type { SignatureStatus } from "../../types";
import { isModelSigningBundle, verifyBundle } from "./bundle";
import { verifyDetachedCms } from "./cms";
import { isMessageSignatureBundle, verifyMessageBundle } from "./message-bundle";
import { protectionData } from "./settings";
import { tlogKey, type TlogKey } from "./tlog";
import { loadLogKeys, loadTrustAnchors, TrustAnchorError } from "./x509";

export interface VerifyRequest {
  artifact: string;
  signature: string;
  trustAnchors: string[];
  /** Transparency-log public keys (PEM) for Sigstore bundles. */
  transparencyLogKeys?: string[];
  cwd: string;
  now?: Date;
}

export interface FileCheck {
  name: string;
  result: "ok" | "mismatch" | "missing" | "unlisted";
}

export interface VerifyResult {
  artifact: string;
  signature: string;
  type: "cms" | "model-signing-bundle" | "sigstore-message";
  status: Exclude<SignatureStatus, "missing">;
  reasons: string[];
  signer?: string;
  files?: FileCheck[];
}

async function walk(dir: string, root: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) await walk(abs, root, out);
    else if (e.isFile()) out.push(relative(root, abs).split(sep).join("/"));
  }
}

export async function verifyArtifact(req: VerifyRequest): Promise<VerifyResult> {
  const artifactPath = resolve(req.cwd, req.artifact);
  const signaturePath = resolve(req.cwd, req.signature);
  const artifactStat = await stat(artifactPath).catch(() => undefined);
  if (!artifactStat) throw new UsageError(`artifact not found: ${req.artifact}`);
  const signatureBytes = await readFile(signaturePath).catch(() => undefined);
  if (!signatureBytes) throw new UsageError(`signature not found: ${req.signature}`);
  let trust;
  let logs: TlogKey[];
  try {
    trust = loadTrustAnchors(req.trustAnchors, req.cwd);
    logs = loadLogKeys(req.transparencyLogKeys ?? [], req.cwd).map(tlogKey);
  } catch (e) {
    if (e instanceof TrustAnchorError) throw new UsageError(e.message);
    throw e;
  }
  const data = protectionData();
  const now = req.now ?? new Date();
  const base = { artifact: req.artifact, signature: req.signature };

  let json: unknown;
  try {
    json = signatureBytes[0] === 0x7b ? JSON.parse(signatureBytes.toString("utf8")) : undefined;
  } catch {
    json = undefined;
  }
  if (json !== undefined && isMessageSignatureBundle(json)) {
    if (!artifactStat.isFile()) throw new UsageError(`${req.artifact} is a folder; a Sigstore message signature covers one file`);
    const verdict = await verifyMessageBundle(signatureBytes.toString("utf8"), artifactPath, trust, { now, weak: data.weakSignature, logs });
    return { ...base, type: "sigstore-message", status: verdict.status, reasons: verdict.reasons, ...(verdict.signer ? { signer: verdict.signer } : {}) };
  }
  if (json !== undefined && isModelSigningBundle(json)) {
    const verdict = verifyBundle(signatureBytes.toString("utf8"), trust, { now, weak: data.weakSignature, logs });
    const result: VerifyResult = { ...base, type: "model-signing-bundle", status: verdict.status, reasons: [...verdict.reasons], ...(verdict.signer ? { signer: verdict.signer } : {}) };
    if (!verdict.files) return result;
    const root = artifactStat.isDirectory() ? artifactPath : resolve(artifactPath, "..");
    const present: string[] = [];
    await walk(root, root, present);
    const listed = new Map(verdict.files.map((f) => [f.name, f.sha256] as const));
    const files: FileCheck[] = [];
    for (const [name, sha256] of listed) {
      const abs = join(root, name);
      const actual = present.includes(name) ? await sha256File(abs) : null;
      files.push({ name, result: actual === null ? "missing" : actual === sha256 ? "ok" : "mismatch" });
    }
    const own = relative(root, signaturePath).split(sep).join("/");
    for (const name of present) if (!listed.has(name) && name !== own && !verdict.ignorePaths.some((p) => name === p || name.startsWith(p.endsWith("/") ? p : `${p}/`))) files.push({ name, result: "unlisted" });
    const bad = files.filter((f) => f.result !== "ok");
    if (bad.length > 0) {
      result.status = "invalid";
      result.reasons.unshift(`${bad.length} file(s) differ from the signed list: ${bad.slice(0, 5).map((f) => `${f.name} (${f.result})`).join(", ")}`);
    }
    result.files = files;
    return result;
  }
  if (!artifactStat.isFile()) throw new UsageError(`${req.artifact} is a folder; a detached CMS signature covers one file`);
  const verdict = await verifyDetachedCms(signatureBytes, artifactPath, trust, { now, weak: data.weakSignature });
  return { ...base, type: "cms", status: verdict.status, reasons: verdict.reasons, ...(verdict.signer ? { signer: verdict.signer } : {}) };
}
