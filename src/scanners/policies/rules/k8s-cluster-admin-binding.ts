// Bindings of cluster-admin (other than Kubernetes' own binding to system:masters).
import type { RuleModule } from "../../../core/rule";
import { listed } from "../aws/analysis";
import { k8sData, objectLabel, subjectLabel, type RbacDocument } from "../k8s/model";
import { maskIdentity } from "../mask";

export const k8sClusterAdminBinding: RuleModule<RbacDocument> = {
  id: "policy/k8s-cluster-admin-binding",
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
        message: `${objectLabel(o)} gives ${listed(subjects.map(subjectLabel), 3)} the ${o.roleRef.name} role ${scope}, full control including every Secret and the power to grant more; bind a role limited to the resources and namespaces the subject works on.`,
        location: { line: o.roleRef.line },
        evidence: { kind: o.kind, name: o.name, roleRef: o.roleRef.name, subjects: subjects.map((s) => (s.kind === "User" ? maskIdentity(s.name) : s.name)) },
        fingerprintKey: `${o.kind}/${o.namespace ?? ""}/${o.name}:admin`,
      });
    }
  },
};
