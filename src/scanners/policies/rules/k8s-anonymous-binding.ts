// Bindings to system:anonymous, system:unauthenticated or system:authenticated.
import type { Rule } from "../../../types";
import { k8sData, objectLabel, subjectLabel, type RbacDocument } from "../k8s/model";

export const k8sAnonymousBinding: Rule<RbacDocument> = {
  meta: {
    id: "policy/k8s-anonymous-binding",
    appliesTo: { kinds: ["k8s-rbac"] },
    messages: {
      found: "{{o}} binds {{kind}} \"{{name}}\" to {{s}}, that is {{who}}; bind the role to the named service accounts or groups that need it.",
    },
  },
  check(doc, ctx) {
    const data = k8sData();
    const defaults = new Set(data.defaultPublicRoles);
    for (const o of doc.objects) {
      if (!o.roleRef || defaults.has(o.roleRef.name)) continue;
      for (const s of o.subjects) {
        const match = data.anonymousSubjects.find((a) => a.name === s.name && (s.kind === "Group" || s.kind === "User"));
        if (!match) continue;
        ctx.report({
          messageId: "found", data: { o: objectLabel(o), kind: o.roleRef.kind, name: o.roleRef.name, s: subjectLabel(s), who: match.who },
          location: { line: s.line },
          severity: match.severity,
          evidence: { kind: o.kind, name: o.name, roleRef: o.roleRef.name, subject: s.name },
          fingerprintKey: `${o.kind}/${o.namespace ?? ""}/${o.name}:${s.name}`,
        });
      }
    }
  },
};
