// Validators for what aigis writes: its own JSON report schema, the OASIS SARIF 2.1.0 schema
// (as published in @microsoft/jest-sarif, not copied here), and sarif-multitool.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { formatAjvErrors, schemaValidator } from "../../src/core/catalog";

export function reportSchemaErrors(report: unknown): string[] {
  const validate = schemaValidator("report");
  return validate(report) ? [] : formatAjvErrors(validate.errors);
}

let sarifValidate: ReturnType<Ajv04["compile"]> | undefined;
export function sarifSchemaErrors(log: unknown): string[] {
  if (!sarifValidate) {
    const schemaPath = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
    const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
    // The published schema is draft-04, hence ajv-draft-04.
    const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false }); // the schema has a pattern that is invalid in unicode mode
    addFormats(ajv);
    sarifValidate = ajv.compile(schema);
  }
  return sarifValidate(log) ? [] : formatAjvErrors(sarifValidate.errors);
}

/** Runs `sarif-multitool validate` and returns its error-level results (warnings and notes are guidance). */
export function multitoolErrors(log: unknown, extraArgs: string[] = []): string[] {
  const dir = mkdtempSync(join(tmpdir(), "aigis-sarif-"));
  const input = join(dir, "in.sarif");
  const output = join(dir, "out.sarif");
  writeFileSync(input, JSON.stringify(log));
  const bin = join(__dirname, "..", "..", "node_modules", ".bin", "sarif-multitool");
  execFileSync(bin, ["validate", input, "--output", output, ...extraArgs], { stdio: "pipe", timeout: 120_000 });
  const result = JSON.parse(readFileSync(output, "utf8")) as { runs: Array<{ results?: Array<{ level?: string; ruleId?: string; message?: { text?: string } }> }> };
  return (result.runs[0]?.results ?? []).filter((r) => r.level === "error").map((r) => `${r.ruleId}: ${r.message?.text ?? ""}`);
}
