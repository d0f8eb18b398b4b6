// Known privilege-escalation action sets (Rhino Security Labs, as listed by cloudsplaining)
// allowed on every resource by one policy, after unconditional Deny statements.
import type { Rule } from "../../../types";
import { actionMatches, awsData, grants, listed, policyLabel, unconstrainedResource } from "../aws/analysis";
import type { AwsDocument, AwsPolicy, AwsStatement } from "../aws/model";

/** Per policy: which statement grants each action on every resource, after unconditional Denies (memoised per action). */
function granter(policy: AwsPolicy): (action: string) => AwsStatement | undefined {
  const denies = policy.statements.filter((s) => s.effect === "Deny" && s.conditions.length === 0 && unconstrainedResource(s));
  // Action "*" is left to aws-wildcard-action.
  const allows = policy.statements.filter((s) => s.effect === "Allow" && unconstrainedResource(s) && !(s.actions ?? []).includes("*"));
  const memo = new Map<string, AwsStatement | undefined>();
  return (action) => {
    if (memo.has(action)) return memo.get(action);
    const denied = denies.some((s) => (s.actions ? s.actions.some((p) => actionMatches(p, action)) : s.notActions ? !s.notActions.some((p) => actionMatches(p, action)) : false));
    const by = denied ? undefined : allows.find((s) => grants(s, action));
    memo.set(action, by);
    return by;
  };
}

export const awsPrivilegeEscalation: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-privilege-escalation",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} lets its holder escalate privileges ({{map}}) because {{actions}} {{value}} allowed on every resource; scope these actions to named ARNs or keep them in an administrators-only role.",
    },
  },
  check(doc, ctx) {
    for (const policy of doc.policies) {
      const methods: Array<{ name: string; actions: string[]; at: AwsStatement }> = [];
      const grantingStatement = granter(policy);
      for (const method of awsData().privilegeEscalation) {
        const by = method.actions.map((a) => grantingStatement(a));
        if (by.every((s) => s !== undefined)) methods.push({ name: method.name, actions: method.actions, at: by[0]! });
      }
      if (methods.length === 0) continue;
      const first = methods[0]!;
      const actions = [...new Set(methods.flatMap((m) => m.actions))];
      ctx.report({
        messageId: "found", data: { policy: policyLabel(policy), map: listed(methods.map((m) => m.name), 3), actions: listed(actions, 4), value: actions.length === 1 ? "is" : "are" },
        location: { line: first.at.line },
        evidence: { path: policy.path, ...(policy.owner ? { owner: policy.owner } : {}), methods: methods.map((m) => ({ name: m.name, actions: m.actions, line: m.at.line })) },
        fingerprintKey: `${policy.path}:escalation`,
      });
    }
  },
};
