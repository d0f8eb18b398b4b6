/** @jest-environment ./test/probes/ort-environment.js */
import { join } from "node:path";
import { loadProbeData } from "../../src/probes/data";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import type { ProbeModel } from "../../src/probes/model";
import { argmaxRows, predictLabels, type AttackContext } from "../../src/probes/attacks/common";
import { pgdSpec, runGradientAttack } from "../../src/probes/attacks/gradient";
import { layoutOf, runSquareAttack } from "../../src/probes/attacks/square";
import { hopSkipJumpResults, runHopSkipJump } from "../../src/probes/attacks/hopskipjump";

const FIX = join(__dirname, "../../fixtures/models");
const N = 40;
let data: { x: Float32Array; labels: Int32Array; n: number; size: number };
beforeAll(async () => {
  const full = await loadProbeData(join(FIX, "digits_test.csv"));
  data = { x: full.x.slice(0, N * 64), labels: full.labels.slice(0, N), n: N, size: 64 };
});

async function context(model: ProbeModel): Promise<AttackContext> {
  const preds = await predictLabels(model, data.x, data.n, 512);
  return { model, data, clip: [0, 1], cleanCorrect: Uint8Array.from(preds, (p, i) => (p === data.labels[i] ? 1 : 0)), seed: 3, batchSize: 1024 };
}

/** The same ONNX model seen as a label-only endpoint: one-hot rows instead of scores. */
function labelsOnly(model: ProbeModel): ProbeModel {
  return {
    ...model,
    labelsOnly: true,
    async predict(x, n) {
      const labels = argmaxRows(await model.predict(x, n), n, model.numClasses);
      const out = new Float32Array(n * model.numClasses);
      labels.forEach((l, i) => (out[i * model.numClasses + l] = 1));
      return out;
    },
  };
}

describe("black-box attacks", () => {
  it("lays out channel-first, channel-last and flat inputs", () => {
    expect(layoutOf([1, 8, 8])).toMatchObject({ c: 1, h: 8, w: 8 });
    expect(layoutOf([32, 32, 3])).toMatchObject({ c: 3, h: 32, w: 32 });
    expect(layoutOf([32, 32, 3]).index(2, 1, 0)).toBe(32 * 3 + 2);
    expect(layoutOf([3, 32, 32]).index(2, 1, 0)).toBe(2 * 1024 + 32);
    expect(layoutOf([64])).toMatchObject({ c: 1, h: 1, w: 64 });
  });

  it("Square (L-inf) breaks the CNN from scores alone, close to white-box PGD", async () => {
    const model = await loadOnnxModel(join(FIX, "cnn.onnx"));
    const ctx = await context(model);
    const clean = ctx.cleanCorrect.reduce((a, b) => a + b, 0) / N;
    const pgd = await runGradientAttack(ctx, pgdSpec("linf", 0.2, 20, 0.125, false));
    const blackBox: ProbeModel = { ...model, predict: model.predict.bind(model) };
    delete blackBox.logits;
    const square = await runSquareAttack({ ...ctx, model: blackBox }, { eps: 0.2, queries: 300, pInit: 0.3 });
    expect(square.robustAccuracy).toBeLessThan(clean - 0.4);
    // A random search with enough queries gets about as far as PGD-20 on this small model.
    expect(Math.abs(square.robustAccuracy - pgd.robustAccuracy)).toBeLessThanOrEqual(0.1);
    expect(square.meanPerturbation).toBeLessThanOrEqual(0.2 + 1e-6);
    expect(square.queries).toBeGreaterThan(N);
    expect(square.queries).toBeLessThanOrEqual(N * 300);
    model.dispose();
  });

  it("HopSkipJump finds small L2 perturbations from labels alone, within its query budget", async () => {
    const model = await loadOnnxModel(join(FIX, "mlp.onnx"));
    const ctx = await context(labelsOnly(model));
    const clean = ctx.cleanCorrect.reduce((a, b) => a + b, 0) / N;
    const run = await runHopSkipJump(ctx, { queries: 600 });
    const [tiny, mid, large] = hopSkipJumpResults(ctx, run, "l2", [0.05, 1.0, 4.0]);
    expect(tiny!.robustAccuracy).toBeGreaterThanOrEqual(clean - 0.05);
    expect(mid!.robustAccuracy).toBeLessThanOrEqual(tiny!.robustAccuracy);
    expect(large!.robustAccuracy).toBeLessThanOrEqual(0.1);
    expect(run.queries).toBeLessThanOrEqual(N * 700);
    // White-box PGD at L2 eps 1.0 leaves nothing robust; a label-only attack gets a good part of the way.
    expect(mid!.robustAccuracy).toBeLessThan(clean - 0.3);
    model.dispose();
  });
});
