// Kubernetes RBAC across files: each RoleBinding / ClusterRoleBinding joined with the Role or
// ClusterRole it references, wherever in the scan that role is defined (another manifest, a
// Helm render, a `kubectl get -o json` list), so a binding of a dangerous role defined
// elsewhere is judged with what the role grants.

import { listed } from "../aws/analysis";
import { TEMPLATE_PLACEHOLDER } from "../source";
import { k8sData, type K8sPolicyData, type RbacObject, type RbacRule } from "./model";

export interface LocatedRbacObject extends RbacObject {
  uri: string;
}

/** What a role grants that makes binding it risky. */
export interface RoleGrant {
  kind: "admin" | "wildcard" | "secrets" | "escalation";
  text: string;
  /** The role's rule (0-based) and its line in the role's file. */
  rule: number;
  line: number;
}

export interface JoinedBinding {
  binding: LocatedRbacObject;
  role: LocatedRbacObject;
  grants: RoleGrant[];
}

export interface RbacJoinDocument {
  bindings: JoinedBinding[];
}

function ruleGrants(r: RbacRule, data: K8sPolicyData): RoleGrant[] {
  const out: RoleGrant[] = [];
  const at = { rule: r.index, line: r.line };
  const anyVerb = r.verbs.includes("*");
  const anyResource = r.resources.includes("*");
  if (anyVerb && anyResource && r.apiGroups.includes("*")) return [{ kind: "admin", text: "every verb on every resource in every API group (the same as cluster-admin)", ...at }];
  if ((anyVerb || anyResource) && r.resources.length > 0) out.push({ kind: "wildcard", text: `${anyVerb ? "every verb" : listed(r.verbs, 3)} on ${anyResource ? "every resource" : listed(r.resources, 3)}`, ...at });
  if (r.resources.some((x) => x === "secrets" || x === "*") && r.resourceNames.length === 0 && r.apiGroups.some((g) => g === "" || g === "*")) {
    const verbs = r.verbs.filter((v) => data.secretVerbs.includes(v));
    if (verbs.length > 0) out.push({ kind: "secrets", text: `${listed(verbs, 3)} on every Secret`, ...at });
  }
  if (r.resourceNames.length === 0) {
    const escalation = data.escalationVerbs.filter((v) => r.verbs.includes(v));
    if (escalation.length > 0) out.push({ kind: "escalation", text: `${listed(escalation, 3)} on ${listed(r.resources, 3)}`, ...at });
    for (const g of data.sensitiveGrants) {
      const verbs = g.verbs.filter((v) => r.verbs.includes(v));
      if (verbs.length > 0 && r.resources.includes(g.resource)) out.push({ kind: "escalation", text: `${listed(verbs, 2)} ${g.resource}`, ...at });
    }
  }
  return out;
}

/** The grants of a role that make binding it risky, in rule order. */
export function roleGrants(role: RbacObject, data: K8sPolicyData = k8sData()): RoleGrant[] {
  return role.rules.flatMap((r) => ruleGrants(r, data));
}

/**
 * Joins every binding with the role it references. A RoleBinding's Role is looked up in the
 * binding's namespace (a manifest without a namespace matches any: it is applied to one);
 * a ClusterRole by name. Several definitions of one role (two files): each is joined.
 */
export function joinBindings(objects: ReadonlyArray<LocatedRbacObject>, data: K8sPolicyData = k8sData()): RbacJoinDocument {
  const roles = new Map<string, LocatedRbacObject[]>();
  for (const o of objects) {
    if (o.kind !== "Role" && o.kind !== "ClusterRole") continue;
    const key = `${o.kind}/${o.name}`;
    const list = roles.get(key);
    if (list) list.push(o);
    else roles.set(key, [o]);
  }
  const bindings: JoinedBinding[] = [];
  for (const b of objects) {
    if ((b.kind !== "RoleBinding" && b.kind !== "ClusterRoleBinding") || !b.roleRef) continue;
    // Names rendered from Helm template actions are placeholders, never the same role.
    if (b.roleRef.name.includes(TEMPLATE_PLACEHOLDER)) continue;
    // A ClusterRoleBinding can only reference a ClusterRole.
    const refKind = b.kind === "ClusterRoleBinding" ? "ClusterRole" : b.roleRef.kind;
    for (const role of roles.get(`${refKind}/${b.roleRef.name}`) ?? []) {
      if (refKind === "Role" && role.namespace && b.namespace && role.namespace !== b.namespace) continue;
      const grants = roleGrants(role, data);
      if (grants.length > 0) bindings.push({ binding: b, role, grants });
    }
  }
  return { bindings };
}
