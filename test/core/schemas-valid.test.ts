// aigis's runtime ajv skips meta-schema validation (src/core/catalog.ts: it cost ~0.16 s of CPU
// per thread) and compiles its own scanners' options schemas only when options are given
// (src/core/registry.ts). This test does both for every shipped schema, so a broken edit to
// rules/schemas still fails npm test.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { builtinRegistry } from "../../src/core/registry";

const DIR = join(__dirname, "..", "..", "rules", "schemas");
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".schema.json")).sort();

describe("rules/schemas", () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const schemas = FILES.map((f) => [f, JSON.parse(readFileSync(join(DIR, f), "utf8")) as { $id?: string }] as const);
  for (const [, s] of schemas) if (s.$id) ajv.addSchema(s);

  it.each(FILES)("%s is a valid JSON Schema and compiles", (file) => {
    const schema = schemas.find(([f]) => f === file)![1];
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
    expect(() => (schema.$id ? ajv.getSchema(schema.$id) : ajv.compile(schema))).not.toThrow();
  });

  it("a schema that breaks the meta-schema is caught here", () => {
    expect(ajv.validateSchema({ type: "object", properties: { a: { type: "strnig" } } })).toBe(false);
  });

  it("covers every built-in scanner's options schema", () => {
    const ids = new Set(schemas.map(([, s]) => s.$id));
    for (const s of builtinRegistry().scanners) if (s.optionsSchema) expect(ids).toContain(s.optionsSchema["$id"]);
  });
});
