// GCS (and any Google Cloud) IAM policies: { bindings: [{ role, members, condition }] }.

import { loadRulesData } from "../../../core/catalog";
import { field, isObject, items, parseJsonSource, str, strings, type SNode } from "../source";

export interface GcsBinding {
  index: number;
  /** Terraform resource address (`google_storage_bucket_iam_member.public`) when read from a plan or state. */
  resource?: string;
  /** Bucket the binding applies to, when the source names it. */
  bucket?: string;
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
  bindings.push(...terraformBindings(roots, bindings.length));
  return { bindings };
}

const TF_GCS_TYPES = new Set(["google_storage_bucket_iam_binding", "google_storage_bucket_iam_member", "google_storage_bucket_iam_policy"]);

/**
 * GCS IAM resources in Terraform plan / state JSON (`terraform show -json`): planned_values,
 * prior_state and child modules, and resource_changes[].change.after, each address once.
 * `_binding` (role + members, authoritative for the role), `_member` (role + one member) and
 * `_policy` (policy_data, the whole policy as a JSON string) are read like a JSON policy.
 */
export function terraformBindings(roots: SNode[], firstIndex = 0): GcsBinding[] {
  const out: GcsBinding[] = [];
  const seen = new Set<string>();
  const fromResource = (address: string, type: string, values: SNode | undefined): void => {
    if (!isObject(values) || seen.has(address)) return;
    seen.add(address);
    const bucket = str(field(values, "bucket"));
    const base = { resource: address, ...(bucket ? { bucket } : {}) };
    if (type === "google_storage_bucket_iam_policy") {
      const data = field(values, "policy_data");
      const text = str(data);
      if (!data || !text) return;
      const inner = parseJsonSource(text);
      // Lines inside the JSON string are those of the policy_data value in the plan.
      for (const b of extractGcsBindings(inner.documents).bindings) {
        out.push({ ...b, ...base, index: firstIndex + out.length, line: data.line, members: b.members.map((m) => ({ member: m.member, line: data.line })) });
      }
      return;
    }
    const role = str(field(values, "role"));
    if (!role) return;
    const membersNode = type === "google_storage_bucket_iam_member" ? field(values, "member") : field(values, "members");
    const members = items(membersNode).flatMap((m) => strings(m).map((member) => ({ member, line: m.line })));
    const binding: GcsBinding = { ...base, index: firstIndex + out.length, line: values.line, role, members };
    const cond = items(field(values, "condition"))[0];
    if (isObject(cond)) {
      const title = str(field(cond, "title"));
      const expression = str(field(cond, "expression"));
      binding.condition = { ...(title ? { title } : {}), ...(expression ? { expression } : {}) };
    }
    out.push(binding);
  };
  const walk = (n: SNode | undefined, depth: number): void => {
    if (!n || depth > 40 || n.type === "scalar") return;
    if (n.type === "array") {
      for (const i of n.items) walk(i, depth + 1);
      return;
    }
    const type = str(field(n, "type"));
    const address = str(field(n, "address"));
    if (type && address && TF_GCS_TYPES.has(type)) {
      // planned_values / state: { address, type, values }; resource_changes: { address, type, change: { after } }.
      fromResource(address, type, field(n, "values") ?? field(field(n, "change"), "after"));
      return;
    }
    for (const e of n.entries) walk(e.value, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

/** How a rule names a binding in messages: its Terraform resource, or its position in the policy. */
export function bindingLabel(b: GcsBinding): string {
  return b.resource ? `Terraform resource ${b.resource}${b.bucket ? ` (bucket ${b.bucket})` : ""}` : `Binding ${b.index + 1}`;
}
