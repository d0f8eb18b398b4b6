// The built-in plugins, by module path: the scanners and rule packs aigis registers when the
// caller passes no registry. Paths, not imports, so core can load them (and worker threads
// can load them again) without importing any scanner.

import { join } from "node:path";

/** Scanner modules (each exports `scanner`), in the order they scan a file. */
export const BUILTIN_SCANNER_MODULES: ReadonlyArray<string> = ["artifacts", "protection", "policies", "datasets"].map((name) => join(__dirname, "scanners", name));

/** Rule packs outside scanners (each exports `rulePack`): model/* rules of aigis probe. */
export const BUILTIN_PACK_MODULES: ReadonlyArray<string> = [join(__dirname, "probes", "rules")];
