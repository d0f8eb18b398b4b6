// Allow statements open to everyone (Principal "*") that read or list, with no narrowing condition.
import type { Rule } from "../../../types";
import { awsData, describeActions, describeResources, grants, statementEvidence, statementLabel, unnarrowedPublicStatements, weakConditionNote } from "../aws/analysis";
import type { AwsDocument, AwsStatement } from "../aws/model";

export function grantsPublicWrite(st: AwsStatement): string[] {
  return awsData().publicWriteActions.filter((a) => grants(st, a));
}

export const awsPublicPrincipal: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-public-principal",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} lets anyone ({{how}}) call {{st}} on {{st2}}{{verdict}}; name the accounts or roles that need access, or add a StringEquals condition on aws:PrincipalOrgID or aws:SourceVpce.",
    },
  },
  check(doc, ctx) {
    for (const { policy, st, how, verdict } of unnarrowedPublicStatements(doc)) {
      if (grantsPublicWrite(st).length > 0) continue; // policy/aws-public-write reports those
      ctx.report({
        messageId: "found", data: { policy: statementLabel(policy, st), how, st: describeActions(st), st2: describeResources(st), verdict: weakConditionNote(verdict) },
        location: { line: st.line },
        evidence: { ...statementEvidence(policy, st), principal: how },
        fingerprintKey: `${st.path}:public`,
      });
    }
  },
};
