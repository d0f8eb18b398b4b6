// Membership inference (Shokri et al. 2017; Yeom et al. 2018 loss threshold; Carlini et al. 2022
// "from first principles": report TPR at low FPR, not only accuracy or AUC). Given rows known to
// be in the training set (members) and rows known not to be (non-members), an attacker who only
// thresholds the model's loss on a row, or its confidence in the row's label, tells them apart
// this well. A model that generalises gives members and non-members the same loss distribution
// (AUC near 0.5); an overfit one leaks who it was trained on.

import { argmaxRows, type ProbeSet } from "../attacks/common";
import type { ProbeModel } from "../model";
import { classifyOutputs, type OutputKind } from "./extraction";

export interface AttackCurve {
  name: "loss-threshold" | "confidence-threshold" | "correctness";
  /** Area under the ROC curve (0.5: no better than chance). */
  auc: number;
  /** max over thresholds of TPR - FPR (Yeom et al.'s membership advantage). */
  advantage: number;
  /** TPR at each low FPR (the largest TPR whose FPR does not exceed it). */
  tprAtFpr: Array<{ fpr: number; tpr: number }>;
}

export interface MembershipResult {
  /** What the model answered (as recorded by the extraction probe): it decides which attacks can run. */
  outputs?: OutputKind;
  topK?: number;
  /** Why an attack did not run or runs on partial scores. */
  note?: string;
  members: number;
  nonMembers: number;
  memberAccuracy: number;
  nonMemberAccuracy: number;
  meanLossMembers?: number;
  meanLossNonMembers?: number;
  attacks: AttackCurve[];
  /** The attack with the highest TPR at the first low FPR (ties: higher AUC). */
  strongest: AttackCurve["name"];
}

/** ROC statistics of scores where higher means "member". */
export function rocStats(member: number[], nonMember: number[], fprs: number[]): { auc: number; advantage: number; tprAtFpr: Array<{ fpr: number; tpr: number }> } {
  const all = [...member.map((s) => ({ s, m: 1 })), ...nonMember.map((s) => ({ s, m: 0 }))].sort((a, b) => b.s - a.s);
  const P = member.length;
  const N = nonMember.length;
  let tp = 0;
  let fp = 0;
  let auc = 0;
  let advantage = 0;
  const best = fprs.map(() => 0);
  // Walk thresholds from the highest score down; tied scores move together.
  for (let i = 0; i < all.length; ) {
    let j = i;
    let dtp = 0;
    let dfp = 0;
    while (j < all.length && all[j]!.s === all[i]!.s) {
      if (all[j]!.m) dtp++;
      else dfp++;
      j++;
    }
    // Trapezoid between the previous point and this one (ties count half).
    auc += (dfp / Math.max(N, 1)) * ((tp + dtp / 2) / Math.max(P, 1));
    tp += dtp;
    fp += dfp;
    const tpr = tp / Math.max(P, 1);
    const fpr = fp / Math.max(N, 1);
    advantage = Math.max(advantage, tpr - fpr);
    fprs.forEach((f, k) => {
      if (fpr <= f + 1e-12) best[k] = Math.max(best[k]!, tpr);
    });
    i = j;
  }
  return { auc, advantage, tprAtFpr: fprs.map((fpr, k) => ({ fpr, tpr: best[k]! })) };
}

async function scoresOf(model: ProbeModel, set: ProbeSet, batch: number): Promise<Float32Array> {
  const k = model.numClasses;
  const out = new Float32Array(set.n * k);
  for (let s = 0; s < set.n; s += batch) {
    const b = Math.min(batch, set.n - s);
    out.set(await model.predict(set.x.subarray(s * set.size, (s + b) * set.size), b), s * k);
  }
  return out;
}

/** log(sum_c exp(v_c - v_ref)) for a row of log-scores, exact for confident rows (log1p over the others). */
function logSumExpFrom(row: ArrayLike<number>, ref: number): number {
  let others = 0;
  for (let c = 0; c < row.length; c++) if (c !== ref) others += Math.exp(row[c]! - row[ref]!);
  return Math.log1p(others);
}

/**
 * Per row: the cross-entropy of the true label (loss attack) and the log-probability of the top
 * class (confidence attack), both in float64 through log1p so that confident rows of an overfit
 * model do not all round to loss 0 and tie.
 */
function lossAndConfidence(scores: Float32Array, set: ProbeSet, k: number, areProbabilities: boolean): { loss: number[]; confidence: number[] } {
  const loss: number[] = [];
  const confidence: number[] = [];
  for (let i = 0; i < set.n; i++) {
    const raw = scores.subarray(i * k, (i + 1) * k);
    const row = areProbabilities ? Array.from(raw, (v) => Math.log(Math.max(v, 1e-30))) : Array.from(raw);
    const y = set.labels[i]!;
    let top = 0;
    for (let c = 1; c < k; c++) if (row[c]! > row[top]!) top = c;
    loss.push(logSumExpFrom(row, y));
    confidence.push(-logSumExpFrom(row, top));
  }
  return { loss, confidence };
}

export async function membershipProbe(
  model: ProbeModel,
  members: ProbeSet,
  nonMembers: ProbeSet,
  o: { fprs: number[]; areProbabilities: boolean; batchSize: number },
): Promise<MembershipResult> {
  const k = model.numClasses;
  const [sm, sn] = [await scoresOf(model, members, o.batchSize), await scoresOf(model, nonMembers, o.batchSize)];
  const pm = argmaxRows(sm, members.n, k);
  const pn = argmaxRows(sn, nonMembers.n, k);
  const correctM = Array.from(pm, (p, i) => (p === members.labels[i] ? 1 : 0));
  const correctN = Array.from(pn, (p, i) => (p === nonMembers.labels[i] ? 1 : 0));
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);
  const attacks: AttackCurve[] = [];
  let lossStats: { meanLossMembers: number; meanLossNonMembers: number } | undefined;
  const seen = classifyOutputs(model, sm, members.n);
  let note: string | undefined;
  if (seen.outputs === "labels") note = "The model answers labels only: only the label-only (correctness) attack runs, and a pass is a weaker lower bound than with scores.";
  else if (seen.outputs === "top-k") note = `The model answers its top ${seen.topK} scores only: losses of labels outside them use the remaining probability mass shared evenly.`;
  if (seen.outputs !== "labels") {
    const lm = lossAndConfidence(sm, members, k, o.areProbabilities);
    const ln = lossAndConfidence(sn, nonMembers, k, o.areProbabilities);
    // Lower loss, higher confidence: more likely a member.
    attacks.push({ name: "loss-threshold", ...rocStats(lm.loss.map((v) => -v), ln.loss.map((v) => -v), o.fprs) });
    attacks.push({ name: "confidence-threshold", ...rocStats(lm.confidence, ln.confidence, o.fprs) });
    lossStats = { meanLossMembers: mean(lm.loss), meanLossNonMembers: mean(ln.loss) };
  }
  // Labels only: the gap attack (classified correctly, guess member).
  attacks.push({ name: "correctness", ...rocStats(correctM, correctN, o.fprs) });
  const strongest = [...attacks].sort((a, b) => (b.tprAtFpr[0]?.tpr ?? 0) - (a.tprAtFpr[0]?.tpr ?? 0) || b.auc - a.auc)[0]!.name;
  return {
    ...seen,
    ...(note ? { note } : {}),
    members: members.n,
    nonMembers: nonMembers.n,
    memberAccuracy: mean(correctM),
    nonMemberAccuracy: mean(correctN),
    ...(lossStats ?? {}),
    attacks,
    strongest,
  };
}
