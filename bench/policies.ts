// Policy scanning throughput: aigis scanning a generated corpus of IAM JSON, CloudFormation
// YAML and Kubernetes RBAC YAML (discover, sniff, hash, position-aware parse, 17 rules),
// against plain JSON.parse / yaml parseAllDocuments().toJS() of the same files, both measured in this run in
// fresh processes. Also one large IAM policy, to show rule cost stays linear.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { runScan } from "../src/core/run";
import { childResult, dataPath, measureChild, median } from "./_util";

const FILES_PER_KIND = 400;
const BIG_STATEMENTS = 20_000;

function iamPolicy(i: number, statements: number): string {
  const st = [];
  for (let s = 0; s < statements; s++) {
    const pub = (i + s) % 7 === 0;
    st.push({
      Sid: `S${s}`,
      Effect: s % 5 === 0 ? "Deny" : "Allow",
      ...(pub ? { Principal: "*" } : { Principal: { AWS: `arn:aws:iam::111122223333:role/r${s}` } }),
      Action: s % 3 === 0 ? ["s3:GetObject", "s3:ListBucket"] : s % 3 === 1 ? "s3:PutObject" : ["kms:Decrypt", "iam:PassRole"],
      Resource: s % 4 === 0 ? "*" : [`arn:aws:s3:::bucket-${i}`, `arn:aws:s3:::bucket-${i}/*`],
      ...(s % 2 === 0 ? { Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } } : {}),
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: st }, null, 2);
}

function cfnTemplate(i: number): string {
  let out = `AWSTemplateFormatVersion: "2010-09-09"\nResources:\n`;
  for (let r = 0; r < 6; r++) {
    out += `  Policy${r}:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref Bucket${r}\n      PolicyDocument:\n        Version: "2012-10-17"\n        Statement:\n`;
    for (let s = 0; s < 4; s++) {
      out += `          - Sid: S${s}\n            Effect: Allow\n            Principal: "*"\n            Action: [s3:GetObject, s3:PutObject]\n            Resource: !Sub "arn:aws:s3:::\${Bucket${r}}/*"\n`;
      if ((i + s) % 2 === 0) out += `            Condition:\n              StringEquals:\n                aws:SourceVpce: vpce-${i}${s}\n`;
    }
  }
  return out;
}

function rbacStream(i: number): string {
  const docs = [];
  for (let d = 0; d < 6; d++) {
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: role-${i}-${d}\nrules:\n- apiGroups: [""]\n  resources: ["pods", "secrets", "configmaps"]\n  verbs: ["get", "list", "watch"]\n- apiGroups: ["apps"]\n  resources: ["deployments"]\n  verbs: ["*"]\n`);
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: bind-${i}-${d}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: ${d === 0 ? "cluster-admin" : `role-${i}-${d}`}\nsubjects:\n- kind: ServiceAccount\n  name: sa-${d}\n  namespace: ns-${i}\n`);
  }
  return docs.join("---\n");
}

function makeCorpus(dir: string): void {
  const marker = join(dir, ".complete");
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < FILES_PER_KIND; i++) {
    writeFileSync(join(dir, `iam-${i}.json`), iamPolicy(i, 12));
    writeFileSync(join(dir, `cfn-${i}.yaml`), cfnTemplate(i));
    writeFileSync(join(dir, `rbac-${i}.yaml`), rbacStream(i));
  }
  writeFileSync(marker, "");
}

async function child(mode: string, target: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  let findings = 0;
  if (mode === "parse") {
    const files = target.endsWith(".json") ? [target] : readdirSync(target).filter((f) => !f.startsWith(".")).map((f) => join(target, f));
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      if (f.endsWith(".json")) JSON.parse(text);
      else for (const d of parseAllDocuments(text)) d.toJS();
    }
  } else {
    const { report } = await runScan({ paths: [target], cwd: process.cwd(), jobs: 1 });
    findings = report.findings.length;
  }
  process.stdout.write(childResult(Number(process.hrtime.bigint() - t0) / 1e9, { findings }) + "\n");
}

function compare(label: string, target: string, bytes: number): void {
  measureChild(__filename, ["parse", target]); // warm the page cache
  const parse: number[] = [];
  const aigis: number[] = [];
  let findings = 0;
  for (let i = 0; i < 3; i++) {
    parse.push(measureChild(__filename, ["parse", target]).seconds);
    const a = measureChild(__filename, ["aigis", target]);
    aigis.push(a.seconds);
    findings = Number(a.output.findings);
  }
  const p = median(parse);
  const a = median(aigis);
  const mib = bytes / 1024 ** 2;
  console.log(`${label}: ${mib.toFixed(1)} MiB, ${findings} findings`);
  console.log(`  plain parse (JSON.parse / yaml toJS): ${p.toFixed(2)} s`);
  console.log(`  aigis scan (jobs 1): ${a.toFixed(2)} s (${(mib / a).toFixed(1)} MiB/s)`);
  console.log(`  ratio aigis/plain parse: ${(a / p).toFixed(1)}x`);
}

async function main(): Promise<void> {
  const [, , mode, target] = process.argv;
  if (mode && target) return child(mode, target);
  const dir = dataPath("policies");
  makeCorpus(dir);
  const corpusBytes = readdirSync(dir).reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
  compare(`corpus of ${FILES_PER_KIND * 3} files (IAM JSON, CloudFormation YAML, RBAC YAML)`, dir, corpusBytes);
  const big = dataPath("policy-big.json");
  if (!existsSync(big)) writeFileSync(big, iamPolicy(0, BIG_STATEMENTS));
  compare(`one IAM policy with ${BIG_STATEMENTS} statements`, big, readFileSync(big).length);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
