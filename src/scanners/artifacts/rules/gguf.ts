import { ARCHIVE_KINDS } from "../kinds";
import type { Rule } from "../../../types";
import type { GgufDocument } from "../formats/gguf";
import { formatLists } from "../formats/lists";

export const ggufTemplateInjection: Rule<GgufDocument> = {
  meta: {
    id: "artifact/gguf-template-injection",
    appliesTo: { kinds: ["gguf", ...ARCHIVE_KINDS] },
    messages: {
      found: "GGUF metadata {{key}} holds a Jinja template that {{reason}} ({{snippet}}); chat runtimes render it on every request.",
    },
  },
  check(doc, ctx) {
    const lists = formatLists().gguf;
    const patterns = lists.injectionPatterns.map((p) => ({ re: new RegExp(p.pattern, "i"), reason: p.reason, pattern: p.pattern }));
    for (const s of doc.strings) {
      if (!lists.templateKeys.includes(s.key) && !lists.templateKeyPrefixes.some((p) => s.key.startsWith(p))) continue;
      const hits = patterns.map((p) => ({ p, m: p.re.exec(s.value) })).filter((h) => h.m);
      if (hits.length === 0) continue;
      const first = hits[0]!;
      const snippet = first.m![0];
      ctx.report({
        messageId: "found", data: { key: JSON.stringify(s.key), reason: first.p.reason, snippet: JSON.stringify(snippet) },
        location: { offset: s.offset },
        evidence: { key: s.key, matches: hits.map((h) => ({ text: h.m![0], reason: h.p.reason })), templateLength: s.value.length },
        fingerprintKey: s.key,
      });
    }
  },
};
