/** @jest-environment ./test/probes/ort-environment.js */
// Membership thresholds on models they were not set on (fixtures/models/standard/membership_heldout:
// breast cancer, wine and digits; an unregularised wide MLP, a regularised MLP and a logistic
// regression per dataset). The overfit digits MLP raises; every breast cancer and wine model, whose
// members and non-members the model treats alike (advantage at most 0.14), stays silent.
import { join } from "node:path";
import { runProbe } from "../../src/probes/run";

const ROOT = join(__dirname, "../..");
const DIR = "fixtures/models/standard/membership_heldout";

type Membership = { attacks: Array<{ name: string; auc: number; advantage: number }> };

async function probe(dataset: string, kind: string): Promise<{ flagged: boolean; advantage: number }> {
  const r = await runProbe({ cwd: ROOT, model: `${DIR}/${dataset}_${kind}.onnx`, members: `${DIR}/${dataset}_members.csv`, nonMembers: `${DIR}/${dataset}_non_members.csv` });
  const m = r.probes[0]!["membership"] as Membership;
  return { flagged: r.findings.some((f) => f.ruleId === "model/membership-inference"), advantage: Math.max(...m.attacks.map((a) => a.advantage)) };
}

describe("membership inference on held-out models", () => {
  it("the overfit digits MLP raises", async () => {
    const r = await probe("digits", "overfit");
    expect(r.flagged).toBe(true);
    expect(r.advantage).toBeGreaterThan(0.2);
  });

  it.each([
    ["breast_cancer", "overfit"],
    ["breast_cancer", "regularised"],
    ["breast_cancer", "linear"],
    ["wine", "overfit"],
    ["wine", "regularised"],
    ["wine", "linear"],
  ])("%s %s stays silent", async (dataset, kind) => {
    const r = await probe(dataset, kind);
    expect(r.flagged).toBe(false);
    expect(r.advantage).toBeLessThan(0.15);
  });
});
