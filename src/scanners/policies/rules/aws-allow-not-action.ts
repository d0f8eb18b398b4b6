// Allow with NotAction grants every action not listed, including ones AWS adds later.
import type { RuleModule } from "../../../core/rule";
import { describeResources, isAllow, listed, statementEvidence, statementLabel } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";

export const awsAllowNotAction: RuleModule<AwsDocument> = {
  id: "policy/aws-allow-not-action",
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        if (!isAllow(st) || !st.notActions) continue;
        ctx.report({
          message: `${statementLabel(policy, st)} allows every action except ${listed(st.notActions, 4)} on ${describeResources(st)}, including actions AWS adds later; replace NotAction with an Action list of what is needed, or use NotAction only in a Deny.`,
          location: { line: st.line },
          evidence: statementEvidence(policy, st),
          fingerprintKey: `${st.path}:not-action`,
        });
      }
    }
  },
};
