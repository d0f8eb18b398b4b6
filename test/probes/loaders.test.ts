/** @jest-environment ./test/probes/ort-environment.js */
import { join } from "node:path";
import { loadTfjsModel } from "../../src/probes/loaders/tfjs";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import { loadProbeData } from "../../src/probes/data";
import type { ProbeModel } from "../../src/probes/model";
import { readFileSync } from "node:fs";

const FIX = join(__dirname, "../../fixtures/models");
const ref = JSON.parse(readFileSync(join(FIX, "reference.json"), "utf8")) as { models: Record<string, { cleanAccuracy: number }> };

async function accuracy(model: ProbeModel, x: Float32Array, labels: Int32Array, n: number): Promise<number> {
  const scores = await model.predict(x, n);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < model.numClasses; k++) if (scores[i * model.numClasses + k]! > scores[i * model.numClasses + best]!) best = k;
    if (best === labels[i]) ok++;
  }
  return ok / n;
}

describe("model loaders", () => {
  let data: Awaited<ReturnType<typeof loadProbeData>>;
  let npy: Awaited<ReturnType<typeof loadProbeData>>;
  beforeAll(async () => {
    data = await loadProbeData(join(FIX, "digits_test.csv"));
    npy = await loadProbeData(join(FIX, "digits_test.npy"));
  });

  it("reads the CSV and the NPY copies of the test split identically", () => {
    expect(data.n).toBe(360);
    expect(data.size).toBe(64);
    expect(npy.n).toBe(360);
    expect(Array.from(npy.labels)).toEqual(Array.from(data.labels));
    expect(Array.from(npy.x.slice(0, 200))).toEqual(Array.from(data.x.slice(0, 200)));
  });

  const cases: Array<[string, string, () => Promise<ProbeModel>]> = [
    ["mlp", "tfjs-layers", () => loadTfjsModel(join(FIX, "mlp_tfjs"))],
    ["mlp", "tfjs-graph", () => loadTfjsModel(join(FIX, "mlp_graph_tfjs/model.json"))],
    ["mlp", "onnx", () => loadOnnxModel(join(FIX, "mlp.onnx"))],
    ["cnn", "tfjs-layers", () => loadTfjsModel(join(FIX, "cnn_tfjs"))],
    ["cnn", "onnx", () => loadOnnxModel(join(FIX, "cnn.onnx"))],
    ["backdoor_mlp", "onnx", () => loadOnnxModel(join(FIX, "backdoor_mlp.onnx"))],
  ];
  for (const [name, format, load] of cases) {
    it(`${name} as ${format}: clean accuracy matches PyTorch and gradients are available`, async () => {
      const model = await load();
      expect(model.format).toBe(format);
      expect(model.numClasses).toBe(10);
      expect(model.logits).toBeDefined();
      expect(model.whiteBoxUnavailable).toBeUndefined();
      const acc = await accuracy(model, data.x, data.labels, data.n);
      expect(Math.abs(acc - ref.models[name]!.cleanAccuracy)).toBeLessThanOrEqual(0.003);
      model.dispose();
    });
  }
});
