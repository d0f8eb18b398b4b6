// RuleTester cases for the theft and privacy rules (documents are probe measurements).
import { runRuleTests } from "../helpers/rule-tester";
import { extractionRisk, membershipInference } from "../../src/probes/privacy/rules";
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

runRuleTests(extractionRisk, {
  valid: [
    { name: "fidelity stays below the threshold", doc: { model: "m.onnx", result: extraction([0.5, 0.7, 0.89]) } },
    { name: "labels only, poor copy", doc: { model: "m.onnx", result: extraction([0.3, 0.4, 0.6], "labels") } },
  ],
  invalid: [
    { name: "reaches the threshold at 500 queries", doc: { model: "m.onnx", result: extraction([0.8, 0.92, 0.97]) }, findings: [{ message: "500 query answers (full probabilities)", evidence: { queries: 500, outputs: "probabilities" } }] },
    { name: "top-k answers", doc: { model: "m.onnx", result: { ...extraction([0.95, 0.96, 0.97], "top-k"), topK: 3 } }, findings: [{ message: "top-3 scores", evidence: { topK: 3 } }] },
  ],
});

const attack = (name: "loss-threshold" | "confidence-threshold" | "correctness", auc: number, advantage: number, tpr: number) => ({ name, auc, advantage, tprAtFpr: [{ fpr: 0.01, tpr }, { fpr: 0.001, tpr: tpr / 2 }] });
const membership = (attacks: MembershipResult["attacks"]): MembershipResult => ({ members: 200, nonMembers: 400, memberAccuracy: 1, nonMemberAccuracy: 0.9, attacks, strongest: attacks[0]!.name });
const limits = { maxAuc: 0.6, maxAdvantage: 0.2, maxTprAtFpr: { fpr: 0.01, tpr: 0.05 } };

runRuleTests(membershipInference, {
  valid: [
    { name: "chance-level attacks", doc: { model: "m.onnx", result: membership([attack("loss-threshold", 0.52, 0.05, 0.01), attack("correctness", 0.5, 0.02, 0)]), ...limits } },
    { name: "just under every threshold", doc: { model: "m.onnx", result: membership([attack("loss-threshold", 0.59, 0.19, 0.049)]), ...limits } },
  ],
  invalid: [
    { name: "AUC above the threshold", doc: { model: "m.onnx", result: membership([attack("loss-threshold", 0.8, 0.4, 0.02)]), ...limits }, findings: [{ message: "loss-threshold attack", evidence: { auc: 0.8 } }] },
    { name: "advantage alone", doc: { model: "m.onnx", result: membership([attack("loss-threshold", 0.58, 0.3, 0.01)]), ...limits }, findings: [{ message: "advantage 0.30", evidence: { advantage: 0.3 } }] },
    { name: "TPR at low FPR alone", doc: { model: "m.onnx", result: membership([attack("confidence-threshold", 0.55, 0.1, 0.2)]), ...limits }, findings: [{ message: "20.0% true positives at 1.0% false positives" }] },
  ],
});
