/** @jest-environment ./test/probes/ort-environment.js */
// Op coverage on full-size torchvision exports, which are too large to commit. Runs only when
// AIGIS_TORCHVISION_DIR names a folder written by fixtures/models/standard/make_torchvision.py
// (Debian's python3-torchvision); otherwise it is skipped and says so.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { initTf, tf } from "../../src/probes/backend";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";

const DIR = process.env.AIGIS_TORCHVISION_DIR;
const files = DIR && existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith(".onnx")).sort() : [];
const maybe = files.length > 0 ? describe : describe.skip;

maybe("torchvision exports run white-box", () => {
  const results: string[] = [];
  beforeAll(async () => {
    await initTf();
  });
  afterAll(() => {
    console.log(`torchvision white-box: ${results.filter((r) => r.endsWith("white-box")).length}/${results.length}\n${results.join("\n")}`);
  });
  it.each(files)("%s", async (file) => {
    const size = 3 * 64 * 64;
    const x = Float32Array.from({ length: 2 * size }, (_, i) => ((i * 7919) % 1000) / 1000);
    const model = await loadOnnxModel(join(DIR!, file), { checkRows: { data: x, n: 2 } });
    if (model.whiteBoxUnavailable) results.push(`${file}: ${model.whiteBoxUnavailable}`);
    else {
      const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(model.logits!(v as tf.Tensor2D)))(tf.tensor2d(x, [2, size])).abs().sum().dataSync()[0]!);
      results.push(`${file}: ${Number.isFinite(g) && g > 0 ? "white-box" : "no gradient"}`);
    }
    model.dispose();
    expect(model.whiteBoxUnavailable).toBeUndefined();
  }, 600000);
});
