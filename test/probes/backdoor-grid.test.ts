/** @jest-environment ./test/probes/ort-environment.js */
// The held-out backdoor grid (fixtures/models/standard/backdoor_grid): a regression guard on what
// docs/probe.md reports for seed 0 with Neural Cleanse restarts and source-class coverage. Every
// verdict names the planted class (never another one), at least 12 of the 14 backdoors are found (11 before),
// and all three clean models stay silent (the seed-203 MLP's natural class-4 trigger, STRIP
// 0.126 / 0.199, is silenced only by the universal-patch rule; the deep MLP reaches index 2.70
// without coverage). The known misses are listed in docs/probe.md, not asserted away.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runProbe } from "../../src/probes/run";

const ROOT = join(__dirname, "../..");
const GRID = "fixtures/models/standard/backdoor_grid";
const grid = JSON.parse(readFileSync(join(ROOT, GRID, "grid.json"), "utf8")) as Record<string, { target?: number }>;

async function verdict(name: string, seed = 0): Promise<{ suspected: boolean; target?: number; notes: string[] }> {
  const r = await runProbe({ model: `${GRID}/${name}.onnx`, data: "fixtures/models/digits_test.csv", cwd: ROOT, attacks: [], backdoor: true, seed, minRobustAccuracy: [] });
  const b = r.probes[0]!.backdoor!;
  return { suspected: b.suspected, notes: (r.probes[0]!.notes as string[] | undefined) ?? [], ...(b.targetLabel !== undefined ? { target: b.targetLabel } : {}) };
}

describe("held-out backdoor grid", () => {
  it("names the planted class or nothing, and finds at least 12 of 14", async () => {
    const backdoored = Object.keys(grid).filter((k) => grid[k]!.target !== undefined);
    expect(backdoored).toHaveLength(14);
    let found = 0;
    for (const name of backdoored) {
      const v = await verdict(name);
      if (v.suspected) {
        expect([name, v.target]).toEqual([name, grid[name]!.target]);
        found++;
      }
    }
    expect(found).toBeGreaterThanOrEqual(12);
  }, 600000);

  it.each([
    ["clean_deep_mlp", 0],
    ["clean_mlp_seed203", 0],
    ["clean_mlp_seed203", 1],
    ["clean_wide_cnn", 0],
  ])("%s stays silent (seed %p)", async (name, seed) => {
    const v = await verdict(name, seed);
    expect(v.suspected).toBe(false);
    // A flat MLP input gets no compactness term, and the report says so; an image input does.
    expect(v.notes.some((n) => n.includes("without its mask compactness term"))).toBe(name.includes("mlp"));
  }, 300000);
});
