// Allow statements with "service:*" on services that hold models, data, keys or identities.
import type { Rule } from "../../../types";
import { awsData, describeResources, isAllow, listed, onlyAccountRoots, statementEvidence, statementLabel } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";

const NARROWER: Record<string, string> = {
  s3: "s3:GetObject and s3:ListBucket for readers, s3:PutObject for the one writer",
  sagemaker: "the sagemaker:Describe*, sagemaker:InvokeEndpoint or sagemaker:CreateTrainingJob actions the job uses",
  kms: "kms:Decrypt and kms:GenerateDataKey on the key ARN",
  dynamodb: "dynamodb:GetItem and dynamodb:Query on the table ARN",
  ecr: "ecr:BatchGetImage and ecr:GetDownloadUrlForLayer for pulls",
  iam: "the specific iam: actions on named role ARNs",
};

export const awsServiceWildcard: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-service-wildcard",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} allows every action of {{wild}} on {{st}}, including deleting and re-permissioning data; grant only what is used, e.g. {{value}}.",
    },
  },
  check(doc, ctx) {
    const services = new Set(awsData().dataServices);
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        // The documented key-policy statement that delegates a key to its own account's IAM is expected.
        if (!isAllow(st) || onlyAccountRoots(st)) continue;
        const wild = (st.actions ?? []).filter((a) => {
          const m = /^([a-z0-9-]+):\*$/i.exec(a);
          return m !== null && services.has(m[1]!.toLowerCase());
        });
        if (wild.length === 0) continue;
        const svc = wild[0]!.split(":")[0]!.toLowerCase();
        ctx.report({
          messageId: "found", data: { policy: statementLabel(policy, st), wild: listed(wild, 3), st: describeResources(st), value: NARROWER[svc] ?? `the ${svc}: read actions the workload calls` },
          location: { line: st.line },
          evidence: { ...statementEvidence(policy, st), serviceWildcards: wild },
          fingerprintKey: `${st.path}:service-wildcard`,
        });
      }
    }
  },
};
