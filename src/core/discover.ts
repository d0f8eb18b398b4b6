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
  absPath: string;
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

export function toUri(cwd: string, absPath: string): string {
  const rel = relative(cwd, absPath) || basename(absPath);
  return rel.split(sep).join("/");
}

function globMatcher(globs: string[] | undefined): ((uri: string) => boolean) | undefined {
  if (!globs || globs.length === 0) return undefined;
  const matchers = globs.map((g) => picomatch(g, { dot: true, basename: !g.includes("/") }));
  return (uri) => matchers.some((m) => m(uri));
}

export async function discover(paths: string[], options: DiscoveryOptions): Promise<DiscoveryResult> {
  const files: DiscoveredFile[] = [];
  const skipped: SkippedPath[] = [];
  const include = globMatcher(options.include);
  const exclude = globMatcher(options.exclude);
  /** Real paths already taken or turned down, so a file reached under two names is judged once. */
  const seen = new Set<string>();

  const accept = (absPath: string, realPath: string, size: number, explicit: boolean): void => {
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
    files.push({ absPath, uri, size });
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
    const links: string[] = [];
    const visited = new Set<string>([root]);
    await walk(abs, abs, root, ig, visited, links);
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

  async function addFile(abs: string, realPath: string): Promise<void> {
    if (seen.has(realPath)) return;
    let size: number;
    try {
      size = (await stat(abs)).size;
    } catch (e) {
      skipped.push({ uri: toUri(options.cwd, abs), reason: "unreadable", detail: (e as Error).message });
      return;
    }
    accept(abs, realPath, size, false);
  }

  async function followLink(abs: string, rootDir: string, realRoot: string, ig: Ignore, visited: Set<string>, links: string[]): Promise<void> {
    let target: string;
    try {
      target = await realpath(abs);
    } catch {
      skipped.push({ uri: toUri(options.cwd, abs), reason: "unreadable", detail: "dangling symlink" });
      return;
    }
    if (target !== realRoot && !target.startsWith(realRoot + sep)) {
      skipped.push({ uri: toUri(options.cwd, abs), reason: "symlink-outside-root", detail: target });
      return;
    }
    const st = await stat(target);
    if (ignored(ig, rootDir, abs, st.isDirectory())) return;
    if (st.isDirectory()) {
      if (visited.has(target)) return; // already walked, or a loop
      visited.add(target);
      await walk(abs, rootDir, realRoot, ig, visited, links);
    } else if (st.isFile()) {
      await addFile(abs, target);
    }
  }

  async function walk(dir: string, rootDir: string, realRoot: string, ig: Ignore, visited: Set<string>, links: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      skipped.push({ uri: toUri(options.cwd, dir), reason: "unreadable", detail: (e as Error).message });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        links.push(abs);
        continue;
      }
      if (entry.name === IGNORE_FILE && dir === rootDir) continue;
      if (ignored(ig, rootDir, abs, entry.isDirectory())) continue;
      if (entry.isDirectory()) {
        const real = await realpath(abs).catch(() => abs);
        if (visited.has(real)) continue;
        visited.add(real);
        await walk(abs, rootDir, realRoot, ig, visited, links);
      } else if (entry.isFile()) {
        await addFile(abs, await realpath(abs).catch(() => abs));
      } else {
        skipped.push({ uri: toUri(options.cwd, abs), reason: "not-a-regular-file" });
      }
    }
  }

  return { files, skipped };
}
