// The privacy and theft probes' rules, ESLint style: each checks one probe measurement against
// its thresholds (data in rules/probes/thresholds.json) and reports a finding draft. Severity,
// controls and texts come from rules/catalog/model.json.

import type { RuleModule } from "../../core/rule";
import type { ExtractionResult } from "./extraction";
import type { MembershipResult } from "./membership";

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

export interface ExtractionDoc {
  model: string;
  result: ExtractionResult;
}

export const extractionRisk: RuleModule<ExtractionDoc> = {
  id: "model/extraction-risk",
  check(doc, ctx) {
    const r = doc.result;
    const hit = r.points.find((p) => p.fidelity >= r.fidelityThreshold);
    if (!hit) return;
    const answers = r.outputs === "top-k" ? `top-${r.topK ?? "k"} scores` : r.outputs === "labels" ? "labels only" : `full ${r.outputs}`;
    ctx.report({
      message: `${doc.model} can be copied through its prediction interface: a surrogate trained on ${hit.queries} query answers (${answers}) agrees with it on ${pct(hit.fidelity)} of held-out inputs, at or above the ${pct(r.fidelityThreshold)} threshold.`,
      evidence: { outputs: r.outputs, ...(r.topK !== undefined ? { topK: r.topK } : {}), queries: hit.queries, fidelity: hit.fidelity, fidelityThreshold: r.fidelityThreshold, surrogateAccuracy: hit.surrogateAccuracy, targetAccuracy: r.targetAccuracy, curve: r.points, heldOut: r.heldOut, surrogate: r.surrogate },
      fingerprintKey: "extraction",
    });
  },
};

export interface MembershipDoc {
  model: string;
  result: MembershipResult;
  /** Raise when the strongest attack's AUC reaches this. */
  maxAuc: number;
  /** Raise when TPR at this FPR reaches `tpr`. */
  maxTprAtFpr: { fpr: number; tpr: number };
  /** Raise when the membership advantage (max TPR - FPR) reaches this. */
  maxAdvantage: number;
}

export const membershipInference: RuleModule<MembershipDoc> = {
  id: "model/membership-inference",
  check(doc, ctx) {
    const r = doc.result;
    const at = (a: (typeof r.attacks)[number]): number => a.tprAtFpr.find((p) => Math.abs(p.fpr - doc.maxTprAtFpr.fpr) < 1e-12)?.tpr ?? 0;
    const byAuc = [...r.attacks].sort((a, b) => b.auc - a.auc)[0];
    const byTpr = [...r.attacks].sort((a, b) => at(b) - at(a))[0];
    const byAdv = [...r.attacks].sort((a, b) => b.advantage - a.advantage)[0];
    if (!byAuc || !byTpr || !byAdv) return;
    const aucHit = byAuc.auc >= doc.maxAuc;
    const tprHit = at(byTpr) >= doc.maxTprAtFpr.tpr;
    const advHit = byAdv.advantage >= doc.maxAdvantage;
    if (!aucHit && !tprHit && !advHit) return;
    const lead = aucHit ? byAuc : tprHit ? byTpr : byAdv;
    ctx.report({
      message: `${doc.model} leaks which records it was trained on: a ${lead.name} attack tells its ${r.members} known training rows from ${r.nonMembers} unseen rows with AUC ${lead.auc.toFixed(2)}, advantage ${lead.advantage.toFixed(2)} and ${pct(at(lead))} true positives at ${pct(doc.maxTprAtFpr.fpr)} false positives (thresholds: AUC ${doc.maxAuc}, advantage ${doc.maxAdvantage}, TPR ${pct(doc.maxTprAtFpr.tpr)}).`,
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
        thresholds: { auc: doc.maxAuc, advantage: doc.maxAdvantage, tprAtFpr: doc.maxTprAtFpr },
      },
      fingerprintKey: "membership",
    });
  },
};
