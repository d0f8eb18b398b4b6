// GCS (and any Google Cloud) IAM policies: { bindings: [{ role, members, condition }] }.

import { loadRulesData } from "../../../core/catalog";
import { field, isObject, items, str, strings, type SNode } from "../source";

export interface GcsBinding {
  index: number;
  line: number;
  role: string;
  members: Array<{ member: string; line: number }>;
  condition?: { title?: string; expression?: string };
}

export interface GcsDocument {
  bindings: GcsBinding[];
}

export interface GcsPolicyData {
  publicMembers: string[];
  writeRoles: string[];
  primitiveRoles: string[];
}

export function gcsData(): GcsPolicyData {
  return loadRulesData<GcsPolicyData>("lists/policy-gcs.json", "policy-gcs");
}

/** Finds the bindings list at the top of the document or one level down (e.g. {"policy": {...}}). */
export function extractGcsBindings(roots: SNode[]): GcsDocument {
  const bindings: GcsBinding[] = [];
  const fromPolicy = (n: SNode): boolean => {
    const list = field(n, "bindings");
    if (!list || list.type !== "array") return false;
    for (const b of list.items) {
      if (!isObject(b)) continue;
      const role = str(field(b, "role"));
      if (!role) continue;
      const membersNode = field(b, "members");
      const members = items(membersNode).flatMap((m) => strings(m).map((member) => ({ member, line: m.line })));
      const binding: GcsBinding = { index: bindings.length, line: b.line, role, members };
      const cond = field(b, "condition");
      if (isObject(cond)) {
        const c: { title?: string; expression?: string } = {};
        const title = str(field(cond, "title"));
        const expression = str(field(cond, "expression"));
        if (title) c.title = title;
        if (expression) c.expression = expression;
        binding.condition = c;
      }
      bindings.push(binding);
    }
    return true;
  };
  for (const r of roots) {
    if (fromPolicy(r)) continue;
    if (isObject(r)) for (const e of r.entries) if (isObject(e.value)) fromPolicy(e.value);
  }
  return { bindings };
}
