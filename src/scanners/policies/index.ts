// Access policies around models and data: AWS IAM and S3 bucket policies (also inside
// CloudFormation templates and Terraform plans), GCS IAM policies, Kubernetes RBAC.
// Finds who can read, replace or poison what, and points at the statement's line.

import type { ScanContext, ScanFile, ScannerPlugin, TargetKind } from "../../types";
import { POLICY_DETECTORS, POLICY_FORMATS } from "./detect";
import { extractAwsPolicies, type AwsDocument } from "./aws/model";
import { extractGcsBindings, type GcsDocument } from "./gcs/model";
import { extractRbac, type RbacDocument } from "./k8s/model";
import { awsRules, gcsRules, k8sRules } from "./rules";
import { NODE_BUDGET, NodeBudgetError, parseSource, type ParsedSource } from "./source";

export type PolicyKind = "iam-policy" | "gcs-iam-policy" | "k8s-rbac";
const isPolicyKind = (k: TargetKind): k is PolicyKind => k === "iam-policy" || k === "gcs-iam-policy" || k === "k8s-rbac";

export interface PolicyDocuments {
  parsed: ParsedSource;
  aws?: AwsDocument;
  gcs?: GcsDocument;
  rbac?: RbacDocument;
}

/** Parses a policy file's text and extracts the documents its kind's rules read. */
export function readPolicyText(text: string, kind: PolicyKind): PolicyDocuments {
  const parsed = parseSource(text);
  if (kind === "iam-policy") return { parsed, aws: extractAwsPolicies(parsed.documents, parsed.errors.length === 0) };
  if (kind === "gcs-iam-policy") return { parsed, gcs: extractGcsBindings(parsed.documents) };
  return { parsed, rbac: extractRbac(parsed.documents) };
}

const FORMAT_NAME: Record<PolicyKind, string> = {
  "iam-policy": "AWS policy",
  "gcs-iam-policy": "GCS IAM policy",
  "k8s-rbac": "Kubernetes RBAC",
};

export const policyScanner: ScannerPlugin = {
  id: "policies",
  kinds: ["iam-policy", "gcs-iam-policy", "k8s-rbac"],
  formats: POLICY_FORMATS,
  detectors: POLICY_DETECTORS,
  rules: [...awsRules, ...gcsRules, ...k8sRules],
  async scan(file: ScanFile, ctx: ScanContext): Promise<void> {
    if (!isPolicyKind(file.kind)) return;
    const kind = file.kind;
    const { maxInMemoryBytes } = ctx.settings.limits;
    if (file.size > maxInMemoryBytes) {
      ctx.limitExceeded({ what: `${FORMAT_NAME[kind]} file of ${file.size} bytes was not analysed`, limit: "maxInMemoryBytes", value: maxInMemoryBytes, key: "policy-size" });
      return;
    }
    const text = (await file.file.read(0, file.size)).toString("utf8");
    let docs: PolicyDocuments;
    try {
      docs = readPolicyText(text, kind);
    } catch (e) {
      if (!(e instanceof NodeBudgetError)) throw e;
      ctx.limitExceeded({ what: `${FORMAT_NAME[kind]} file expands to too many nodes (${e.message}) and was not analysed`, limit: "policyNodes", value: NODE_BUDGET, detail: { reason: e.message }, key: "policy-nodes" });
      return;
    }
    const first = docs.parsed.errors[0];
    if (first) {
      const more = docs.parsed.errors.length - 1;
      const what = docs.parsed.templated ? `${FORMAT_NAME[kind]} Helm template` : `${FORMAT_NAME[kind]} ${docs.parsed.format.toUpperCase()}`;
      ctx.parseError({
        format: docs.parsed.format,
        reason: `the ${what} is malformed at line ${first.line}, column ${first.column}: ${first.message}${more > 0 ? ` (and ${more} more error${more > 1 ? "s" : ""})` : ""}; only what parsed was checked${docs.parsed.templated ? " (render it with helm template and scan the output)" : ""}`,
        location: { line: first.line },
        // A template whose actions leave invalid YAML is usual for Helm, not a defect of the file.
        ...(docs.parsed.templated ? { severity: "info" as const } : {}),
        detail: { line: first.line, column: first.column, errors: docs.parsed.errors.length, ...(docs.parsed.templated ? { templated: true } : {}) },
        key: "policy-parse",
      });
    }
    if (docs.aws) ctx.runRules(awsRules, docs.aws);
    if (docs.gcs) ctx.runRules(gcsRules, docs.gcs);
    if (docs.rbac) ctx.runRules(k8sRules, docs.rbac);
  },
};

export { policyScanner as scanner };
