/** @jest-environment ./test/probes/ort-environment.js */
// Model theft (extraction) and privacy (membership inference) probes on real models: ONNX and
// tfjs files and a local HTTP endpoint. The overfit model leaks membership, the regularised one
// does not; full-probability answers let a surrogate copy the digits MLP within the budget.
import { join } from "node:path";
import { runProbe } from "../../src/probes/run";
import { rocStats } from "../../src/probes/privacy/membership";
import { reportSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "../..");
const MEM = "fixtures/models/standard/membership";

describe("membership inference", () => {
  it("ROC statistics: perfect, chance and tied scores", () => {
    expect(rocStats([3, 4], [1, 2], [0.01]).auc).toBe(1);
    expect(rocStats([1, 2], [3, 4], [0.01]).auc).toBe(0);
    expect(rocStats([1, 1], [1, 1], [0.01]).auc).toBeCloseTo(0.5);
    expect(rocStats([3, 4], [1, 2], [0.01]).tprAtFpr[0]!.tpr).toBe(1);
    expect(rocStats([3, 4], [1, 2], [0.01]).advantage).toBe(1);
  });

  it("raises model/membership-inference on the overfit model and not on the regularised one", async () => {
    const opts = { cwd: ROOT, members: `${MEM}/members.csv`, nonMembers: `${MEM}/non_members.csv` };
    const over = await runProbe({ ...opts, model: `${MEM}/overfit.onnx` });
    const reg = await runProbe({ ...opts, model: `${MEM}/regularised.onnx` });
    const mo = over.probes[0]!["membership"] as { attacks: Array<{ name: string; auc: number }> };
    const mr = reg.probes[0]!["membership"] as { attacks: Array<{ name: string; auc: number }> };
    if (process.env.PROBE_DEBUG) console.log(JSON.stringify({ ...mo, attacks: mo.attacks.map((a) => a.auc) }), JSON.stringify({ ...mr, attacks: mr.attacks.map((a) => a.auc) }));
    expect(over.findings.map((f) => f.ruleId)).toContain("model/membership-inference");
    expect(reg.findings.map((f) => f.ruleId)).not.toContain("model/membership-inference");
    expect(over.probes[0]!.attacks).toEqual([]);
    expect(reportSchemaErrors(over)).toEqual([]);
    const f = over.findings.find((x) => x.ruleId === "model/membership-inference")!;
    expect(f.controls).toEqual(expect.arrayContaining(["GDPR-25", "GDPR-32", "ATLAS-AML.T0024", "OWASP-ML04"]));
  });
});

describe("extraction", () => {
  it("copies the digits MLP from its logits within the budget (ONNX) and records what it returns", async () => {
    const r = await runProbe({ cwd: ROOT, model: "fixtures/models/mlp.onnx", data: "fixtures/models/digits_test.csv", extraction: true, attacks: [] });
    const e = r.probes[0]!["extraction"] as { outputs: string; points: Array<{ queries: number; fidelity: number }>; queriesToThreshold?: number };
    if (process.env.PROBE_DEBUG) console.log(JSON.stringify(e));
    expect(e.outputs).toBe("logits");
    expect(reportSchemaErrors(r)).toEqual([]);
    expect(e.points.map((p) => p.queries)).toEqual([100, 250, 500, 1000, 2000]);
    // More queries, a better copy.
    expect(e.points[4]!.fidelity).toBeGreaterThan(e.points[0]!.fidelity);
    const f = r.findings.find((x) => x.ruleId === "model/extraction-risk");
    expect(f).toBeDefined();
    expect(f!.controls).toEqual(expect.arrayContaining(["ATLAS-AML.T0024", "EUAIA-15"]));
  }, 300000);

  it("works on a tfjs model", async () => {
    const r = await runProbe({ cwd: ROOT, model: "fixtures/models/mlp_tfjs", data: "fixtures/models/digits_test.csv", extraction: true, attacks: [] });
    const e = r.probes[0]!["extraction"] as { outputs: string; points: Array<{ fidelity: number }> };
    expect(e.points.length).toBe(5);
    expect(e.points[4]!.fidelity).toBeGreaterThan(0.5);
  }, 300000);
});
