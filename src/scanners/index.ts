// Every built-in scanner as an object (for tests and tools that want them in-process). The
// pipeline registers them by module path from src/plugins.ts, so worker threads can load them.
import type { ScannerPlugin } from "../types";
import { artifactScanner } from "./artifacts";
import { datasetScanner } from "./datasets";
import { policyScanner } from "./policies";
import { protectionScanner } from "./protection";

export const SCANNERS: ReadonlyArray<ScannerPlugin> = [artifactScanner, protectionScanner, policyScanner, datasetScanner];
