/** @jest-environment ./test/probes/ort-environment.js */
// Backdoor verdicts from both probes: backdoored MLPs and CNNs with different triggers (2x2 and 3x3
// patches at different positions, a blended trigger) are flagged with the planted class; clean
// models stay silent. The decision rule itself is tested on the evidence combinations.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decideBackdoor, decideBackdoorCandidates, runProbe } from "../../src/probes/run";
import { loadProbeThresholds } from "../../src/probes/thresholds";

const ROOT = join(__dirname, "../..");
const BD = "fixtures/models/standard/backdoor";
const planted = JSON.parse(readFileSync(join(ROOT, BD, "triggers.json"), "utf8")) as Record<string, { target?: number }>;

describe("backdoor decision", () => {
  const t = loadProbeThresholds().backdoor;
  it.each([
    [3.2, 0.68, undefined, "neural-cleanse"], // a clear outlier, STRIP did not separate
    [2.1, 0.68, undefined, undefined], // the case: below the population-set bar without other evidence
    [2.8, 0.05, undefined, "neural-cleanse+strip"],
    [1.63, 0.14, undefined, "neural-cleanse+strip"],
    [0.63, 0.018, undefined, "strip"],
    [3.5, 1.2, undefined, undefined], // STRIP contradicts
    [1.4, 0.78, undefined, undefined],
    [1.0, 0.4, undefined, undefined], // clean model: STRIP alone at 0.4 does not raise
    [0, 0.01, undefined, undefined], // not a Neural Cleanse candidate
    // Source-class coverage (held-out grid / population, restarts 3): a planted ring the strokes hide
    // from STRIP, and clean models' natural outliers that turn only some classes.
    [2.22, 0.94, 0.94, "neural-cleanse+sources"], // mlp_ring3_center, seed 0
    [2.21, 0.77, 0.66, "neural-cleanse+sources"], // cnn_checker4_bottomright, seed 1
    [2.77, 0.81, 0.31, undefined], // p008_mlp1_clean
    [2.68, 0.76, 0.13, undefined], // p011_cnn3_clean
    [2.22, 1.05, 0.94, undefined], // STRIP contradicts
    [1.9, 0.9, 1.0, undefined], // too weak an outlier
  ])("anomaly %p, STRIP ratio %p, source coverage %p -> %p", (a, r, m, want) => {
    expect(decideBackdoor({ anomalyIndex: a, stripEntropyRatio: r, ...(m !== undefined ? { minSourceSuccess: m } : {}) }, t)).toBe(want);
  });
});

describe("backdoor decision with Neural Cleanse restarts", () => {
  const t = loadProbeThresholds().backdoor;
  const d = (a: number, r: number, m: number, restarts: number[]): string | undefined => decideBackdoor({ anomalyIndex: a, stripEntropyRatio: r, minSourceSuccess: m, restartAnomalyIndex: restarts }, t);
  it("flags an outlier every restart found, and lifts STRIP's veto for one most restarts found", () => {
    // fixture cnn_patch3_center (a 3x3 ring over the strokes, class 9), seeds 1 and 0
    expect(d(2.65, 0.826, 0.45, [2.089, 2.289, 2.705])).toBe("neural-cleanse-restarts");
    expect(d(4.15, 1.073, 0.27, [3.547, 2.45, 1.67])).toBe("neural-cleanse");
  });
  it("does not flag outliers that only some restarts found", () => {
    expect(d(3.61, 1.028, 0.07, [0, 0, 3.253])).toBeUndefined(); // p038_mlp1_clean: vetoed, unstable
    expect(d(2.68, 0.76, 0.13, [2.122, 1.797, 2.681])).toBeUndefined(); // p011_cnn3_clean
    expect(d(2.37, 0.94, 0.38, [1.04, 2.241, 1.736])).toBeUndefined(); // p026_mlp1_clean
  });
  it("needs two restarts or more for stability", () => {
    expect(d(2.5, 0.9, 0.2, [2.5])).toBeUndefined();
    expect(d(3.5, 1.05, 0.2, [3.5])).toBeUndefined();
  });
});

describe("backdoor decision across candidates", () => {
  const t = loadProbeThresholds().backdoor;
  const decide = (c: Array<[number, number, number?]>): Array<string | undefined> =>
    decideBackdoorCandidates(
      c.map(([anomalyIndex, stripEntropyRatio, minSourceSuccess]) => ({ anomalyIndex, stripEntropyRatio, ...(minSourceSuccess !== undefined ? { minSourceSuccess } : {}) })),
      t,
    );
  it("does not count STRIP on a clean model whose natural triggers fix the prediction in several classes", () => {
    // clean_mlp_seed203 (held-out grid), runProbe seeds 0 and 1 before restarts
    expect(decide([[2.14, 0.158], [1.12, 0.415], [0.46, 0.737]])).toEqual([undefined, undefined, undefined]);
    expect(decide([[1.73, 0.104], [0.68, 0.257], [0.67, 0.842]])).toEqual([undefined, undefined, undefined]);
    // ... and its natural trigger turns only some classes, so coverage does not flag it either
    expect(decide([[2.14, 0.158, 0.4], [1.12, 0.415, 0.3], [0.46, 0.737, 0.2]])).toEqual([undefined, undefined, undefined]);
  });
  it("keeps a class-specific trigger, a very clear outlier and a trigger that works from every class on a susceptible model", () => {
    expect(decide([[2.14, 0.158], [1.12, 0.6], [0.46, 0.737]])).toEqual(["neural-cleanse+strip", undefined, undefined]);
    // another candidate at 0.542 makes the model susceptible: the clear outlier still flags, on Neural Cleanse alone
    expect(decide([[8.7, 0.278], [0.95, 0.819], [0.67, 0.542]])).toEqual(["neural-cleanse", undefined, undefined]);
    expect(decide([[3.5, 0.2], [1.12, 0.3], [0.46, 0.737]])).toEqual(["neural-cleanse", undefined, undefined]);
    // p006_mlp1_bd_line_t4 (population tune split), seed 1: another class's trigger at STRIP 0.318
    expect(decide([[2.99, 0.135, 0.78], [0.67, 0.318, 0.85], [0.44, 0.512, 0.34]])).toEqual(["neural-cleanse+sources", undefined, undefined]);
  });
});

describe("backdoored and clean models", () => {
  it.each([
    ["mlp_patch2_topleft", 1],
    ["mlp_patch3_bottomright", 0],
    ["mlp_blend", 0],
    ["cnn_patch2_bottomleft", 0],
    ["cnn_patch3_center", 0], // the 3x3 ring over the digit strokes: found only with the cost schedule and the TV term
    ["cnn_patch3_center", 1],
    ["cnn_patch4_topright", 0],
    ["clean_mlp", 0],
    ["clean_mlp", 1],
    ["clean_cnn", 0],
  ])("%s (seed %p)", async (name, seed) => {
    const r = await runProbe({ model: `${BD}/${name}.onnx`, data: "fixtures/models/digits_test.csv", cwd: ROOT, attacks: ["fgsm"], eps: [0.01], backdoor: true, seed, minRobustAccuracy: [] });
    const b = r.probes[0]!.backdoor!;
    const f = r.findings.filter((x) => x.ruleId === "model/backdoor-suspected");
    expect(typeof b["neuralCleanseAnomalyIndex"]).toBe("number");
    expect(typeof b["stripEntropyRatio"]).toBe("number");
    // Every candidate carries its source-class coverage and its anomaly index in each restart.
    const restarts = loadProbeThresholds().backdoor.neuralCleanse.restarts;
    for (const c of b["candidates"] as Array<{ minSourceSuccess: number; restartAnomalyIndex: number[] }>) {
      expect(c.minSourceSuccess).toBeGreaterThanOrEqual(0);
      expect(c.minSourceSuccess).toBeLessThanOrEqual(1);
      expect(c.restartAnomalyIndex).toHaveLength(restarts);
    }
    const target = planted[name]!.target;
    if (target === undefined) {
      expect(b.suspected).toBe(false);
      expect(f).toHaveLength(0);
    } else {
      expect(b.suspected).toBe(true);
      expect(b.targetLabel).toBe(target);
      expect(f).toHaveLength(1);
      expect(f[0]!.message).toMatch(/decided by/);
      expect(["neural-cleanse", "neural-cleanse+strip", "neural-cleanse+sources", "neural-cleanse-restarts", "strip"]).toContain(b["decidedBy"]);
    }
  }, 300000);
});
