/** @jest-environment ./test/probes/ort-environment.js */
// Neural Cleanse restarts: each class keeps the smallest mask its searches found among those that
// reached the success threshold, each restart reports its own anomaly indices, and a planted
// trigger stays the outlier in every restart (the stability the verdict relies on).
import { join } from "node:path";
import { neuralCleanse } from "../../src/probes/backdoor/neural-cleanse";
import { loadProbeData } from "../../src/probes/data";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import { loadProbeThresholds } from "../../src/probes/thresholds";

const ROOT = join(__dirname, "../..");

describe("Neural Cleanse restarts", () => {
  it("keeps each class's smallest successful mask over restarts on disjoint samples", async () => {
    const data = await loadProbeData(join(ROOT, "fixtures/models/digits_test.csv"));
    const model = await loadOnnxModel(join(ROOT, "fixtures/models/standard/backdoor/mlp_patch2_topleft.onnx"));
    const { samples, restarts: _r, ...search } = loadProbeThresholds().backdoor.neuralCleanse;
    const n = samples;
    const one = await neuralCleanse(model, { ...search, x: data.x.subarray(0, n * data.size), n, clip: [0, 1], seed: 0, restarts: 1 });
    const three = await neuralCleanse(model, { ...search, x: data.x.subarray(0, 3 * n * data.size), n, clip: [0, 1], seed: 0, restarts: 3 });
    expect(one.restarts).toBe(1);
    expect(three.restarts).toBe(3);
    expect(three.maskSizeByRestart).toHaveLength(3);
    expect(three.anomalyIndexByRestart.every((r) => r.length === model.numClasses)).toBe(true);
    for (const tr of three.triggers) {
      const sizes = three.maskSizeByRestart.map((r) => r[tr.label]!);
      // The reported mask is one of the restarts' masks, and no successful restart found a smaller one.
      expect(sizes.some((s) => Math.abs(s - tr.maskSize) < 1e-3 * Math.max(1, s))).toBe(true);
      if (tr.reachedThreshold) expect(tr.successRate).toBeGreaterThan(0.5);
    }
    // The planted class (7, a 2x2 patch) is the outlier of every restart, not only of the combination.
    for (const r of three.anomalyIndexByRestart) expect(r.indexOf(Math.max(...r))).toBe(7);
    expect(three.suspect).toBe(7);
    expect(one.suspect).toBe(7);
    model.dispose();
  }, 300000);
});
