/** @jest-environment ./test/probes/ort-environment.js */
// torch.onnx.export without dynamic_axes (its default) freezes the batch of the dummy input into
// the graph: x.view(x.size(0), -1) becomes Reshape to the constant [1, 144]. onnxruntime then takes
// exactly one row per run; the translation rebinds such Reshape targets to the run's batch and
// runs whole batches once that reproduces onnxruntime, so attacks and Neural Cleanse stay batched.
import { join } from "node:path";
import { tf } from "../../src/probes/backend";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import { runProbe } from "../../src/probes/run";
import { seededRows } from "../helpers/seeded-rows";

const ROOT = join(__dirname, "../..");
const DIR = join(ROOT, "fixtures/models/standard/heldout_exports");

describe("fixed-batch ONNX exports", () => {
  it.each(["fixed_batch_cnn", "fixed_batch_view1", "trained_cnn_op11_fixed_batch"])("%s runs its translation on whole batches, row for row equal to onnxruntime", async (file) => {
    const model = await loadOnnxModel(join(DIR, `${file}.onnx`));
    try {
      expect(model.whiteBoxUnavailable).toBeUndefined();
      expect(model.notes?.join("\n")).toMatch(/The ONNX input has a fixed batch of 1: onnxruntime runs it 1 row\(s\) at a time, while the translation for gradients runs whole batches/);
      const x = seededRows(9, 64, 5);
      const want = await model.predict(x, 9);
      const got = tf.tidy(() => model.logits!(tf.tensor2d(x, [9, 64])).dataSync() as Float32Array);
      expect(got.length).toBe(want.length);
      want.forEach((w, k) => expect(Math.abs(w - got[k]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(w))));
      // Rows stay separate: the gradient of row 4's logits touches row 4 only.
      const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.slice(model.logits!(v as tf.Tensor2D), [4, 0], [1, 10])))(tf.tensor2d(x, [9, 64])).abs().sum(1).dataSync() as Float32Array);
      g.forEach((v, r) => (r === 4 ? expect(v).toBeGreaterThan(0) : expect(v).toBe(0)));
    } finally {
      model.dispose();
    }
  });

  it("says so in the probe report", async () => {
    const report = await runProbe({ model: "fixtures/models/standard/heldout_exports/fixed_batch_view1.onnx", data: "fixtures/models/digits_test.csv", cwd: ROOT, attacks: ["fgsm"], eps: [0.1], samples: 20, minRobustAccuracy: [] });
    expect(report.probes[0]!.whiteBox).toBe(true);
    expect(report.probes[0]!.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^The ONNX input has a fixed batch of 1: .* runs whole batches/)]));
  });
});
