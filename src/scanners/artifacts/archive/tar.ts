// A tar reader over positioned reads (ustar, GNU long names, pax path headers). Lists
// members with their type and data offset; member data is read only when asked for.

import type { RandomAccessFile } from "../../../core/random-access";

export interface TarEntry {
  name: string;
  /** "file", "dir", "symlink", "hardlink" or "other" (devices, fifos). */
  type: "file" | "dir" | "symlink" | "hardlink" | "other";
  linkName: string;
  size: number;
  dataOffset: number;
  headerOffset: number;
}

export class TarError extends Error {
  override name = "TarError";
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? raw.length : nul).toString("utf8");
}

function octal(h: Buffer, start: number, len: number): number {
  // GNU base-256 for large sizes: high bit of the first byte set.
  if (h[start]! & 0x80) {
    let v = 0;
    for (let k = start + 1; k < start + len; k++) v = v * 256 + h[k]!;
    return v;
  }
  const s = field(h, start, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`invalid octal number ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let k = 0; k < 512; k++) sum += k >= 148 && k < 156 ? 0x20 : h[k]!;
  const stored = field(h, 148, 8).trim();
  return /^[0-7]+$/.test(stored) && parseInt(stored, 8) === sum;
}

/** True when the first 512 bytes are a tar header with a valid checksum. */
export function looksLikeTar(head: Uint8Array): boolean {
  if (head.length < 512) return false;
  const h = Buffer.from(head.buffer, head.byteOffset, 512);
  return h[0] !== 0 && checksumOk(h);
}

function paxPath(data: Buffer, key: string): string | undefined {
  let p = 0;
  while (p < data.length) {
    const sp = data.indexOf(0x20, p);
    if (sp < 0) break;
    const len = parseInt(data.subarray(p, sp).toString("latin1"), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = data.subarray(sp + 1, p + len - 1).toString("utf8");
    const eq = rec.indexOf("=");
    if (eq > 0 && rec.slice(0, eq) === key) return rec.slice(eq + 1);
    p += len;
  }
  return undefined;
}

export async function listTar(file: RandomAccessFile, maxEntries: number): Promise<{ entries: TarEntry[]; truncated: boolean }> {
  const entries: TarEntry[] = [];
  let p = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  while (p + 512 <= file.size) {
    const h = await file.read(p, 512);
    if (h.every((b) => b === 0)) break;
    if (!checksumOk(h)) throw new TarError(`header at offset ${p} has a bad checksum`);
    const size = octal(h, 124, 12);
    const typeflag = String.fromCharCode(h[156]!);
    const dataOffset = p + 512;
    const next = dataOffset + Math.ceil(size / 512) * 512;
    if (typeflag === "L" || typeflag === "K" || typeflag === "x") {
      const data = await file.read(dataOffset, Math.min(size, 1 << 20));
      if (typeflag === "L") longName = data.toString("utf8").replace(/\0+$/, "");
      else if (typeflag === "K") longLink = data.toString("utf8").replace(/\0+$/, "");
      else {
        longName = paxPath(data, "path") ?? longName;
        longLink = paxPath(data, "linkpath") ?? longLink;
      }
      p = next;
      continue;
    }
    if (typeflag === "g") {
      p = next;
      continue;
    }
    const prefix = field(h, 257, 6).startsWith("ustar") ? field(h, 345, 155) : "";
    const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const linkName = longLink ?? field(h, 157, 100);
    longName = undefined;
    longLink = undefined;
    const type = typeflag === "0" || typeflag === "\0" || typeflag === "7" ? "file" : typeflag === "5" ? "dir" : typeflag === "2" ? "symlink" : typeflag === "1" ? "hardlink" : "other";
    if (entries.length >= maxEntries) return { entries, truncated: true };
    entries.push({ name, type, linkName, size: type === "file" ? size : 0, dataOffset, headerOffset: p });
    if (type === "file" && dataOffset + size > file.size) throw new TarError(`member ${JSON.stringify(name)} runs past the end of the archive`);
    p = next;
  }
  return { entries, truncated: false };
}
