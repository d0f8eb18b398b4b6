import type { RuleModule } from "../../../core/rule";
import type { GgufDocument } from "../formats/gguf";
import { formatLists } from "../formats/lists";

export const ggufTemplateInjection: RuleModule<GgufDocument> = {
  id: "artifact/gguf-template-injection",
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
        message: `GGUF metadata ${JSON.stringify(s.key)} holds a Jinja template that ${first.p.reason} (${JSON.stringify(snippet)}); chat runtimes render it on every request.`,
        location: { offset: s.offset },
        evidence: { key: s.key, matches: hits.map((h) => ({ text: h.m![0], reason: h.p.reason })), templateLength: s.value.length },
        fingerprintKey: s.key,
      });
    }
  },
};
