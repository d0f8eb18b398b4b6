// Bindings to system:anonymous, system:unauthenticated or system:authenticated.
import type { RuleModule } from "../../../core/rule";
import { k8sData, objectLabel, subjectLabel, type RbacDocument } from "../k8s/model";

export const k8sAnonymousBinding: RuleModule<RbacDocument> = {
  id: "policy/k8s-anonymous-binding",
  check(doc, ctx) {
    const data = k8sData();
    const defaults = new Set(data.defaultPublicRoles);
    for (const o of doc.objects) {
      if (!o.roleRef || defaults.has(o.roleRef.name)) continue;
      for (const s of o.subjects) {
        const match = data.anonymousSubjects.find((a) => a.name === s.name && (s.kind === "Group" || s.kind === "User"));
        if (!match) continue;
        ctx.report({
          message: `${objectLabel(o)} binds ${o.roleRef.kind} "${o.roleRef.name}" to ${subjectLabel(s)}, that is ${match.who}; bind the role to the named service accounts or groups that need it.`,
          location: { line: s.line },
          severity: match.severity,
          evidence: { kind: o.kind, name: o.name, roleRef: o.roleRef.name, subject: s.name },
          fingerprintKey: `${o.kind}/${o.namespace ?? ""}/${o.name}:${s.name}`,
        });
      }
    }
  },
};
