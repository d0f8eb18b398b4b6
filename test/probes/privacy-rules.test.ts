// RuleTester cases for the theft and privacy rules (documents are probe measurements).
import { runRuleTests } from "../helpers/rule-tester";
import { extractionRisk, membershipInference } from "../../src/probes/privacy/rules";
import type { ProbeDocument } from "../../src/probes/rules";
import { loadProbeThresholds } from "../../src/probes/thresholds";
import type { ExtractionResult } from "../../src/probes/privacy/extraction";
import type { MembershipResult } from "../../src/probes/privacy/membership";

const extraction = (fid: number[], outputs: ExtractionResult["outputs"] = "probabilities"): ExtractionResult => ({
  outputs,
  points: fid.map((f, i) => ({ queries: [100, 500, 2000][i]!, fidelity: f, surrogateAccuracy: f - 0.01 })),
  fidelityThreshold: 0.9,
  heldOut: 100,
  targetAccuracy: 0.97,
  surrogate: "mlp(128) trained in tfjs",
  trainingQueries: 2000,
  evaluationQueries: 100,
});

const thresholds = loadProbeThresholds();
const base: ProbeDocument = { model: "m.onnx", samples: 100, cleanAccuracy: 0.97, attacks: [], minimums: [], thresholds };
const ext = (result: ExtractionResult): ProbeDocument => ({ ...base, extraction: result });
const mem = (result: MembershipResult): ProbeDocument => ({ ...base, membership: result });

runRuleTests(extractionRisk, {
  valid: [
    { name: "the probe did not run", doc: base },
    { name: "fidelity stays below the threshold", doc: ext(extraction([0.5, 0.7, 0.89])) },
    { name: "labels only, poor copy", doc: ext(extraction([0.3, 0.4, 0.6], "labels")) },
  ],
  invalid: [
    { name: "reaches the threshold at 500 queries", doc: ext(extraction([0.8, 0.92, 0.97])), findings: [{ message: "500 query answers (full probabilities)", evidence: { queries: 500, outputs: "probabilities" } }] },
    { name: "top-k answers", doc: ext({ ...extraction([0.95, 0.96, 0.97], "top-k"), topK: 3 }), findings: [{ message: "top-3 scores", evidence: { topK: 3 } }] },
  ],
});

const attack = (name: "loss-threshold" | "confidence-threshold" | "correctness", auc: number, advantage: number, tpr: number) => ({ name, auc, advantage, tprAtFpr: [{ fpr: 0.01, tpr }, { fpr: 0.001, tpr: tpr / 2 }] });
const membership = (attacks: MembershipResult["attacks"]): MembershipResult => ({ members: 200, nonMembers: 400, memberAccuracy: 1, nonMemberAccuracy: 0.9, attacks, strongest: attacks[0]!.name });

runRuleTests(membershipInference, {
  valid: [
    { name: "membership not probed", doc: base },
    { name: "chance-level attacks", doc: mem(membership([attack("loss-threshold", 0.52, 0.05, 0.01), attack("correctness", 0.5, 0.02, 0)])) },
    { name: "just under every threshold", doc: mem(membership([attack("loss-threshold", 0.59, 0.19, 0.049)])) },
  ],
  invalid: [
    { name: "AUC above the threshold", doc: mem(membership([attack("loss-threshold", 0.8, 0.4, 0.02)])), findings: [{ message: "loss-threshold attack", evidence: { auc: 0.8 } }] },
    { name: "advantage alone", doc: mem(membership([attack("loss-threshold", 0.58, 0.3, 0.01)])), findings: [{ message: "advantage 0.30", evidence: { advantage: 0.3 } }] },
    { name: "TPR at low FPR alone", doc: mem(membership([attack("confidence-threshold", 0.55, 0.1, 0.2)])), findings: [{ message: "20.0% true positives at 1.0% false positives" }] },
  ],
});
