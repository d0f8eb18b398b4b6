// The theft and privacy rules (model/extraction-risk, model/membership-inference): each judges one
// probe measurement in the ProbeDocument against its thresholds (rules/probes/thresholds.json).
// Severity, controls and texts come from rules/catalog/model.json; registered in ../rules.ts.

import type { Rule } from "../../types";
import type { ProbeDocument } from "../rules";

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

export const extractionRisk: Rule<ProbeDocument> = {
  meta: {
    id: "model/extraction-risk",
    appliesTo: { kinds: ["tfjs-model", "onnx", "http-endpoint"], conditions: ["aigis probe --extraction trained a surrogate from black-box queries"] },
    messages: {
      copied: "{{model}} can be copied through its prediction interface: a surrogate trained on {{queries}} query answers ({{answers}}) agrees with it on {{fidelity}} of held-out inputs, at or above the {{threshold}} threshold.",
    },
    requires: [{ id: "extraction-probe", description: "the extraction probe (--extraction)", isMet: (doc) => doc.extraction !== undefined }],
  },
  check(doc, ctx) {
    const r = doc.extraction;
    if (!r) return;
    const hit = r.points.find((p) => p.fidelity >= r.fidelityThreshold);
    if (!hit) return;
    const answers = r.outputs === "top-k" ? `top-${r.topK ?? "k"} scores` : r.outputs === "labels" ? "labels only" : `full ${r.outputs}`;
    ctx.report({
      messageId: "copied",
      data: { model: doc.model, queries: hit.queries, answers, fidelity: pct(hit.fidelity), threshold: pct(r.fidelityThreshold) },
      evidence: { outputs: r.outputs, ...(r.topK !== undefined ? { topK: r.topK } : {}), queries: hit.queries, fidelity: hit.fidelity, fidelityThreshold: r.fidelityThreshold, surrogateAccuracy: hit.surrogateAccuracy, targetAccuracy: r.targetAccuracy, curve: r.points, heldOut: r.heldOut, surrogate: r.surrogate },
      fingerprintKey: "extraction",
    });
  },
};

export const membershipInference: Rule<ProbeDocument> = {
  meta: {
    id: "model/membership-inference",
    appliesTo: { kinds: ["tfjs-model", "onnx", "http-endpoint"], conditions: ["aigis probe --members --non-members ran membership inference attacks"] },
    messages: {
      leaks: "{{model}} leaks which records it was trained on: a {{attack}} attack tells its {{members}} known training rows from {{nonMembers}} unseen rows with AUC {{auc}}, advantage {{advantage}} and {{tpr}} true positives at {{fpr}} false positives (thresholds: AUC {{maxAuc}}, advantage {{maxAdvantage}}, TPR {{maxTpr}}).",
    },
    requires: [{ id: "membership-probe", description: "the membership inference probe (--members and --non-members)", isMet: (doc) => doc.membership !== undefined }],
  },
  check(doc, ctx) {
    const r = doc.membership;
    if (!r) return;
    const t = doc.thresholds.membership;
    const at = (a: (typeof r.attacks)[number]): number => a.tprAtFpr.find((p) => Math.abs(p.fpr - t.tprAtFpr.fpr) < 1e-12)?.tpr ?? 0;
    const byAuc = [...r.attacks].sort((a, b) => b.auc - a.auc)[0];
    const byTpr = [...r.attacks].sort((a, b) => at(b) - at(a))[0];
    const byAdv = [...r.attacks].sort((a, b) => b.advantage - a.advantage)[0];
    if (!byAuc || !byTpr || !byAdv) return;
    const aucHit = byAuc.auc >= t.auc;
    const tprHit = at(byTpr) >= t.tprAtFpr.tpr;
    const advHit = byAdv.advantage >= t.advantage;
    if (!aucHit && !tprHit && !advHit) return;
    const lead = aucHit ? byAuc : tprHit ? byTpr : byAdv;
    ctx.report({
      messageId: "leaks",
      data: {
        model: doc.model,
        attack: lead.name,
        members: r.members,
        nonMembers: r.nonMembers,
        auc: lead.auc.toFixed(2),
        advantage: lead.advantage.toFixed(2),
        tpr: pct(at(lead)),
        fpr: pct(t.tprAtFpr.fpr),
        maxAuc: t.auc,
        maxAdvantage: t.advantage,
        maxTpr: pct(t.tprAtFpr.tpr),
      },
      evidence: {
        attack: lead.name,
        auc: lead.auc,
        advantage: lead.advantage,
        tprAtFpr: lead.tprAtFpr,
        attacks: r.attacks,
        members: r.members,
        nonMembers: r.nonMembers,
        memberAccuracy: r.memberAccuracy,
        nonMemberAccuracy: r.nonMemberAccuracy,
        thresholds: { auc: t.auc, advantage: t.advantage, tprAtFpr: t.tprAtFpr },
      },
      fingerprintKey: "membership",
    });
  },
};
