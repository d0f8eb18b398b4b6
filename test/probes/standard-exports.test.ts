/** @jest-environment ./test/probes/ort-environment.js */
// White-box on the graphs torch.onnx.export writes for ordinary models: shape subgraphs
// (x.view(x.size(0), -1), expand(b, -1, -1)), grouped/dilated/transposed convolutions, ceil-mode
// pooling, Pad, Resize, normalisation layers, a small transformer. Each translation must
// reproduce onnxruntime on data rows and on random inputs, and give gradients.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initTf, tf } from "../../src/probes/backend";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import { seededRows } from "../helpers/seeded-rows";

const ROOT = join(__dirname, "../..");
const STD = join(ROOT, "fixtures/models/standard");

describe("standard ONNX exports run white-box", () => {
  beforeAll(async () => {
    await initTf();
  });

  it.each([
    ["cnn_view.onnx", 64],
    ["ops_vision.onnx", 64],
    ["ops_transformer.onnx", 64],
    ["mobilenet_v2.onnx", 3 * 32 * 32],
  ])("%s translates, matches onnxruntime at several batch sizes, and has gradients", async (file, size) => {
    const model = await loadOnnxModel(join(STD, file));
    expect(model.whiteBoxUnavailable).toBeUndefined();
    expect(model.logits).toBeDefined();
    for (const n of [1, 5, 17]) {
      const x = seededRows(n, size, 7 + n);
      const want = await model.predict(x, n);
      const got = tf.tidy(() => model.logits!(tf.tensor2d(x, [n, size])).dataSync() as Float32Array);
      expect(got.length).toBe(want.length);
      let worst = 0;
      let scale = 1e-6;
      want.forEach((w, k) => {
        worst = Math.max(worst, Math.abs(w - got[k]!));
        scale = Math.max(scale, Math.abs(w));
      });
      expect(worst).toBeLessThanOrEqual(1e-3 * scale + 1e-4);
    }
    // Gradients against onnxruntime: the directional derivative along a random direction equals
    // the central difference of onnxruntime's outputs (weights w mix the classes).
    const n = 4;
    const x0 = seededRows(n, size, 99);
    const dir = seededRows(n, size, 5).map((v) => v - 0.5);
    const w = Float32Array.from({ length: model.numClasses }, (_, k) => Math.sin(k + 1));
    const directional = tf.tidy(() => {
      const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(model.logits!(v as tf.Tensor2D), tf.tensor2d(w, [1, w.length]))))(tf.tensor2d(x0, [n, size]));
      return tf.sum(tf.mul(grad, tf.tensor2d(dir, [n, size]))).dataSync()[0]!;
    });
    // Two step sizes: a small one crosses fewer ReLU / max-pool kinks, a larger one has less
    // float32 rounding; the gradient must agree with at least one.
    const errors: number[] = [];
    for (const h of [1e-3, 5e-3]) {
      const plus = await model.predict(x0.map((v, k) => v + h * dir[k]!), n);
      const minus = await model.predict(x0.map((v, k) => v - h * dir[k]!), n);
      let fd = 0;
      for (let k = 0; k < plus.length; k++) fd += (w[k % model.numClasses]! * (plus[k]! - minus[k]!)) / (2 * h);
      errors.push(Math.abs(directional - fd) / (Math.abs(fd) + 0.05));
    }
    expect(Number.isFinite(directional)).toBe(true);
    expect(Math.min(...errors)).toBeLessThanOrEqual(0.02);
    model.dispose();
  });

  it("the fixture really uses the run-time shape operators the issue names", () => {
    const text = readFileSync(join(STD, "cnn_view.onnx")).toString("latin1");
    for (const op of ["Shape", "Gather", "Unsqueeze", "Concat", "Reshape"]) expect(text).toContain(op);
  });
});
