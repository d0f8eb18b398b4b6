// Runs the composite action's own shell steps locally, the way the runner would: inputs and
// step outputs substituted into each step's env, $GITHUB_OUTPUT files read back, `if:`
// conditions evaluated. The `uses:` steps (actions/cache, upload-sarif) need GitHub and are
// only checked for what they are given. The install step installs this checkout with npm
// (aigis-package), as a user's run installs the published package.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..", "..");

interface Step {
  id?: string;
  name: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  shell?: string;
  env?: Record<string, string>;
  run?: string;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as Action;

function runAction(inputs: Record<string, string>, workdir: string): { outputs: Record<string, string>; steps: Record<string, Record<string, string>>; logs: string[]; exit: number; summary: string; githubPath: string } {
  const temp = mkdtempSync(join(tmpdir(), "aigis-action-runner-"));
  const summaryFile = join(temp, "step-summary.md");
  const pathFile = join(temp, "github-path");
  writeFileSync(summaryFile, "");
  writeFileSync(pathFile, "");
  const input = (name: string): string => inputs[name] ?? action.inputs[name]?.default ?? "";
  const steps: Record<string, Record<string, string>> = {};
  const contexts = (expr: string): string => {
    const e = expr.trim();
    let m: RegExpMatchArray | null;
    if ((m = e.match(/^inputs\.([\w-]+)$/))) return input(m[1]!);
    if ((m = e.match(/^steps\.([\w-]+)\.outputs\.([\w-]+)$/))) return steps[m[1]!]?.[m[2]!] ?? "";
    if (e === "github.action_path") return ROOT;
    if (e === "runner.temp") return temp;
    if (e === "runner.os") return "Linux";
    if (e === "runner.arch") return process.arch === "arm64" ? "ARM64" : "X64";
    throw new Error(`the test runner does not know the expression ${e}`);
  };
  const substitute = (s: string): string => s.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => contexts(e));
  const condition = (cond: string | undefined): boolean => {
    if (!cond) return true;
    const body = cond.replace(/^\$\{\{|\}\}$/g, "").trim();
    return body.split("&&").every((term) => {
      const t = term.trim();
      if (t === "always()") return true;
      const m = t.match(/^(.+?)\s*(==|!=)\s*'([^']*)'$/);
      if (!m) throw new Error(`the test runner does not know the condition ${t}`);
      const value = contexts(m[1]!);
      return m[2] === "==" ? value === m[3] : value !== m[3];
    });
  };
  const logs: string[] = [];
  let exit = 0;
  for (const step of action.runs.steps) {
    if (!condition(step.if)) continue;
    if (step.uses) {
      // Needs GitHub; record what it would get.
      logs.push(`uses ${step.uses} with ${JSON.stringify(Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(v)])))}`);
      continue;
    }
    const outputFile = join(temp, `output-${step.id ?? step.name.replace(/\W+/g, "-")}`);
    writeFileSync(outputFile, "");
    // The machine's own environment (proxy and CA settings for npm), as a runner has its own.
    const env: Record<string, string> = {
      ...(Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith("GITHUB_") && !k.startsWith("AIGIS_"))) as Record<string, string>),
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_PATH: pathFile,
      GITHUB_ACTION_PATH: ROOT,
      RUNNER_TEMP: temp,
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(String(v));
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], { cwd: workdir, env, encoding: "utf8", timeout: 600_000 });
    logs.push(`${step.name}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    const out: Record<string, string> = {};
    for (const line of readFileSync(outputFile, "utf8").split("\n")) {
      const i = line.indexOf("=");
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    if (step.id) steps[step.id] = out;
    if (r.status !== 0) {
      exit = r.status ?? 1;
      break;
    }
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, substitute(v.value)]));
  return { outputs, steps, logs, exit, summary: readFileSync(summaryFile, "utf8"), githubPath: readFileSync(pathFile, "utf8") };
}

describe("the GitHub Action", () => {
  it("is a composite action that does not set up Node, build, or use upload-sarif below v4", () => {
    expect(action.runs.using).toBe("composite");
    const uses = action.runs.steps.flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses).toEqual(["actions/cache@v4", "github/codeql-action/upload-sarif@v4"]);
    const upload = action.runs.steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif"))!;
    expect(upload.with!["category"]).toBe("${{ inputs.category }}");
    const scripts = action.runs.steps.map((s) => s.run ?? "").join("\n");
    expect(scripts).not.toMatch(/npm ci|tsc|npm run build|GITHUB_PATH/);
    expect(scripts).toContain("--omit=dev");
    expect(action.inputs["node-version"]!.default).toBe("24");
  });

  it("runs its steps locally: scans, writes SARIF, JSON and the job summary, sets the outputs and gates last", () => {
    expect(existsSync(join(ROOT, "dist", "bin", "aigis.js"))).toBe(true); // built by npm test / npm run build
    const work = mkdtempSync(join(tmpdir(), "aigis-action-work-"));
    mkdirSync(join(work, "models"));
    writeFileSync(join(work, "models", "evil.pkl"), readFileSync(join(ROOT, "fixtures", "demo", "models", "evil-model.pkl")));
    writeFileSync(join(work, "policy.json"), readFileSync(join(ROOT, "fixtures", "demo", "policies", "model-bucket-policy.json")));
    // node-version "" runs on the node on PATH; AIGIS_TEST_ACTION_NODE=24 exercises the private Node from the registry.
    const run = runAction({ paths: "models policy.json", category: "aigis-test", "aigis-package": ROOT, "node-version": process.env.AIGIS_TEST_ACTION_NODE ?? "" }, work);
    const log = run.logs.join("\n");
    if (run.exit !== 1 || run.outputs["exit-code"] !== "1") throw new Error(`the action did not scan and gate with exit 1:\n${log}`);
    expect(run.outputs["exit-code"]).toBe("1");
    expect(Number(run.outputs["critical"])).toBeGreaterThanOrEqual(2);
    expect(Number(run.outputs["total"])).toBe(["critical", "high", "medium", "low", "info"].reduce((n, k) => n + Number(run.outputs[k]), 0));
    expect(run.outputs["sarif-file"]).toBe("aigis.sarif");
    const sarif = JSON.parse(readFileSync(join(work, "aigis.sarif"), "utf8")) as { runs: Array<{ automationDetails: { id: string }; results: unknown[] }> };
    expect(sarif.runs[0]!.automationDetails.id).toBe("aigis-test/");
    expect(sarif.runs[0]!.results.length).toBe(Number(run.outputs["total"]));
    expect(existsSync(join(work, "aigis.json"))).toBe(true);
    expect(run.summary).toMatch(/^## aigis scan: \d+ findings/);
    expect(log).toContain('uses github/codeql-action/upload-sarif@v4 with {"sarif_file":"aigis.sarif","category":"aigis-test"}');
    expect(log).toContain("Gate: exit 1");
    expect(run.githubPath).toBe(""); // the caller's PATH (and Node) is left alone
    if (process.env.AIGIS_TEST_ACTION_NODE) expect(log).toContain(`aigis: v${process.env.AIGIS_TEST_ACTION_NODE}.`);
  }, 600_000);
});
