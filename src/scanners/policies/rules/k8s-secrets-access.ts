// RBAC rules that read or change Secrets without naming them.
import type { Rule } from "../../../types";
import { listed } from "../aws/analysis";
import { k8sData, objectLabel, type RbacDocument } from "../k8s/model";

export const k8sSecretsAccess: Rule<RbacDocument> = {
  meta: {
    id: "policy/k8s-secrets-access",
    appliesTo: { kinds: ["k8s-rbac"] },
    messages: {
      found: "{{o}} rule {{value}} lets its subjects {{granted}} every Secret {{scope}}, exposing the credentials, tokens and keys stored there; name the secrets in resourceNames and grant only get.",
    },
  },
  check(doc, ctx) {
    const verbs = new Set(k8sData().secretVerbs);
    for (const o of doc.objects) {
      for (const r of o.rules) {
        // "*" resources are reported by k8s-wildcard; named secrets (resourceNames) are the narrow form.
        if (!r.resources.some((x) => x === "secrets") || r.resourceNames.length > 0) continue;
        if (!r.apiGroups.some((g) => g === "" || g === "*")) continue;
        const granted = r.verbs.filter((v) => verbs.has(v));
        if (granted.length === 0) continue;
        const scope = o.kind === "ClusterRole" ? "in every namespace where it is bound (cluster-wide through a ClusterRoleBinding)" : `in namespace ${o.namespace ?? "(the role's namespace)"}`;
        ctx.report({
          messageId: "found", data: { o: objectLabel(o), value: r.index + 1, granted: listed(granted, 4), scope },
          location: { line: r.line },
          evidence: { kind: o.kind, name: o.name, rule: r.index, verbs: granted },
          fingerprintKey: `${o.kind}/${o.namespace ?? ""}/${o.name}:${r.index}:secrets`,
        });
      }
    }
  },
};
