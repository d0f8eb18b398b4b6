import { PICKLE_CARRIER_KINDS } from "../../kinds";
import type { Rule } from "../../../../types";
import type { PickleDocument } from "../document";

/**
 * A FRAME whose declared length disagrees with the opcodes. CPython's pickler never writes one;
 * Python's own unpickler rejects it, and CPython's C unpickler before the fix for
 * python/cpython#154848 ran, from a file object, different opcodes than a linear reader (and
 * pickletools-based scanners) see. The opcodes of both readings are judged by the other pickle
 * rules; this finding says the framing itself is hostile.
 */
export const pickleFrameViolation: Rule<PickleDocument> = {
  meta: {
    id: "artifact/pickle-frame-violation",
    appliesTo: { kinds: PICKLE_CARRIER_KINDS },
    messages: {
      found: "Pickle {{pickle}} has a FRAME at offset {{frameOffset}} declaring {{declared}} bytes that disagrees with its opcodes: {{detail}}{{more}}{{hidden}}",
    },
  },
  check(doc, ctx) {
    const violations = doc.analysis.frameViolations;
    if (violations.length === 0) return;
    const v = violations[0]!;
    const hidden = doc.analysis.framedOnly;
    ctx.report({
      messageId: "found",
      data: {
        pickle: v.pickle + 1,
        frameOffset: v.frameOffset,
        declared: v.declaredLength,
        detail: v.message,
        more: violations.length > 1 ? ` (and ${violations.length - 1} more frame violation${violations.length > 2 ? "s" : ""})` : "",
        hidden: hidden > 0 ? `; read as CPython's C unpickler reads a file, it runs ${hidden} import${hidden === 1 ? "" : "s"} and call${hidden === 1 ? "" : "s"} a linear reader does not see.` : ".",
      },
      location: { offset: v.offset },
      evidence: {
        violations: violations.map((x) => ({ kind: x.kind, frameOffset: x.frameOffset, declaredLength: x.declaredLength, offset: x.offset, pickle: x.pickle })),
        hiddenFromLinearReaders: hidden,
      },
      fingerprintKey: `frame:${v.pickle}:${v.kind}`,
    });
  },
};
