import { posix } from "node:path";
import type { RuleModule } from "../../../core/rule";
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

export const onnxExternalData: RuleModule<OnnxDocument> = {
  id: "artifact/onnx-external-data",
  check(doc, ctx) {
    for (const e of doc.externalData) {
      const why = unsafeLocation(e.location);
      if (!why) continue;
      ctx.report({
        message: `ONNX tensor ${JSON.stringify(e.tensor)} (${e.where}) reads its data from ${JSON.stringify(e.location)}, which ${why}.`,
        evidence: { tensor: e.tensor, location: e.location, where: e.where, reason: why },
        fingerprintKey: `${e.tensor}:${e.location}`,
      });
    }
  },
};

export const onnxCustomOp: RuleModule<OnnxDocument> = {
  id: "artifact/onnx-custom-op",
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
        message: nodes.length
          ? `ONNX model runs operator${ops.length > 1 ? "s" : ""} ${ops.slice(0, 5).map((o) => JSON.stringify(o)).join(", ")} from custom domain ${JSON.stringify(domain)}, which needs a native operator library loaded with the model.`
          : `ONNX model imports custom operator domain ${JSON.stringify(domain)}, which needs a native operator library loaded with the model.`,
        evidence: { domain, ops, nodes: nodes.slice(0, 10).map((n) => n.node || n.where) },
        fingerprintKey: domain,
      });
    }
  },
};

export const onnxRules = [onnxExternalData, onnxCustomOp];
