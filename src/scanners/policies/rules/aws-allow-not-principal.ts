// Allow with NotPrincipal grants to everyone not listed, anonymous users included.
import type { RuleModule } from "../../../core/rule";
import { describeActions, describeResources, isAllow, listed, statementEvidence, statementLabel } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";
import { maskIdentity } from "../mask";

export const awsAllowNotPrincipal: RuleModule<AwsDocument> = {
  id: "policy/aws-allow-not-principal",
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        if (!isAllow(st) || !st.notPrincipal) continue;
        const excluded = st.notPrincipal.map((p) => maskIdentity(p.value));
        ctx.report({
          message: `${statementLabel(policy, st)} grants ${describeActions(st)} on ${describeResources(st)} to every principal except ${listed(excluded, 3)}, anonymous users included; use Principal with the accounts or roles that need access.`,
          location: { line: st.line },
          evidence: { ...statementEvidence(policy, st), notPrincipal: excluded },
          fingerprintKey: `${st.path}:not-principal`,
        });
      }
    }
  },
};
