// Temporary folders made by tests are removed after each test file: test/helpers/temp-setup.ts
// (jest setupFilesAfterEnv) tracks every fs.mkdtempSync of a test, so a plain mkdtempSync is
// cleaned up too; scripts/jest-global-teardown.js fails the run if anything is left in the
// run's private temp folder (scripts/jest-global-setup.js points TMPDIR at it).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Tracked {
  made: Set<string>;
}
const MARK = Symbol.for("aigis.test.tempDirs");

/**
 * Wraps fs.mkdtempSync once per jest worker so every folder it makes is recorded. The core fs
 * module is shared by the test files of a worker; ts-jest compiles named imports to property
 * reads at call time, so tests that imported mkdtempSync see the wrapper.
 */
export function trackTempDirs(): Tracked {
  const fs = require("node:fs") as typeof import("node:fs") & { [MARK]?: Tracked };
  const existing = fs[MARK];
  if (existing) return existing;
  const tracked: Tracked = { made: new Set() };
  const original = fs.mkdtempSync;
  const wrapped = ((prefix: string, options?: Parameters<typeof original>[1]) => {
    const dir = original(prefix, options as never) as unknown as string;
    tracked.made.add(String(dir));
    return dir;
  }) as typeof original;
  fs.mkdtempSync = wrapped;
  fs[MARK] = tracked;
  return tracked;
}

/** Removes every tracked folder made so far (the setup file calls it in afterAll). */
export function removeTempDirs(): void {
  const { made } = trackTempDirs();
  for (const dir of made) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  made.clear();
}

/** A new empty folder under the system temp folder, removed after the test file. */
export function tempDir(prefix = "aigis-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
