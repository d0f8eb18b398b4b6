// Allow statements with Action "*": every action of every service.
import type { RuleModule } from "../../../core/rule";
import { describeResources, isAllow, statementEvidence, statementLabel, unconstrainedResource } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";

export const awsWildcardAction: RuleModule<AwsDocument> = {
  id: "policy/aws-wildcard-action",
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        if (!isAllow(st) || !(st.actions ?? []).some((a) => a === "*" || a === "*:*")) continue;
        const admin = unconstrainedResource(st) && st.conditions.length === 0;
        ctx.report({
          message: `${statementLabel(policy, st)} allows every action of every service ("Action": "*") on ${describeResources(st)}${admin ? ", which is full administrator access" : ""}; list only the actions the workload needs, e.g. s3:GetObject on the model bucket's objects.`,
          location: { line: st.line },
          ...(admin ? { severity: "critical" as const } : {}),
          evidence: statementEvidence(policy, st),
          fingerprintKey: `${st.path}:wildcard-action`,
        });
      }
    }
  },
};
