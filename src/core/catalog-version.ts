// A digest of the rule catalogue and control catalogues a report was made with, so an
// auditor can tell two reports made with different rules apart even at the same tool version.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { rulesDir } from "./catalog";

let cached: string | undefined;

/** "sha256:<first 16 hex>" over rules/catalog/*.json and rules/frameworks/*.json, in name order. */
export function catalogVersion(): string {
  if (cached) return cached;
  const hash = createHash("sha256");
  for (const sub of ["catalog", "frameworks"]) {
    const dir = join(rulesDir(), sub);
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      hash.update(`${sub}/${file}\u0000`);
      hash.update(readFileSync(join(dir, file)));
      hash.update("\u0000");
    }
  }
  cached = `sha256:${hash.digest("hex").slice(0, 16)}`;
  return cached;
}
