// docs/api.md's example runs against the built package through its `exports` map.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

it("docs/examples/api-scan.js scans the demo through require('aigis') and 'aigis/reporters'", () => {
  expect(existsSync(join(ROOT, "dist", "src", "index.js"))).toBe(true); // npm test compiles dist/ first
  const out = execFileSync(process.execPath, [join(ROOT, "docs", "examples", "api-scan.js"), "fixtures/demo"], { cwd: ROOT, encoding: "utf8" });
  const summary = JSON.parse(out) as { schemaVersion: number; targets: number; findings: number; critical: number; sarifRuns: number };
  expect(summary).toMatchObject({ schemaVersion: 2, sarifRuns: 1 });
  expect(summary.targets).toBeGreaterThanOrEqual(9);
  expect(summary.critical).toBeGreaterThanOrEqual(2);
});
