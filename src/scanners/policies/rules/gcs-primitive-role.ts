// Primitive project roles (owner, editor) granted on a bucket.
import type { Rule } from "../../../types";
import { listed } from "../aws/analysis";
import { gcsData, type GcsDocument } from "../gcs/model";
import { maskIdentity } from "../mask";

export const gcsPrimitiveRole: Rule<GcsDocument> = {
  meta: {
    id: "policy/gcs-primitive-role",
    appliesTo: { kinds: ["gcs-iam-policy"] },
    messages: {
      found: "Binding {{value}} gives {{members}} the primitive role {{role}}, which carries broad project-wide permissions rather than access to this bucket's data; use roles/storage.objectViewer for readers and roles/storage.objectAdmin for the one writer.",
    },
  },
  check(doc, ctx) {
    const primitive = new Set(gcsData().primitiveRoles);
    for (const b of doc.bindings) {
      if (!primitive.has(b.role) || b.members.length === 0) continue;
      const members = b.members.map((m) => maskIdentity(m.member));
      ctx.report({
        messageId: "found", data: { value: b.index + 1, members: listed(members, 3), role: b.role },
        location: { line: b.line },
        evidence: { role: b.role, members, binding: b.index },
        fingerprintKey: `${b.role}:${members.join(",")}`,
      });
    }
  },
};
