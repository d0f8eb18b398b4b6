// GCS IAM bindings that include allUsers or allAuthenticatedUsers.
import type { Rule } from "../../../types";
import { gcsData, type GcsDocument } from "../gcs/model";

const WHO: Record<string, string> = {
  allusers: "anyone on the internet, without signing in",
  allauthenticatedusers: "anyone with any Google account",
};

export const gcsPublicMember: Rule<GcsDocument> = {
  meta: {
    id: "policy/gcs-public-member",
    appliesTo: { kinds: ["gcs-iam-policy"] },
    messages: {
      found: "Binding {{value}} gives {{member}} the role {{role}}, so {{who}} can {{value2}}{{value3}}; grant the role to named users, groups or service accounts, and share single files through signed URLs.",
    },
  },
  check(doc, ctx) {
    const data = gcsData();
    const publicMembers = new Set(data.publicMembers.map((m) => m.toLowerCase()));
    const writeRoles = new Set(data.writeRoles);
    for (const b of doc.bindings) {
      for (const m of b.members) {
        if (!publicMembers.has(m.member.toLowerCase())) continue;
        const writes = writeRoles.has(b.role);
        const who = WHO[m.member.toLowerCase()] ?? m.member;
        ctx.report({
          messageId: "found", data: { value: b.index + 1, member: m.member, role: b.role, who, value2: writes ? "write objects into the bucket, planting models or poisoned data" : "read the bucket's objects", value3: b.condition ? " (an IAM condition does not make the member less public)" : "" },
          location: { line: m.line },
          ...(writes ? { severity: "critical" as const } : {}),
          evidence: { role: b.role, member: m.member, binding: b.index, ...(b.condition ? { condition: b.condition } : {}) },
          fingerprintKey: `${b.role}:${m.member}`,
        });
      }
    }
  },
};
