// Allow statements open to everyone (Principal "*") that read or list, with no narrowing condition.
import type { RuleModule } from "../../../core/rule";
import { awsData, describeActions, describeResources, grants, narrowing, publicGrant, statementEvidence, statementLabel, weakConditionNote } from "../aws/analysis";
import type { AwsDocument, AwsStatement } from "../aws/model";

export function grantsPublicWrite(st: AwsStatement): string[] {
  return awsData().publicWriteActions.filter((a) => grants(st, a));
}

export const awsPublicPrincipal: RuleModule<AwsDocument> = {
  id: "policy/aws-public-principal",
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        const how = publicGrant(st);
        if (!how) continue;
        const verdict = narrowing(st);
        if (verdict.narrowedBy || grantsPublicWrite(st).length > 0) continue;
        ctx.report({
          message: `${statementLabel(policy, st)} lets anyone (${how}) call ${describeActions(st)} on ${describeResources(st)}${weakConditionNote(verdict)}; name the accounts or roles that need access, or add a StringEquals condition on aws:PrincipalOrgID or aws:SourceVpce.`,
          location: { line: st.line },
          evidence: { ...statementEvidence(policy, st), principal: how },
          fingerprintKey: `${st.path}:public`,
        });
      }
    }
  },
};
