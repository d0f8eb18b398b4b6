import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

const ROOT = join(__dirname, "..", "..");
const CLI = join(ROOT, "dist", "bin", "aigis.js");

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
const action = parseYaml(readFileSync(join(ROOT, "action.yml"), "utf8")) as { runs: { using: string; steps: Step[] }; inputs: Record<string, { default?: string }> };

describe("action.yml", () => {
  it("is a composite action that scans, uploads SARIF with the category, then gates", () => {
    expect(action.runs.using).toBe("composite");
    const steps = action.runs.steps;
    expect(steps[0]!.uses).toMatch(/^actions\/setup-node@v\d+$/);
    const scan = steps.find((s) => s.id === "scan")!;
    expect(scan.env!.AIGIS_CATEGORY).toBe("${{ inputs.category }}");
    const upload = steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"))!;
    expect(upload.with).toEqual({ sarif_file: "${{ inputs.sarif-file }}", category: "${{ inputs.category }}" });
    expect(upload.if).toContain("always()");
    expect(steps.indexOf(upload)).toBeLessThan(steps.findIndex((s) => s.name === "Gate"));
  });

  // Runs the scan step's script as the runner would, against the built CLI.
  (existsSync(CLI) ? it : it.skip)("its scan step writes SARIF with the category and reports the exit code without failing", () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-action-"));
    const scan = action.runs.steps.find((s) => s.id === "scan")!;
    const env = {
      PATH: process.env.PATH ?? "",
      AIGIS_CLI: CLI,
      AIGIS_PATHS: "fixtures/demo/models fixtures/demo/data",
      AIGIS_CATEGORY: "models",
      AIGIS_FAIL_ON: "critical",
      AIGIS_BASELINE: "",
      AIGIS_FAIL_ON_NEW: "false",
      AIGIS_SUPPRESSIONS: "",
      AIGIS_SARIF: join(dir, "aigis.sarif"),
      AIGIS_JSON: join(dir, "aigis.json"),
      AIGIS_ARGS: "--jobs 1",
      GITHUB_OUTPUT: join(dir, "output"),
      GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
    };
    const r = spawnSync("bash", ["-c", scan.run!], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(readFileSync(env.GITHUB_OUTPUT, "utf8")).toBe("exit-code=1\nsarif-written=true\n");
    const sarif = JSON.parse(readFileSync(env.AIGIS_SARIF, "utf8")) as { runs: Array<{ automationDetails: { id: string }; artifacts: unknown[] }> };
    expect(sarif.runs[0]!.automationDetails.id).toBe("models/");
    const files = ["fixtures/demo/models", "fixtures/demo/data"].reduce((n, d) => n + readdirSync(join(ROOT, d)).length, 0);
    expect(sarif.runs[0]!.artifacts.length).toBe(files);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, "utf8")).toMatch(/^## aigis scan: \d+ findings/);
    expect(r.stdout).toContain(`aigis: scanned ${files} files`);
  });
});
