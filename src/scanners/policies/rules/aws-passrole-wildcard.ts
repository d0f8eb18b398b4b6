// iam:PassRole on every role: the holder can hand any role, admin included, to a service it controls.
import type { Rule } from "../../../types";
import { actionMatches, awsData, isAllow, listed, narrowing, statementEvidence, statementLabel, unconstrainedResource } from "../aws/analysis";
import type { AwsDocument, AwsStatement } from "../aws/model";

function everyRole(st: AwsStatement): boolean {
  return unconstrainedResource(st) || (st.resources ?? []).some((r) => /^arn:[^:]+:iam::[^:]*:role\/\*$/.test(r) || /^arn:[^:]+:iam::\*:/.test(r));
}

export const awsPassroleWildcard: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-passrole-wildcard",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} allows {{passing}} on every role, limited by {{key}} to {{values}}; also name the role ARNs the service should receive.",
      found2: "{{policy}} allows {{passing}} on every role ({{listed}}), so its holder can give any role, administrators included, to a service it controls; name the role ARNs and add an iam:PassedToService condition.",
    },
  },
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        // Action "*" is reported by aws-wildcard-action; here the statement names iam actions.
        const passing = (st.actions ?? []).filter((a) => a !== "*" && actionMatches(a, "iam:PassRole"));
        if (!isAllow(st) || passing.length === 0 || !everyRole(st)) continue;
        const toService = narrowing(st, awsData().passRoleNarrowingKeys).narrowedBy;
        ctx.report({
          messageId: toService ? "found" : "found2", data: { policy: statementLabel(policy, st), passing: listed(passing, 2), key: toService?.key ?? "", values: toService ? listed(toService.values, 2) : "", listed: listed(st.resources ?? ["NotResource"], 2) },
          location: { line: st.line },
          ...(toService ? { severity: "low" as const } : {}),
          evidence: { ...statementEvidence(policy, st), passRole: passing },
          fingerprintKey: `${st.path}:passrole`,
        });
      }
    }
  },
};
