// Allow statements open to everyone that can write, delete or re-permission data and models.
import type { Rule } from "../../../types";
import { describeResources, listed, statementEvidence, statementLabel, unnarrowedPublicStatements, weakConditionNote } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";
import { grantsPublicWrite } from "./aws-public-principal";

export const awsPublicWrite: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-public-write",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} lets anyone ({{how}}) use {{writes}} on {{st}}{{verdict}}, so anyone can replace models or poison data; grant write only to named roles, or limit it with a condition on aws:PrincipalOrgID or aws:SourceVpce.",
    },
  },
  check(doc, ctx) {
    for (const { policy, st, how, verdict } of unnarrowedPublicStatements(doc)) {
      const writes = grantsPublicWrite(st);
      if (writes.length === 0) continue;
      ctx.report({
        messageId: "found", data: { policy: statementLabel(policy, st), how, writes: listed(writes, 3), st: describeResources(st), verdict: weakConditionNote(verdict) },
        location: { line: st.line },
        evidence: { ...statementEvidence(policy, st), principal: how, writeActions: writes },
        fingerprintKey: `${st.path}:public-write`,
      });
    }
  },
};
