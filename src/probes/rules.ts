// model/* rules: judge what aigis probe measured. Registered as a rule pack, like any rule.

import type { AttackResult, BackdoorResult, Rule, RulePack } from "../types";
import { minimumFor, severityForShortfall, type ProbeThresholds, type RobustnessMinimum } from "./thresholds";

/** What the probe measured, as the model rules read it. */
export interface ProbeDocument {
  model: string;
  samples: number;
  cleanAccuracy: number;
  attacks: ReadonlyArray<AttackResult>;
  minimums: ReadonlyArray<RobustnessMinimum>;
  thresholds: ProbeThresholds;
  /** Set when the backdoor probe ran (it needs --backdoor and a white-box model). */
  backdoor?: { result: BackdoorResult; evidence: Record<string, unknown> };
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** The attack with the lowest robust accuracy per (norm, eps): what the gate judges. */
export function strongestPerBudget(attacks: ReadonlyArray<AttackResult>): AttackResult[] {
  const best = new Map<string, AttackResult>();
  for (const a of attacks) {
    const key = `${a.norm}:${a.eps}`;
    const cur = best.get(key);
    if (!cur || a.robustAccuracy < cur.robustAccuracy) best.set(key, a);
  }
  return [...best.values()].sort((a, b) => a.eps - b.eps);
}

export const lowAdversarialRobustness: Rule<ProbeDocument> = {
  meta: {
    id: "model/low-adversarial-robustness",
    appliesTo: { kinds: ["tfjs-model", "onnx", "http-endpoint"], conditions: ["aigis probe attacked the model"] },
    messages: {
      belowMinimum: "{{model}} keeps {{robustAccuracy}} accuracy under {{attack}} at {{norm}} eps {{eps}}, below the required {{required}} (clean accuracy {{cleanAccuracy}}).",
    },
    requires: [
      {
        id: "robustness-minimum",
        description: "an attack at a budget (norm, eps) with a required minimum robust accuracy (rules/probes/thresholds.json or --min-robust-accuracy)",
        isMet: (doc) => doc.attacks.some((a) => minimumFor(doc.minimums, a.norm, a.eps) !== undefined),
      },
    ],
  },
  check(doc, ctx) {
    for (const group of strongestPerBudget(doc.attacks)) {
      const min = minimumFor(doc.minimums, group.norm, group.eps);
      if (min === undefined || group.robustAccuracy >= min) continue;
      ctx.report({
        messageId: "belowMinimum",
        data: { model: doc.model, robustAccuracy: pct(group.robustAccuracy), attack: group.name, norm: group.norm === "linf" ? "L-inf" : "L2", eps: group.eps, required: pct(min), cleanAccuracy: pct(doc.cleanAccuracy) },
        severity: severityForShortfall(doc.thresholds, min - group.robustAccuracy),
        evidence: { attack: group.name, norm: group.norm, eps: group.eps, robustAccuracy: group.robustAccuracy, required: min, cleanAccuracy: doc.cleanAccuracy, attackSuccessRate: group.attackSuccessRate, samples: doc.samples },
        fingerprintKey: `${group.norm}:${group.eps}`,
      });
    }
  },
};

export const backdoorSuspected: Rule<ProbeDocument> = {
  meta: {
    id: "model/backdoor-suspected",
    appliesTo: { kinds: ["tfjs-model", "onnx", "http-endpoint"], conditions: ["aigis probe --backdoor ran Neural Cleanse and STRIP"] },
    messages: {
      backdoored:
        "{{model}} behaves as if backdoored: a trigger on {{positions}} sends {{triggerSuccessRate}} of other inputs to class {{targetLabel}} (anomaly index {{anomalyIndex}}, STRIP entropy ratio {{stripEntropyRatio}}).",
    },
    requires: [{ id: "backdoor-probe", description: "the backdoor probe (--backdoor, on a model that gives gradients)", isMet: (doc) => doc.backdoor !== undefined }],
  },
  check(doc, ctx) {
    const b = doc.backdoor;
    if (!b || !b.result.suspected) return;
    const positions = (b.evidence["maskPositions"] as number[] | undefined) ?? [];
    ctx.report({
      messageId: "backdoored",
      data: {
        model: doc.model,
        positions: `${positions.length} input position${positions.length === 1 ? "" : "s"}`,
        triggerSuccessRate: pct(Number(b.evidence["triggerSuccessRate"] ?? 0)),
        targetLabel: String(b.result.targetLabel),
        anomalyIndex: b.result.score.toFixed(2),
        stripEntropyRatio: Number(b.evidence["stripEntropyRatio"] ?? 0).toFixed(2),
      },
      evidence: b.evidence,
      fingerprintKey: `class:${b.result.targetLabel}`,
    });
  },
};

export const rulePack: RulePack = { id: "probe", rules: [lowAdversarialRobustness, backdoorSuspected] };
