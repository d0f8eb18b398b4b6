import { runRuleTests } from "../../../helpers/rule-tester";
import { k8sAnonymousBinding } from "../../../../src/scanners/policies/rules/k8s-anonymous-binding";
import { k8sClusterAdminBinding } from "../../../../src/scanners/policies/rules/k8s-cluster-admin-binding";
import { k8sEscalationVerbs } from "../../../../src/scanners/policies/rules/k8s-escalation-verbs";
import { k8sSecretsAccess } from "../../../../src/scanners/policies/rules/k8s-secrets-access";
import { k8sWildcard } from "../../../../src/scanners/policies/rules/k8s-wildcard";
import { rbac } from "./helpers";

const role = (rules: string, kind = "Role") =>
  rbac(`apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: r\n${kind === "Role" ? "  namespace: ml\n" : ""}rules:\n${rules}`);
const binding = (roleRef: string, subjects: string, kind = "ClusterRoleBinding") =>
  rbac(`apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: b\n${kind === "RoleBinding" ? "  namespace: ml\n" : ""}roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: ${roleRef}\nsubjects:\n${subjects}`);

runRuleTests(k8sWildcard, {
  valid: [
    { name: "named verbs and resources", doc: role(`- apiGroups: [""]\n  resources: ["pods"]\n  verbs: ["get", "list"]\n`) },
    { name: "nonResourceURLs", doc: role(`- nonResourceURLs: ["*"]\n  verbs: ["get"]\n`, "ClusterRole") },
    { name: "not RBAC", doc: rbac(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  rules: "*"\n`) },
  ],
  invalid: [
    { name: "* verbs", doc: role(`- apiGroups: ["apps"]\n  resources: ["deployments"]\n  verbs: ["*"]\n`), findings: [{ message: 'Role "r" in namespace ml rule 1 grants every verb on deployments', location: { line: 7 } }] },
    { name: "* resources", doc: role(`- apiGroups: ["serving.kserve.io"]\n  resources: ["*"]\n  verbs: [get]\n`), findings: [{ message: "grants get on every resource" }] },
    { name: "* verbs and resources in named groups stay high", doc: role(`- apiGroups: ["apps"]\n  resources: ["*"]\n  verbs: ["*"]\n`), findings: [{ severity: undefined, message: "every verb on every resource in API groups apps in namespace ml, secrets" }] },
    { name: "all three is cluster-admin", doc: role(`- apiGroups: ["*"]\n  resources: ["*"]\n  verbs: ["*"]\n`, "ClusterRole"), findings: [{ severity: "critical", message: "the same as cluster-admin" }] },
  ],
});

runRuleTests(k8sSecretsAccess, {
  valid: [
    { name: "named secret", doc: role(`- apiGroups: [""]\n  resources: ["secrets"]\n  resourceNames: ["bucket-creds"]\n  verbs: ["get"]\n`) },
    { name: "secrets in another API group", doc: role(`- apiGroups: ["example.io"]\n  resources: ["secrets"]\n  verbs: ["get"]\n`) },
    { name: "* resources are k8s-wildcard", doc: role(`- apiGroups: [""]\n  resources: ["*"]\n  verbs: ["get"]\n`) },
  ],
  invalid: [
    { name: "list and watch secrets", doc: role(`- apiGroups: [""]\n  resources: ["configmaps", "secrets"]\n  verbs: ["get", "list", "watch"]\n`, "ClusterRole"), findings: [{ message: 'ClusterRole "r" rule 1 lets its subjects get, list, watch every Secret in every namespace', location: { line: 6 } }] },
    { name: "create secrets in a namespace", doc: role(`- apiGroups: [""]\n  resources: ["secrets"]\n  verbs: ["create"]\n`), findings: [{ message: "in namespace ml" }] },
  ],
});

runRuleTests(k8sEscalationVerbs, {
  valid: [
    { name: "read roles", doc: role(`- apiGroups: ["rbac.authorization.k8s.io"]\n  resources: ["roles"]\n  verbs: ["get", "list"]\n`) },
    { name: "pod logs", doc: role(`- apiGroups: [""]\n  resources: ["pods/log"]\n  verbs: ["get"]\n`) },
  ],
  invalid: [
    { name: "bind and escalate", doc: role(`- apiGroups: ["rbac.authorization.k8s.io"]\n  resources: ["clusterroles"]\n  verbs: ["bind", "escalate"]\n`, "ClusterRole"), findings: [{ message: "grants escalate, bind on clusterroles: escalate lets them write roles" }] },
    { name: "impersonate", doc: role(`- apiGroups: [""]\n  resources: ["serviceaccounts"]\n  verbs: ["impersonate"]\n`), findings: [{ message: "act as any user" }] },
    { name: "pods/exec", doc: role(`- apiGroups: [""]\n  resources: ["pods/exec"]\n  verbs: ["create"]\n`), findings: [{ message: "create pods/exec" }] },
    { name: "limited by resourceNames is medium", doc: role(`- apiGroups: ["rbac.authorization.k8s.io"]\n  resources: ["clusterroles"]\n  resourceNames: ["view"]\n  verbs: ["bind"]\n`), findings: [{ severity: "medium", message: "limited to view" }] },
  ],
});

runRuleTests(k8sAnonymousBinding, {
  valid: [
    { name: "service account", doc: binding("view", `- kind: ServiceAccount\n  name: sa\n  namespace: ml\n`) },
    { name: "Kubernetes discovery defaults", doc: binding("system:public-info-viewer", `- kind: Group\n  name: system:unauthenticated\n`) },
    { name: "a service account named like the group", doc: binding("view", `- kind: ServiceAccount\n  name: system:anonymous\n  namespace: ml\n`) },
  ],
  invalid: [
    { name: "system:unauthenticated", doc: binding("model-reader", `- kind: Group\n  name: system:unauthenticated\n`), findings: [{ severity: "critical", message: 'binds ClusterRole "model-reader" to Group system:unauthenticated', location: { line: 10 } }] },
    { name: "system:anonymous user", doc: binding("view", `- kind: User\n  name: system:anonymous\n`), findings: [{ severity: "critical" }] },
    { name: "system:authenticated is high", doc: binding("view", `- kind: Group\n  name: system:authenticated\n`, "RoleBinding"), findings: [{ severity: "high", message: "every authenticated identity" }] },
  ],
});

runRuleTests(k8sClusterAdminBinding, {
  valid: [
    { name: "the default system:masters binding", doc: binding("cluster-admin", `- kind: Group\n  name: system:masters\n`) },
    { name: "another role", doc: binding("edit", `- kind: ServiceAccount\n  name: ci\n  namespace: ci\n`) },
  ],
  invalid: [
    { name: "cluster-admin to a service account", doc: binding("cluster-admin", `- kind: ServiceAccount\n  name: ci\n  namespace: ci\n`), findings: [{ message: "gives ServiceAccount ci/ci the cluster-admin role over the whole cluster", location: { line: 5 } }] },
    { name: "cluster-admin through a RoleBinding", doc: binding("cluster-admin", `- kind: User\n  name: alice@acme.example\n`, "RoleBinding"), findings: [{ message: "gives User a***@acme.example the cluster-admin role over namespace ml", evidence: { subjects: ["a***@acme.example"] } }] },
  ],
});
