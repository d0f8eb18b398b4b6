// Loads the data under rules/: rule metadata, control catalogs, deny/allow lists and
// thresholds, each validated against its schema in rules/schemas. Bad data fails loudly:
// a security team editing these files must learn at once what is wrong.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type Ajv from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { ControlMeta, Framework, CatalogRule } from "../types";

export class CatalogError extends Error {
  override name = "CatalogError";
}

let cachedRoot: string | undefined;

/** The package root (where package.json and rules/ live), found upward from this file. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "rules", "schemas")) && existsSync(join(dir, "package.json"))) {
      cachedRoot = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new CatalogError(`cannot find the aigis rules/ folder above ${__dirname}`);
}

export function rulesDir(): string {
  return join(packageRoot(), "rules");
}

function packageJson(): { version: string; homepage?: string } {
  return JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string; homepage?: string };
}

export function packageVersion(): string {
  return packageJson().version;
}

/** The project's home page (package.json `homepage`): SARIF links rules' docs under it. */
export function packageHomepage(): string {
  return (packageJson().homepage ?? "https://www.npmjs.com/package/aigis").replace(/\/+$/, "");
}

let ajvInstance: Ajv | undefined;
/** The ajv compiler, loaded only when a schema must be compiled at run time (see precompiled()). */
export function ajv(): Ajv {
  if (!ajvInstance) {
    const AjvClass = (require("ajv") as typeof import("ajv")).default;
    const addFormats = (require("ajv-formats") as typeof import("ajv-formats")).default;
    // The shipped schemas are checked against the JSON Schema meta-schema by a test
    // (test/core/schemas-valid.test.ts), not on every run: compiling the meta-schema cost
    // about 0.16 s of CPU per thread, more than the rest of a small scan.
    ajvInstance = new AjvClass({ allErrors: true, strict: false, validateSchema: false });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}

interface PrecompiledSchemas {
  __schemasHash: string;
  /** Schema $id -> file name. */
  __ids: Record<string, string>;
  [name: string]: unknown;
}

/** Hash of rules/schemas: sorted file names and contents (scripts/compile-schemas.js computes the same). */
function schemasHash(dir: string): string {
  const h = createHash("sha256");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".schema.json")).sort()) h.update(`${file}\0${readFileSync(join(dir, file), "utf8")}\0`);
  return h.digest("hex");
}

let precompiledModule: PrecompiledSchemas | null | undefined;
/**
 * The validators `npm run build` generated with ajv's standalone code (schema-validators.js
 * beside this file in dist/), used only while rules/schemas is what they were made from; null
 * when absent (running the sources) or stale, and schemas are then compiled at run time.
 */
function precompiled(): PrecompiledSchemas | null {
  if (precompiledModule === undefined) {
    const path = join(__dirname, "schema-validators.js");
    const mod = existsSync(path) ? (require(path) as PrecompiledSchemas) : null;
    precompiledModule = mod && mod.__schemasHash === schemasHash(join(rulesDir(), "schemas")) ? mod : null;
  }
  return precompiledModule;
}

/** Whether schema validation runs on validators generated at build time (no ajv compile at run time). */
export function usesPrecompiledSchemas(): boolean {
  return precompiled() !== null;
}

function precompiledValidator(name: string | undefined): ValidateFunction | undefined {
  const mod = precompiled();
  const fn = name !== undefined && mod && Object.hasOwn(mod, name) ? mod[name] : undefined;
  return typeof fn === "function" ? (fn as ValidateFunction) : undefined;
}

const validators = new Map<string, ValidateFunction>();
let schemasByName: Map<string, { $id?: string }> | undefined;
/** The compiled validator for rules/schemas/<name>.schema.json; schemas may $ref one another by file name. */
export function schemaValidator(name: string): ValidateFunction {
  let v = validators.get(name) ?? precompiledValidator(name);
  if (!v) {
    if (!schemasByName) {
      // Read every schema once and register those with an $id, so cross-file references resolve.
      const dir = join(rulesDir(), "schemas");
      schemasByName = new Map();
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".schema.json"))) {
        const schema = JSON.parse(readFileSync(join(dir, file), "utf8")) as { $id?: string };
        schemasByName.set(file.slice(0, -".schema.json".length), schema);
        if (schema.$id && !ajv().getSchema(schema.$id)) ajv().addSchema(schema);
      }
    }
    const schema = schemasByName.get(name);
    if (!schema) throw new CatalogError(`no schema rules/schemas/${name}.schema.json`);
    v = (schema.$id ? ajv().getSchema(schema.$id) : undefined) ?? ajv().compile(schema);
  }
  validators.set(name, v);
  return v;
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || "(root)";
    const extra =
      e.keyword === "additionalProperties"
        ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`
        : e.keyword === "enum"
          ? ` (${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(", ")})`
          : "";
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
}

/** Reads a JSON data file and validates it, reporting every error at once. */
export function loadValidatedJson<T>(path: string, schemaName: string): T {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CatalogError(`${path}: ${(e as Error).message}`);
  }
  const validate = schemaValidator(schemaName);
  if (!validate(data)) {
    throw new CatalogError(`${path} does not match ${schemaName}.schema.json:\n  ${formatAjvErrors(validate.errors).join("\n  ")}`);
  }
  return data as T;
}

/** A data file from rules/<sub>, validated by rules/schemas/<schemaName>.schema.json. Cached. */
const dataCache = new Map<string, unknown>();
export function loadRulesData<T>(relPath: string, schemaName: string): T {
  const path = resolve(rulesDir(), relPath);
  const key = `${path}\0${schemaName}`;
  if (!dataCache.has(key)) dataCache.set(key, loadValidatedJson<T>(path, schemaName));
  return dataCache.get(key) as T;
}

export interface Catalog {
  rules: Map<string, CatalogRule>;
  frameworks: Framework[];
  /** Every control id, with its framework. */
  controls: Map<string, { framework: Framework; control: ControlMeta }>;
}

let cachedCatalog: Catalog | undefined;

/** Loads rules/catalog and rules/frameworks; `dir` (another rules folder) is for tests and is not cached. */
export function loadCatalog(dir?: string): Catalog {
  if (!dir && cachedCatalog) return cachedCatalog;
  const root = dir ?? rulesDir();
  return dir ? readCatalog(root) : (cachedCatalog = readCatalog(root));
}

function readCatalog(dir: string): Catalog {
  const rules = new Map<string, CatalogRule>();
  const seenIn = new Map<string, string>();
  for (const file of readdirSync(join(dir, "catalog")).filter((f) => f.endsWith(".json")).sort()) {
    const path = join(dir, "catalog", file);
    const cat = loadValidatedJson<{ area: string; rules: CatalogRule[] }>(path, "rule-catalog");
    for (const rule of cat.rules) {
      const prior = seenIn.get(rule.id);
      if (prior) throw new CatalogError(`duplicate rule id ${rule.id} in ${file} (first defined in ${prior})`);
      if (!rule.id.startsWith(`${cat.area}/`)) throw new CatalogError(`${file}: rule ${rule.id} is not in area ${cat.area}`);
      seenIn.set(rule.id, file);
      rules.set(rule.id, rule);
    }
  }
  const frameworks: Framework[] = [];
  const controls = new Map<string, { framework: Framework; control: ControlMeta }>();
  for (const file of readdirSync(join(dir, "frameworks")).filter((f) => f.endsWith(".json")).sort()) {
    const fw = loadValidatedJson<Framework & { $schema?: string }>(join(dir, "frameworks", file), "framework");
    delete fw.$schema;
    if (frameworks.some((f) => f.id === fw.id)) throw new CatalogError(`duplicate framework id ${fw.id} in ${file}`);
    frameworks.push(fw);
    for (const control of fw.controls) {
      if (controls.has(control.id)) throw new CatalogError(`duplicate control id ${control.id} in ${file}`);
      controls.set(control.id, { framework: fw, control });
    }
  }
  const problems = [...rules.values()].flatMap((rule) => mappingProblems(rule, controls));
  if (problems.length > 0) throw new CatalogError(`control mappings in ${join(dir, "catalog")} are not reviewed data:\n  ${problems.join("\n  ")}`);
  return { rules, frameworks, controls };
}

/**
 * What is wrong with a rule's control mappings: a control no framework defines, a mapping
 * without its one-line rationale, a rationale for a control it does not map, or no control
 * and no `unmappedReason` (and the reverse). Every mapping is a claim in an auditor's report,
 * so each must say why a finding of the rule is evidence the control is not met.
 */
export function mappingProblems(rule: CatalogRule, controls: ReadonlyMap<string, unknown>): string[] {
  const problems: string[] = [];
  const rationale = rule.rationale ?? {};
  for (const c of rule.controls) {
    if (!controls.has(c)) problems.push(`rule ${rule.id} maps to unknown control ${c}`);
    if (!Object.prototype.hasOwnProperty.call(rationale, c)) problems.push(`rule ${rule.id} maps to ${c} without a rationale (add "${c}": "why a finding of this rule is evidence ${c} is not met" to its rationale)`);
  }
  for (const c of Object.keys(rationale)) {
    if (!rule.controls.includes(c)) problems.push(`rule ${rule.id} gives a rationale for ${c}, which it does not map to`);
  }
  if (rule.controls.length === 0 && !rule.unmappedReason) problems.push(`rule ${rule.id} maps to no control and gives no unmappedReason`);
  if (rule.controls.length > 0 && rule.unmappedReason) problems.push(`rule ${rule.id} gives an unmappedReason but maps to ${rule.controls.join(", ")}`);
  return problems;
}

/** The framework of a control id. */
export function frameworkOf(catalog: Catalog, controlId: string): Framework | undefined {
  return catalog.controls.get(controlId)?.framework;
}

/** The parsed JSON of rules/schemas/<name>.schema.json (a scanner's options schema, for ScannerPlugin.optionsSchema). */
export function schemaJson(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(rulesDir(), "schemas", `${name}.schema.json`), "utf8")) as Record<string, unknown>;
}

const compiledSchemas = new WeakMap<object, ValidateFunction>();
/** Compiles a schema object once (a schema with an $id already registered is reused). */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  let v = compiledSchemas.get(schema);
  if (!v) {
    const id = typeof schema["$id"] === "string" ? schema["$id"] : undefined;
    // An options schema from rules/schemas (same $id, same files) has a build-time validator.
    v = (id ? precompiledValidator(precompiled()?.__ids[id]) : undefined) ?? (id ? ajv().getSchema(id) : undefined) ?? ajv().compile(schema);
    compiledSchemas.set(schema, v);
  }
  return v;
}
