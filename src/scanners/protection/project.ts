// Checks that span files, run once after every file was scanned: detached signatures beside
// artifacts, model signing bundles over folders, SHA256SUMS manifests, missing signatures
// where policy requires them, and POSIX file modes.

import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { posix, resolve } from "node:path";
import picomatch from "picomatch";
import { UsageError } from "../../core/errors";
import { sha256File } from "../../core/hash";
import type { ProjectContext, Rule } from "../../types";
import type { SignatureInfo, Target } from "../../types";
import { signaturesBeside, type SignatureFile } from "./beside";
import { verifyBundle } from "./bundle";
import { isMessageSignatureBundle, verifyMessageBundle } from "./message-bundle";
import { verifyDetachedCms, type SignatureVerdict } from "./cms";
import type { EncryptionDoc, FileModeDoc, IntegrityDoc, IntegrityEntry, SignatureDoc } from "./documents";
import { parseSha256Manifest } from "./manifest";
import { encryptionRules, fileModeRules, integrityRules, signatureRules } from "./rules";
import { protectedCategory, filesWithPersonalData, globMatcher, holdsPersonalData, protectionData, protectionOptions, selectorMatch, type ProtectionData, type ProtectionOptions } from "./settings";
import { tlogKey, type TlogKey } from "./tlog";
import { loadLogKeys, loadTrustAnchors, TrustAnchorError, type TrustStore } from "./x509";

type ProjectTarget = Target & { absPath: string };

/** Largest manifest or bundle read whole. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;
const STATUS_ORDER: SignatureInfo["status"][] = ["invalid", "untrusted", "expired", "weak", "missing", "unverified", "valid"];

/** Runs rules over a document about `fallbackUri` (findings without a uri of their own land there). */
export function runProjectRules<Doc>(rules: ReadonlyArray<Rule<Doc>>, doc: Doc, ctx: ProjectContext, fallbackUri: string): void {
  ctx.runRules(rules, doc, fallbackUri);
}

/** Transparency-log keys from --tlog-key and scanners.protection.transparencyLogKeys. */
export function logKeysFor(ctx: { settings: ProjectContext["settings"]; cwd: string }, options: ProtectionOptions): TlogKey[] {
  try {
    return loadLogKeys([...(ctx.settings.hints.transparencyLogKeys ?? []), ...(options.transparencyLogKeys ?? [])], ctx.cwd).map(tlogKey);
  } catch (e) {
    if (e instanceof TrustAnchorError) throw new UsageError(e.message.replace(/^trust anchor/, "transparency-log key"));
    throw e;
  }
}

export function trustStoreFor(ctx: { settings: ProjectContext["settings"]; cwd: string }, options: ProtectionOptions): TrustStore {
  try {
    return loadTrustAnchors([...(ctx.settings.hints.trustAnchors ?? []), ...(options.trustAnchors ?? [])], ctx.cwd);
  } catch (e) {
    if (e instanceof TrustAnchorError) throw new UsageError(e.message);
    throw e;
  }
}

const parentOf = (uri: string): string => posix.dirname(uri);
const under = (uri: string, folder: string): boolean => folder === "." || uri.startsWith(`${folder}/`);
const joinUri = (folder: string, name: string): string => posix.normalize(folder === "." ? name : `${folder}/${name}`);

function toInfo(v: SignatureVerdict | SignatureDoc, signatureUri?: string): SignatureInfo {
  return { status: v.status, reasons: v.reasons, ...(signatureUri ? { signatureUri } : {}), ...(v.signer ? { signer: v.signer } : {}) };
}

class Annotations {
  private readonly byUri = new Map<string, SignatureInfo>();
  set(uri: string, info: SignatureInfo): void {
    const prior = this.byUri.get(uri);
    if (!prior || STATUS_ORDER.indexOf(info.status) < STATUS_ORDER.indexOf(prior.status)) this.byUri.set(uri, info);
  }
  get(uri: string): SignatureInfo | undefined {
    return this.byUri.get(uri);
  }
  flush(ctx: ProjectContext): void {
    for (const [uri, signature] of this.byUri) ctx.annotate(uri, { signature });
  }
}

async function currentSha256(uri: string, byUri: Map<string, ProjectTarget>, cwd: string): Promise<string | null> {
  const t = byUri.get(uri);
  if (t?.sha256) return t.sha256;
  const abs = resolve(cwd, uri);
  if (!existsSync(abs)) return null;
  try {
    return (await stat(abs)).isFile() ? await sha256File(abs) : null;
  } catch {
    return null;
  }
}

function isSignatureLike(t: ProjectTarget, data: ProtectionData): boolean {
  return t.kind === "cms-signature" || t.kind === "sigstore-bundle" || t.kind === "checksum-manifest" || /\.(asc|p7s|sig|minisig)$/i.test(t.uri) || data.bundleSuffixes.some((s) => t.uri.endsWith(s) && t.kind === "json");
}

export async function protectProject(ctx: ProjectContext): Promise<void> {
  const data = protectionData();
  const options = protectionOptions(ctx.settings);
  const trust = trustStoreFor(ctx, options);
  const logs = logKeysFor(ctx, options);
  const now = new Date();
  const byUri = new Map(ctx.targets.map((t) => [t.uri, t] as const));
  const annotations = new Annotations();
  /** Artifacts with a signature that verified (valid or weak), directly or through a signed manifest. */
  const signed = new Set<string>();
  const signedOrAttempted = new Set<string>();

  // 1-2. Every signature covering a scanned artifact, found on disk beside it (NAME.p7s,
  //      NAME.sig, NAME.sigstore.json, FOLDER.sig...), whether or not it was scanned itself, so
  //      naming the model file gives the same verdict as scanning its folder.
  // Manifests are artifacts too: a signed SHA256SUMS (SHA256SUMS.p7s) extends to what it lists.
  const artifacts = ctx.targets.filter((t) => !isSignatureLike(t, data) || t.kind === "checksum-manifest");
  const signatureFiles = await signaturesBeside(artifacts.map((t) => t.absPath), ctx.cwd, data);
  const byAbs = new Map(ctx.targets.map((t) => [t.absPath, t] as const));
  for (const sig of signatureFiles) {
    if (sig.bytes > MAX_TEXT_BYTES) {
      // Signatures and bundles are a few KiB; a huge one is not read whole.
      ctx.notices(sig.uri).limitExceeded({ what: `${sig.uri} is ${sig.bytes} bytes, more than is read for a signature, and was not verified`, limit: "signatureBytes", value: MAX_TEXT_BYTES, key: "signature-size" });
      continue;
    }
    const content = await readFile(sig.absPath).catch(() => undefined);
    if (!content) continue;
    if (sig.type === "cms") {
      const artifact = byAbs.get(sig.covers.absPath);
      if (!artifact) continue;
      const verdict = await verifyDetachedCms(content, artifact.absPath, trust, { now, weak: data.weakSignature });
      const doc: SignatureDoc = { uri: artifact.uri, signatureUri: sig.uri, via: "cms", status: verdict.status, reasons: verdict.reasons, ...(verdict.signer ? { signer: verdict.signer } : {}), evidence: cmsEvidence(verdict) };
      annotations.set(artifact.uri, toInfo(verdict, sig.uri));
      signedOrAttempted.add(artifact.uri);
      if (verdict.status === "valid" || verdict.status === "weak") signed.add(artifact.uri);
      runProjectRules(signatureRules, doc, ctx, artifact.uri);
      continue;
    }
    await applyBundle(sig, content.toString("utf8"));
  }

  async function applyBundle(b: SignatureFile, text: string): Promise<void> {
    if (isMessageSignatureBundle(safeJson(text))) {
      // A message signature covers exactly one file: NAME.sigstore.json beside NAME.
      const artifact = b.covers.kind === "file" ? byAbs.get(b.covers.absPath) : undefined;
      if (!artifact) return;
      const verdict = await verifyMessageBundle(text, artifact.absPath, trust, { now, weak: data.weakSignature, logs });
      const doc: SignatureDoc = { uri: artifact.uri, signatureUri: b.uri, via: "bundle", status: verdict.status, reasons: verdict.reasons, ...(verdict.signer ? { signer: verdict.signer } : {}) };
      annotations.set(artifact.uri, toInfo(verdict, b.uri));
      signedOrAttempted.add(artifact.uri);
      if (verdict.status === "valid" || verdict.status === "weak") signed.add(artifact.uri);
      runProjectRules(signatureRules, doc, ctx, artifact.uri);
      return;
    }
    const verdict = verifyBundle(text, trust, { now, weak: data.weakSignature, logs });
    const overFile = b.covers.kind === "file";
    const root = overFile ? parentOf(b.covers.uri) : b.covers.uri;
    const subject = overFile ? b.covers.uri : root === "." ? "the model folder" : `model folder ${root}/`;
    const doc: SignatureDoc = { uri: overFile ? b.covers.uri : b.uri, subject, signatureUri: b.uri, via: "bundle", status: verdict.status, reasons: verdict.reasons, ...(verdict.signer ? { signer: verdict.signer } : {}) };
    runProjectRules(signatureRules, doc, ctx, doc.uri);
    if (!verdict.files) return;
    // Files outside the scan are re-hashed only when the bundle itself was scanned (its folder
    // was named): scanning one model file must not hash a whole model folder.
    const bundleScanned = byAbs.has(b.absPath);
    const ignored = verdict.ignorePaths.length ? picomatch(verdict.ignorePaths.map((p) => joinUri(root, p.replace(/\/$/, "/**"))), { dot: true }) : () => false;
    const entries: IntegrityEntry[] = [];
    for (const f of verdict.files) {
      const uri = joinUri(root, f.name);
      if (overFile && uri !== b.covers.uri) continue;
      if (!bundleScanned && !byUri.has(uri)) continue;
      entries.push({ uri, name: f.name, expected: f.sha256, actual: await currentSha256(uri, byUri, ctx.cwd) });
    }
    if (overFile && entries.length === 0) {
      // NAME.sig names NAME but its statement does not list it: nothing ties it to this file.
      const reasons = [`${b.uri} does not list ${posix.basename(b.covers.uri)} among the files it signs`];
      runProjectRules(signatureRules, { ...doc, status: "invalid", reasons }, ctx, doc.uri);
      annotations.set(b.covers.uri, { status: "invalid", reasons, signatureUri: b.uri });
      signedOrAttempted.add(b.covers.uri);
      return;
    }
    const listed = new Set(entries.map((e) => e.uri));
    const unlisted = overFile ? [] : ctx.targets.filter((t) => under(t.uri, root) && !listed.has(t.uri) && t.uri !== b.uri && !ignored(t.uri) && !isSignatureLike(t, data)).map((t) => t.uri);
    runProjectRules(integrityRules, { source: { uri: b.uri, type: "bundle" }, entries, unlisted } satisfies IntegrityDoc, ctx, b.uri);
    for (const e of entries) {
      if (!byUri.has(e.uri)) continue;
      signedOrAttempted.add(e.uri);
      if (e.actual !== e.expected) {
        annotations.set(e.uri, { status: "invalid", reasons: [`the file's SHA-256 differs from the one signed in ${b.uri}`], signatureUri: b.uri, ...(verdict.signer ? { signer: verdict.signer } : {}) });
      } else {
        annotations.set(e.uri, toInfo(verdict, b.uri));
        if (verdict.status === "valid" || verdict.status === "weak") signed.add(e.uri);
      }
    }
  }

  // 3. SHA256SUMS manifests; a manifest with a verified signature extends it to what it lists.
  for (const m of ctx.targets) {
    if (m.kind !== "checksum-manifest" || m.bytes > MAX_TEXT_BYTES) continue;
    const folder = parentOf(m.uri);
    const { entries: listed } = parseSha256Manifest(await readFile(m.absPath, "utf8"));
    const entries: IntegrityEntry[] = [];
    for (const e of listed) {
      const uri = joinUri(folder, e.name);
      entries.push({ uri, name: e.name, expected: e.sha256, actual: await currentSha256(uri, byUri, ctx.cwd), line: e.line });
    }
    const names = new Set(entries.map((e) => e.uri));
    const unlisted = ctx.targets.filter((t) => under(t.uri, folder) && t.uri !== m.uri && !names.has(t.uri) && !isSignatureLike(t, data)).map((t) => t.uri);
    runProjectRules(integrityRules, { source: { uri: m.uri, type: "manifest" }, entries, unlisted } satisfies IntegrityDoc, ctx, m.uri);
    if (signed.has(m.uri)) for (const e of entries) if (e.actual === e.expected) signed.add(e.uri);
  }

  // 4. Signatures the policy requires.
  if (options.requireSignature) {
    for (const t of ctx.targets) {
      if (isSignatureLike(t, data) && t.kind !== "checksum-manifest") continue;
      const requirement = selectorMatch(options.requireSignature, t.uri, t.kind, options, ctx.categoryOf);
      if (!requirement || signed.has(t.uri) || signedOrAttempted.has(t.uri)) continue;
      const doc: SignatureDoc = { uri: t.uri, via: "policy", status: "missing", reasons: [`no signature found; required because ${requirement}`], requirement };
      annotations.set(t.uri, toInfo(doc));
      runProjectRules(signatureRules, doc, ctx, t.uri);
    }
  }
  annotations.flush(ctx);

  // 5. Encryption required for files that hold personal data, as found by this scan (files
  //    matched by the personalData globs were judged file by file already).
  const found = filesWithPersonalData(ctx.findings);
  if (options.requireEncryption?.personalData) {
    const byGlob = globMatcher(options.personalData);
    for (const t of ctx.targets) {
      if (!found.has(t.uri) || byGlob(t.uri) || !t.protection) continue;
      const doc: EncryptionDoc = { uri: t.uri, kind: t.kind, protection: t.protection, detail: "personal data found by the scan", requirement: "the scan found personal data in it" };
      runProjectRules(encryptionRules, doc, ctx, t.uri);
    }
  }

  // 6. POSIX file modes (Windows has none to check).
  if (process.platform !== "win32") {
    for (const t of ctx.targets) {
      const category = protectedCategory(ctx.categoryOf(t.kind));
      const personalData = holdsPersonalData(t.uri, options, found);
      if (!category && !personalData) continue;
      let mode: number;
      try {
        mode = (await stat(t.absPath)).mode;
      } catch {
        continue;
      }
      const doc: FileModeDoc = { uri: t.uri, kind: t.kind, mode, personalData, ...(category ? { category } : {}) };
      runProjectRules(fileModeRules, doc, ctx, t.uri);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function cmsEvidence(v: SignatureVerdict): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ["digestAlgorithm", "signatureAlgorithm", "key", "signingTime", "anchor"] as const) if (v[k]) out[k] = v[k];
  return out;
}
