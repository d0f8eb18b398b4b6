// Allow statements open to everyone that can write, delete or re-permission data and models.
import type { RuleModule } from "../../../core/rule";
import { describeResources, listed, statementEvidence, statementLabel, unnarrowedPublicStatements, weakConditionNote } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";
import { grantsPublicWrite } from "./aws-public-principal";

export const awsPublicWrite: RuleModule<AwsDocument> = {
  id: "policy/aws-public-write",
  check(doc, ctx) {
    for (const { policy, st, how, verdict } of unnarrowedPublicStatements(doc)) {
      const writes = grantsPublicWrite(st);
      if (writes.length === 0) continue;
      ctx.report({
        message: `${statementLabel(policy, st)} lets anyone (${how}) use ${listed(writes, 3)} on ${describeResources(st)}${weakConditionNote(verdict)}, so anyone can replace models or poison data; grant write only to named roles, or limit it with a condition on aws:PrincipalOrgID or aws:SourceVpce.`,
        location: { line: st.line },
        evidence: { ...statementEvidence(policy, st), principal: how, writeActions: writes },
        fingerprintKey: `${st.path}:public-write`,
      });
    }
  },
};
