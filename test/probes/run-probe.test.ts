/** @jest-environment ./test/probes/ort-environment.js */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runProbe } from "../../src/probes/run";

const ROOT = join(__dirname, "../..");
const FIX = "fixtures/models";
const ref = JSON.parse(readFileSync(join(ROOT, FIX, "reference.json"), "utf8")) as {
  models: Record<string, { cleanAccuracy: number; attacks: Array<{ name: string; norm: string; eps: number; robustAccuracy: number }>; targetLabel?: number; triggerPixels?: number[] }>;
};

describe("runProbe", () => {
  it("reports robustness of the tfjs MLP with hashes, curves and gate findings", async () => {
    const report = await runProbe({
      model: `${FIX}/mlp_tfjs`,
      data: `${FIX}/digits_test.csv`,
      cwd: ROOT,
      attacks: ["pgd"],
      eps: [0.05, 0.1],
      relStep: 0.125,
      minRobustAccuracy: [{ norm: "linf", eps: 0.05, min: 0.5 }, { norm: "linf", eps: 0.1, min: 0.9 }],
    });
    expect(report.schemaVersion).toBe(2);
    expect(report.probes[0]!.assessment).toMatchObject({ assessed: ["model/low-adversarial-robustness"] });
    const model = report.targets.find((t) => t.uri === `${FIX}/mlp_tfjs/model.json`)!;
    expect(model.kind).toBe("tfjs-model");
    expect(model.sha256).toBe(createHash("sha256").update(readFileSync(join(ROOT, FIX, "mlp_tfjs/model.json"))).digest("hex"));
    expect(report.targets.some((t) => t.uri === `${FIX}/digits_test.csv` && t.kind === "csv")).toBe(true);
    const probe = report.probes[0]!;
    expect(probe.format).toBe("tfjs-layers");
    expect(probe.samples).toBe(360);
    expect(Math.abs(probe.cleanAccuracy - ref.models["mlp"]!.cleanAccuracy)).toBeLessThan(0.003);
    const want = ref.models["mlp"]!.attacks.find((a) => a.name === "pgd" && a.norm === "linf" && a.eps === 0.1)!;
    const got = probe.attacks.find((a) => a.eps === 0.1)!;
    expect(Math.abs(got.robustAccuracy - want.robustAccuracy)).toBeLessThanOrEqual(0.02);
    expect(got.stepSize).toBeCloseTo(0.0125, 6);
    const curve = (probe["curves"] as Array<{ attack: string; points: Array<{ eps: number; robustAccuracy: number }> }>)[0]!;
    expect(curve.points.map((p) => p.eps)).toEqual([0, 0.05, 0.1]);
    expect(curve.points[0]!.robustAccuracy).toBe(probe.cleanAccuracy);
    // Robust accuracy at 0.05 (about 0.77) passes 0.5; at 0.1 (about 0.26) it misses 0.9 by more than 0.3.
    expect(report.findings).toHaveLength(1);
    const f = report.findings[0]!;
    expect(f.ruleId).toBe("model/low-adversarial-robustness");
    expect(f.severity).toBe("high");
    expect(f.message).toMatch(/eps 0\.1, below the required 90\.0%.*\.$/);
    expect(f.controls).toEqual(expect.arrayContaining(["EUAIA-15", "ATLAS-AML.T0043", "OWASP-ML01"]));
    expect(report.summary.bySeverity.high).toBe(1);
  });

  it("takes minimums and budgets from the config file, and rejects a malformed probe section", async () => {
    const config = { scanners: { probe: { norm: "l2", eps: [0.5, 2], steps: 10, samples: 60, minRobustAccuracy: [{ eps: 2, min: 0.5 }] } } };
    const report = await runProbe({ model: `${FIX}/mlp.onnx`, data: `${FIX}/digits_test.csv`, cwd: ROOT, attacks: ["pgd"], config });
    const probe = report.probes[0]!;
    expect(probe.samples).toBe(60);
    expect(probe.attacks.map((a) => [a.norm, a.eps, a.steps])).toEqual([["l2", 0.5, 10], ["l2", 2, 10]]);
    // 0.5 and 2 both fall under the eps-2 minimum; PGD at L2 eps 2 leaves almost nothing.
    expect(report.findings.map((f) => f.evidence!["eps"]).sort()).toEqual([0.5, 2].filter((eps) => probe.attacks.find((a) => a.eps === eps)!.robustAccuracy < 0.5));
    expect(report.findings.length).toBeGreaterThanOrEqual(1);
    await expect(runProbe({ model: `${FIX}/mlp.onnx`, data: `${FIX}/digits_test.csv`, cwd: ROOT, config: { scanners: { probe: { epsilon: 3 } } } })).rejects.toThrow(/scanners.probe is invalid/);
  });

  it("names the planted class and trigger on the backdoored model (ONNX)", async () => {
    const report = await runProbe({ model: `${FIX}/backdoor_mlp.onnx`, data: `${FIX}/digits_test.npy`, cwd: ROOT, attacks: ["fgsm"], eps: [0.01], backdoor: true, samples: 120, minRobustAccuracy: [] });
    const probe = report.probes[0]!;
    expect(probe.format).toBe("onnx");
    expect(probe.backdoor?.suspected).toBe(true);
    expect(probe.backdoor?.targetLabel).toBe(ref.models["backdoor_mlp"]!.targetLabel);
    const findings = report.findings.filter((f) => f.ruleId === "model/backdoor-suspected");
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain(`class ${ref.models["backdoor_mlp"]!.targetLabel}`);
    const positions = findings[0]!.evidence!["maskPositions"] as number[];
    const planted = new Set(ref.models["backdoor_mlp"]!.triggerPixels);
    expect(positions.length).toBeGreaterThan(0);
    expect(positions.filter((p) => planted.has(p)).length / positions.length).toBeGreaterThanOrEqual(0.5);
    expect(findings[0]!.evidence!["maskBoundingBox"]).toEqual({ rows: [0, expect.any(Number)], columns: [0, expect.any(Number)] });
  });

  it("stays silent about backdoors on the clean MLP", async () => {
    const report = await runProbe({ model: `${FIX}/mlp.onnx`, data: `${FIX}/digits_test.csv`, cwd: ROOT, attacks: ["fgsm"], eps: [0.01], backdoor: true, samples: 120, minRobustAccuracy: [] });
    expect(report.probes[0]!.backdoor?.suspected).toBe(false);
    expect(report.findings.filter((f) => f.ruleId === "model/backdoor-suspected")).toEqual([]);
  });

  it("stays silent about backdoors on the clean CNN (tfjs)", async () => {
    const report = await runProbe({ model: `${FIX}/cnn_tfjs/model.json`, data: `${FIX}/digits_test.csv`, cwd: ROOT, attacks: ["fgsm"], eps: [0.01], backdoor: true, samples: 120, minRobustAccuracy: [] });
    expect(report.probes[0]!.backdoor?.suspected).toBe(false);
    expect(report.findings).toEqual([]);
  });
});
