import type { Rule } from "../../../types";
import { plural, type DatasetDocument } from "../document";

export interface DuplicateGroup {
  rows: number[];
  labels: string[];
  exact: boolean;
}

function hashRow(x: Float32Array, base: number, cols: number, text: string | null | undefined): number {
  // Two 32-bit FNV-1a hashes over the row's bytes (and text) combined into one safe integer.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  // Hash the float bits a 32-bit word at a time.
  const words = new Int32Array(x.buffer, x.byteOffset + base * 4, cols);
  for (let i = 0; i < cols; i++) {
    const w = words[i]!;
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 ^ w, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  if (text) {
    for (let i = 0; i < text.length; i++) {
      h1 = Math.imul(h1 ^ text.charCodeAt(i), 0x01000193);
      h2 = Math.imul(h2 ^ text.charCodeAt(i), 0x5bd1e995);
    }
  }
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
}

function sameRow(doc: DatasetDocument, a: number, b: number, texts: Array<string | null> | undefined): boolean {
  const { data, cols } = doc.table.features;
  for (let j = 0; j < cols; j++) if (data[a * cols + j] !== data[b * cols + j]) return false;
  return !texts || normaliseText(texts[a]) === normaliseText(texts[b]);
}

const normaliseText = (s: string | null | undefined): string => (s ?? "").toLowerCase().replace(/\s+/g, " ").trim();

/** Groups of identical (exact) or near-identical rows that carry more than one label. */
export function conflictingGroups(doc: DatasetDocument): DuplicateGroup[] {
  const label = doc.table.label;
  if (!label) return [];
  const { data, cols, rows } = doc.table.features;
  const texts = doc.table.textColumn ? doc.table.strings.get(doc.table.textColumn) : undefined;
  if (cols === 0 && !texts) return [];
  const parent = new Int32Array(rows);
  for (let i = 0; i < rows; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const exactPairs = new Set<number>();
  // Open-addressing table of first rows by hash (a typed array, not a Map of a million keys).
  let tableSize = 1;
  while (tableSize < rows * 2) tableSize <<= 1;
  const slots = new Int32Array(tableSize).fill(-1);
  const hashes = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const h = hashRow(data, i * cols, cols, texts ? normaliseText(texts[i]) : undefined);
    hashes[i] = h;
    let s = h % tableSize;
    for (;;) {
      const j = slots[s]!;
      if (j < 0) {
        slots[s] = i;
        break;
      }
      if (hashes[j] === h && sameRow(doc, i, j, texts)) {
        union(i, j);
        exactPairs.add(i);
        exactPairs.add(j);
        break;
      }
      s = (s + 1) & (tableSize - 1);
    }
  }
  // Near-identical: a neighbour much closer than the typical nearest neighbour.
  const nb = doc.neighbours();
  if (nb) {
    const nearest: number[] = [];
    for (let i = 0; i < rows; i++) {
      const d = nb.dist[i * nb.k]!;
      if (Number.isFinite(d) && d > 0) nearest.push(Math.sqrt(d));
    }
    nearest.sort((a, b) => a - b);
    const typical = nearest[Math.floor(nearest.length / 2)] ?? 0;
    const limit = (doc.thresholds.duplicates.nearRelativeDistance * typical) ** 2;
    if (limit > 0) {
      for (let i = 0; i < rows; i++) {
        for (let q = 0; q < nb.k; q++) {
          const j = nb.index[i * nb.k + q]!;
          if (j < 0 || nb.dist[i * nb.k + q]! > limit) break;
          if (label.codes[i] !== label.codes[j]) union(i, j);
        }
      }
    }
  }
  const size = new Int32Array(rows);
  for (let i = 0; i < rows; i++) size[find(i)]!++;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < rows; i++) {
    const r = find(i);
    if (size[r]! < 2) continue;
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(i);
  }
  const out: DuplicateGroup[] = [];
  for (const members of groups.values()) {
    const labels = [...new Set(members.map((m) => doc.labelOf(m)).filter((l): l is string => l !== undefined))];
    if (labels.length < 2) continue;
    out.push({ rows: members, labels, exact: members.every((m) => exactPairs.has(m)) });
  }
  return out.sort((a, b) => a.rows[0]! - b.rows[0]!);
}

export const conflictingDuplicates: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/conflicting-duplicates",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    requires: [{ id: "label-column", description: "a label column (recognised by name, or given with --label-column or scanners.datasets.labelColumn)", isMet: (doc) => doc.table.label !== undefined }],
    messages: {
      found: "{{value}} {{value2}} {{map}}{{value3}} carry different labels ({{labels}}).",
      found2: "{{groupsLength}} of identical or near-identical {{value}} ({{rows}} in all) carry conflicting labels.",
    },
  },
  check(doc, ctx) {
    const groups = conflictingGroups(doc);
    if (groups.length === 0) return;
    const omitted = doc.reportRows(ctx, groups, (g) => ({
      messageId: "found", data: { value: g.exact ? "Identical" : "Near-identical", value2: doc.table.rowUris ? "images" : "rows", map: g.rows
        .slice(0, 5)
        .map((r) => doc.rowRef(r))
        .join(", "), value3: g.rows.length > 5 ? ", ..." : "", labels: g.labels.join(", ") },
      location: doc.rowLocation(g.rows[0]!),
      evidence: { rows: doc.listRows(g.rows), labels: g.labels, exact: g.exact },
      fingerprintKey: `group:${g.rows.map((r) => doc.rowRef(r)).join(",")}`,
    }));
    const rows = groups.reduce((n, g) => n + g.rows.length, 0);
    ctx.report({
      messageId: "found2", data: { groupsLength: plural(groups.length, "group"), value: doc.table.rowUris ? "images" : "rows", rows },
      location: doc.summaryLocation(),
      evidence: { summary: true, groups: groups.length, rows, exactGroups: groups.filter((g) => g.exact).length, groupsNotReportedSeparately: omitted },
      fingerprintKey: "summary",
    });
  },
};
