// The registry: every scanner plugin and rule pack of a run, joined with the catalogue.
// It fails loudly when code and catalogue disagree (a rule without metadata, a rule claimed
// twice, a detector for a kind nobody declares). Scanners loaded from a module path can be
// loaded again in a worker thread from the same paths, so a custom scanner behaves the same
// with one job or many.

import { compileSchema, formatAjvErrors, loadCatalog, mappingProblems, CatalogError, schemaValidator, type Catalog } from "./catalog";
import { AIGIS_NOTICES } from "./notices";
import type { AnyRule, CatalogRule, ContentDetector, FormatDeclaration, KindCategory, RulePack, ScannerModule, ScannerPlugin, TargetKind } from "../types";
import { GENERIC_KIND_CATEGORIES, GENERIC_KINDS, type GenericKind } from "../types";

/** Where a scanner or rule pack comes from: an object in this thread, or a module any thread can load. */
export type PluginSource = ScannerPlugin | { module: string };

export interface RegistryOptions {
  scanners: ReadonlyArray<PluginSource>;
  /** Rules that run outside scanners (model/* for aigis probe); aigis/* notices are always registered. */
  packs?: ReadonlyArray<RulePack | { module: string }>;
  /** Fail unless every catalogue rule has code (true for the built-in set; custom sets may hold a subset). */
  requireCompleteCatalog?: boolean;
}

/** How worker threads rebuild the registry: module paths only. */
export interface RegistrySpec {
  scanners: string[];
  packs: string[];
  requireCompleteCatalog: boolean;
}

export interface Registry {
  catalog: Catalog;
  scanners: ReadonlyArray<ScannerPlugin>;
  /** Every registered rule by id (scanners' rules, packs, aigis/* notices). */
  rules: ReadonlyMap<string, AnyRule>;
  /** The catalogue entry of a rule (severity, controls, texts). */
  rule(id: string): CatalogRule;
  /** The code of a rule. */
  definition(id: string): AnyRule;
  scannersFor(kind: TargetKind): ScannerPlugin[];
  /** Content detectors of every scanner, in order. */
  detectors: ReadonlyArray<ContentDetector>;
  /** Every kind a scanner declares, with its category. */
  formats: ReadonlyMap<TargetKind, FormatDeclaration>;
  categoryOf(kind: TargetKind): KindCategory | undefined;
  /** Module paths that rebuild this registry in a worker thread; undefined when a scanner was given as an object. */
  spec: RegistrySpec | undefined;
}

export class RegistryError extends CatalogError {
  override name = "RegistryError";
}

function loadModule<T>(path: string, pick: (m: Record<string, unknown>) => T | undefined, what: string): T {
  let mod: Record<string, unknown>;
  try {
    mod = require(path) as Record<string, unknown>;
  } catch (e) {
    throw new RegistryError(`cannot load ${what} module ${path}: ${(e as Error).message}`);
  }
  const value = pick(mod);
  if (!value) throw new RegistryError(`${what} module ${path} exports no ${what} (export it as \`${what === "scanner" ? "scanner" : "rulePack"}\` or as default)`);
  return value;
}

const pickScanner = (m: Record<string, unknown>): ScannerPlugin | undefined => ((m as ScannerModule).scanner ?? (m as ScannerModule).default) as ScannerPlugin | undefined;
const pickPack = (m: Record<string, unknown>): RulePack | undefined => (m["rulePack"] ?? m["default"]) as RulePack | undefined;

function validateRule(rule: AnyRule, owner: string): void {
  const m = rule?.meta;
  if (!m || typeof m.id !== "string" || typeof rule.check !== "function") throw new RegistryError(`${owner} registers a rule that is not { meta: { id, ... }, check }`);
  if (!m.messages || Object.keys(m.messages).length === 0) throw new RegistryError(`rule ${m.id} declares no messages`);
  if (!m.appliesTo || (m.appliesTo.kinds !== "*" && !Array.isArray(m.appliesTo.kinds))) throw new RegistryError(`rule ${m.id} does not say which kinds it applies to`);
}

/** Adds catalogue entries a custom scanner brings, validated like rules/catalog. */
function withPluginCatalog(base: Catalog, scanners: ReadonlyArray<ScannerPlugin>): Catalog {
  const extra = scanners.flatMap((s) => (s.catalog ?? []).map((r) => ({ r, s })));
  if (extra.length === 0) return base;
  const rules = new Map(base.rules);
  const validate = schemaValidator("rule-catalog");
  for (const { r, s } of extra) {
    const area = r.id.split("/")[0] ?? "";
    if (!validate({ area, rules: [r] })) throw new RegistryError(`scanner ${s.id}: catalogue entry ${r.id} is invalid:\n  ${formatAjvErrors(validate.errors).join("\n  ")}`);
    if (rules.has(r.id)) throw new RegistryError(`scanner ${s.id}: catalogue entry ${r.id} is already defined`);
    const problems = mappingProblems(r, base.controls);
    if (problems.length > 0) throw new RegistryError(`scanner ${s.id}: catalogue entry ${r.id}: ${problems.join("; ")}`);
    rules.set(r.id, r);
  }
  return { ...base, rules };
}

export function createRegistry(options: RegistryOptions | ReadonlyArray<PluginSource>): Registry {
  const opts: RegistryOptions = Array.isArray(options) ? { scanners: options as ReadonlyArray<PluginSource> } : (options as RegistryOptions);
  const scannerPaths: Array<string | undefined> = [];
  const scanners = opts.scanners.map((src) => {
    if ("module" in src && typeof src.module === "string" && !("scan" in src)) {
      scannerPaths.push(src.module);
      return loadModule(src.module, pickScanner, "scanner");
    }
    scannerPaths.push(undefined);
    return src as ScannerPlugin;
  });
  const packPaths: Array<string | undefined> = [];
  const packs = (opts.packs ?? []).map((src) => {
    if ("module" in src && typeof src.module === "string") {
      packPaths.push(src.module);
      return loadModule(src.module, pickPack, "rule pack");
    }
    packPaths.push(undefined);
    return src as RulePack;
  });

  const seenScanner = new Set<string>();
  for (const s of scanners) {
    if (!s || typeof s.id !== "string" || typeof s.scan !== "function" || !Array.isArray(s.rules)) throw new RegistryError("a scanner plugin must have an id, rules and a scan function");
    if (seenScanner.has(s.id)) throw new RegistryError(`two scanners have the id ${s.id}`);
    seenScanner.add(s.id);
  }
  const catalog = withPluginCatalog(loadCatalog(), scanners);

  const rules = new Map<string, AnyRule>();
  const owner = new Map<string, string>();
  const add = (rule: AnyRule, by: string): void => {
    validateRule(rule, by);
    const id = rule.meta.id;
    if (!catalog.rules.has(id)) throw new RegistryError(`${by} registers rule ${id}, which is not in rules/catalog`);
    const prior = owner.get(id);
    if (prior !== undefined) {
      if (prior !== by || rules.get(id) !== rule) throw new RegistryError(`rule ${id} is claimed by ${prior} and ${by}`);
      return;
    }
    owner.set(id, by);
    rules.set(id, rule);
  };
  for (const r of AIGIS_NOTICES.rules) add(r, `rule pack ${AIGIS_NOTICES.id}`);
  for (const p of packs) for (const r of p.rules) add(r, `rule pack ${p.id}`);
  for (const s of scanners) for (const r of s.rules) add(r, `scanner ${s.id}`);
  if (opts.requireCompleteCatalog) {
    for (const id of catalog.rules.keys()) if (!rules.has(id)) throw new RegistryError(`rule ${id} is in rules/catalog but no scanner or rule pack registers it`);
  }

  const formats = new Map<TargetKind, FormatDeclaration>();
  for (const s of scanners) {
    for (const f of s.formats ?? []) {
      if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(f.kind)) throw new RegistryError(`scanner ${s.id} declares kind ${JSON.stringify(f.kind)}, which is not kebab case`);
      if ((GENERIC_KINDS as ReadonlyArray<string>).includes(f.kind) && f.category === "other") continue;
      if (formats.has(f.kind) && formats.get(f.kind)!.category !== f.category) throw new RegistryError(`kind ${f.kind} is declared twice with different categories`);
      formats.set(f.kind, f);
    }
  }
  const known = (k: TargetKind): boolean => formats.has(k) || (GENERIC_KINDS as ReadonlyArray<string>).includes(k);
  for (const s of scanners) {
    if (s.kinds !== "*") for (const k of s.kinds) if (!known(k)) throw new RegistryError(`scanner ${s.id} reads kind ${k}, which no scanner declares in formats`);
    for (const r of s.rules) {
      const kinds = r.meta.appliesTo.kinds;
      if (kinds !== "*") for (const k of kinds) if (!known(k)) throw new RegistryError(`rule ${r.meta.id} applies to kind ${k}, which no scanner declares in formats`);
    }
    // A custom scanner's options schema is compiled now, so a broken one fails at start; aigis's
    // own (rules/schemas, compiled by test/core/schemas-valid.test.ts) compile when options are given.
    if (s.optionsSchema !== undefined && !isShippedSchema(s.optionsSchema)) {
      try {
        compileSchema(s.optionsSchema);
      } catch (e) {
        throw new RegistryError(`scanner ${s.id}: options schema does not compile: ${(e as Error).message}`);
      }
    }
  }
  const detectors = scanners.flatMap((s) => [...(s.detectors ?? [])]).sort((a, b) => a.order - b.order);

  const byKind = new Map<TargetKind, ScannerPlugin[]>();
  const everyKind = scanners.filter((s) => s.kinds === "*");
  const portable = scannerPaths.every((p) => p !== undefined) && packPaths.every((p) => p !== undefined);
  return {
    catalog,
    scanners,
    rules,
    rule(id) {
      const meta = catalog.rules.get(id);
      if (!meta) throw new RegistryError(`unknown rule ${id}`);
      return meta;
    },
    definition(id) {
      const r = rules.get(id);
      if (!r) throw new RegistryError(`rule ${id} is not registered`);
      return r;
    },
    scannersFor(kind) {
      let list = byKind.get(kind);
      if (!list) {
        list = scanners.filter((s) => s.kinds === "*" || s.kinds.includes(kind));
        byKind.set(kind, list);
      }
      return list.length > 0 ? list : everyKind;
    },
    detectors,
    formats,
    categoryOf: (kind) => formats.get(kind)?.category ?? (Object.hasOwn(GENERIC_KIND_CATEGORIES, kind) ? GENERIC_KIND_CATEGORIES[kind as GenericKind] : undefined),
    spec: portable ? { scanners: scannerPaths as string[], packs: packPaths as string[], requireCompleteCatalog: opts.requireCompleteCatalog ?? false } : undefined,
  };
}

/** Rebuilds a registry from its module paths (in a worker thread). */
export function registryFromSpec(spec: RegistrySpec): Registry {
  return createRegistry({ scanners: spec.scanners.map((module) => ({ module })), packs: spec.packs.map((module) => ({ module })), requireCompleteCatalog: spec.requireCompleteCatalog });
}

function builtinPlugins(): { BUILTIN_SCANNER_MODULES: ReadonlyArray<string>; BUILTIN_PACK_MODULES: ReadonlyArray<string> } {
  return require("../plugins") as { BUILTIN_SCANNER_MODULES: ReadonlyArray<string>; BUILTIN_PACK_MODULES: ReadonlyArray<string> };
}

/**
 * The built-in registry plus custom scanner modules (absolute paths; each exports `scanner`).
 * Custom scanners bring their own catalogue entries (ScannerPlugin.catalog). The result is
 * loadable by path, so worker threads run the same scanners.
 */
export function registryWithPlugins(modules: ReadonlyArray<string>): Registry {
  if (modules.length === 0) return builtinRegistry();
  const plugins = builtinPlugins();
  return createRegistry({
    scanners: [...plugins.BUILTIN_SCANNER_MODULES, ...modules].map((module) => ({ module })),
    packs: plugins.BUILTIN_PACK_MODULES.map((module) => ({ module })),
    requireCompleteCatalog: true,
  });
}

let builtin: Registry | undefined;
/**
 * The registry of aigis's own scanners and rule packs, listed by module path in src/plugins.ts.
 * Every catalogue rule must have code here, and every rule code its catalogue entry.
 */
export function builtinRegistry(): Registry {
  if (!builtin) {
    const plugins = builtinPlugins();
    builtin = createRegistry({
      scanners: plugins.BUILTIN_SCANNER_MODULES.map((module) => ({ module })),
      packs: plugins.BUILTIN_PACK_MODULES.map((module) => ({ module })),
      requireCompleteCatalog: true,
    });
  }
  return builtin;
}

/** A schema from aigis's own rules/schemas (by its $id). */
function isShippedSchema(schema: Record<string, unknown>): boolean {
  const id = schema["$id"];
  return typeof id === "string" && id.startsWith("https://aigis.dev/schemas/");
}
