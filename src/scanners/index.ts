// Every scanner aigis runs. A new scanner is one folder under src/scanners/ and one line here.
import type { Scanner } from "../core/rule";
import { artifactScanner } from "./artifacts";
import { datasetScanner } from "./datasets";
import { modelFolderScanner } from "./model-folders";
import { policyScanner } from "./policies";
import { protectionScanner } from "./protection";

export const SCANNERS: ReadonlyArray<Scanner> = [artifactScanner, protectionScanner, policyScanner, datasetScanner, modelFolderScanner];
