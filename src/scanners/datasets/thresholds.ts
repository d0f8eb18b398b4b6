// Thresholds of the dataset checks, kept as reviewable data in rules/thresholds/dataset.json.

import { CatalogError, formatAjvErrors, loadRulesData, schemaValidator } from "../../core/catalog";
import type { Severity } from "../../types";
import type { PiiType } from "./analysis/pii";
import type { TextModelOptions } from "./analysis/text-model";

export interface DatasetThresholds {
  maxRowFindings: number;
  maxEvidenceRows: number;
  neighbours: { k: number; exactMaxRows: number; approximate: { trees: number; leafSize: number; seed: number; dims: number; maxIterations: number; minUpdateShare: number; maxCandidates: number } };
  labelNoise: {
    minRows: number;
    smoothing: number;
    rounds: number;
    voteMaxAgreement: number;
    voteMinOtherShare: number;
    dissentMinClassNoise: number;
    minPairShare: number;
    minPairRows: number;
    systematicMaxReverse: number;
    summaryMediumShare: number;
    summaryHighShare: number;
    linearModel: Omit<TextModelOptions, "hashBits" | "maxTextChars"> & { maxCells: number };
    textModel: TextModelOptions;
  };
  labelKind: { maxClasses: number; maxFractionalClasses: number };
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
    maxItemBackground: number;
    maxChance: number;
    minSinglePixelRows: number;
    seedMinPurity: number;
    seedItemsPerLabel: number;
    matchShare: number;
    minSourceShare: number;
    maxSourceShare: number;
    high: { maxSourceShare: number; maxItemBackground: number; minPurity: number; minDisagreement: number; maxTargetShare: number };
    spectral: { minClassRows: number; minRobustZ: number; minOutlierRows: number; powerIterations: number };
  };
  textTrigger: { maxNgram: number; minRows: number; maxDocShare: number; minPurity: number; minZ: number; minDisagreement: number; highP: number; mediumP: number; lowP: number; mergeJaccard: number; maxTextRows: number; maxNgrams: number; maxModelBytes: number };
  classImbalance: { maxRatio: number; minShare: number; minEvenShare: number };
  outliers: { minRobustZ: number; minRows: number };
  personalData: { severity: Record<PiiType, Severity>; negativeContext: string[] };
}

/**
 * The shipped thresholds, with the user's overrides (config `scanners.datasets.thresholds`,
 * any subset, validated by the config schema at load time) merged over them. Objects merge
 * key by key; numbers, strings and lists replace the shipped value.
 */
export function datasetThresholds(overrides?: unknown): DatasetThresholds {
  const shipped = loadRulesData<DatasetThresholds>("thresholds/dataset.json", "dataset-thresholds");
  if (overrides === undefined || overrides === null) return shipped;
  const merged = merge(structuredClone(shipped), overrides) as DatasetThresholds;
  const validate = schemaValidator("dataset-thresholds");
  if (!validate(merged)) throw new CatalogError(`scanners.datasets.thresholds: ${formatAjvErrors(validate.errors).join("; ")}`);
  return merged;
}

function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  for (const [k, v] of Object.entries(over)) base[k] = k in base ? merge(base[k], v) : v;
  return base;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
