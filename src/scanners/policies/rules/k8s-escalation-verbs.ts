// RBAC rules with escalate, bind or impersonate, and grants the RBAC good-practices page calls escalation paths.
import type { Rule } from "../../../types";
import { listed } from "../aws/analysis";
import { k8sData, objectLabel, type RbacDocument } from "../k8s/model";

const WHY: Record<string, string> = {
  escalate: "escalate lets them write roles with permissions they do not hold",
  bind: "bind lets them bind any role, cluster-admin included, to themselves",
  impersonate: "impersonate lets them act as any user, group or service account",
};

export const k8sEscalationVerbs: Rule<RbacDocument> = {
  meta: {
    id: "policy/k8s-escalation-verbs",
    appliesTo: { kinds: ["k8s-rbac"] },
    messages: {
      found: "{{o}} rule {{value}} grants {{found}} on {{resources}}{{value2}}: {{reasons}}; drop these permissions or limit them with resourceNames to the exact objects an operator needs.",
    },
  },
  check(doc, ctx) {
    const data = k8sData();
    for (const o of doc.objects) {
      for (const r of o.rules) {
        // "*" verbs are reported by k8s-wildcard.
        const reasons: string[] = [];
        const found: string[] = [];
        for (const v of data.escalationVerbs) {
          if (r.verbs.includes(v)) {
            found.push(v);
            reasons.push(WHY[v] ?? `${v} escalates privilege`);
          }
        }
        for (const g of data.sensitiveGrants) {
          const verbs = g.verbs.filter((v) => r.verbs.includes(v));
          if (verbs.length > 0 && r.resources.includes(g.resource)) {
            found.push(`${listed(verbs, 2)} ${g.resource}`);
            reasons.push(`${g.resource} ${g.reason}`);
          }
        }
        if (found.length === 0) continue;
        const named = r.resourceNames.length > 0;
        ctx.report({
          messageId: "found", data: { o: objectLabel(o), value: r.index + 1, found: listed(found, 3), resources: listed(r.resources, 3), value2: named ? ` (limited to ${listed(r.resourceNames, 2)})` : "", reasons: reasons.join("; ") },
          location: { line: r.line },
          ...(named ? { severity: "medium" as const } : {}),
          evidence: { kind: o.kind, name: o.name, rule: r.index, grants: found, resources: r.resources },
          fingerprintKey: `${o.kind}/${o.namespace ?? ""}/${o.name}:${r.index}:escalation`,
        });
      }
    }
  },
};
