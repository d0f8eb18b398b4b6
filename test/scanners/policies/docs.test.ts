// Every policy rule has its docs page with the required sections and its controls.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCatalog } from "../../../src/core/catalog";
import { policyScanner } from "../../../src/scanners/policies";

const ROOT = join(__dirname, "..", "..", "..");

describe("policy rule docs", () => {
  const catalog = loadCatalog();
  it("catalog and scanner agree", () => {
    const inCatalog = [...catalog.rules.keys()].filter((id) => id.startsWith("policy/")).sort();
    expect(policyScanner.rules.map((r) => r.meta.id).sort()).toEqual(inCatalog);
  });
  for (const id of policyScanner.rules.map((r) => r.meta.id)) {
    it(`${id} has a page with every section`, () => {
      const path = join(ROOT, "docs", "rules", `${id.replace("/", "-")}.md`);
      expect(existsSync(path)).toBe(true);
      const page = readFileSync(path, "utf8");
      for (const section of ["## What it finds", "## Why it matters", "## How to fix", "## Controls", "## Example"]) expect(page).toContain(section);
      for (const c of catalog.rules.get(id)!.controls) expect(page).toContain(`\`${c}\``);
      expect(readFileSync(join(ROOT, "docs", "policies.md"), "utf8")).toContain(`(rules/${id.replace("/", "-")}.md)`);
    });
  }
});
