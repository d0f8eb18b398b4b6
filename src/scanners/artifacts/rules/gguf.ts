import { ARCHIVE_KINDS } from "../kinds";
import type { Rule } from "../../../types";
import { analyseChatTemplate, worstSeverity } from "../formats/chat-template";
import type { GgufDocument } from "../formats/gguf";
import { formatLists } from "../formats/lists";

export const ggufTemplateInjection: Rule<GgufDocument> = {
  meta: {
    id: "artifact/gguf-template-injection",
    appliesTo: { kinds: ["gguf", ...ARCHIVE_KINDS] },
    messages: {
      found: "GGUF metadata {{key}} holds a Jinja template that {{reason}}; chat runtimes render it on every request.",
    },
  },
  check(doc, ctx) {
    const lists = formatLists().gguf;
    for (const s of doc.strings) {
      if (!lists.templateKeys.includes(s.key) && !lists.templateKeyPrefixes.some((p) => s.key.startsWith(p))) continue;
      // The same parse-and-fold analysis as chat templates in tokenizer configs (formats/chat-template.ts).
      const analysis = analyseChatTemplate(s.value);
      const severity = worstSeverity(analysis.issues);
      if (!severity) continue;
      const first = analysis.issues.find((i) => i.severity === severity)!;
      ctx.report({
        messageId: "found",
        data: { key: JSON.stringify(s.key), reason: first.reason },
        severity,
        location: { offset: s.offset },
        evidence: { key: s.key, matches: analysis.issues.map((i) => ({ text: i.text, reason: i.reason, severity: i.severity })), analysedAs: analysis.depth, templateLength: s.value.length },
        fingerprintKey: s.key,
      });
    }
  },
};
