import type { RuleModule } from "../../../core/rule";
import type { FileModeDoc } from "../documents";

export const worldWritable: RuleModule<FileModeDoc> = {
  id: "protection/world-writable",
  check(doc, ctx) {
    if (!doc.category || (doc.mode & 0o002) === 0) return;
    const mode = `0${(doc.mode & 0o7777).toString(8)}`;
    const what = doc.category === "container" ? "archive or encrypted container" : `${doc.category} file`;
    ctx.report({
      message: `${doc.uri} is world-writable (mode ${mode}), so any local user can replace this ${what}.`,
      location: { uri: doc.uri },
      evidence: { mode, kind: doc.kind, category: doc.category },
      fingerprintKey: "world-writable",
    });
  },
};
