/** @jest-environment ./test/probes/ort-environment.js */
// aigis probe through commander, in-process, with a captured CliIO.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { register } from "../../../src/cli/commands/probe";
import type { CliIO, CommandOutcome } from "../../../src/cli/io";
import { loadCatalog } from "../../../src/core/catalog";
import { UsageError } from "../../../src/core/errors";
import { toSarif } from "../../../src/reporters/sarif";
import type { Report } from "../../../src/types";
import { reportSchemaErrors, sarifSchemaErrors } from "../../helpers/validate";

const ROOT = join(__dirname, "../../..");
const FIX = "fixtures/models";

async function run(args: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIO = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s), isTTY: tty }, env: {}, cwd: ROOT };
  const outcome: CommandOutcome = { exitCode: 0 };
  const program = new Command().exitOverride();
  register(program, io, outcome);
  await program.parseAsync(["node", "aigis", "probe", ...args]);
  return { code: outcome.exitCode, out, err };
}

describe("aigis probe", () => {
  it("writes a JSON report that validates, and gates on the robustness finding", async () => {
    const r = await run([`${FIX}/mlp.onnx`, "--data", `${FIX}/digits_test.csv`, "--attack", "fgsm,pgd", "--eps", "0.05,0.1", "--samples", "100", "--min-robust-accuracy", "0.1=0.95", "--format", "json"]);
    const report = JSON.parse(r.out) as Report;
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(sarifSchemaErrors(toSarif(report, loadCatalog()))).toEqual([]);
    expect(report.probes[0]!.samples).toBe(100);
    expect(report.probes[0]!.attacks.map((a) => `${a.name}@${a.eps}`)).toEqual(["fgsm@0.05", "fgsm@0.1", "pgd@0.05", "pgd@0.1"]);
    // The minimum named for eps 0.1 also binds the smaller eps 0.05 (robustness only falls as eps grows).
    expect(report.findings.map((f) => [f.ruleId, f.evidence!["eps"]]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ["model/low-adversarial-robustness", 0.05],
      ["model/low-adversarial-robustness", 0.1],
    ]);
    for (const f of report.findings) {
      const shortfall = (f.evidence!["required"] as number) - (f.evidence!["robustAccuracy"] as number);
      expect(f.severity).toBe(shortfall >= 0.3 ? "high" : shortfall >= 0.1 ? "medium" : "low");
    }
    expect(report.findings.some((f) => f.severity === "high")).toBe(true);
    expect(r.code).toBe(1);
  });

  it("exits 0 below the gate, writes SARIF to a file and shows progress only on a TTY without --quiet", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-probe-"));
    const args = [`${FIX}/mlp_tfjs`, "--data", `${FIX}/digits_test.npy`, "--eps", "0.01", "--samples", "50", "--min-robust-accuracy", "0.1", "--fail-on", "critical", "--format", "sarif", "--output", join(dir, "p.sarif")];
    const r = await run(args, true);
    expect(r.code).toBe(0);
    expect(r.err).toContain("probing");
    const sarif = JSON.parse(readFileSync(join(dir, "p.sarif"), "utf8")) as { runs: Array<{ results: unknown[] }> };
    expect(sarif.runs[0]!.results).toEqual([]);
    expect((await run([...args, "--quiet"], true)).err).toBe("");
    expect((await run(args, false)).err).toBe("");
  });

  it("rejects bad flags as usage errors", async () => {
    await expect(run([`${FIX}/mlp.onnx`, "--data", `${FIX}/digits_test.csv`, "--norm", "l3"])).rejects.toThrow(UsageError);
    await expect(run([`${FIX}/mlp.onnx`, "--data", `${FIX}/digits_test.csv`, "--attack", "deepfool"])).rejects.toThrow(UsageError);
    await expect(run([`${FIX}/mlp.onnx`, "--data", `${FIX}/digits_test.csv`, "--clip", "1,0"])).rejects.toThrow(UsageError);
    await expect(run([`${FIX}/mlp.onnx`, "--data", `${FIX}/nope.csv`])).rejects.toThrow(UsageError);
    await expect(run([`${FIX}/cnn.onnx`, "--data", `${FIX}/digits_test.csv`, "--label-column", "p3"])).rejects.toThrow(/label/);
  });
});
