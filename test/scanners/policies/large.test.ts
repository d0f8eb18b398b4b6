// Policy files larger than the sniffer's 64 KiB head, generated here (not committed): each is
// classified by its structure over the whole file and its risky grant, placed past the head,
// is found at high or above at the right line.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HEAD_BYTES } from "../../../src/core/sniff";
import { runScan, severityAtLeast } from "../../../src/core/run";
import type { Report } from "../../../src/types";

let dir: string;
let report: Report;
const sizes: Record<string, number> = {};

/** 1-based line of the first line containing `needle`, searching from the end when `last`. */
function lineOf(text: string, needle: string, last = false): number {
  const lines = text.split("\n");
  const i = last ? lines.map((l) => l.includes(needle)).lastIndexOf(true) : lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not found`);
  return i + 1;
}

const texts: Record<string, string> = {};
function write(name: string, text: string): void {
  texts[name] = text;
  sizes[name] = Buffer.byteLength(text);
  writeFileSync(join(dir, name), text);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aigis-large-policies-"));
  // 1. `kubectl get clusterroles,clusterrolebindings -o json`: a List (4-space indent, as kubectl prints), the anonymous cluster-admin binding last.
  const items: unknown[] = [];
  for (let i = 0; i < 700; i++) {
    items.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: `model-viewer-${i}`, resourceVersion: String(1000 + i), uid: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}` }, rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [`model-${i}`], verbs: ["get"] }] });
  }
  items.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "anonymous-admin" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }, subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:anonymous" }] });
  write("kubectl-list.json", `${JSON.stringify({ apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } }, null, 4)}\n`);

  // 2. `gcloud storage buckets get-iam-policy --format=json`: many service accounts, allUsers last.
  const bindings: unknown[] = [];
  for (let i = 0; i < 180; i++) bindings.push({ role: `roles/storage.objectViewer`, members: Array.from({ length: 6 }, (_, j) => `serviceAccount:reader-${i}-${j}@acme-ml-prod.iam.gserviceaccount.com`) });
  bindings.push({ role: "roles/storage.objectViewer", members: ["allUsers"] });
  write("bucket-iam.json", `${JSON.stringify({ bindings, etag: "CAE=", version: 1 }, null, 2)}\n`);

  // 3. `helm template` output: ConfigMaps first, the RBAC objects past 64 KiB.
  let helm = "";
  for (let i = 0; i < 120; i++) {
    helm += `---\n# Source: model-serving/templates/configmap-${i}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: serving-config-${i}\n  labels:\n    app.kubernetes.io/name: model-serving\ndata:\n  settings.json: |\n${Array.from({ length: 12 }, (_, j) => `    {"replica": ${j}, "model": "resnet-${i}", "threads": 4, "batch": 32, "timeoutMs": 5000}`).join("\n")}\n`;
  }
  helm += `---\n# Source: model-serving/templates/rbac.yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: model-serving-public\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- kind: Group\n  name: system:unauthenticated\n  apiGroup: rbac.authorization.k8s.io\n`;
  write("helm-render.yaml", helm);

  // 4. CloudFormation JSON: many parameters and functions, the public bucket policy last.
  const resources: Record<string, unknown> = {};
  for (let i = 0; i < 260; i++) resources[`FeatureParam${i}`] = { Type: "AWS::SSM::Parameter", Properties: { Name: `/ml/features/f${i}`, Type: "String", Value: `feature-${i}-`.repeat(12), Description: "Feature flag for the model serving stack" } };
  resources.ModelBucketPolicy = { Type: "AWS::S3::BucketPolicy", Properties: { Bucket: { Ref: "ModelBucket" }, PolicyDocument: { Version: "2012-10-17", Statement: [{ Sid: "PublicUpload", Effect: "Allow", Principal: "*", Action: ["s3:PutObject", "s3:GetObject"], Resource: { "Fn::Sub": "arn:aws:s3:::${ModelBucket}/*" } }] } } };
  write("cloudformation.json", `${JSON.stringify({ AWSTemplateFormatVersion: "2010-09-09", Resources: resources }, null, 2)}\n`);

  report = (await runScan({ paths: ["."], cwd: dir, jobs: 1 })).report;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kindOf = (uri: string) => report.targets.find((t) => t.uri === uri)?.kind;
const serious = (uri: string) => report.findings.filter((f) => f.location.uri === uri && severityAtLeast(f.severity, "high"));

describe("policies larger than the 64 KiB head", () => {
  it("the generated files are the sizes of the reported cases, each past the head", () => {
    for (const [name, size] of Object.entries(sizes)) expect([name, size > HEAD_BYTES]).toEqual([name, true]);
    expect(sizes["kubectl-list.json"]).toBeGreaterThan(300_000);
  });

  it("a kubectl List binding cluster-admin to system:anonymous at its end", () => {
    expect(kindOf("kubectl-list.json")).toBe("k8s-rbac");
    const found = serious("kubectl-list.json");
    expect(found.map((f) => f.ruleId).sort()).toEqual(["policy/k8s-anonymous-binding", "policy/k8s-cluster-admin-binding"]);
    expect(found.find((f) => f.ruleId === "policy/k8s-anonymous-binding")).toMatchObject({ severity: "critical", location: { line: lineOf(texts["kubectl-list.json"]!, '"name": "system:anonymous"') - 3 } });
  });

  it("a GCS policy with allUsers in its last binding", () => {
    expect(kindOf("bucket-iam.json")).toBe("gcs-iam-policy");
    expect(serious("bucket-iam.json").map((f) => [f.ruleId, f.location.line])).toEqual([["policy/gcs-public-member", lineOf(texts["bucket-iam.json"]!, '"allUsers"')]]);
  });

  it("a Helm render whose RBAC comes after 64 KiB of ConfigMaps", () => {
    expect(kindOf("helm-render.yaml")).toBe("k8s-rbac");
    const ids = serious("helm-render.yaml").map((f) => f.ruleId).sort();
    expect(ids).toEqual(["policy/k8s-anonymous-binding", "policy/k8s-cluster-admin-binding"]);
  });

  it("a CloudFormation template whose bucket policy comes last", () => {
    expect(kindOf("cloudformation.json")).toBe("iam-policy");
    const found = serious("cloudformation.json");
    expect(found.map((f) => f.ruleId)).toContain("policy/aws-public-write");
    expect(found[0]!.location.line).toBeGreaterThan(lineOf(texts["cloudformation.json"]!, "ModelBucketPolicy"));
  });
});
