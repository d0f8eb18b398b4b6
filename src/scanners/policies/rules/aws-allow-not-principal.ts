// Allow with NotPrincipal grants to everyone not listed, anonymous users included.
import type { Rule } from "../../../types";
import { describeActions, describeResources, isAllow, listed, statementEvidence, statementLabel } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";
import { maskIdentity } from "../mask";

export const awsAllowNotPrincipal: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-allow-not-principal",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} grants {{st}} on {{st2}} to every principal except {{excluded}}, anonymous users included; use Principal with the accounts or roles that need access.",
    },
  },
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        if (!isAllow(st) || !st.notPrincipal) continue;
        const excluded = st.notPrincipal.map((p) => maskIdentity(p.value));
        ctx.report({
          messageId: "found", data: { policy: statementLabel(policy, st), st: describeActions(st), st2: describeResources(st), excluded: listed(excluded, 3) },
          location: { line: st.line },
          evidence: { ...statementEvidence(policy, st), notPrincipal: excluded },
          fingerprintKey: `${st.path}:not-principal`,
        });
      }
    }
  },
};
