// Allow statements open to everyone (Principal "*") that read or list, with no narrowing condition.
import type { RuleModule } from "../../../core/rule";
import { awsData, describeActions, describeResources, grants, statementEvidence, statementLabel, unnarrowedPublicStatements, weakConditionNote } from "../aws/analysis";
import type { AwsDocument, AwsStatement } from "../aws/model";

export function grantsPublicWrite(st: AwsStatement): string[] {
  return awsData().publicWriteActions.filter((a) => grants(st, a));
}

export const awsPublicPrincipal: RuleModule<AwsDocument> = {
  id: "policy/aws-public-principal",
  check(doc, ctx) {
    for (const { policy, st, how, verdict } of unnarrowedPublicStatements(doc)) {
      if (grantsPublicWrite(st).length > 0) continue; // policy/aws-public-write reports those
      ctx.report({
        message: `${statementLabel(policy, st)} lets anyone (${how}) call ${describeActions(st)} on ${describeResources(st)}${weakConditionNote(verdict)}; name the accounts or roles that need access, or add a StringEquals condition on aws:PrincipalOrgID or aws:SourceVpce.`,
        location: { line: st.line },
        evidence: { ...statementEvidence(policy, st), principal: how },
        fingerprintKey: `${st.path}:public`,
      });
    }
  },
};
