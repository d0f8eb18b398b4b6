// The one YAML library aigis uses (`yaml`): it keeps source positions for the policy scanner
// and bounds alias expansion (maxAliasCount), so a billion-laughs or merge-key bomb in a
// config or suppressions file is refused instead of expanded.

import type * as Yaml from "yaml";

let yamlModule: typeof Yaml | undefined;
/**
 * The `yaml` library, loaded on first use: most scans read no YAML, and loading it costs about
 * 30 ms of CPU per thread (bench/startup.ts; test/core/lazy-loading.test.ts keeps it lazy).
 */
export function yamlLib(): typeof Yaml {
  return (yamlModule ??= require("yaml") as typeof Yaml);
}

/**
 * YAML 1.2 core schema: dates stay strings (no implicit timestamps), duplicate keys are errors,
 * and at most 100 alias expansions are made before the document is refused.
 */
export function parseYamlData(text: string): unknown {
  return yamlLib().parse(text, { maxAliasCount: 100, uniqueKeys: true, merge: false, logLevel: "error" });
}
