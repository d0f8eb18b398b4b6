// The validators `npm run build` generates (scripts/compile-schemas.js, ajv standalone code) must
// judge data exactly as ajv compiling the schemas at run time does: same verdict, same errors,
// on the shipped data and on broken copies of it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ErrorObject } from "ajv";
import { schemaValidator, usesPrecompiledSchemas } from "../../src/core/catalog";

const ROOT = join(__dirname, "..", "..");
const GENERATED = join(ROOT, "dist", "src", "core", "schema-validators.js");
const RULES = join(ROOT, "rules");
type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

const dataFiles = (sub: string, schema: string): Array<[string, string]> => readdirSync(join(RULES, sub)).filter((f) => f.endsWith(".json")).map((f) => [`${sub}/${f}`, schema]);
const CASES: Array<[string, string]> = [
  ...dataFiles("catalog", "rule-catalog"),
  ...dataFiles("frameworks", "framework"),
  ["lists/pickle-globals.json", "pickle-globals"],
  ["lists/protection.json", "protection"],
  ["lists/model-folders.json", "model-folders"],
  ["lists/policy-k8s.json", "policy-k8s"],
  ["lists/policy-aws.json", "policy-aws"],
  ["thresholds/dataset.json", "dataset-thresholds"],
];

/** Broken copies: a wrong type at the top, every top-level key removed in turn, an unknown key. */
function mutants(doc: Record<string, unknown>): unknown[] {
  const out: unknown[] = [[], "text", { ...doc, unexpectedKey: 1 }];
  for (const k of Object.keys(doc)) {
    const { [k]: _removed, ...rest } = doc;
    out.push(rest, { ...doc, [k]: 42 });
  }
  return out;
}

describe("build-time schema validators", () => {
  beforeAll(() => {
    if (!existsSync(GENERATED)) throw new Error(`${GENERATED} is missing: run npm run build (npm test does)`);
  });

  it("were generated from the schema files in rules/schemas now", () => {
    const { schemasHash } = require(join(ROOT, "scripts", "compile-schemas.js")) as { schemasHash(dir: string): string };
    const generated = require(GENERATED) as { __schemasHash: string };
    expect(generated.__schemasHash).toBe(schemasHash(join(RULES, "schemas")));
  });

  it.each(CASES)("%s: same verdict and errors as ajv at run time (%s), valid and broken", (file, schema) => {
    const generated = (require(GENERATED) as Record<string, Validate>)[schema]!;
    // Jest runs the sources (no generated module beside src/core): this compiles with ajv.
    expect(usesPrecompiledSchemas()).toBe(false);
    const runtime = schemaValidator(schema);
    const doc = JSON.parse(readFileSync(join(RULES, file), "utf8")) as Record<string, unknown>;
    expect(generated(doc)).toBe(true);
    let rejected = 0;
    for (const m of mutants(doc)) {
      const verdict = generated(m);
      expect(verdict).toBe(runtime(m));
      expect(generated.errors ?? null).toEqual(runtime.errors ?? null);
      if (!verdict) rejected++;
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
