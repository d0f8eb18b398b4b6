// Every scanner aigis runs. A new scanner is one folder under src/scanners/ and one line here.
import type { Scanner } from "../core/rule";
import { artifactScanner } from "./artifacts";
import { datasetScanner } from "./datasets";
import { policyScanner } from "./policies";
import { protectionScanner, signatureFileScanner } from "./protection";

export const SCANNERS: ReadonlyArray<Scanner> = [artifactScanner, protectionScanner, signatureFileScanner, policyScanner, datasetScanner];
