/** @jest-environment ./test/probes/ort-environment.js */
// The backdoor verdict on the held-out population (fixtures/models/standard/backdoor_population,
// generated, not committed: ~40 BadNets and ~40 clean MLPs/CNNs). Runs only when
// AIGIS_BACKDOOR_POPULATION names a folder written by make_population.py; otherwise skipped, and
// says so. Guards the validate split at seed 0, the half no threshold was tuned on: false alarms on
// clean models and detection of the planted class, at the figures docs/probe.md reports for main
// ("Population check"), with a margin. Models the probe gives no verdict on are left out and listed.
import { loadPopulation, probeOne, redecide, tally, wilson, type ModelRun } from "../../bench/_backdoor-population";
import { loadProbeThresholds } from "../../src/probes/thresholds";

const DIR = process.env.AIGIS_BACKDOOR_POPULATION;
const models = loadPopulation(DIR)?.filter((m) => m.split === "validate") ?? [];
const maybe = models.length > 0 ? describe : describe.skip;
if (models.length === 0) console.log("backdoor population test skipped: set AIGIS_BACKDOOR_POPULATION to a folder written by fixtures/models/standard/backdoor_population/make_population.py");

// The goal: at most 10 % false alarms and at least 70 % detection. Measured here (seed 0 is
// deterministic; population --count 80 --seed 15): 6/20 and 12/20 before Neural Cleanse restarts and
// source coverage, 1/20 and 15/20 after.
/** At most this share of clean validate models flagged. */
const MAX_FALSE_ALARMS = 0.1;
/** At least this share of backdoored validate models flagged with the planted class. */
const MIN_DETECTION = 0.7;

maybe("backdoor verdict on the held-out population (validate split, seed 0)", () => {
  const runs: ModelRun[] = [];
  beforeAll(async () => {
    for (const m of models) runs.push(await probeOne(DIR!, m, 0));
  }, 1_800_000);

  it("the population has both kinds of model", () => {
    expect(models.some((m) => m.backdoored)).toBe(true);
    expect(models.some((m) => !m.backdoored)).toBe(true);
  });

  it(`raises at most ${Math.round(MAX_FALSE_ALARMS * 100)} % false alarms on clean models`, () => {
    const t = tally(runs);
    const flagged = runs.filter((r) => !r.backdoored && r.suspected).map((r) => `${r.file} (class ${r.flaggedLabel}, ${r.decidedBy})`);
    const noVerdict = runs.filter((r) => r.error !== undefined);
    const reasons = [...new Set(noVerdict.map((r) => r.error))].join("; ");
    console.log(`false alarms ${t.falseAlarms}/${t.clean}: ${flagged.join(", ") || "none"}; no verdict on ${noVerdict.length}${noVerdict.length ? ` (${noVerdict.map((r) => r.file).join(", ")}): ${reasons}` : ""}`);
    expect(t.clean).toBeGreaterThan(0);
    expect(t.falseAlarms / t.clean).toBeLessThanOrEqual(MAX_FALSE_ALARMS);
  });

  it(`names the planted class on at least ${Math.round(MIN_DETECTION * 100)} % of backdoored models`, () => {
    const t = tally(runs);
    const missed = runs.filter((r) => r.backdoored && r.error === undefined && !(r.suspected && r.flaggedLabel === r.target)).map((r) => r.file);
    console.log(`detected ${t.detected}/${t.backdoored}, wrong class ${t.wrongClass}; missed: ${missed.join(", ") || "none"}`);
    expect(t.backdoored).toBeGreaterThan(0);
    expect(t.detected / t.backdoored).toBeGreaterThanOrEqual(MIN_DETECTION);
  });
});

// The bench's arithmetic, on synthetic runs (always runs).
describe("backdoor population bench helpers", () => {
  const run = (over: Partial<ModelRun>): ModelRun => ({ file: "m.onnx", seed: 0, split: "validate", backdoored: true, family: "mlp", arch: "mlp1", triggerKind: "patch-solid1", target: 3, ...over });

  it("Wilson intervals match the closed form", () => {
    // 0 of n: upper bound z² / (n + z²).
    expect(wilson(0, 14)[1]).toBeCloseTo(1.96 ** 2 / (14 + 1.96 ** 2), 10);
    const [lo, hi] = wilson(8, 14);
    expect(lo).toBeCloseTo(0.3259, 3);
    expect(hi).toBeCloseTo(0.7862, 3);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });

  it("tallies the planted class, a wrong class, false alarms and runs without a verdict apart", () => {
    const t = tally([
      run({ suspected: true, flaggedLabel: 3 }),
      run({ suspected: true, flaggedLabel: 5 }),
      run({ suspected: false }),
      run({ backdoored: false, suspected: true, flaggedLabel: 1 }),
      run({ backdoored: false, suspected: false }),
      run({ error: "failed to call OrtRun()" }),
    ]);
    expect(t).toEqual({ backdoored: 3, detected: 1, wrongClass: 1, clean: 2, falseAlarms: 1, errors: 1 });
  });

  it("re-decides saved candidates through the probe's decision function", () => {
    // Fixed thresholds, so the cases do not move when rules/probes/thresholds.json is retuned.
    const t = {
      ...loadProbeThresholds().backdoor,
      anomalyIndex: 2,
      anomalyIndexWithStrip: 1.5,
      stripEntropyRatio: 0.35,
      stripVeto: 1,
      stripAlone: 0.1,
      susceptibleStripRatio: 0.5,
      anomalyIndexWhenSusceptible: 3,
      anomalyIndexWithSources: 99,
      anomalyIndexStable: 99,
      candidates: 3,
    };
    // A clear Neural Cleanse outlier that STRIP does not contradict; candidates saved unsorted.
    const clear = run({ candidates: [{ label: 1, anomalyIndex: 0.5, stripEntropyRatio: 0.9 }, { label: 3, anomalyIndex: t.anomalyIndex + 0.5, stripEntropyRatio: 0.8 }] });
    expect(redecide(clear, t)).toEqual({ suspected: true, label: 3 });
    // The same outlier when another candidate also yields to a patch: below anomalyIndexWhenSusceptible, silent.
    const susceptible = run({ candidates: [{ label: 3, anomalyIndex: t.anomalyIndex + 0.5, stripEntropyRatio: 0.8 }, { label: 1, anomalyIndex: 0.5, stripEntropyRatio: t.susceptibleStripRatio / 2 }] });
    expect(t.anomalyIndex + 0.5).toBeLessThan(t.anomalyIndexWhenSusceptible);
    expect(redecide(susceptible, t)).toEqual({ suspected: false });
    // Other thresholds change the verdict: a stricter anomalyIndex silences the first.
    expect(redecide(clear, { ...t, anomalyIndex: t.anomalyIndex + 1 })).toEqual({ suspected: false });
  });
});
