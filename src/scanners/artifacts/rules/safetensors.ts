import { ARCHIVE_KINDS } from "../kinds";
import type { Rule } from "../../../types";
import { formatLists } from "../formats/lists";
import type { SafetensorsDocument } from "../formats/safetensors";

/** Every way the header breaks the safetensors format; empty for a well-formed file. */
export function safetensorsProblems(doc: SafetensorsDocument): Array<{ problem: string; tensor?: string }> {
  if (doc.headerError) return [{ problem: doc.headerError }];
  const lists = formatLists().safetensors;
  const header = doc.header ?? {};
  const dataSize = doc.fileSize - 8 - doc.headerLength;
  const problems: Array<{ problem: string; tensor?: string }> = [];
  const spans: Array<{ name: string; start: number; end: number }> = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!v || typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) {
        problems.push({ problem: "__metadata__ is not a map of strings" });
      } else if (JSON.stringify(v).length > lists.maxMetadataBytes) {
        problems.push({ problem: `__metadata__ is larger than ${lists.maxMetadataBytes} bytes` });
      }
      continue;
    }
    const t = (v ?? {}) as Record<string, unknown>;
    const dtype = t["dtype"];
    const shape = t["shape"];
    const offsets = t["data_offsets"];
    const width = typeof dtype === "string" ? lists.dtypes[dtype] : undefined;
    if (width === undefined) problems.push({ problem: `dtype ${JSON.stringify(dtype)} is not a safetensors dtype`, tensor: name });
    const shapeOk = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
    if (!shapeOk) problems.push({ problem: "shape is not a list of non-negative integers", tensor: name });
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      problems.push({ problem: "data_offsets is not a pair of non-negative integers", tensor: name });
      continue;
    }
    const [start, end] = offsets as [number, number];
    if (end < start) problems.push({ problem: `data_offsets [${start}, ${end}] end before they start`, tensor: name });
    else if (end > dataSize) problems.push({ problem: `data_offsets [${start}, ${end}] run past the ${dataSize} bytes of tensor data`, tensor: name });
    else if (width !== undefined && shapeOk) {
      const expected = (shape as number[]).reduce((a, b) => a * b, 1) * width;
      if (expected !== end - start) problems.push({ problem: `holds ${end - start} bytes but its dtype and shape need ${expected}`, tensor: name });
    }
    spans.push({ name, start, end });
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  let covered = 0;
  for (const s of spans) {
    if (s.start < covered) problems.push({ problem: `data_offsets overlap the previous tensor's bytes (from ${s.start}, previous ends at ${covered})`, tensor: s.name });
    else if (s.start > covered) problems.push({ problem: `${s.start - covered} bytes before it belong to no tensor`, tensor: s.name });
    covered = Math.max(covered, s.end);
  }
  if (problems.length === 0 && covered !== dataSize) problems.push({ problem: `${dataSize - covered} bytes after the last tensor belong to no tensor` });
  return problems;
}

export const safetensorsMalformed: Rule<SafetensorsDocument> = {
  meta: {
    id: "artifact/safetensors-malformed",
    appliesTo: { kinds: ["safetensors", ...ARCHIVE_KINDS] },
    messages: {
      found: "safetensors {{value}}: {{problem}}.",
    },
  },
  check(doc, ctx) {
    for (const p of safetensorsProblems(doc)) {
      ctx.report({
        messageId: "found", data: { value: p.tensor ? `tensor ${JSON.stringify(p.tensor)}` : "header", problem: p.problem },
        location: { offset: p.tensor ? 8 : 0 },
        evidence: { problem: p.problem, ...(p.tensor ? { tensor: p.tensor } : {}), headerLength: doc.headerLength, fileSize: doc.fileSize },
        fingerprintKey: `${p.tensor ?? ""}:${p.problem.replace(/\d+/g, "N")}`,
      });
    }
  },
};
