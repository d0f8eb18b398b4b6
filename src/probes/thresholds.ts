// Probe thresholds: data in rules/probes/thresholds.json (schema probe-thresholds), overridable per run.

import type { Severity } from "../types";
import { loadRulesData } from "../core/catalog";
import type { Norm } from "./attacks/common";

export interface RobustnessMinimum {
  norm: Norm;
  eps: number;
  min: number;
}

export interface ProbeThresholds {
  minRobustAccuracy: RobustnessMinimum[];
  severityByShortfall: Array<{ atLeast: number; severity: Severity }>;
  backdoor: {
    anomalyIndex: number;
    anomalyIndexWithStrip: number;
    stripEntropyRatio: number;
    stripVeto: number;
    stripAlone: number;
    susceptibleStripRatio: number;
    anomalyIndexWhenSusceptible: number;
    anomalyIndexWithSources: number;
    minSourceSuccess: number;
    anomalyIndexStable: number;
    candidates: number;
    maskThreshold: number;
    neuralCleanse: { samples: number; steps: number; learningRate: number; initCost: number; attackSuccessThreshold: number; patience: number; costMultiplier: number; earlyStopPatience: number; smoothness: number; restarts: number };
    strip: { samples: number; overlays: number };
  };
  extraction: { budgets: number[]; fidelity: number; heldOutShare: number; hiddenUnits: number; epochs: number; perturbation: number };
  membership: { auc: number; advantage: number; tprAtFpr: { fpr: number; tpr: number }; fprs: number[]; maxRows: number };
  defaults: { linfEps: number[]; l2Eps: number[]; steps: number; queries: number; samples: number };
}

export function loadProbeThresholds(): ProbeThresholds {
  return loadRulesData<ProbeThresholds>("probes/thresholds.json", "probe-thresholds");
}

/**
 * Minimum robust accuracy for (norm, eps): the entry for this eps, else the one with the next
 * larger eps (robust accuracy only falls as eps grows, so that is the lenient choice); none above the largest.
 */
export function minimumFor(minimums: ReadonlyArray<RobustnessMinimum>, norm: Norm, eps: number): number | undefined {
  const candidates = minimums.filter((m) => m.norm === norm && m.eps >= eps - 1e-12).sort((a, b) => a.eps - b.eps);
  return candidates[0]?.min;
}

export function severityForShortfall(thresholds: ProbeThresholds, shortfall: number): Severity {
  for (const s of [...thresholds.severityByShortfall].sort((a, b) => b.atLeast - a.atLeast)) if (shortfall >= s.atLeast) return s.severity;
  return "low";
}

/**
 * Parses --min-robust-accuracy: "0.5" (every eps of the norm) or "0.03=0.6,0.1=0.3" (per eps).
 */
export function parseMinRobustAccuracy(text: string, norm: Norm, epsList: number[]): RobustnessMinimum[] {
  const parts = text.split(",").map((s) => s.trim()).filter(Boolean);
  const out: RobustnessMinimum[] = [];
  for (const part of parts) {
    const m = /^(?:([0-9.eE+-]+)=)?([0-9.eE+-]+)$/.exec(part);
    const min = m ? Number(m[2]) : NaN;
    if (!m || !(min >= 0 && min <= 1)) throw new Error(`--min-robust-accuracy: "${part}" is neither a fraction in [0, 1] nor EPS=FRACTION`);
    if (m[1] === undefined) for (const eps of epsList) out.push({ norm, eps, min });
    else {
      const eps = Number(m[1]);
      if (!(eps > 0)) throw new Error(`--min-robust-accuracy: eps in "${part}" must be positive`);
      out.push({ norm, eps, min });
    }
  }
  return out;
}
