import type { GlobalRef, PickleAnalysis, PickleCall, PickleImport, Value } from "./machine";
import { classifyImport, type ImportVerdict } from "./policy";

/** One pickle stream (a file, or an archive member) analysed, with every import judged. */
export interface PickleDocument {
  analysis: PickleAnalysis;
  imports: Array<PickleImport & { judgement: ImportVerdict }>;
}

export function buildPickleDocument(analysis: PickleAnalysis, extraAllow: ReadonlyArray<string> = []): PickleDocument {
  return {
    analysis,
    imports: analysis.imports.map((imp) => ({ ...imp, judgement: classifyImport(imp.module, imp.name, extraAllow) })),
  };
}

export interface ImportGroup {
  resolved: string;
  first: PickleDocument["imports"][number];
  offsets: number[];
  calls: PickleCall[];
}

/** Imports grouped by what they resolve to, so one callable imported many times is one finding. */
export function groupImports(doc: PickleDocument, ...verdicts: Array<ImportVerdict["verdict"]>): ImportGroup[] {
  const groups = new Map<string, ImportGroup>();
  for (const imp of doc.imports) {
    if (!verdicts.includes(imp.judgement.verdict)) continue;
    const key = imp.judgement.resolved;
    let g = groups.get(key);
    if (!g) {
      g = { resolved: key, first: imp, offsets: [], calls: [] };
      groups.set(key, g);
    }
    g.offsets.push(imp.offset);
  }
  for (const call of doc.analysis.calls) {
    if (!call.target) continue;
    const g = groups.get(classifyImport(call.target.module, call.target.name).resolved);
    if (g) g.calls.push(call);
    // copyreg._reconstructor(cls, object, state) instantiates cls: a call of cls.
    const cls = plainReconstructClass(call);
    const gc = cls && groups.get(classifyImport(cls.module, cls.name).resolved);
    if (gc) gc.calls.push({ ...call, target: cls, on: "import" });
  }
  return [...groups.values()];
}

/**
 * `copyreg._reconstructor(cls, builtins.object, state)` is how protocols 0 and 1 pickle an
 * instance: `object.__new__(cls)`, nothing else runs. Returns `cls` for such a call.
 */
export function plainReconstructClass(call: PickleCall): GlobalRef | undefined {
  if (call.opcode !== "REDUCE" || call.on !== "import" || !call.target) return undefined;
  if (classifyImport(call.target.module, call.target.name).resolved !== "copyreg._reconstructor") return undefined;
  const a = call.args;
  if (typeof a === "string" || a.kind !== "tuple" || a.items.length !== 3) return undefined;
  const [cls, base] = a.items as [Value, Value, Value];
  if (typeof cls === "string" || cls.kind !== "global" || typeof base === "string" || base.kind !== "global") return undefined;
  return classifyImport(base.module, base.name).resolved === "builtins.object" ? cls : undefined;
}
