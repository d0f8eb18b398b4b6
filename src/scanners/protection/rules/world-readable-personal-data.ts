import type { Rule } from "../../../types";
import type { FileModeDoc } from "../documents";

export const worldReadablePersonalData: Rule<FileModeDoc> = {
  meta: {
    id: "protection/world-readable-personal-data",
    appliesTo: { kinds: "*", conditions: ["the file holds personal data (found by the scan or named by scanners.protection.personalData)"] },
    requires: [{ id: "personal-data", description: "personal data found in the file or declared for it (scanners.protection.personalData)", isMet: (doc) => doc.personalData }],
    messages: {
      found: "{{uri}} holds personal data and is world-readable (mode {{mode}}), so any local user can read it.",
    },
  },
  check(doc, ctx) {
    if (!doc.personalData || (doc.mode & 0o004) === 0) return;
    const mode = `0${(doc.mode & 0o7777).toString(8)}`;
    ctx.report({
      messageId: "found", data: { uri: doc.uri, mode },
      location: { uri: doc.uri },
      evidence: { mode, kind: doc.kind },
      fingerprintKey: "world-readable",
    });
  },
};
