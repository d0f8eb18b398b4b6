import type { Rule } from "../../../types";
import type { FileModeDoc } from "../documents";

export const worldWritable: Rule<FileModeDoc> = {
  meta: {
    id: "protection/world-writable",
    appliesTo: { kinds: "*", conditions: ["the file is a model, data, archive or encrypted container file"] },
    messages: {
      found: "{{uri}} is world-writable (mode {{mode}}), so any local user can replace this {{what}}.",
    },
  },
  check(doc, ctx) {
    if (!doc.category || (doc.mode & 0o002) === 0) return;
    const mode = `0${(doc.mode & 0o7777).toString(8)}`;
    const what = doc.category === "container" ? "archive or encrypted container" : `${doc.category} file`;
    ctx.report({
      messageId: "found", data: { uri: doc.uri, mode, what },
      location: { uri: doc.uri },
      evidence: { mode, kind: doc.kind, category: doc.category },
      fingerprintKey: "world-writable",
    });
  },
};
