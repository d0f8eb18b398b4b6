// Thresholds of the dataset checks, kept as reviewable data in rules/thresholds/dataset.json.

import { loadRulesData } from "../../core/catalog";
import type { Severity } from "../../types";
import type { PiiType } from "./analysis/pii";
import type { TextModelOptions } from "./analysis/text-model";

export interface DatasetThresholds {
  maxRowFindings: number;
  maxEvidenceRows: number;
  neighbours: { k: number; exactMaxRows: number; approximate: { trees: number; leafSize: number; seed: number; dims: number } };
  labelNoise: {
    smoothing: number;
    rounds: number;
    minPairShare: number;
    minPairRows: number;
    systematicMaxReverse: number;
    summaryMediumShare: number;
    summaryHighShare: number;
    linearModel: Omit<TextModelOptions, "hashBits" | "maxTextChars"> & { maxCells: number };
    textModel: TextModelOptions;
  };
  duplicates: { nearRelativeDistance: number };
  backdoor: {
    valueSampleRows: number;
    minRows: number;
    minPurity: number;
    minZ: number;
    maxItemShare: number;
    groupJaccard: number;
    patchShare: number;
    maxPatchBackground: number;
    minPatchPurity: number;
    minDisagreement: number;
    maskedNeighbourSample: number;
    spectral: { minClassRows: number; minRobustZ: number; minOutlierRows: number; powerIterations: number };
  };
  textTrigger: { maxNgram: number; minRows: number; maxDocShare: number; minPurity: number; minZ: number; minDisagreement: number; mergeJaccard: number; maxTextRows: number };
  classImbalance: { maxRatio: number; minShare: number };
  outliers: { minRobustZ: number; minRows: number };
  personalData: { severity: Record<PiiType, Severity>; negativeContext: string[] };
}

export function datasetThresholds(): DatasetThresholds {
  return loadRulesData<DatasetThresholds>("thresholds/dataset.json", "dataset-thresholds");
}
