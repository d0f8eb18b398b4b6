// RBAC rules with "*" verbs or resources.
import type { RuleModule } from "../../../core/rule";
import { listed } from "../aws/analysis";
import { objectLabel, type RbacDocument } from "../k8s/model";

export const k8sWildcard: RuleModule<RbacDocument> = {
  id: "policy/k8s-wildcard",
  check(doc, ctx) {
    for (const o of doc.objects) {
      for (const r of o.rules) {
        if (r.resources.length === 0) continue;
        const anyVerb = r.verbs.includes("*");
        const anyResource = r.resources.includes("*");
        if (!anyVerb && !anyResource) continue;
        const total = anyVerb && anyResource && r.apiGroups.includes("*");
        const scope = o.kind === "ClusterRole" ? "in every namespace it is bound to" : `in namespace ${o.namespace ?? "(the role's namespace)"}`;
        ctx.report({
          message: `${objectLabel(o)} rule ${r.index + 1} grants ${anyVerb ? "every verb" : listed(r.verbs, 4)} on ${anyResource ? "every resource" : listed(r.resources, 4)} in API groups ${listed(r.apiGroups.map((g) => (g === "" ? '""' : g)), 3)} ${scope}${total ? ", the same as cluster-admin" : ""}, secrets and future resource types included; list the resources and verbs the workload needs.`,
          location: { line: r.line },
          ...(total ? { severity: "critical" as const } : {}),
          evidence: { kind: o.kind, name: o.name, rule: r.index, apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs },
          fingerprintKey: `${o.kind}/${o.namespace ?? ""}/${o.name}:${r.index}:wildcard`,
        });
      }
    }
  },
};
