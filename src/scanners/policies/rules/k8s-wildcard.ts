// RBAC rules with "*" verbs or resources.
import type { Rule } from "../../../types";
import { listed } from "../aws/analysis";
import { objectLabel, type RbacDocument } from "../k8s/model";

export const k8sWildcard: Rule<RbacDocument> = {
  meta: {
    id: "policy/k8s-wildcard",
    appliesTo: { kinds: ["k8s-rbac"] },
    messages: {
      found: "{{o}} rule {{value}} grants {{value2}} on {{value3}} in API groups {{map}} {{scope}}{{value4}}, secrets and future resource types included; list the resources and verbs the workload needs.",
    },
  },
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
          messageId: "found", data: { o: objectLabel(o), value: r.index + 1, value2: anyVerb ? "every verb" : listed(r.verbs, 4), value3: anyResource ? "every resource" : listed(r.resources, 4), map: listed(r.apiGroups.map((g) => (g === "" ? '""' : g)), 3), scope, value4: total ? ", the same as cluster-admin" : "" },
          location: { line: r.line },
          ...(total ? { severity: "critical" as const } : {}),
          evidence: { kind: o.kind, name: o.name, rule: r.index, apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs },
          fingerprintKey: `${o.kind}/${o.namespace ?? ""}/${o.name}:${r.index}:wildcard`,
        });
      }
    }
  },
};
