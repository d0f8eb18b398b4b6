// Allow with NotAction grants every action not listed, including ones AWS adds later.
import type { Rule } from "../../../types";
import { describeResources, isAllow, listed, statementEvidence, statementLabel } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";

export const awsAllowNotAction: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-allow-not-action",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} allows every action except {{notActions}} on {{st}}, including actions AWS adds later; replace NotAction with an Action list of what is needed, or use NotAction only in a Deny.",
    },
  },
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        if (!isAllow(st) || !st.notActions) continue;
        ctx.report({
          messageId: "found", data: { policy: statementLabel(policy, st), notActions: listed(st.notActions, 4), st: describeResources(st) },
          location: { line: st.line },
          evidence: statementEvidence(policy, st),
          fingerprintKey: `${st.path}:not-action`,
        });
      }
    }
  },
};
