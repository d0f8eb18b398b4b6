/** @jest-environment ./test/probes/ort-environment.js */
// What the probe does when gradients are missing or the model outputs probabilities.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import { runProbe } from "../../src/probes/run";

const ROOT = join(__dirname, "../..");
const FIX = "fixtures/models";
const ref = JSON.parse(readFileSync(join(ROOT, FIX, "reference.json"), "utf8")) as { models: Record<string, { cleanAccuracy: number }> };

describe("probe fallbacks", () => {
  it("names the operator outside the translated set and probes the ONNX model black-box", async () => {
    const model = await loadOnnxModel(join(ROOT, FIX, "standard/einsum_mlp.onnx"));
    expect(model.logits).toBeUndefined();
    expect(model.whiteBoxUnavailable).toMatch(/uses Einsum, outside the operators aigis translates/);
    model.dispose();
    const report = await runProbe({ model: `${FIX}/standard/einsum_mlp.onnx`, data: `${FIX}/digits_test.csv`, cwd: ROOT, attacks: ["pgd"], eps: [0.2], queries: 40, samples: 60, backdoor: true, minRobustAccuracy: [] });
    const probe = report.probes[0]!;
    expect(probe["whiteBox"]).toBe(false);
    expect(probe.attacks.map((a) => a.name)).toEqual(["square"]);
    expect(probe.attacks[0]!.queries).toBeGreaterThan(0);
    expect(probe.backdoor).toBeUndefined();
    expect(probe["notes"]).toEqual(expect.arrayContaining([expect.stringMatching(/Einsum/), "pgd needs gradients; square runs instead.", expect.stringMatching(/backdoor probe was skipped/)]));
  });

  it("translates GELU (Erf) and measures the same clean accuracy as PyTorch", async () => {
    const full = await runProbe({ model: `${FIX}/gelu_mlp.onnx`, data: `${FIX}/digits_test.csv`, cwd: ROOT, attacks: ["fgsm"], eps: [0.01], minRobustAccuracy: [] });
    expect(full.probes[0]!["whiteBox"]).toBe(true);
    expect(Math.abs(full.probes[0]!.cleanAccuracy - ref.models["gelu_mlp"]!.cleanAccuracy)).toBeLessThan(0.003);
  });

  it("attacks a model that outputs probabilities through log-probabilities, with the same result as on logits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-softmax-"));
    cpSync(join(ROOT, FIX, "mlp_tfjs"), dir, { recursive: true });
    const doc = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as { modelTopology: { config: { layers: Array<{ config: { activation?: string } }> } } };
    doc.modelTopology.config.layers[1]!.config.activation = "softmax";
    writeFileSync(join(dir, "model.json"), JSON.stringify(doc));
    const opts = { data: join(ROOT, FIX, "digits_test.csv"), cwd: ROOT, attacks: ["fgsm" as const, "pgd" as const], eps: [0.1], samples: 120, minRobustAccuracy: [] };
    const probs = await runProbe({ ...opts, model: dir });
    const logits = await runProbe({ ...opts, model: join(ROOT, FIX, "mlp_tfjs") });
    expect(probs.probes[0]!.cleanAccuracy).toBe(logits.probes[0]!.cleanAccuracy);
    probs.probes[0]!.attacks.forEach((a, i) => expect(Math.abs(a.robustAccuracy - logits.probes[0]!.attacks[i]!.robustAccuracy)).toBeLessThanOrEqual(0.02));
  });
});
