import { ARCHIVE_KINDS } from "../kinds";
import { posix } from "node:path";
import type { Rule } from "../../../types";
import { formatLists } from "../formats/lists";
import type { OnnxDocument } from "../formats/onnx";

/** Why an external-data location is unsafe, or undefined when it stays inside the model folder. */
export function unsafeLocation(location: string): string | undefined {
  if (location === "") return "is empty";
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(location)) return "is a URL";
  const n = location.replace(/\\/g, "/");
  if (n.startsWith("/") || /^[A-Za-z]:/.test(n)) return "is an absolute path";
  if (n.includes("\0")) return "contains a NUL byte";
  const norm = posix.normalize(n);
  if (norm === ".." || norm.startsWith("../")) return "leaves the model folder";
  return undefined;
}

export const onnxExternalData: Rule<OnnxDocument> = {
  meta: {
    id: "artifact/onnx-external-data",
    appliesTo: { kinds: ["onnx", ...ARCHIVE_KINDS] },
    messages: {
      found: "ONNX tensor {{tensor}} ({{where}}) reads its data from {{location}}, which {{why}}.",
    },
  },
  check(doc, ctx) {
    for (const e of doc.externalData) {
      const why = unsafeLocation(e.location);
      if (!why) continue;
      ctx.report({
        messageId: "found", data: { tensor: JSON.stringify(e.tensor), where: e.where, location: JSON.stringify(e.location), why },
        evidence: { tensor: e.tensor, location: e.location, where: e.where, reason: why },
        fingerprintKey: `${e.tensor}:${e.location}`,
      });
    }
  },
};

export const onnxCustomOp: Rule<OnnxDocument> = {
  meta: {
    id: "artifact/onnx-custom-op",
    appliesTo: { kinds: ["onnx", ...ARCHIVE_KINDS] },
    messages: {
      found: "ONNX model runs operator{{value}} {{map}} from custom domain {{domain}}, which needs a native operator library loaded with the model.",
      found2: "ONNX model imports custom operator domain {{domain}}, which needs a native operator library loaded with the model.",
    },
  },
  check(doc, ctx) {
    const known = new Set(formatLists().onnx.knownDomains);
    const local = new Set(doc.localFunctionDomains);
    const byDomain = new Map<string, Array<(typeof doc.nodes)[number]>>();
    for (const n of doc.nodes) {
      if (known.has(n.domain) || local.has(n.domain)) continue;
      byDomain.set(n.domain, [...(byDomain.get(n.domain) ?? []), n]);
    }
    for (const d of doc.opsetDomains) if (!known.has(d) && !local.has(d) && !byDomain.has(d)) byDomain.set(d, []);
    for (const [domain, nodes] of byDomain) {
      const ops = [...new Set(nodes.map((n) => n.opType))];
      ctx.report({
        messageId: nodes.length ? "found" : "found2", data: { value: ops.length > 1 ? "s" : "", map: ops.slice(0, 5).map((o) => JSON.stringify(o)).join(", "), domain: JSON.stringify(domain) },
        evidence: { domain, ops, nodes: nodes.slice(0, 10).map((n) => n.node || n.where) },
        fingerprintKey: domain,
      });
    }
  },
};

export const onnxRules = [onnxExternalData, onnxCustomOp];
