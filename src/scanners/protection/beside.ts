// Finds the signatures that cover each scanned artifact on disk, whether or not they were
// scanned themselves: a release pipeline names the model file, not its `.p7s`.
//   NAME.p7s, NAME.sig                       detached CMS / PKCS#7 (DER or PEM) over NAME
//   NAME.sig, NAME.sigstore(.json), ...      a Sigstore / model signing bundle over the file NAME
//   FOLDER.sig (beside FOLDER/)              a model signing bundle over the folder
//   FOLDER/model.sig (inside FOLDER/)        the same, kept inside the folder it covers
// What a file is comes from its content (CMS ContentInfo or a Sigstore bundle's mediaType),
// never from its suffix alone: `.sig` is used by both.

import { open, readdir, stat } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { toUri } from "../../core/discover";
import type { ProtectionData } from "./settings";

export type SignatureFileType = "cms" | "bundle";

export interface SignatureFile {
  absPath: string;
  uri: string;
  bytes: number;
  type: SignatureFileType;
  /** What it covers: one file, or a folder (bundles only). */
  covers: { kind: "file" | "folder"; absPath: string; uri: string };
}

/** Folders above an artifact searched for folder bundles (the artifact's own folder counts as 1). */
export const MAX_BUNDLE_ASCENT = 8;
/** Bytes read to tell a CMS signature from a Sigstore bundle. */
const PROBE_BYTES = 4096;

async function fileSize(abs: string): Promise<number | undefined> {
  try {
    const st = await stat(abs);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

async function isFolder(abs: string): Promise<boolean> {
  try {
    return (await stat(abs)).isDirectory();
  } catch {
    return false;
  }
}

/** CMS SignedData (DER or PEM) or a Sigstore bundle (JSON with a sigstore mediaType), from the first bytes. */
export async function signatureFileType(abs: string): Promise<SignatureFileType | undefined> {
  let head: Buffer;
  try {
    const fh = await open(abs, "r");
    try {
      const buf = Buffer.alloc(PROBE_BYTES);
      const { bytesRead } = await fh.read(buf, 0, PROBE_BYTES, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  return signatureTypeOf(head);
}

const SIGNED_DATA_OID = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

export function signatureTypeOf(head: Buffer): SignatureFileType | undefined {
  if (head[0] === 0x30 && head.subarray(0, 24).indexOf(SIGNED_DATA_OID) >= 0) return "cms";
  const text = head.toString("latin1").trimStart();
  if (/^-----BEGIN (PKCS7|CMS)-----/.test(text)) return "cms";
  if (text.startsWith("{") && /"mediaType"\s*:\s*"application\/vnd\.dev\.sigstore\.bundle/.test(text)) return "bundle";
  return undefined;
}

const suffixesByLength = (list: string[]): string[] => [...new Set(list)].sort((a, b) => b.length - a.length);

/**
 * Every signature file covering one of `artifacts` (absolute paths), each once. `isScanned`
 * tells which files are scan targets, so a signature is not taken for an artifact; `cwd` turns
 * paths into report URIs.
 */
export async function signaturesBeside(artifacts: ReadonlyArray<string>, cwd: string, data: ProtectionData): Promise<SignatureFile[]> {
  const found = new Map<string, SignatureFile>();
  const probed = new Map<string, SignatureFileType | undefined>();
  const typeOf = async (abs: string): Promise<SignatureFileType | undefined> => {
    if (!probed.has(abs)) probed.set(abs, await signatureFileType(abs));
    return probed.get(abs);
  };
  const add = async (abs: string, covers: SignatureFile["covers"], accept: ReadonlyArray<SignatureFileType>): Promise<void> => {
    if (found.has(abs)) return;
    const bytes = await fileSize(abs);
    if (bytes === undefined) return;
    const type = await typeOf(abs);
    if (!type || !accept.includes(type)) return;
    found.set(abs, { absPath: abs, uri: toUri(cwd, abs), bytes, type, covers });
  };
  const detached = suffixesByLength(data.detachedSignatureSuffixes);
  const bundles = suffixesByLength(data.bundleSuffixes);
  const folderChecked = new Set<string>();
  const listing = new Map<string, string[]>();
  const list = async (dir: string): Promise<string[]> => {
    if (!listing.has(dir)) listing.set(dir, await readdir(dir).catch(() => [] as string[]));
    return listing.get(dir)!;
  };

  for (const artifact of artifacts) {
    const self = { kind: "file" as const, absPath: artifact, uri: toUri(cwd, artifact) };
    // NAME.p7s / NAME.sig: CMS; NAME.sig / NAME.sigstore / NAME.sigstore.json: a bundle over the one file.
    for (const s of detached) await add(artifact + s, self, ["cms", "bundle"]);
    for (const s of bundles) await add(artifact + s, self, ["bundle"]);
    // Folder bundles: beside each folder above the artifact (FOLDER.sig) and inside it.
    let folder = dirname(artifact);
    for (let level = 0; level < MAX_BUNDLE_ASCENT; level++) {
      if (!folderChecked.has(folder)) {
        folderChecked.add(folder);
        const covers = { kind: "folder" as const, absPath: folder, uri: folderUri(cwd, folder) };
        for (const s of bundles) await add(folder + s, covers, ["bundle"]);
        for (const name of await list(folder)) {
          const suffix = bundles.find((s) => name.endsWith(s) && name.length > s.length);
          if (!suffix) continue;
          const abs = join(folder, name);
          // A bundle named after a file or folder beside it covers that one instead.
          const stem = join(folder, name.slice(0, -suffix.length));
          if ((await fileSize(stem)) !== undefined || (await isFolder(stem))) continue;
          await add(abs, covers, ["bundle"]);
        }
      }
      const parent = dirname(folder);
      // Stop at the working directory and at the filesystem root.
      if (folder === cwd || parent === folder) break;
      folder = parent;
    }
  }
  return [...found.values()];
}

/** A folder's path relative to the working directory ("." for the working directory itself). */
export function folderUri(cwd: string, abs: string): string {
  return relative(cwd, abs).split(sep).join("/") || ".";
}

/** The artifact a signature file's name points at, if any (`m.onnx.p7s` -> `m.onnx`). */
export function stemOf(path: string, suffixes: ReadonlyArray<string>): string | undefined {
  const name = basename(path);
  const s = suffixesByLength([...suffixes]).find((x) => name.endsWith(x) && name.length > x.length);
  return s ? path.slice(0, -s.length) : undefined;
}

export const isUnder = (abs: string, folder: string): boolean => abs.startsWith(folder.endsWith(sep) ? folder : folder + sep);
