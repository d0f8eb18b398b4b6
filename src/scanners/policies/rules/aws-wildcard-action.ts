// Allow statements with Action "*": every action of every service.
import type { Rule } from "../../../types";
import { describeResources, isAllow, statementEvidence, statementLabel, unconstrainedResource } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";

export const awsWildcardAction: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-wildcard-action",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} allows every action of every service (\"Action\": \"*\") on {{st}}{{value}}; list only the actions the workload needs, e.g. s3:GetObject on the model bucket's objects.",
    },
  },
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        if (!isAllow(st) || !(st.actions ?? []).some((a) => a === "*" || a === "*:*")) continue;
        const admin = unconstrainedResource(st) && st.conditions.length === 0;
        ctx.report({
          messageId: "found", data: { policy: statementLabel(policy, st), st: describeResources(st), value: admin ? ", which is full administrator access" : "" },
          location: { line: st.line },
          ...(admin ? { severity: "critical" as const } : {}),
          evidence: statementEvidence(policy, st),
          fingerprintKey: `${st.path}:wildcard-action`,
        });
      }
    }
  },
};
