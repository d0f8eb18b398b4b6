// RuleTester cases for the cross-file RBAC rule: roles and bindings in separate texts (files),
// joined the way the project pass joins them.
import { runRuleTests } from "../../../helpers/rule-tester";
import { joinBindings, type LocatedRbacObject, type RbacJoinDocument } from "../../../../src/scanners/policies/k8s/join";
import { k8sRiskyRoleBinding } from "../../../../src/scanners/policies/rules/k8s-risky-role-binding";
import { rbac } from "./helpers";

/** Joins files given as { uri: yaml }. */
const files = (byUri: Record<string, string>): RbacJoinDocument =>
  joinBindings(Object.entries(byUri).flatMap(([uri, yaml]): LocatedRbacObject[] => rbac(yaml).objects.map((o) => ({ ...o, uri }))));

const clusterRole = (name: string, rules: string) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${name}\nrules:\n${rules}`;
const role = (name: string, ns: string, rules: string) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nrules:\n${rules}`;
const binding = (kind: string, name: string, refKind: string, ref: string, subject: string, ns?: string) =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ""}roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ${refKind}\n  name: ${ref}\nsubjects:\n${subject}`;
const GROUP = "- kind: Group\n  name: ml-platform\n";
const ANON = "- kind: User\n  name: system:anonymous\n";
const ADMIN_RULES = '- apiGroups: ["*"]\n  resources: ["*"]\n  verbs: ["*"]\n';
const SECRET_RULES = '- apiGroups: [""]\n  resources: ["secrets"]\n  verbs: ["get", "list"]\n';
const NARROW_RULES = '- apiGroups: [""]\n  resources: ["configmaps"]\n  resourceNames: ["model-index"]\n  verbs: ["get"]\n';

runRuleTests(k8sRiskyRoleBinding, {
  valid: [
    { name: "narrow role bound elsewhere", doc: files({ "roles.yaml": clusterRole("reader", NARROW_RULES), "b.yaml": binding("ClusterRoleBinding", "b", "ClusterRole", "reader", GROUP) }) },
    { name: "role not in the scan", doc: files({ "b.yaml": binding("ClusterRoleBinding", "b", "ClusterRole", "elsewhere", GROUP) }) },
    { name: "Role in another namespace", doc: files({ "roles.yaml": role("sync", "ml", SECRET_RULES), "b.yaml": binding("RoleBinding", "b", "Role", "sync", GROUP, "web") }) },
    { name: "cluster-admin has its own rule", doc: files({ "roles.yaml": clusterRole("cluster-admin", ADMIN_RULES), "b.yaml": binding("ClusterRoleBinding", "b", "ClusterRole", "cluster-admin", GROUP) }) },
    { name: "system:masters only", doc: files({ "roles.yaml": clusterRole("ops", ADMIN_RULES), "b.yaml": binding("ClusterRoleBinding", "b", "ClusterRole", "ops", "- kind: Group\n  name: system:masters\n") }) },
    { name: "Helm placeholders are not names", doc: files({ "roles.yaml": clusterRole("(template)", ADMIN_RULES), "b.yaml": binding("ClusterRoleBinding", "b", "ClusterRole", "(template)", GROUP) }) },
    { name: "a ClusterRoleBinding cannot reference a Role", doc: files({ "roles.yaml": role("ops", "ml", ADMIN_RULES), "b.yaml": binding("ClusterRoleBinding", "b", "ClusterRole", "other", GROUP) }) },
  ],
  invalid: [
    {
      name: "admin-equivalent role in another file",
      doc: files({ "roles.yaml": clusterRole("registry-admin", ADMIN_RULES), "bindings.yaml": binding("ClusterRoleBinding", "registry-admins", "ClusterRole", "registry-admin", GROUP) }),
      findings: [{ message: 'ClusterRoleBinding "registry-admins" gives Group ml-platform ClusterRole "registry-admin" (defined at roles.yaml line 1), which grants every verb on every resource in every API group (the same as cluster-admin) across the whole cluster', severity: "critical", location: { uri: "bindings.yaml", line: 5 }, evidence: { role: { kind: "ClusterRole", name: "registry-admin", uri: "roles.yaml", line: 1 } } }],
    },
    {
      name: "Secret reader Role in the binding's namespace",
      doc: files({ "roles.yaml": role("sync", "ml", SECRET_RULES), "b.yaml": binding("RoleBinding", "sync", "Role", "sync", "- kind: ServiceAccount\n  name: sync\n  namespace: ml\n", "ml") }),
      findings: [{ message: "which grants get, list on every Secret in namespace ml", severity: undefined, location: { uri: "b.yaml", line: 6 } }],
    },
    {
      name: "same file: line without the file name",
      doc: files({ "all.yaml": `${clusterRole("imp", '- apiGroups: [""]\n  resources: ["users"]\n  verbs: ["impersonate"]\n')}---\n${binding("ClusterRoleBinding", "b", "ClusterRole", "imp", GROUP)}` }),
      findings: [{ message: "(defined at line 1), which grants impersonate on users", location: { uri: "all.yaml", line: 14 } }],
    },
    {
      name: "any role bound to system:anonymous is critical",
      doc: files({ "roles.yaml": clusterRole("sync", SECRET_RULES), "b.yaml": binding("ClusterRoleBinding", "b", "ClusterRole", "sync", ANON) }),
      findings: [{ severity: "critical", message: "User system:anonymous" }],
    },
  ],
});
