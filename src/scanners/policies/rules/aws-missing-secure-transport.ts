// S3 bucket policies should refuse plain-HTTP requests (Deny when aws:SecureTransport is false).
import type { Rule } from "../../../types";
import { grants, isBucketPolicy } from "../aws/analysis";
import type { AwsCondition, AwsDocument, AwsPolicy, AwsStatement } from "../aws/model";

const secure = (c: AwsCondition, want: string): boolean =>
  c.key.toLowerCase() === "aws:securetransport" && c.base.toLowerCase() === "bool" && !c.setOperator && c.values.some((v) => v.toLowerCase() === want);

function deniesPlainHttp(st: AwsStatement): boolean {
  if (st.effect !== "Deny") return false;
  const everyone = (st.principal ?? []).some((p) => p.value === "*");
  const coversS3 = st.actions ? st.actions.some((a) => a === "*" || /^s3:(\*|Get\*|GetObject)$/i.test(a)) : st.notActions !== undefined;
  return everyone && coversS3 && st.conditions.some((c) => secure(c, "false"));
}

/** Every Allow requiring aws:SecureTransport true also keeps plain HTTP out. */
function allowsOnlyTls(policy: AwsPolicy): boolean {
  const allows = policy.statements.filter((s) => s.effect === "Allow");
  return allows.length > 0 && allows.every((s) => s.conditions.some((c) => secure(c, "true") && !c.ifExists));
}

export const awsMissingSecureTransport: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-missing-secure-transport",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{value}} has no Deny for requests with aws:SecureTransport false, so objects can be read and written over plain HTTP; add a Deny on s3:* for Principal \"*\" with Condition {\"Bool\": {\"aws:SecureTransport\": \"false\"}}.",
    },
  },
  check(doc, ctx) {
    // A truncated file may have lost the Deny that would satisfy this check.
    if (!doc.complete) return;
    for (const policy of doc.policies) {
      if (!isBucketPolicy(policy)) continue;
      if (policy.statements.some(deniesPlainHttp) || allowsOnlyTls(policy)) continue;
      // A policy that grants nothing readable has nothing to send over HTTP.
      if (!policy.statements.some((s) => grants(s, "s3:GetObject") || grants(s, "s3:PutObject"))) continue;
      ctx.report({
        messageId: "found", data: { value: policy.owner ? `Bucket policy ${policy.owner}` : policy.path ? `The bucket policy at ${policy.path}` : "The bucket policy" },
        location: { line: policy.line },
        evidence: { path: policy.path, ...(policy.owner ? { owner: policy.owner } : {}) },
        fingerprintKey: `${policy.path}:secure-transport`,
      });
    }
  },
};
