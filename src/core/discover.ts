// Finds the files to scan: explicit files, folders walked recursively, .aigisignore
// (gitignore syntax) at each scan root, --include / --exclude globs, and symlinks
// followed only while they stay inside the scan root.

import { existsSync, readFileSync } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import picomatch from "picomatch";
import { UsageError } from "./errors";

export const IGNORE_FILE = ".aigisignore";
export const DEFAULT_IGNORES = [".git/", "node_modules/"];

export interface DiscoveredFile {
  /** Absolute path; a name that is not valid UTF-8 shows its bad bytes as %XX here (see fsPath). */
  absPath: string;
  /** The path's exact bytes, set only when a name in it is not valid UTF-8: open the file with this. */
  pathBytes?: Uint8Array;
  /** Relative to the working directory, forward slashes. */
  uri: string;
  size: number;
}

export interface SkippedPath {
  uri: string;
  reason: "ignored" | "excluded" | "symlink-outside-root" | "not-a-regular-file" | "too-large" | "unreadable" | "aigis-report";
  detail?: string;
}

export interface DiscoveryOptions {
  cwd: string;
  include?: string[];
  exclude?: string[];
  defaultIgnores?: string[];
  maxFileSize: number;
}

export interface DiscoveryResult {
  files: DiscoveredFile[];
  skipped: SkippedPath[];
}

/** The path to hand to node:fs for a discovered file: its exact bytes when its name is not UTF-8. */
export function fsPath(file: { absPath: string; pathBytes?: Uint8Array | undefined }): string | Buffer {
  return file.pathBytes ? Buffer.from(file.pathBytes) : file.absPath;
}

/**
 * A file name as readable text. Valid UTF-8 is kept; a byte that is not part of valid UTF-8
 * becomes %XX, so the name stays unique and visible instead of turning into U+FFFD (which
 * would name a different file, or none: the bytes are lost).
 */
export function nameFromBytes(bytes: Uint8Array): { name: string; exact: boolean } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString("utf8");
  if (!text.includes("\uFFFD") || Buffer.from(text, "utf8").equals(buf)) return { name: text, exact: true };
  let out = "";
  let i = 0;
  while (i < buf.length) {
    const len = utf8SequenceLength(buf, i);
    if (len > 0) {
      out += buf.toString("utf8", i, i + len);
      i += len;
    } else {
      out += `%${buf[i]!.toString(16).toUpperCase().padStart(2, "0")}`;
      i++;
    }
  }
  return { name: out, exact: false };
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there does not start one. */
function utf8SequenceLength(buf: Buffer, i: number): number {
  const b = buf[i]!;
  if (b < 0x80) return 1;
  const len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (len === 0 || i + len > buf.length) return 0;
  const decoded = buf.toString("utf8", i, i + len);
  return decoded.length > 0 && !decoded.includes("\uFFFD") && Buffer.byteLength(decoded) === len ? len : 0;
}

export function toUri(cwd: string, absPath: string): string {
  const rel = relative(cwd, absPath) || basename(absPath);
  return rel.split(sep).join("/");
}

function globMatcher(globs: string[] | undefined): ((uri: string) => boolean) | undefined {
  if (!globs || globs.length === 0) return undefined;
  const matchers = globs.map((g) => picomatch(g, { dot: true, basename: !g.includes("/") }));
  return (uri) => matchers.some((m) => m(uri));
}

/** A path met during the walk: its display form, and its exact bytes when a name in it is not UTF-8. */
interface PathEntry {
  abs: string;
  raw?: Buffer;
}

/** The real path of `abs`, as a key for "already seen"; from the exact bytes when there are some. */
async function realKey(abs: string, raw: Buffer | undefined): Promise<string> {
  if (!raw) return realpath(abs);
  return nameFromBytes(await realpath(raw, { encoding: "buffer" })).name;
}

export async function discover(paths: string[], options: DiscoveryOptions): Promise<DiscoveryResult> {
  const files: DiscoveredFile[] = [];
  const skipped: SkippedPath[] = [];
  const include = globMatcher(options.include);
  const exclude = globMatcher(options.exclude);
  /** Real paths already taken or turned down, so a file reached under two names is judged once. */
  const seen = new Set<string>();

  const accept = (absPath: string, realPath: string, size: number, explicit: boolean, raw?: Buffer): void => {
    if (seen.has(realPath)) return;
    seen.add(realPath);
    const uri = toUri(options.cwd, absPath);
    if (!explicit) {
      if (exclude?.(uri)) return void skipped.push({ uri, reason: "excluded" });
      if (include && !include(uri)) return void skipped.push({ uri, reason: "excluded" });
    }
    if (size > options.maxFileSize) {
      skipped.push({ uri, reason: "too-large", detail: `${size} bytes, limit ${options.maxFileSize}` });
      return;
    }
    files.push(raw ? { absPath, uri, size, pathBytes: raw } : { absPath, uri, size });
  };

  for (const p of paths) {
    const abs = resolve(options.cwd, p);
    let st;
    try {
      st = await stat(abs);
    } catch {
      throw new UsageError(`path not found: ${p}`);
    }
    if (st.isFile()) {
      accept(abs, await realpath(abs), st.size, true);
      continue;
    }
    if (!st.isDirectory()) throw new UsageError(`not a file or folder: ${p}`);
    const root = await realpath(abs);
    const ig = ignore().add(options.defaultIgnores ?? DEFAULT_IGNORES);
    const ignorePath = join(abs, IGNORE_FILE);
    if (existsSync(ignorePath)) ig.add(readFileSync(ignorePath, "utf8"));
    // Real entries first, links after, so a file reached both ways keeps its real name.
    const links: PathEntry[] = [];
    const visited = new Set<string>([root]);
    await walk(abs, undefined, abs, root, ig, visited, links);
    while (links.length > 0) {
      const link = links.shift()!;
      await followLink(link, abs, root, ig, visited, links);
    }
  }

  function ignored(ig: Ignore, rootDir: string, abs: string, isDir: boolean): boolean {
    const rel = relative(rootDir, abs).split(sep).join("/");
    if (ig.ignores(isDir ? `${rel}/` : rel)) {
      skipped.push({ uri: toUri(options.cwd, abs), reason: "ignored" });
      return true;
    }
    return false;
  }

  async function addFile(abs: string, realPath: string, raw?: Buffer): Promise<void> {
    if (seen.has(realPath)) return;
    let size: number;
    try {
      size = (await stat(raw ?? abs)).size;
    } catch (e) {
      skipped.push({ uri: toUri(options.cwd, abs), reason: "unreadable", detail: (e as Error).message });
      return;
    }
    accept(abs, realPath, size, false, raw);
  }

  async function followLink(link: PathEntry, rootDir: string, realRoot: string, ig: Ignore, visited: Set<string>, links: PathEntry[]): Promise<void> {
    const { abs, raw } = link;
    let target: string;
    try {
      target = await realKey(abs, raw);
    } catch {
      skipped.push({ uri: toUri(options.cwd, abs), reason: "unreadable", detail: "dangling symlink" });
      return;
    }
    if (target !== realRoot && !target.startsWith(realRoot + sep)) {
      skipped.push({ uri: toUri(options.cwd, abs), reason: "symlink-outside-root", detail: target });
      return;
    }
    const st = await stat(raw ?? abs);
    if (ignored(ig, rootDir, abs, st.isDirectory())) return;
    if (st.isDirectory()) {
      if (visited.has(target)) return; // already walked, or a loop
      visited.add(target);
      await walk(abs, raw, rootDir, realRoot, ig, visited, links);
    } else if (st.isFile()) {
      await addFile(abs, target, raw);
    }
  }

  async function walk(dir: string, rawDir: Buffer | undefined, rootDir: string, realRoot: string, ig: Ignore, visited: Set<string>, links: PathEntry[]): Promise<void> {
    let entries;
    try {
      // Names as bytes: a name that is not valid UTF-8 would otherwise decode to U+FFFD and name no file.
      entries = await readdir(rawDir ?? dir, { withFileTypes: true, encoding: "buffer" });
    } catch (e) {
      skipped.push({ uri: toUri(options.cwd, dir), reason: "unreadable", detail: (e as Error).message });
      return;
    }
    const named = entries.map((entry) => ({ entry, ...nameFromBytes(entry.name) }));
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { entry, name, exact } of named) {
      const abs = join(dir, name);
      const raw = rawDir || !exact ? Buffer.concat([rawDir ?? Buffer.from(dir), Buffer.from(sep), entry.name]) : undefined;
      if (entry.isSymbolicLink()) {
        links.push(raw ? { abs, raw } : { abs });
        continue;
      }
      if (name === IGNORE_FILE && dir === rootDir) continue;
      if (ignored(ig, rootDir, abs, entry.isDirectory())) continue;
      if (entry.isDirectory()) {
        const real = await realKey(abs, raw).catch(() => abs);
        if (visited.has(real)) continue;
        visited.add(real);
        await walk(abs, raw, rootDir, realRoot, ig, visited, links);
      } else if (entry.isFile()) {
        await addFile(abs, await realKey(abs, raw).catch(() => abs), raw);
      } else {
        skipped.push({ uri: toUri(options.cwd, abs), reason: "not-a-regular-file" });
      }
    }
  }

  return { files, skipped };
}
