/** @jest-environment ./test/probes/ort-environment.js */
// The load-time gradient spot check: a translation whose gradients are right passes; one whose
// outputs are right but whose gradients are wrong (scaled, sign-flipped, shifted by one
// coordinate) fails, and loading then falls back to black-box with a notice.
import { join } from "node:path";
import { initTf, tf } from "../../src/probes/backend";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import { checkGradients, defaultGradientCheck } from "../../src/probes/onnx/gradient-check";
import type { ProbeModel } from "../../src/probes/model";
import { seededRows } from "../helpers/seeded-rows";

const ROOT = join(__dirname, "../..");

/**
 * The model's logits at x0 with a corrupted input gradient: logits(t(x) - t(x0) + x0) has the same
 * value at x0 and gradient J_t^T * g, for a linear map t.
 */
function corrupted(model: ProbeModel, x0: Float32Array, t: (x: tf.Tensor2D) => tf.Tensor2D): (x: tf.Tensor2D) => tf.Tensor2D {
  return (x) => {
    const base = tf.tensor2d(x0, x.shape);
    return model.logits!(tf.add(tf.sub(t(x), t(base)), base) as tf.Tensor2D);
  };
}

describe("gradient check at load time", () => {
  let model: ProbeModel;
  beforeAll(async () => {
    await initTf();
    model = await loadOnnxModel(join(ROOT, "fixtures/models/standard/cnn_view.onnx"));
  });
  afterAll(() => model.dispose());

  it.each(["fixtures/models/standard/cnn_view.onnx", "fixtures/models/standard/ops_vision.onnx", "fixtures/models/standard/ops_transformer.onnx", "fixtures/models/mlp.onnx"])(
    "%s: the translated gradients pass and white-box stays on",
    async (file) => {
      const m = await loadOnnxModel(join(ROOT, file));
      expect(m.whiteBoxUnavailable).toBeUndefined();
      expect(m.logits).toBeDefined();
      expect(m.gradientCheck!.coordinates).toBe(defaultGradientCheck.rows * defaultGradientCheck.coordinates);
      expect(m.gradientCheck!.relativeError).toBeLessThanOrEqual(defaultGradientCheck.tolerance);
      m.dispose();
    },
  );

  const opts = { n: 2, size: 64, numClasses: 10, coordinates: 8, step: 1e-2, tolerance: 0.1 };
  it.each([
    ["scaled by 0.5", (x: tf.Tensor2D) => tf.mul(x, 0.5) as tf.Tensor2D],
    ["sign-flipped", (x: tf.Tensor2D) => tf.neg(x) as tf.Tensor2D],
    ["shifted by one coordinate", (x: tf.Tensor2D) => tf.concat([x.slice([0, 1], [-1, -1]), x.slice([0, 0], [-1, 1])], 1) as tf.Tensor2D],
  ])("gradients %s fail the check", async (_name, t) => {
    const data = seededRows(2, 64, 3);
    const good = await checkGradients((x, n) => model.predict(x, n), model.logits!, { ...opts, data });
    expect(good.ok).toBe(true);
    const bad = await checkGradients((x, n) => model.predict(x, n), corrupted(model, data, t), { ...opts, data });
    expect(bad.ok).toBe(false);
    expect(bad.relativeError).toBeGreaterThan(0.3);
  });

  it("an impossible tolerance turns white-box off with a notice naming the check", async () => {
    const m = await loadOnnxModel(join(ROOT, "fixtures/models/standard/cnn_view.onnx"), { gradientCheck: { tolerance: -1 } });
    expect(m.logits).toBeUndefined();
    expect(m.whiteBoxUnavailable).toMatch(/gradients of the tfjs translation disagree with finite differences/);
    expect(await m.predict(new Float32Array(64), 1)).toHaveLength(10);
    m.dispose();
  });
});
