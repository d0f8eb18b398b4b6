// Joins the scanners' rule ids with the catalog metadata, and checks that the two agree:
// a rule in code without metadata, or metadata without a rule that reports it, fails loudly.

import type { RuleMeta, TargetKind } from "../types";
import { CatalogError, loadCatalog, type Catalog } from "./catalog";
import type { Scanner } from "./rule";

export interface Registry {
  catalog: Catalog;
  scanners: ReadonlyArray<Scanner>;
  rule(id: string): RuleMeta;
  scannersFor(kind: TargetKind): Scanner[];
}

/** Rules reported by commands rather than scanners: aigis/* notices and model/* (aigis probe). */
export const COMMAND_RULE_PREFIXES: ReadonlyArray<string> = ["aigis/", "model/"];

export function createRegistry(scanners: ReadonlyArray<Scanner>): Registry {
  const catalog = loadCatalog();
  const owner = new Map<string, string>();
  for (const s of scanners) {
    for (const id of s.ruleIds) {
      if (!catalog.rules.has(id)) throw new CatalogError(`scanner ${s.id} reports rule ${id}, which is not in rules/catalog`);
      const prior = owner.get(id);
      if (prior && prior !== s.id) throw new CatalogError(`rule ${id} is claimed by scanners ${prior} and ${s.id}`);
      owner.set(id, s.id);
    }
  }
  for (const id of catalog.rules.keys()) {
    if (!COMMAND_RULE_PREFIXES.some((p) => id.startsWith(p)) && !owner.has(id)) throw new CatalogError(`rule ${id} is in rules/catalog but no scanner reports it`);
  }
  const byKind = new Map<TargetKind, Scanner[]>();
  for (const s of scanners) for (const k of s.kinds) byKind.set(k, [...(byKind.get(k) ?? []), s]);
  return {
    catalog,
    scanners,
    rule(id: string): RuleMeta {
      const meta = catalog.rules.get(id);
      if (!meta) throw new CatalogError(`unknown rule ${id}`);
      return meta;
    },
    scannersFor(kind: TargetKind): Scanner[] {
      return byKind.get(kind) ?? [];
    },
  };
}
