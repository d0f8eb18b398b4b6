import type { RuleModule } from "../../../core/rule";
import type { FileModeDoc } from "../documents";

export const worldReadablePersonalData: RuleModule<FileModeDoc> = {
  id: "protection/world-readable-personal-data",
  check(doc, ctx) {
    if (!doc.personalData || (doc.mode & 0o004) === 0) return;
    const mode = `0${(doc.mode & 0o7777).toString(8)}`;
    ctx.report({
      message: `${doc.uri} holds personal data and is world-readable (mode ${mode}), so any local user can read it.`,
      location: { uri: doc.uri },
      evidence: { mode, kind: doc.kind },
      fingerprintKey: "world-readable",
    });
  },
};
