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
import { verifyBundle } from "./bundle";
import { verifyDetachedCms, type SignatureVerdict } from "./cms";
import type { EncryptionDoc, FileModeDoc, IntegrityDoc, IntegrityEntry, SignatureDoc } from "./documents";
import { parseSha256Manifest } from "./manifest";
import { encryptionRules, fileModeRules, integrityRules, signatureRules } from "./rules";
import { categoryOf, filesWithPersonalData, globMatcher, holdsPersonalData, protectionData, protectionOptions, selectorMatch, type ProtectionData, type ProtectionOptions } from "./settings";
import { loadTrustAnchors, TrustAnchorError, type TrustStore } from "./x509";

type ProjectTarget = Target & { absPath: string };

/** Largest manifest or bundle read whole. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;
const STATUS_ORDER: SignatureInfo["status"][] = ["invalid", "untrusted", "expired", "weak", "missing", "valid"];

/** Runs rules over a document about `fallbackUri` (findings without a uri of their own land there). */
export function runProjectRules<Doc>(rules: ReadonlyArray<Rule<Doc>>, doc: Doc, ctx: ProjectContext, fallbackUri: string): void {
  ctx.runRules(rules, doc, fallbackUri);
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
  return { status: v.status, reasons: v.reasons, ...(signatureUri ? { signatureUri } : {}) };
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
  const now = new Date();
  const byUri = new Map(ctx.targets.map((t) => [t.uri, t] as const));
  const annotations = new Annotations();
  /** Artifacts with a signature that verified (valid or weak), directly or through a signed manifest. */
  const signed = new Set<string>();
  const signedOrAttempted = new Set<string>();

  // 1. Detached CMS signatures beside artifacts.
  for (const sig of ctx.targets) {
    if (sig.kind !== "cms-signature") continue;
    const suffix = data.detachedSignatureSuffixes.find((s) => sig.uri.endsWith(s));
    const artifact = suffix ? byUri.get(sig.uri.slice(0, -suffix.length)) : undefined;
    if (!artifact) continue;
    if (sig.bytes > MAX_TEXT_BYTES) {
      // Detached signatures are a few KiB; a huge one is not read whole.
      ctx.notices(sig.uri).limitExceeded({ what: `${sig.uri} is ${sig.bytes} bytes, more than is read for a detached signature, and was not verified`, limit: "detachedSignatureBytes", value: MAX_TEXT_BYTES, key: "signature-size" });
      continue;
    }
    const verdict = await verifyDetachedCms(await readFile(sig.absPath), artifact.absPath, trust, { now, weak: data.weakSignature });
    const doc: SignatureDoc = { uri: artifact.uri, signatureUri: sig.uri, via: "cms", status: verdict.status, reasons: verdict.reasons, ...(verdict.signer ? { signer: verdict.signer } : {}), evidence: cmsEvidence(verdict) };
    annotations.set(artifact.uri, toInfo(verdict, sig.uri));
    signedOrAttempted.add(artifact.uri);
    if (verdict.status === "valid" || verdict.status === "weak") signed.add(artifact.uri);
    runProjectRules(signatureRules, doc, ctx, artifact.uri);
  }

  // 2. OpenSSF model signing bundles over a folder.
  for (const b of ctx.targets) {
    if (b.kind !== "sigstore-bundle" || b.bytes > MAX_TEXT_BYTES) continue;
    const verdict = verifyBundle(await readFile(b.absPath, "utf8"), trust, { now, weak: data.weakSignature });
    const root = bundleRoot(b.uri, data, ctx.targets);
    const subject = root === "." ? "the model folder" : `model folder ${root}/`;
    const doc: SignatureDoc = { uri: b.uri, subject, signatureUri: b.uri, via: "bundle", status: verdict.status, reasons: verdict.reasons, ...(verdict.signer ? { signer: verdict.signer } : {}) };
    runProjectRules(signatureRules, doc, ctx, b.uri);
    if (!verdict.files) continue;
    const ignored = verdict.ignorePaths.length ? picomatch(verdict.ignorePaths.map((p) => joinUri(root, p.replace(/\/$/, "/**"))), { dot: true }) : () => false;
    const entries: IntegrityEntry[] = [];
    for (const f of verdict.files) {
      const uri = joinUri(root, f.name);
      entries.push({ uri, name: f.name, expected: f.sha256, actual: await currentSha256(uri, byUri, ctx.cwd) });
    }
    const listed = new Set(entries.map((e) => e.uri));
    const unlisted = ctx.targets.filter((t) => under(t.uri, root) && !listed.has(t.uri) && t.uri !== b.uri && !ignored(t.uri) && t.kind !== "sigstore-bundle").map((t) => t.uri);
    runProjectRules(integrityRules, { source: { uri: b.uri, type: "bundle" }, entries, unlisted } satisfies IntegrityDoc, ctx, b.uri);
    for (const e of entries) {
      if (!byUri.has(e.uri)) continue;
      signedOrAttempted.add(e.uri);
      if (e.actual !== e.expected) {
        annotations.set(e.uri, { status: "invalid", reasons: [`the file's SHA-256 differs from the one signed in ${b.uri}`], signatureUri: b.uri });
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
      const requirement = selectorMatch(options.requireSignature, t.uri, t.kind, options);
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
      const category = categoryOf(t.kind, data);
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

function cmsEvidence(v: SignatureVerdict): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ["digestAlgorithm", "signatureAlgorithm", "key", "signingTime", "anchor"] as const) if (v[k]) out[k] = v[k];
  return out;
}

/** The folder a bundle covers: the sibling folder named by its stem (model.sig -> model/), else its own folder. */
export function bundleRoot(bundleUri: string, data: ProtectionData, targets: ReadonlyArray<Target>): string {
  const folder = parentOf(bundleUri);
  const name = posix.basename(bundleUri);
  const suffix = [...data.bundleSuffixes].sort((a, b) => b.length - a.length).find((s) => name.endsWith(s));
  if (suffix) {
    const stemFolder = joinUri(folder, name.slice(0, -suffix.length));
    if (targets.some((t) => under(t.uri, stemFolder))) return stemFolder;
  }
  return folder;
}

