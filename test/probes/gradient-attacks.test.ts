/** @jest-environment ./test/probes/ort-environment.js */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadProbeData } from "../../src/probes/data";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import { loadTfjsModel } from "../../src/probes/loaders/tfjs";
import type { ProbeModel } from "../../src/probes/model";
import { predictLabels, type AttackContext } from "../../src/probes/attacks/common";
import { fgsmSpec, pgdSpec, runGradientAttack } from "../../src/probes/attacks/gradient";

const FIX = join(__dirname, "../../fixtures/models");
interface RefAttack { name: "fgsm" | "pgd"; norm: "linf" | "l2"; eps: number; steps: number; stepSize: number; robustAccuracy: number; attackSuccessRate: number }
const ref = JSON.parse(readFileSync(join(FIX, "reference.json"), "utf8")) as { relStep: number; models: Record<string, { attacks: RefAttack[] }> };
let data: Awaited<ReturnType<typeof loadProbeData>>;
beforeAll(async () => {
  data = await loadProbeData(join(FIX, "digits_test.csv"));
});

async function context(model: ProbeModel): Promise<AttackContext> {
  const preds = await predictLabels(model, data.x, data.n, 512);
  const cleanCorrect = Uint8Array.from(preds, (p, i) => (p === data.labels[i] ? 1 : 0));
  return { model, data, clip: [0, 1], cleanCorrect, seed: 1, batchSize: 512 };
}

const copies: Array<[string, string, () => Promise<ProbeModel>]> = [
  ["mlp", "onnx", () => loadOnnxModel(join(FIX, "mlp.onnx"))],
  ["mlp", "tfjs", () => loadTfjsModel(join(FIX, "mlp_tfjs"))],
  ["mlp", "tfjs graph", () => loadTfjsModel(join(FIX, "mlp_graph_tfjs"))],
  ["cnn", "onnx", () => loadOnnxModel(join(FIX, "cnn.onnx"))],
  ["cnn", "tfjs", () => loadTfjsModel(join(FIX, "cnn_tfjs"))],
];
const standardRef = JSON.parse(readFileSync(join(FIX, "standard/reference.json"), "utf8")) as { models: Record<string, { relStep: number; attacks: RefAttack[] }> };

describe("a standard PyTorch export (x.view(x.size(0), -1)) runs FGSM and PGD white-box", () => {
  it("cnn_view (onnx): within 0.03 of PyTorch, or stronger with perturbations inside eps", async () => {
    const model = await loadOnnxModel(join(FIX, "standard/cnn_view.onnx"));
    expect(model.whiteBoxUnavailable).toBeUndefined();
    const ctx = await context(model);
    const entry = standardRef.models["cnn_view"]!;
    for (const r of entry.attacks) {
      const spec = r.name === "fgsm" ? fgsmSpec(r.norm, r.eps) : pgdSpec(r.norm, r.eps, r.steps, entry.relStep, false);
      const got = await runGradientAttack(ctx, spec);
      const label = `${r.name} ${r.norm} eps=${r.eps} got ${got.robustAccuracy.toFixed(3)} want ${r.robustAccuracy.toFixed(3)}`;
      if (process.env.PROBE_DEBUG) console.log(label);
      expect([label, got.robustAccuracy - r.robustAccuracy <= 0.03]).toEqual([label, true]);
      expect(got.meanPerturbation).toBeLessThanOrEqual(r.eps * (1 + 1e-5));
    }
    model.dispose();
  });
});

describe("FGSM and PGD agree with the PyTorch reference within 0.02", () => {
  for (const [name, copy, load] of copies) {
    it(`${name} (${copy}): every FGSM and PGD-20 figure, L-inf and L2`, async () => {
      const model = await load();
      const ctx = await context(model);
      for (const r of ref.models[name]!.attacks) {
        const spec = r.name === "fgsm" ? fgsmSpec(r.norm, r.eps) : pgdSpec(r.norm, r.eps, r.steps, ref.relStep, false);
        const got = await runGradientAttack(ctx, spec);
        const label = `${r.name} ${r.norm} eps=${r.eps} got ${got.robustAccuracy.toFixed(3)} want ${r.robustAccuracy.toFixed(3)}`;
        if (process.env.PROBE_DEBUG) console.log(label);
        expect([label, Math.abs(got.robustAccuracy - r.robustAccuracy) <= 0.02]).toEqual([label, true]);
        expect([label, Math.abs(got.attackSuccessRate - r.attackSuccessRate) <= 0.02]).toEqual([label, true]);
        expect(got.meanPerturbation).toBeLessThanOrEqual(r.eps * (1 + 1e-5));
      }
      model.dispose();
    });
  }

  it("PGD with a random start stays within eps and is at least as strong as FGSM", async () => {
    const model = await loadTfjsModel(join(FIX, "mlp_tfjs"));
    const ctx = await context(model);
    const fgsm = await runGradientAttack(ctx, fgsmSpec("linf", 0.1));
    const pgd = await runGradientAttack(ctx, pgdSpec("linf", 0.1, 20, 0.125, true));
    expect(pgd.robustAccuracy).toBeLessThanOrEqual(fgsm.robustAccuracy + 0.01);
    expect(pgd.meanPerturbation).toBeLessThanOrEqual(0.1 + 1e-6);
    model.dispose();
  });
});
