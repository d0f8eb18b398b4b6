// Content detectors for access policies: AWS IAM (also in CloudFormation and Terraform plans),
// GCS IAM, Kubernetes RBAC, as JSON or YAML.

import type { ContentDetector, FormatDeclaration, TargetKind } from "../../types";

export const POLICY_FORMATS: ReadonlyArray<FormatDeclaration> = [
  { kind: "iam-policy", category: "policy", description: "AWS IAM or S3 bucket policy (also inside CloudFormation and Terraform plans)" },
  { kind: "gcs-iam-policy", category: "policy", description: "Google Cloud IAM policy" },
  { kind: "k8s-rbac", category: "policy", description: "Kubernetes RBAC roles and bindings" },
];

/** Kubernetes RBAC objects as `kubectl get -o json` prints them. */
function isRbacObject(o: unknown): boolean {
  if (!o || typeof o !== "object") return false;
  const { apiVersion, kind } = o as Record<string, unknown>;
  return typeof apiVersion === "string" && apiVersion.startsWith("rbac.authorization.k8s.io/") && typeof kind === "string" && /^(Cluster)?Role(Binding)?$/.test(kind);
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

function fromJson(json: unknown): TargetKind | undefined {
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

export const POLICY_DETECTORS: ReadonlyArray<ContentDetector> = [
  {
    name: "policy-json",
    order: 312,
    refines: ["json", "jsonl"],
    detect({ json, text, head, size }) {
      if (json !== undefined) return fromJson(json);
      if (text === undefined) return undefined;
      if (head.length >= size) {
        // Malformed policies still go to the policy scanner, which reports where the JSON breaks.
        if (/"Statement"\s*:/.test(text) && /"Effect"\s*:/.test(text)) return "iam-policy";
        if (/"bindings"\s*:/.test(text) && /"role"\s*:\s*"roles\//.test(text)) return "gcs-iam-policy";
        return undefined;
      }
      // Large JSON, judged by the head: policies, also as JSON strings inside Terraform plans (escaped quotes), and plans with IAM resources.
      if (/\\?"Statement\\?"\s*:/.test(text)) return "iam-policy";
      if (/"terraform_version"\s*:/.test(text) && /"type"\s*:\s*"aws_(iam_|s3_bucket_policy|kms_key)/.test(text)) return "iam-policy";
      return undefined;
    },
  },
  {
    name: "policy-yaml",
    order: 330,
    refines: ["yaml", "text", "csv"],
    detect({ text }) {
      if (text === undefined) return undefined;
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
    },
  },
];
