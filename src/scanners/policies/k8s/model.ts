// Kubernetes RBAC objects from a multi-document YAML stream (or JSON, or a v1 List).

import { loadRulesData } from "../../../core/catalog";
import { maskIdentity } from "../mask";
import { clip, entry, field, isObject, items, str, strings, type SNode } from "../source";

export interface RbacRule {
  index: number;
  line: number;
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

export interface RbacSubject {
  kind: string;
  name: string;
  namespace?: string;
  line: number;
}

export interface RbacObject {
  kind: "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding";
  name: string;
  namespace?: string;
  line: number;
  rules: RbacRule[];
  roleRef?: { kind: string; name: string; line: number };
  subjects: RbacSubject[];
  /** One of Kubernetes' own default objects (named system:*, labelled kubernetes.io/bootstrapping: rbac-defaults). */
  bootstrap?: boolean;
}

export interface RbacDocument {
  objects: RbacObject[];
}

export interface K8sPolicyData {
  escalationVerbs: string[];
  sensitiveGrants: Array<{ resource: string; verbs: string[]; reason: string }>;
  secretVerbs: string[];
  anonymousSubjects: Array<{ name: string; severity: "critical" | "high" | "medium" | "low" | "info"; who: string }>;
  defaultPublicRoles: string[];
  adminRoles: string[];
  adminDefaultGroups: string[];
}

export function k8sData(): K8sPolicyData {
  return loadRulesData<K8sPolicyData>("lists/policy-k8s.json", "policy-k8s");
}

const KINDS = new Set(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]);

function rbacObject(n: SNode): RbacObject | undefined {
  const kind = str(field(n, "kind"));
  const apiVersion = str(field(n, "apiVersion")) ?? "";
  if (!kind || !KINDS.has(kind) || !apiVersion.startsWith("rbac.authorization.k8s.io/")) return undefined;
  const meta = field(n, "metadata");
  const obj: RbacObject = { kind: kind as RbacObject["kind"], name: str(field(meta, "name")) ?? "(unnamed)", line: n.line, rules: [], subjects: [] };
  const ns = str(field(meta, "namespace"));
  if (ns) obj.namespace = ns;
  if (obj.name.startsWith("system:") && str(field(field(meta, "labels"), "kubernetes.io/bootstrapping")) === "rbac-defaults") obj.bootstrap = true;
  items(field(n, "rules")).forEach((r, index) => {
    if (!isObject(r)) return;
    obj.rules.push({
      index,
      line: r.line,
      apiGroups: strings(field(r, "apiGroups")),
      resources: strings(field(r, "resources")),
      verbs: strings(field(r, "verbs")).map((v) => v.toLowerCase()),
      resourceNames: strings(field(r, "resourceNames")),
      nonResourceURLs: strings(field(r, "nonResourceURLs")),
    });
  });
  const ref = entry(n, "roleRef");
  if (ref && isObject(ref.value)) obj.roleRef = { kind: str(field(ref.value, "kind")) ?? "ClusterRole", name: str(field(ref.value, "name")) ?? "", line: ref.keyLine };
  for (const s of items(field(n, "subjects"))) {
    if (!isObject(s)) continue;
    const subject: RbacSubject = { kind: str(field(s, "kind")) ?? "", name: str(field(s, "name")) ?? "", line: s.line };
    const sns = str(field(s, "namespace"));
    if (sns) subject.namespace = sns;
    obj.subjects.push(subject);
  }
  return obj;
}

export function extractRbac(roots: SNode[]): RbacDocument {
  const objects: RbacObject[] = [];
  for (const r of roots) {
    const kind = str(field(r, "kind"));
    const candidates = kind === "List" || kind?.endsWith("List") ? items(field(r, "items")) : [r];
    for (const c of candidates) {
      const o = rbacObject(c);
      if (o) objects.push(o);
    }
  }
  return { objects };
}

export function objectLabel(o: RbacObject): string {
  return `${o.kind} "${clip(o.name, 80)}"${o.namespace ? ` in namespace ${clip(o.namespace, 80)}` : ""}`;
}

export function subjectLabel(s: RbacSubject): string {
  return clip(`${s.kind} ${s.namespace ? `${s.namespace}/` : ""}${s.kind === "User" ? maskIdentity(s.name) : s.name}`);
}
