// Temporary folders for tests, removed when the test file ends: a test run leaves nothing in
// the system temp folder (test/core/temp-cleanup.test.ts checks that the suite uses this).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDirs {
  /** A new empty folder under the system temp folder, removed in afterAll. */
  make(prefix?: string): string;
}

const made: string[] = [];
let hooked = false;

/** Removes every folder made through this module so far (also used by the afterAll hook). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Call at a test file's top level (or inside describe): folders made through the returned `make`
 * are removed after the file's tests, pass or fail. Without jest (bench), call removeTempDirs.
 */
export function useTempDirs(defaultPrefix = "aigis-test-"): TempDirs {
  if (!hooked && typeof afterAll === "function") {
    hooked = true;
    afterAll(removeTempDirs);
  }
  return { make: (prefix = defaultPrefix) => tempDir(prefix) };
}

/** A new temp folder registered for removal; use inside tests of a file that called useTempDirs. */
export function tempDir(prefix = "aigis-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
