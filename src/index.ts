// Public library API. The library never prints and never exits; bin/aigis.ts does.
export * from "./types";
export { runScan, severityAtLeast, summarise, sortFindings, type ScanOptions, type ScanResult } from "./core/run";
export { loadConfig, validateConfig, type AigisConfig } from "./core/config";
export { loadCatalog } from "./core/catalog";
export { createRegistry } from "./core/registry";
export { SCANNERS } from "./scanners";
export type { Scanner, RuleModule, Rule, RuleContext, ScanContext, ScanFile, ProjectContext } from "./core/rule";
export { runProbe } from "./probes/run";
