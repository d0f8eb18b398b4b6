// Bindings of roles that grant admin-equivalent, wildcard, Secret or escalation permissions,
// joined across files: reported at the binding's roleRef line, naming the role's file and line.
import type { Rule } from "../../../types";
import { listed } from "../aws/analysis";
import type { RbacJoinDocument } from "../k8s/join";
import { k8sData, objectLabel, subjectLabel } from "../k8s/model";
import { maskIdentity } from "../mask";

export const k8sRiskyRoleBinding: Rule<RbacJoinDocument> = {
  meta: {
    id: "policy/k8s-risky-role-binding",
    appliesTo: { kinds: ["k8s-rbac"], conditions: ["a binding references a Role or ClusterRole, defined anywhere in the scan, that grants admin, wildcard, Secret or escalation permissions"] },
    messages: {
      found: "{{binding}} gives {{subjects}} {{role}} (defined at {{where}}), which grants {{grants}} {{scope}}; bind a role limited to what the subjects need, or narrow the role (rule {{rule}}, line {{line}}).",
    },
  },
  check(doc, ctx) {
    const data = k8sData();
    const admin = new Set(data.adminRoles);
    const defaultGroups = new Set(data.adminDefaultGroups);
    const anonymous = new Set(data.anonymousSubjects.map((a) => a.name));
    for (const { binding: b, role, grants } of doc.bindings) {
      if (!b.roleRef) continue;
      // cluster-admin has its own rule; Kubernetes' own defaults bind system roles to system components.
      if (admin.has(b.roleRef.name)) continue;
      const subjects = b.subjects.filter((s) => !(s.kind === "Group" && defaultGroups.has(s.name)));
      if (subjects.length === 0) continue;
      const toAnonymous = subjects.some((s) => anonymous.has(s.name));
      if (b.bootstrap && role.bootstrap && !toAnonymous) continue;
      const isAdmin = grants.some((g) => g.kind === "admin");
      const where = `${role.uri === b.uri ? "line" : `${role.uri} line`} ${role.line}`;
      const scope = b.kind === "ClusterRoleBinding" ? "across the whole cluster" : `in namespace ${b.namespace ?? "(the binding's namespace)"}`;
      const first = grants[0]!;
      ctx.report({
        messageId: "found",
        data: {
          binding: objectLabel(b),
          subjects: listed(subjects.map(subjectLabel), 3),
          role: objectLabel(role),
          where,
          grants: listed([...new Set(grants.map((g) => g.text))], 3),
          scope,
          rule: first.rule + 1,
          line: first.line,
        },
        location: { uri: b.uri, line: b.roleRef.line },
        ...(isAdmin || toAnonymous ? { severity: "critical" as const } : {}),
        evidence: {
          kind: b.kind,
          name: b.name,
          ...(b.namespace ? { namespace: b.namespace } : {}),
          role: { kind: role.kind, name: role.name, uri: role.uri, line: role.line },
          grants: grants.map((g) => ({ kind: g.kind, grant: g.text, rule: g.rule, line: g.line })),
          subjects: subjects.map((s) => (s.kind === "User" ? maskIdentity(s.name) : s.name)),
        },
        fingerprintKey: `${b.kind}/${b.namespace ?? ""}/${b.name}->${role.kind}/${role.namespace ?? ""}/${role.name}@${role.uri}`,
      });
    }
  },
};
