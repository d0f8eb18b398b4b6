// Archive rules: member names that escape the extraction folder, links, bombs, and zip
// structure tricks that make scanners and loaders see different members.

import { ARCHIVE_KINDS } from "../kinds";
import type { Rule } from "../../../types";
import type { Limits } from "../../../core/rule";

export interface ArchiveMember {
  name: string;
  type: "file" | "dir" | "symlink" | "hardlink" | "other";
  linkName?: string;
  compressedSize?: number;
  uncompressedSize: number;
  /** Offset of the member's header in the archive. */
  offset: number;
}

export interface StructureAnomaly {
  kind: string;
  message: string;
  member?: string;
  offset?: number;
}

export interface ArchiveDocument {
  format: "zip" | "tar" | "gzip" | "bzip2" | "xz" | "zlib" | "lzma";
  members: ArchiveMember[];
  anomalies: StructureAnomaly[];
  /** More entries than maxArchiveEntries: listing stopped. */
  entryLimitHit: boolean;
  /** A member or stream that expanded past the decompression limit while being read. */
  expansionLimitHit: Array<{ member?: string; limit: number }>;
  limits: Pick<Limits, "maxArchiveEntries" | "maxArchiveTotalBytes" | "maxCompressionRatio">;
}

/** Ratios only count for members big enough that the ratio means something (a 4 KiB file of zeros is not a bomb). */
const MIN_BOMB_MEMBER_BYTES = 1024 * 1024;

function escapes(name: string): "absolute" | "traversal" | undefined {
  const n = name.replace(/\\/g, "/");
  if (n.startsWith("/") || /^[A-Za-z]:/.test(n) || n.startsWith("//")) return "absolute";
  let depth = 0;
  for (const part of n.split("/")) {
    if (part === "..") {
      depth--;
      if (depth < 0) return "traversal";
    } else if (part !== "." && part !== "") depth++;
  }
  return undefined;
}

export const archivePathTraversal: Rule<ArchiveDocument> = {
  meta: {
    id: "artifact/archive-path-traversal",
    appliesTo: { kinds: ARCHIVE_KINDS },
    messages: {
      found: "The {{format}} member {{name}} has an absolute name, so extracting it writes outside the target folder.",
      found2: "The {{format}} member {{name}} climbs out of the extraction folder with \"..\".",
      found3: "The {{format}} {{type}} {{name}} points outside the extraction folder, to {{linkName}}.",
    },
  },
  check(doc, ctx) {
    for (const m of doc.members) {
      const how = escapes(m.name);
      if (how) {
        ctx.report({
          messageId: how === "absolute" ? "found" : "found2", data: { format: doc.format, name: JSON.stringify(m.name) },
          location: { member: m.name, offset: m.offset },
          evidence: { name: m.name, kind: how, format: doc.format },
          fingerprintKey: m.name,
        });
      }
      // Symlink targets are relative to the link's folder; hard link targets to the archive root.
      const target = m.linkName && m.type === "symlink" && escapes(m.linkName) !== "absolute" ? `${m.name.replace(/\\/g, "/").replace(/[^/]*$/, "")}${m.linkName}` : m.linkName;
      if ((m.type === "symlink" || m.type === "hardlink") && target && escapes(target)) {
        ctx.report({
          messageId: "found3", data: { format: doc.format, type: m.type, name: JSON.stringify(m.name), linkName: JSON.stringify(m.linkName) },
          location: { member: m.name, offset: m.offset },
          evidence: { name: m.name, target: m.linkName, kind: "link-target", format: doc.format },
          fingerprintKey: `${m.name}->${m.linkName}`,
        });
      }
    }
  },
};

export const archiveSymlink: Rule<ArchiveDocument> = {
  meta: {
    id: "artifact/archive-symlink",
    appliesTo: { kinds: ARCHIVE_KINDS },
    messages: {
      found: "The {{format}} member {{name}} is a {{value}} link{{value2}}; extracting and loading it reads or overwrites that file.",
    },
  },
  check(doc, ctx) {
    for (const m of doc.members) {
      if (m.type !== "symlink" && m.type !== "hardlink") continue;
      ctx.report({
        messageId: "found", data: { format: doc.format, name: JSON.stringify(m.name), value: m.type === "symlink" ? "symbolic" : "hard", value2: m.linkName ? ` to ${JSON.stringify(m.linkName)}` : "" },
        location: { member: m.name, offset: m.offset },
        evidence: { name: m.name, target: m.linkName ?? "", linkType: m.type, format: doc.format },
        fingerprintKey: m.name,
      });
    }
  },
};

export const archiveBomb: Rule<ArchiveDocument> = {
  meta: {
    id: "artifact/archive-bomb",
    appliesTo: { kinds: ARCHIVE_KINDS },
    messages: {
      found: "The {{format}} member {{name}} expands {{ratio}} times ({{compressedSize}} to {{uncompressedSize}} bytes), above the ratio limit of {{maxCompressionRatio}}.",
      found2: "The {{format}} archive declares {{total}} bytes of content, above the limit of {{maxArchiveTotalBytes}} bytes.",
      found3: "The {{format}} archive has more than {{maxArchiveEntries}} entries; only the first {{maxArchiveEntries}} were checked.",
      found4: "{{value}} expands past {{limit}} bytes and was not read to the end.",
    },
  },
  check(doc, ctx) {
    const { maxCompressionRatio, maxArchiveTotalBytes, maxArchiveEntries } = doc.limits;
    let total = 0;
    for (const m of doc.members) {
      total += m.uncompressedSize;
      if (m.compressedSize === undefined || m.uncompressedSize < MIN_BOMB_MEMBER_BYTES) continue;
      const ratio = m.uncompressedSize / Math.max(1, m.compressedSize);
      if (ratio > maxCompressionRatio) {
        ctx.report({
          messageId: "found", data: { format: doc.format, name: JSON.stringify(m.name), ratio: Math.round(ratio), compressedSize: m.compressedSize, uncompressedSize: m.uncompressedSize, maxCompressionRatio },
          location: { member: m.name, offset: m.offset },
          evidence: { name: m.name, ratio: Math.round(ratio), compressedSize: m.compressedSize, uncompressedSize: m.uncompressedSize, limit: maxCompressionRatio },
          fingerprintKey: `ratio:${m.name}`,
        });
      }
    }
    if (total > maxArchiveTotalBytes) {
      ctx.report({
        messageId: "found2", data: { format: doc.format, total, maxArchiveTotalBytes },
        evidence: { totalBytes: total, limit: maxArchiveTotalBytes },
        fingerprintKey: "total",
      });
    }
    if (doc.entryLimitHit) {
      ctx.report({
        messageId: "found3", data: { format: doc.format, maxArchiveEntries },
        evidence: { limit: maxArchiveEntries },
        fingerprintKey: "entries",
      });
    }
    for (const e of doc.expansionLimitHit) {
      ctx.report({
        messageId: "found4", data: { value: e.member ? `The ${doc.format} member ${JSON.stringify(e.member)}` : `The ${doc.format} stream`, limit: e.limit },
        location: e.member ? { member: e.member } : {},
        evidence: { limit: e.limit, ...(e.member ? { name: e.member } : {}) },
        fingerprintKey: `expansion:${e.member ?? ""}`,
      });
    }
  },
};

export const zipInconsistent: Rule<ArchiveDocument> = {
  meta: {
    id: "artifact/zip-inconsistent",
    appliesTo: { kinds: ARCHIVE_KINDS },
    messages: {
      found: "Zip structure disagrees with itself ({{kind}}): {{message}}; loaders and scanners may see different content.",
    },
  },
  check(doc, ctx) {
    for (const a of doc.anomalies) {
      const location: { member?: string; offset?: number } = {};
      if (a.member !== undefined) location.member = a.member;
      if (a.offset !== undefined) location.offset = a.offset;
      ctx.report({
        messageId: "found", data: { kind: a.kind, message: a.message },
        location,
        evidence: { anomaly: a.kind, detail: a.message },
        fingerprintKey: `${a.kind}:${a.member ?? ""}`,
      });
    }
  },
};

export const archiveRules = [archivePathTraversal, archiveSymlink, archiveBomb, zipInconsistent];
