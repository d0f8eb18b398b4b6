// The installed package's own package.json, read without loading anything else, so that
// `aigis --version` answers in the time Node takes to start.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

let cached: { version: string; homepage?: string } | undefined;

/** package.json of aigis, found upward from this file (src/core in development, dist/src/core installed). */
export function ownPackageJson(): { version: string; homepage?: string } {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const file = join(dir, "package.json");
    if (existsSync(file) && existsSync(join(dir, "rules"))) {
      cached = JSON.parse(readFileSync(file, "utf8")) as { version: string; homepage?: string };
      return cached;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`cannot find the aigis package.json above ${__dirname}`);
}
