// aigis.config.json / .yaml: validated against rules/schemas/config.schema.json, every error reported at once.

import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import yaml from "js-yaml";
import type { Severity } from "../types";
import { formatAjvErrors, schemaValidator } from "./catalog";
import { UsageError } from "./errors";
import { DEFAULT_LIMITS, type Limits, type ScanHints, type SeverityOverride } from "./rule";

export interface AigisConfig {
  include?: string[];
  exclude?: string[];
  failOn?: Severity | "none";
  limits?: Partial<Record<keyof Limits, number | string>>;
  rules?: Record<string, SeverityOverride>;
  hints?: ScanHints;
  scanners?: Record<string, unknown>;
  discovery?: { defaultIgnores?: string[] };
  jobs?: number;
  /** Custom scanner modules, relative to the working directory (each exports `scanner`). */
  plugins?: string[];
}

export const CONFIG_FILE_NAMES = ["aigis.config.json", "aigis.config.yaml", "aigis.config.yml"];

/** Parses sizes like 1048576, "512MiB", "10GB", "2 GiB". */
export function parseSize(value: number | string): number {
  if (typeof value === "number") return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$/i.exec(value);
  if (!m) throw new UsageError(`invalid size ${JSON.stringify(value)} (use bytes or a unit: KiB, MiB, GiB, KB, MB, GB)`);
  const n = parseFloat(m[1]!);
  const unit = (m[2] ?? "").toUpperCase();
  const powers: Record<string, number> = { "": 1, B: 1, K: 1024, KB: 1000, KIB: 1024, M: 1024 ** 2, MB: 1000 ** 2, MIB: 1024 ** 2, G: 1024 ** 3, GB: 1000 ** 3, GIB: 1024 ** 3, T: 1024 ** 4, TB: 1000 ** 4, TIB: 1024 ** 4 };
  const mul = powers[unit];
  if (mul === undefined) throw new UsageError(`invalid size unit in ${JSON.stringify(value)}`);
  return Math.floor(n * mul);
}

export function resolveLimits(overrides: AigisConfig["limits"] | undefined): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    (limits as unknown as Record<string, number>)[key] = ["maxCompressionRatio", "maxArchiveDepth", "maxArchiveEntries", "workerHeapMb"].includes(key) ? Number(value) : parseSize(value);
  }
  return limits;
}

function parseConfigText(text: string, path: string): unknown {
  try {
    return path.endsWith(".json") ? JSON.parse(text) : yaml.load(text, { schema: yaml.JSON_SCHEMA });
  } catch (e) {
    throw new UsageError(`config ${path}: ${(e as Error).message.split("\n")[0]}`);
  }
}

export function validateConfig(data: unknown, path: string): AigisConfig {
  const validate = schemaValidator("config");
  if (!validate(data)) {
    const errors = formatAjvErrors(validate.errors);
    throw new UsageError(`config ${path} is invalid (${errors.length} error${errors.length === 1 ? "" : "s"}): ${errors.join("; ")}`);
  }
  const config = data as AigisConfig & { $schema?: string };
  delete config.$schema;
  return config;
}

/** Loads the given config file, or the first of aigis.config.{json,yaml,yml} in `cwd`; none is fine. */
export function loadConfig(explicit: string | undefined, cwd: string): { config: AigisConfig; path?: string } {
  let path: string | undefined;
  if (explicit) {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new UsageError(`config file not found: ${explicit}`);
  } else {
    path = CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
  }
  if (!path) return { config: {} };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`config ${path}: ${(e as Error).message}`);
  }
  return { config: validateConfig(parseConfigText(text, path), path), path };
}
