/** @jest-environment ./test/probes/ort-environment.js */
// An image folder (one folder per class) as probe data: pixels scaled from 0..255 into --clip.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { loadProbeData } from "../../src/probes/data";
import { runProbe } from "../../src/probes/run";

const ROOT = join(__dirname, "../..");
const FIX = join(ROOT, "fixtures/models");

it("probes the tfjs MLP on PNG digits in class folders like on the CSV rows they came from", async () => {
  const csv = await loadProbeData(join(FIX, "digits_test.csv"));
  const dir = mkdtempSync(join(tmpdir(), "aigis-digits-"));
  const N = 60;
  const rows = new Float32Array(N * 64);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const png = new PNG({ width: 8, height: 8 });
    for (let p = 0; p < 64; p++) {
      const v = Math.round(csv.x[i * 64 + p]! * 255);
      rows[i * 64 + p] = v / 255;
      png.data.set([v, v, v, 255], p * 4);
    }
    labels[i] = csv.labels[i]!;
    mkdirSync(join(dir, String(labels[i])), { recursive: true });
    writeFileSync(join(dir, String(labels[i]), `${String(i).padStart(3, "0")}.png`), PNG.sync.write(png));
  }
  const images = await loadProbeData(dir);
  expect(images.n).toBe(N);
  expect(images.imageShape).toEqual([8, 8, 1]);
  expect([...images.labels].sort()).toEqual([...labels].sort());
  expect(Math.max(...images.x)).toBeLessThanOrEqual(1);
  const report = await runProbe({ model: join(FIX, "mlp_tfjs"), data: dir, cwd: ROOT, attacks: ["fgsm"], eps: [0.1], minRobustAccuracy: [] });
  const csvReport = await runProbe({ model: join(FIX, "mlp_tfjs"), data: join(FIX, "digits_test.csv"), cwd: ROOT, attacks: ["fgsm"], eps: [0.1], samples: 360, minRobustAccuracy: [] });
  expect(report.probes[0]!.samples).toBe(N);
  // Rounding pixels to 8 bits moves values by at most 1/510: accuracy stays within a sample or two of the CSV's first rows.
  const firstRowsAccuracy = csvReport.probes[0]!.cleanAccuracy;
  expect(report.probes[0]!.cleanAccuracy).toBeGreaterThan(0.85);
  expect(Math.abs(report.probes[0]!.cleanAccuracy - firstRowsAccuracy)).toBeLessThan(0.1);
});
