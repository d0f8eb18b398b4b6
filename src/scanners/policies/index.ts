// Access policies around models and data: AWS IAM and S3 bucket policies (also inside
// CloudFormation templates and Terraform plans), GCS IAM policies, Kubernetes RBAC.
// Finds who can read, replace or poison what, and points at the statement's line.

import { readFile } from "node:fs/promises";
import type { ProjectContext, ScanContext, ScanFile, ScannerPlugin, TargetKind } from "../../types";
import { POLICY_DETECTORS, POLICY_FORMATS, type PolicyKind } from "./detect";
import { extractAwsPolicies, type AwsDocument } from "./aws/model";
import { extractGcsBindings, type GcsDocument } from "./gcs/model";
import { extractRbac, type RbacDocument } from "./k8s/model";
import { joinBindings, type JoinedBinding, type LocatedRbacObject } from "./k8s/join";
import { awsRules, gcsRules, k8sJoinRules, k8sRules } from "./rules";
import { field, NODE_BUDGET, NodeBudgetError, parseSource, str, type ParsedSource } from "./source";

export type { PolicyKind };
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
  // A Terraform plan may hold AWS and Google resources side by side: read both.
  const terraform = parsed.documents.some((d) => str(field(d, "terraform_version")) !== undefined);
  const aws = (): AwsDocument => extractAwsPolicies(parsed.documents, parsed.errors.length === 0);
  const gcs = (): GcsDocument => extractGcsBindings(parsed.documents);
  if (kind === "iam-policy") return { parsed, aws: aws(), ...(terraform ? { gcs: gcs() } : {}) };
  if (kind === "gcs-iam-policy") return { parsed, gcs: gcs(), ...(terraform ? { aws: aws() } : {}) };
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
  rules: [...awsRules, ...gcsRules, ...k8sRules, ...k8sJoinRules],
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
  async scanProject(ctx: ProjectContext): Promise<void> {
    await joinRbacAcrossFiles(ctx);
  },
};

/**
 * Bindings judged with the roles they reference anywhere in the scan. Each RBAC file is read
 * again here (the per-file pass runs in worker threads and keeps no documents); files over the
 * in-memory limit or that did not parse were reported by that pass. The join rules run once per
 * RBAC file over the bindings it holds, so each file's assessment facts say they assessed it.
 */
export async function joinRbacAcrossFiles(ctx: ProjectContext): Promise<void> {
  const objects: LocatedRbacObject[] = [];
  const read: string[] = [];
  for (const t of ctx.targets) {
    if (t.kind !== "k8s-rbac" || t.bytes > ctx.settings.limits.maxInMemoryBytes) continue;
    let text: string;
    try {
      text = await readFile(t.absPath, "utf8");
    } catch {
      continue;
    }
    try {
      for (const o of readPolicyText(text, "k8s-rbac").rbac?.objects ?? []) objects.push({ ...o, uri: t.uri });
    } catch (e) {
      if (!(e instanceof NodeBudgetError)) throw e;
      continue;
    }
    read.push(t.uri);
  }
  const byFile = new Map<string, JoinedBinding[]>();
  for (const j of joinBindings(objects).bindings) {
    const list = byFile.get(j.binding.uri) ?? [];
    list.push(j);
    byFile.set(j.binding.uri, list);
  }
  for (const uri of read) ctx.runRules(k8sJoinRules, { bindings: byFile.get(uri) ?? [] }, uri);
}

export { policyScanner as scanner };
