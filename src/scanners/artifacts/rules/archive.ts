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
  format: "zip" | "tar" | "7z" | "gzip" | "bzip2" | "xz" | "zlib" | "lzma";
  members: ArchiveMember[];
  anomalies: StructureAnomaly[];
  /** More entries than maxArchiveEntries: listing stopped. */
  entryLimitHit: boolean;
  /** A member or stream that expanded past the decompression limit while being read. */
  expansionLimitHit: Array<{ member?: string; limit: number }>;
  /**
   * Declared content per archive when this document gathers every archive nested in one file
   * (the bomb check runs once per file); without it, the members' sizes are summed.
   */
  declaredTotals?: Array<{ member?: string; total: number }>;
  /** Archives (nested ones included) whose listing stopped at maxArchiveEntries, when gathered. */
  entryLimitArchives?: number;
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

/**
 * One finding per file, whatever the nesting: a 42.zip-style bomb has thousands of members
 * over the ratio at every level, and one finding per member buried the report (8,611 for one
 * file). A single cause keeps its specific message; several are counted in one message.
 */
export const archiveBomb: Rule<ArchiveDocument> = {
  meta: {
    id: "artifact/archive-bomb",
    appliesTo: { kinds: ARCHIVE_KINDS },
    messages: {
      // The walk words each cause (one member's ratio, a declared total, an expansion stop, or the counts of several).
      text: "{{text}}",
    },
  },
  check(doc, ctx) {
    const { maxCompressionRatio, maxArchiveTotalBytes, maxArchiveEntries } = doc.limits;
    const ratios: Array<{ m: ArchiveMember; ratio: number }> = [];
    let sum = 0;
    for (const m of doc.members) {
      sum += m.uncompressedSize;
      if (m.compressedSize === undefined || m.uncompressedSize < MIN_BOMB_MEMBER_BYTES) continue;
      const ratio = m.uncompressedSize / Math.max(1, m.compressedSize);
      if (ratio > maxCompressionRatio) ratios.push({ m, ratio });
    }
    const totals = (doc.declaredTotals ?? [{ total: sum }]).filter((t) => t.total > maxArchiveTotalBytes);
    const entryArchives = doc.entryLimitArchives ?? (doc.entryLimitHit ? 1 : 0);
    const causes = ratios.length + totals.length + entryArchives + doc.expansionLimitHit.length;
    if (causes === 0) return;
    if (causes === 1) {
      const r = ratios[0];
      const t = totals[0];
      const e = doc.expansionLimitHit[0];
      if (r) {
        ctx.report({
          messageId: "text",
          data: { text: `The ${doc.format} member ${JSON.stringify(r.m.name)} expands ${Math.round(r.ratio)} times (${r.m.compressedSize} to ${r.m.uncompressedSize} bytes), above the ratio limit of ${maxCompressionRatio}.` },
          location: { member: r.m.name, offset: r.m.offset },
          evidence: { name: r.m.name, ratio: Math.round(r.ratio), compressedSize: r.m.compressedSize, uncompressedSize: r.m.uncompressedSize, limit: maxCompressionRatio },
          fingerprintKey: `ratio:${r.m.name}`,
        });
      } else if (t) {
        ctx.report({
          messageId: "text",
          data: { text: `The ${t.member ? `${doc.format} member ${JSON.stringify(t.member)}` : `${doc.format} archive`} declares ${t.total} bytes of content, above the limit of ${maxArchiveTotalBytes} bytes.` },
          evidence: { totalBytes: t.total, limit: maxArchiveTotalBytes },
          fingerprintKey: "total",
        });
      } else if (e) {
        ctx.report({
          messageId: "text",
          data: { text: `${e.member ? `The ${doc.format} member ${JSON.stringify(e.member)}` : `The ${doc.format} stream`} expands past ${e.limit} bytes and was not read to the end.` },
          location: e.member ? { member: e.member } : {},
          evidence: { limit: e.limit, ...(e.member ? { name: e.member } : {}) },
          fingerprintKey: `expansion:${e.member ?? ""}`,
        });
      } else {
        ctx.report({
          messageId: "text",
          data: { text: `The ${doc.format} archive has more than ${maxArchiveEntries} entries; only the first ${maxArchiveEntries} were checked.` },
          evidence: { limit: maxArchiveEntries },
          fingerprintKey: "entries",
        });
      }
      return;
    }
    ratios.sort((a, b) => b.ratio - a.ratio);
    const parts: string[] = [];
    if (ratios.length > 0) parts.push(`${ratios.length} member${ratios.length === 1 ? "" : "s"} expand above the ratio limit of ${maxCompressionRatio} (most: ${JSON.stringify(ratios[0]!.m.name)}, ${Math.round(ratios[0]!.ratio)} times)`);
    if (doc.expansionLimitHit.length > 0) parts.push(`${doc.expansionLimitHit.length} member${doc.expansionLimitHit.length === 1 ? "" : "s"} or stream${doc.expansionLimitHit.length === 1 ? "" : "s"} expand past the decompression limit and were not read to the end`);
    if (totals.length > 0) parts.push(`${totals.length} archive${totals.length === 1 ? "" : "s"} declare more than ${maxArchiveTotalBytes} bytes (most: ${Math.max(...totals.map((t) => t.total))})`);
    if (entryArchives > 0) parts.push(`${entryArchives} archive${entryArchives === 1 ? "" : "s"} hold more than ${maxArchiveEntries} entries`);
    ctx.report({
      messageId: "text",
      data: { text: `The ${doc.format} file is an archive bomb: ${parts.join("; ")}.` },
      evidence: {
        membersOverRatio: ratios.length,
        expansionStopped: doc.expansionLimitHit.length,
        archivesOverTotal: totals.length,
        archivesOverEntries: entryArchives,
        largestRatio: ratios[0] ? Math.round(ratios[0].ratio) : undefined,
        examples: [...ratios.slice(0, 5).map((r) => r.m.name), ...doc.expansionLimitHit.slice(0, 5).flatMap((e) => (e.member ? [e.member] : []))],
        limits: { maxCompressionRatio, maxArchiveTotalBytes, maxArchiveEntries },
      },
      fingerprintKey: "bomb",
    });
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
