import { PICKLE_CARRIER_KINDS } from "../../kinds";
import type { Rule } from "../../../../types";
import type { PickleCall, Value } from "../machine";
import { groupImports, plainReconstructClass, type PickleDocument } from "../document";

const MAX_LISTED = 10;
const PLAIN_ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `getattr(<instance of an allowed class>, "<method>")` is how pickle stores a bound method
 * (torch's OneCycleLR keeps `self._annealing_cos` in its state): it reaches an attribute of an
 * object the allow-list already trusts and calls nothing. Any other use of getattr (on a class or
 * module, a dunder name, or calling what it returns) stays an execution primitive.
 */
function isBoundMethodLookup(call: PickleCall, trusted: (offset: number) => boolean): boolean {
  if (call.opcode !== "REDUCE" || call.on !== "import") return false;
  const a = call.args;
  if (typeof a === "string" || a.kind !== "tuple" || a.items.length !== 2) return false;
  const [obj, name] = a.items as [Value, Value];
  if (typeof name !== "string" || !PLAIN_ATTRIBUTE.test(name) || name.startsWith("__")) return false;
  if (typeof obj === "string" || obj.kind !== "call") return false;
  let root: Value = obj.callee;
  for (let i = 0; i < 16 && typeof root !== "string" && root.kind === "call"; i++) root = root.callee;
  return typeof root !== "string" && root.kind === "global" && trusted(root.offset);
}

export const pickleCodeExecution: Rule<PickleDocument> = {
  meta: {
    id: "artifact/pickle-code-execution",
    appliesTo: { kinds: PICKLE_CARRIER_KINDS },
    messages: {
      found: "Pickle imports `{{resolved}}`{{value}} with {{opcode}} at offset {{offset}} {{how}}; it {{reason}}.",
    },
  },
  check(doc, ctx) {
    const allowedAt = new Set(doc.imports.filter((i) => i.judgement.verdict === "allow").map((i) => i.offset));
    for (const g of groupImports(doc, "deny")) {
      const j = g.first.judgement;
      if (j.verdict !== "deny") continue;
      if (j.resolved === "builtins.getattr" && g.calls.length > 0 && g.calls.every((c) => isBoundMethodLookup(c, (o) => allowedAt.has(o)))) continue;
      // Protocol 0/1 instances: object.__new__(cls) runs nothing; cls itself is judged as called by pickle-unknown-import.
      if (j.resolved === "copyreg._reconstructor") {
        // BUILD on the instance it made sets that instance's state (judged with its class).
        const calls = g.calls.filter((c) => !(c.opcode === "BUILD" && c.on === "call-result"));
        if (calls.length > 0 && calls.every((c) => plainReconstructClass(c) !== undefined)) continue;
      }
      const called = g.calls.length > 0;
      const written = `${g.first.module}.${g.first.name}`;
      const how = called ? `and calls it as ${g.calls[0]!.chain}` : "(imported; any later call or attribute use runs it)";
      ctx.report({
        messageId: "found",
        data: { resolved: g.resolved, value: written !== g.resolved ? ` (written as \`${written}\`)` : "", opcode: g.first.opcode, offset: g.first.offset, how, reason: j.reason },
        location: { offset: g.first.offset },
        evidence: {
          callable: g.resolved,
          imported: `${g.first.module}.${g.first.name}`,
          opcode: g.first.opcode,
          matched: j.matched,
          reason: j.reason,
          pickle: g.first.pickle,
          occurrences: g.offsets.length,
          offsets: g.offsets.slice(0, MAX_LISTED),
          calls: g.calls.slice(0, MAX_LISTED).map((c) => ({ opcode: c.opcode, offset: c.offset, chain: c.chain })),
        },
        fingerprintKey: g.resolved,
      });
    }
  },
};
