import { backdoorTrigger } from "./backdoor-trigger";
import { checkNotRun } from "./check-not-run";
import { classImbalance } from "./class-imbalance";
import { conflictingDuplicates } from "./conflicting-duplicates";
import { labelNoise } from "./label-noise";
import { outliers } from "./outliers";
import { personalData } from "./personal-data";
import { textTrigger } from "./text-trigger";

export const datasetRules = [personalData, backdoorTrigger, textTrigger, labelNoise, conflictingDuplicates, classImbalance, outliers, checkNotRun];
