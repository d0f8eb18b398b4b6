// The layer boundaries are enforced by lint (eslint.config.js), not by convention.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

/** Lints `code` as if it were `file`, with the repository's config (ESLint's CLI; its config loader needs real ESM). */
function lint(file: string, code: string): string[] {
  const run = spawnSync(process.execPath, [join(ROOT, "node_modules", "eslint", "bin", "eslint.js"), "--stdin", "--stdin-filename", file, "--format", "json"], { cwd: ROOT, input: code, encoding: "utf8" });
  const results = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return results[0]!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("layer boundaries", () => {
  it("core may not import a scanner; scanners may import core", () => {
    expect(lint("src/core/x.ts", 'import { SCANNERS } from "../scanners";\nexport const x = SCANNERS;\n')).toEqual([expect.stringMatching(/no-restricted-imports: .*src\/core may not import src\/scanners/)]);
    expect(lint("src/scanners/x.ts", 'import { sniffKind } from "../core/sniff";\nexport const x = sniffKind;\n')).toEqual([]);
  });

  it("types import nothing of aigis, and reporters no scanner", () => {
    expect(lint("src/types/x.ts", 'import { runScan } from "../core/run";\nexport const x = runScan;\n')).toHaveLength(1);
    expect(lint("src/reporters/x.ts", 'import { SCANNERS } from "../scanners";\nexport const x = SCANNERS;\n')).toHaveLength(1);
  });
});
