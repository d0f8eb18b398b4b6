// Content detectors for access policies: AWS IAM (also in CloudFormation and Terraform plans),
// GCS IAM (also in Terraform plans), Kubernetes RBAC, as JSON or YAML. JSON and YAML are
// judged by structure over the whole file (bounded by MAX_POLICY_DETECT_BYTES), not by the
// sniffer's 64 KiB head: a 321 KB `kubectl get -o json` list, a Helm render or a CloudFormation
// template can carry its first RBAC object or statement well past it. What the structure does
// not settle (malformed JSON, files past the bound) is judged from the head, as before.

import { yamlLib } from "../../core/yaml";
import type { ContentDetector, DetectInput, FormatDeclaration } from "../../types";
import { looksLikeJson } from "./source";

export const POLICY_FORMATS: ReadonlyArray<FormatDeclaration> = [
  { kind: "iam-policy", category: "policy", description: "AWS IAM or S3 bucket policy (also inside CloudFormation and Terraform plans)" },
  { kind: "gcs-iam-policy", category: "policy", description: "Google Cloud IAM policy (also inside Terraform plans)" },
  { kind: "k8s-rbac", category: "policy", description: "Kubernetes RBAC roles and bindings" },
];

export type PolicyKind = "iam-policy" | "gcs-iam-policy" | "k8s-rbac";

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
    docs = yamlLib().parseAllDocuments(text, { strict: false, uniqueKeys: false, logLevel: "silent" });
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

/** CloudFormation and Terraform plans carry IAM policies in PolicyDocument / policy fields. */
function hasPolicyDocument(o: unknown, depth: number): boolean {
  if (depth > 8 || !o || typeof o !== "object") return false;
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if ((k === "PolicyDocument" || k === "AssumeRolePolicyDocument" || k === "KeyPolicy") && v && typeof v === "object" && "Statement" in (v as object)) return true;
    if ((k === "policy" || k === "Policy" || k === "assume_role_policy" || k === "json") && typeof v === "string" && v.includes('"Statement"')) return true;
    // Policies nested under other keys (aws iam get-account-authorization-details: PolicyVersionList[].Document).
    if (k === "Statement" && Array.isArray(v) && v.length > 0 && v.every((s) => s && typeof s === "object" && "Effect" in (s as object))) return true;
    if (typeof v === "object" && hasPolicyDocument(v, depth + 1)) return true;
  }
  return false;
}

function fromJson(json: unknown): PolicyKind | undefined {
  if (!json || typeof json !== "object") return undefined;
  const o = json as Record<string, unknown>;
  if ("Statement" in o && ("Version" in o || Array.isArray(o["Statement"]) || typeof o["Statement"] === "object")) return "iam-policy";
  if (hasPolicyDocument(o, 0)) return "iam-policy";
  const bindings = o["bindings"];
  if (Array.isArray(bindings) && bindings.every((b) => b && typeof b === "object" && "role" in (b as object))) return "gcs-iam-policy";
  const items = o["items"];
  if (isRbacObject(o) || (Array.isArray(items) && items.some(isRbacObject))) return "k8s-rbac";
  return undefined;
}


/** A head that may open a YAML stream whose policy objects come later (a Helm render starts with `---` and comments). */
const YAMLISH = /^\s*(apiVersion|kind|Resources|AWSTemplateFormatVersion|bindings)\s*:/m;

/** The policy kind of the whole file (read whole up to MAX_POLICY_DETECT_BYTES), from its structure. */
async function byStructure({ head, size, file, text }: DetectInput): Promise<PolicyKind | undefined> {
  if (size > MAX_POLICY_DETECT_BYTES) return undefined;
  const whole = head.length >= size ? (text ?? head.toString("utf8")) : (await file.read(0, size)).toString("utf8");
  return detectPolicyKind(whole);
}

/** Kind from the head, as judged before the whole file is read (malformed JSON, large JSON, YAML by its lines). */
function jsonByHead(text: string, complete: boolean): PolicyKind | undefined {
  if (complete) {
    // Malformed policies still go to the policy scanner, which reports where the JSON breaks.
    if (/"Statement"\s*:/.test(text) && /"Effect"\s*:/.test(text)) return "iam-policy";
    if (/"bindings"\s*:/.test(text) && /"role"\s*:\s*"roles\//.test(text)) return "gcs-iam-policy";
    return undefined;
  }
  // Large JSON, judged by the head: policies, also as JSON strings inside Terraform plans (escaped quotes), and plans with IAM resources.
  if (/\\?"Statement\\?"\s*:/.test(text)) return "iam-policy";
  if (/"terraform_version"\s*:/.test(text) && /"type"\s*:\s*"aws_(iam_|s3_bucket_policy|kms_key)/.test(text)) return "iam-policy";
  return undefined;
}

function yamlByHead(text: string): PolicyKind | undefined {
  if (/^\s*(apiVersion|kind)\s*:/m.test(text) && /rbac\.authorization\.k8s\.io/.test(text) && /^\s*kind\s*:\s*(Cluster)?Role(Binding)?\s*$/m.test(text)) return "k8s-rbac";
  // IAM policies in YAML: CloudFormation templates (PolicyDocument, KeyPolicy, ...) and bare policies.
  // SAM templates may inline statements under Policies without a PolicyDocument key.
  if (
    /^\s*(-\s+)?Statement\s*:/m.test(text) &&
    (/^\s*(-\s+)?(PolicyDocument|AssumeRolePolicyDocument|KeyPolicy)\s*:/m.test(text) ||
      /^Version\s*:\s*["']?2012-10-17/m.test(text) ||
      (/^(AWSTemplateFormatVersion|Resources)\s*:/m.test(text) && /^\s*(-\s+)?Effect\s*:\s*["']?(Allow|Deny)\b/m.test(text)))
  ) {
    return "iam-policy";
  }
  // GCS IAM policies as gcloud prints them (YAML).
  if (/^bindings\s*:/m.test(text) && /^\s*-?\s*role\s*:\s*["']?roles\//m.test(text)) return "gcs-iam-policy";
  return undefined;
}

export const POLICY_DETECTORS: ReadonlyArray<ContentDetector> = [
  {
    name: "policy-json",
    order: 312,
    refines: ["json", "jsonl"],
    async detect(input) {
      const { json, text, head, size } = input;
      if (json !== undefined) return fromJson(json) ?? policyKindOfValue(json);
      if (text === undefined) return undefined;
      return jsonByHead(text, head.length >= size) ?? (await byStructure(input));
    },
  },
  {
    name: "policy-yaml",
    order: 330,
    refines: ["yaml", "text", "csv"],
    async detect(input) {
      const { text, head, size, generic } = input;
      if (text === undefined) return undefined;
      const byHead = yamlByHead(text);
      if (byHead) return byHead;
      // YAML by structure; text only when its head may open a YAML stream whose policy objects come later.
      if (generic === "yaml" || (generic === "text" && head.length < size && YAMLISH.test(text))) return byStructure(input);
      return undefined;
    },
  },
];
