// Known privilege-escalation action sets (Rhino Security Labs, as listed by cloudsplaining)
// allowed on every resource by one policy, after unconditional Deny statements.
import type { RuleModule } from "../../../core/rule";
import { actionMatches, awsData, grants, listed, policyLabel, unconstrainedResource } from "../aws/analysis";
import type { AwsDocument, AwsPolicy, AwsStatement } from "../aws/model";

function denied(policy: AwsPolicy, action: string): boolean {
  return policy.statements.some(
    (s) =>
      s.effect === "Deny" &&
      s.conditions.length === 0 &&
      unconstrainedResource(s) &&
      (s.actions ? s.actions.some((p) => actionMatches(p, action)) : s.notActions ? !s.notActions.some((p) => actionMatches(p, action)) : false),
  );
}

/** The first statement granting the action on every resource; Action "*" is left to aws-wildcard-action. */
function grantingStatement(policy: AwsPolicy, action: string): AwsStatement | undefined {
  if (denied(policy, action)) return undefined;
  return policy.statements.find((s) => unconstrainedResource(s) && !(s.actions ?? []).includes("*") && grants(s, action));
}

export const awsPrivilegeEscalation: RuleModule<AwsDocument> = {
  id: "policy/aws-privilege-escalation",
  check(doc, ctx) {
    for (const policy of doc.policies) {
      const methods: Array<{ name: string; actions: string[]; at: AwsStatement }> = [];
      for (const method of awsData().privilegeEscalation) {
        const by = method.actions.map((a) => grantingStatement(policy, a));
        if (by.every((s) => s !== undefined)) methods.push({ name: method.name, actions: method.actions, at: by[0]! });
      }
      if (methods.length === 0) continue;
      const first = methods[0]!;
      const actions = [...new Set(methods.flatMap((m) => m.actions))];
      ctx.report({
        message: `${policyLabel(policy)} lets its holder escalate privileges (${listed(methods.map((m) => m.name), 3)}) because ${listed(actions, 4)} ${actions.length === 1 ? "is" : "are"} allowed on every resource; scope these actions to named ARNs or keep them in an administrators-only role.`,
        location: { line: first.at.line },
        evidence: { path: policy.path, ...(policy.owner ? { owner: policy.owner } : {}), methods: methods.map((m) => ({ name: m.name, actions: m.actions, line: m.at.line })) },
        fingerprintKey: `${policy.path}:escalation`,
      });
    }
  },
};
