// The guard rail against deciding on error text: eslint (npm test) rejects it in src/, so a new
// `/too large/.test(e.message)` fails the build instead of breaking when a message is reworded.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

// ESLint's config loading needs dynamic import, which jest's VM lacks: run the real CLI.
function banned(code: string, filePath = "src/core/example.ts"): number {
  const run = spawnSync(process.execPath, [join(ROOT, "node_modules", "eslint", "bin", "eslint.js"), "--stdin", "--stdin-filename", join(ROOT, filePath), "--format", "json"], { cwd: ROOT, input: code, encoding: "utf8" });
  const results = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null }> }>;
  return results.flatMap((r) => r.messages).filter((m) => m.ruleId === "no-restricted-syntax").length;
}

describe("lint: no decisions on error message text in src/", () => {
  it("rejects regex tests, string searches and String(e) tests on a message", () => {
    expect(banned("export function f(e: Error): boolean { return /too large/i.test(e.message); }\n")).toBe(1);
    expect(banned("export function f(e: Error): boolean { return e.message.startsWith(\"truncated\"); }\n")).toBe(1);
    expect(banned("export function f(e: Error): boolean { return e.message.includes(\"x\"); }\n")).toBe(1);
    expect(banned("export function f(e: unknown): boolean { return /x/.test(String(e)); }\n")).toBe(1);
  });

  it("accepts typed decisions, and message checks in tests and in the RuleTester", () => {
    expect(banned("class E extends Error { code = \"limit\"; }\nexport function f(e: unknown): boolean { return e instanceof E && e.code === \"limit\"; }\n")).toBe(0);
    expect(banned("export function f(e: Error): boolean { return /x/.test(e.message); }\n", "test/core/example.test.ts")).toBe(0);
    expect(banned("export function f(e: Error): boolean { return e.message.includes(\"x\"); }\n", "src/testing/example.ts")).toBe(0);
  });
});
