// Bindings of cluster-admin (other than Kubernetes' own binding to system:masters).
import type { Rule } from "../../../types";
import { listed } from "../aws/analysis";
import { k8sData, objectLabel, subjectLabel, type RbacDocument } from "../k8s/model";
import { maskIdentity } from "../mask";

export const k8sClusterAdminBinding: Rule<RbacDocument> = {
  meta: {
    id: "policy/k8s-cluster-admin-binding",
    appliesTo: { kinds: ["k8s-rbac"] },
    messages: {
      found: "{{o}} gives {{subjectLabel}} the {{name}} role {{scope}}, full control including every Secret and the power to grant more; bind a role limited to the resources and namespaces the subject works on.",
    },
  },
  check(doc, ctx) {
    const data = k8sData();
    const admin = new Set(data.adminRoles);
    const defaultGroups = new Set(data.adminDefaultGroups);
    for (const o of doc.objects) {
      if (!o.roleRef || o.roleRef.kind !== "ClusterRole" || !admin.has(o.roleRef.name)) continue;
      const subjects = o.subjects.filter((s) => !(s.kind === "Group" && defaultGroups.has(s.name)));
      if (subjects.length === 0) continue;
      const scope = o.kind === "ClusterRoleBinding" ? "over the whole cluster" : `over namespace ${o.namespace ?? "(the binding's namespace)"}`;
      ctx.report({
        messageId: "found", data: { o: objectLabel(o), subjectLabel: listed(subjects.map(subjectLabel), 3), name: o.roleRef.name, scope },
        location: { line: o.roleRef.line },
        evidence: { kind: o.kind, name: o.name, roleRef: o.roleRef.name, subjects: subjects.map((s) => (s.kind === "User" ? maskIdentity(s.name) : s.name)) },
        fingerprintKey: `${o.kind}/${o.namespace ?? ""}/${o.name}:admin`,
      });
    }
  },
};
