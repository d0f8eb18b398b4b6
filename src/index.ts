// Public library API. The library never prints and never exits; bin/aigis.ts does.
export * from "./types";
export { runScan, severityAtLeast, summarise, sortFindings, type ScanOptions, type ScanResult } from "./core/run";
export { loadConfig, validateConfig, type AigisConfig } from "./core/config";
export { loadCatalog } from "./core/catalog";
export { builtinRegistry, createRegistry, RegistryError, type Registry, type RegistryOptions, type PluginSource } from "./core/registry";
export { RuleContractError } from "./core/findings";
export { DEFAULT_LIMITS, type Scanner } from "./core/rule";
export { runProbe } from "./probes/run";
