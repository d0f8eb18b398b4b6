// The policy scanner's content detector: decides from structure, over the whole file (bounded),
// whether JSON or YAML holds AWS / GCS IAM policies or Kubernetes RBAC. The sniffer's 64 KiB
// head is not enough: a 321 KB `kubectl get -o json` list, a Helm render or a CloudFormation
// template can carry its first RBAC object or statement well past it.

import { parseAllDocuments } from "yaml";
import type { TargetKind } from "../../types";
import { looksLikeJson } from "./source";

export type PolicyKind = Extract<TargetKind, "iam-policy" | "gcs-iam-policy" | "k8s-rbac">;

/** Largest file read whole to decide whether it is a policy; larger files keep the head's verdict. */
export const MAX_POLICY_DETECT_BYTES = 16 * 1024 * 1024;
/** Most YAML documents looked at in one stream (a Helm render has one per template). */
const MAX_YAML_DOCUMENTS = 10_000;

/** Strings one of which every policy format holds; files without any are not parsed. */
const MARKERS = ["rbac.authorization.k8s.io", "Statement", "bindings", "google_storage_bucket_iam", "PolicyDocument", "KeyPolicy"];

const asObject = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

function isRbacObject(o: unknown): boolean {
  const r = asObject(o);
  if (!r) return false;
  const { apiVersion, kind } = r;
  return typeof apiVersion === "string" && apiVersion.startsWith("rbac.authorization.k8s.io/") && typeof kind === "string" && /^(Cluster)?Role(Binding)?$/.test(kind);
}

/** Terraform resource types read as policies (`terraform show -json` plans and state). */
const TF_GCS = /^google_storage_bucket_iam_(binding|member|policy)$/;
const TF_AWS = /^aws_(iam_|s3_bucket_policy$|kms_key$)/;

/** Resource types in a Terraform plan or state: planned_values / prior_state modules and resource_changes. */
export function terraformResourceTypes(o: Record<string, unknown>): Set<string> {
  const types = new Set<string>();
  const fromModule = (m: unknown, depth: number): void => {
    const mod = asObject(m);
    if (!mod || depth > 32) return;
    for (const r of Array.isArray(mod.resources) ? mod.resources : []) {
      const t = asObject(r)?.type;
      if (typeof t === "string") types.add(t);
    }
    for (const c of Array.isArray(mod.child_modules) ? mod.child_modules : []) fromModule(c, depth + 1);
  };
  fromModule(asObject(o.planned_values)?.root_module, 0);
  fromModule(asObject(asObject(o.prior_state)?.values)?.root_module, 0);
  fromModule(asObject(o.values)?.root_module, 0);
  for (const rc of Array.isArray(o.resource_changes) ? o.resource_changes : []) {
    const t = asObject(rc)?.type;
    if (typeof t === "string") types.add(t);
  }
  return types;
}

export function isTerraformJson(o: Record<string, unknown>): boolean {
  return typeof o.terraform_version === "string" || typeof o.format_version === "string" && ("planned_values" in o || "values" in o || "resource_changes" in o);
}

function hasAwsPolicy(o: unknown, depth: number): boolean {
  const r = asObject(o);
  if (depth > 16) return false;
  if (Array.isArray(o)) return o.some((x) => hasAwsPolicy(x, depth + 1));
  if (!r) return false;
  for (const [k, v] of Object.entries(r)) {
    if (k === "Statement" && (Array.isArray(v) ? v : [v]).some((s) => asObject(s) && ("Effect" in asObject(s)! || "Action" in asObject(s)!))) return true;
    if (typeof v === "string" && (k === "policy" || k === "Policy" || k === "assume_role_policy" || k === "json") && v.includes('"Statement"')) return true;
    if (typeof v === "object" && v !== null && hasAwsPolicy(v, depth + 1)) return true;
  }
  return false;
}

/** The policy kind of one parsed JSON / YAML value, from its structure. */
export function policyKindOfValue(value: unknown): PolicyKind | undefined {
  const o = asObject(value);
  if (Array.isArray(value)) return value.some(isRbacObject) ? "k8s-rbac" : undefined;
  if (!o) return undefined;
  if (isRbacObject(o) || (Array.isArray(o.items) && o.items.some(isRbacObject))) return "k8s-rbac";
  if (isTerraformJson(o)) {
    const types = [...terraformResourceTypes(o)];
    if (types.some((t) => TF_AWS.test(t))) return "iam-policy";
    if (types.some((t) => TF_GCS.test(t))) return "gcs-iam-policy";
  }
  if (Array.isArray(o.bindings) && o.bindings.length > 0 && o.bindings.every((b) => asObject(b) && "role" in asObject(b)!)) return "gcs-iam-policy";
  const policy = asObject(o.policy);
  if (policy && Array.isArray(policy.bindings) && policy.bindings.some((b) => asObject(b) && "role" in asObject(b)!)) return "gcs-iam-policy";
  if (hasAwsPolicy(o, 0)) return "iam-policy";
  return undefined;
}

/** Decides whether a whole JSON or YAML text is a policy file, from its structure; undefined when it is not (or cannot tell). */
export function detectPolicyKind(text: string): PolicyKind | undefined {
  if (!MARKERS.some((m) => text.includes(m))) return undefined;
  if (looksLikeJson(text)) {
    try {
      return policyKindOfValue(JSON.parse(text.replace(/^\uFEFF/, "")));
    } catch {
      return undefined; // malformed JSON keeps the head's verdict
    }
  }
  let found: PolicyKind | undefined;
  let docs;
  try {
    docs = parseAllDocuments(text, { strict: false, uniqueKeys: false });
  } catch {
    return undefined;
  }
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list.slice(0, MAX_YAML_DOCUMENTS)) {
    let value: unknown;
    try {
      // Aliases are capped: a billion-laughs document is not expanded here.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue;
    }
    const kind = policyKindOfValue(value);
    // RBAC wins: a Helm render may also carry a CloudFormation-looking string in a ConfigMap.
    if (kind === "k8s-rbac") return kind;
    found ??= kind;
  }
  return found;
}
