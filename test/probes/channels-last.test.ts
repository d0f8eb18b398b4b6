/** @jest-environment ./test/probes/ort-environment.js */
// Convolution and pool results stay channel-last between layers: a Conv -> Relu -> MaxPool ->
// Conv -> Relu -> MaxPool graph converts NCHW -> NHWC once on entry and back once before the
// flatten, not twice per layer (8 transposes before). Outputs still match onnxruntime.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initTf, tf } from "../../src/probes/backend";
import { parseOnnxModel } from "../../src/probes/onnx/proto";
import { translateGraph } from "../../src/probes/onnx/translate";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";

const ROOT = join(__dirname, "../..");

describe("channel-last layout between convolutions", () => {
  beforeAll(async () => {
    await initTf();
  });

  it.each(["fixtures/models/cnn.onnx", "fixtures/models/standard/cnn_view.onnx"])("%s: two transposes per forward pass after the first", async (file) => {
    const graph = parseOnnxModel(readFileSync(join(ROOT, file)));
    expect(graph.nodes.filter((n) => n.opType === "Conv")).toHaveLength(2);
    const translated = translateGraph(graph);
    const x = tf.randomUniform([3, 1, 8, 8]);
    tf.dispose(translated.run(x)); // the first call also lays out the filters, once
    const profile = await tf.profile(() => translated.run(x));
    const transposes = profile.kernels.filter((k) => k.name === "Transpose").length;
    expect(transposes).toBe(2);
    x.dispose();
    translated.dispose();
  });

  it("the result is unchanged: the translated CNN matches onnxruntime", async () => {
    const model = await loadOnnxModel(join(ROOT, "fixtures/models/cnn.onnx"));
    expect(model.logits).toBeDefined();
    const x = tf.randomUniform([5, 64], 0, 1, "float32", 3);
    const got = model.logits!(x as tf.Tensor2D).dataSync();
    const want = await model.predict(x.dataSync() as Float32Array, 5);
    want.forEach((w, k) => expect(Math.abs(w - got[k]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(w))));
    x.dispose();
    model.dispose();
  });
});
