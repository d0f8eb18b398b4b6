import type { PickleAnalysis, PickleCall, PickleImport } from "./machine";
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
  }
  return [...groups.values()];
}
