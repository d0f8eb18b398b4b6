import { PICKLE_CARRIER_KINDS } from "../../kinds";
import type { Rule, RuleContext } from "../../../../types";
import type { PickleCall } from "../machine";
import { groupImports, type ImportGroup, type PickleDocument } from "../document";
import { describeCallable } from "../policy";

const MAX_LISTED = 10;

/**
 * Allow-list first, as torch.load(weights_only=True): a pickle that calls (REDUCE, NEWOBJ,
 * NEWOBJ_EX, OBJ, INST) or sets the state of (BUILD, which runs __setstate__) anything the
 * allow-list does not name is high; an untrusted import that is never called is medium.
 * Allowed callables used the way no real checkpoint uses them (calling what they return,
 * BUILD on the imported object itself, which sets its attributes) are high too.
 */
export const pickleUnknownImport: Rule<PickleDocument> = {
  meta: {
    id: "artifact/pickle-unknown-import",
    appliesTo: { kinds: PICKLE_CARRIER_KINDS },
    messages: {
      called: "Pickle imports `{{resolved}}` with {{opcode}} at offset {{offset}} {{calls}}; it is {{what}}, so loading the file runs code the allow-list does not cover. To trust it, add `{{resolved}}` to `scanners.artifacts.pickleAllow` in aigis.config.json (the equivalent of torch.serialization.add_safe_globals).",
      imported: "Pickle imports `{{resolved}}` with {{opcode}} at offset {{offset}} without calling it; importing runs its module's code, and it is {{what}}. To trust it, add `{{resolved}}` to `scanners.artifacts.pickleAllow` in aigis.config.json (the equivalent of torch.serialization.add_safe_globals).",
      misuse: "Pickle imports `{{resolved}}`, which the allow-list trusts, but {{how}} ({{opcode}} at offset {{offset}}: {{chain}}).",
    },
  },
  check(doc, ctx) {
    for (const g of groupImports(doc, "unknown", "reference")) {
      const reference = g.first.judgement.verdict === "reference";
      if (reference && g.calls.length === 0) continue;
      const origin = describeCallable(g.resolved, g.first.module);
      const called = g.calls.length > 0;
      const what = reference ? "a function aigis allows only as a value (e.g. a parameter), never called while loading" : origin.text;
      ctx.report({
        messageId: called ? "called" : "imported",
        data: { resolved: g.resolved, opcode: g.first.opcode, offset: g.first.offset, calls: called ? callSummary(g.calls) : "", what },
        severity: called ? "high" : "medium",
        location: { offset: g.first.offset },
        evidence: {
          callable: g.resolved,
          imported: `${g.first.module}.${g.first.name}`,
          opcode: g.first.opcode,
          origin: origin.origin,
          kind: origin.kind,
          pickle: g.first.pickle,
          occurrences: g.offsets.length,
          offsets: g.offsets.slice(0, MAX_LISTED),
          calls: listCalls(g.calls),
          allowWith: { scanners: { artifacts: { pickleAllow: [g.resolved] } } },
        },
        fingerprintKey: g.resolved,
      });
    }
    for (const g of groupImports(doc, "allow")) reportMisuse(g, ctx);
  },
};

/** Allowed callables used as gadgets: a call of what they return, or BUILD on the import itself. */
function reportMisuse(g: ImportGroup, ctx: RuleContext): void {
  const chained = g.calls.filter((c) => c.opcode !== "BUILD" && c.on === "call-result");
  const patched = g.calls.filter((c) => c.opcode === "BUILD" && c.on === "import");
  for (const [calls, how] of [
    [chained, "calls the object it returns, a gadget chain real model files never contain"],
    [patched, "applies BUILD to the imported object itself, which sets attributes on a class or module for later imports to find"],
  ] as const) {
    if (calls.length === 0) continue;
    const c = calls[0]!;
    ctx.report({
      messageId: "misuse",
      data: { resolved: g.resolved, how, opcode: c.opcode, offset: c.offset, chain: c.chain },
      severity: "high",
      location: { offset: c.offset },
      evidence: { callable: g.resolved, imported: `${g.first.module}.${g.first.name}`, opcode: c.opcode, misuse: calls === chained ? "call-of-result" : "build-on-import", calls: listCalls(calls) },
      fingerprintKey: `${g.resolved}:${calls === chained ? "chain" : "build"}`,
    });
  }
}

function listCalls(calls: ReadonlyArray<PickleCall>): Array<{ opcode: string; offset: number; chain: string }> {
  return calls.slice(0, MAX_LISTED).map((c) => ({ opcode: c.opcode, offset: c.offset, chain: c.chain }));
}

/** "and calls it twice and sets its state once": BUILD (__setstate__) is told apart from calls. */
function callSummary(calls: ReadonlyArray<{ opcode: string }>): string {
  const times = (n: number): string => (n === 1 ? "once" : n === 2 ? "twice" : `${n} times`);
  const builds = calls.filter((c) => c.opcode === "BUILD").length;
  const direct = calls.length - builds;
  const parts = [direct > 0 ? `calls it ${times(direct)}` : "", builds > 0 ? `sets its state ${times(builds)}` : ""].filter(Boolean);
  return `and ${parts.join(" and ")}`;
}
