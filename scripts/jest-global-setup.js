// Jest runs the sources, but ./tfjs exists only as the esbuild bundle (see src/probes/tfjs.d.ts):
// build it once when it is missing or older than the lock file that pins the tfjs packages.
"use strict";
const { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

module.exports = async function globalSetup() {
  const root = join(__dirname, "..");
  // Tests make their temp folders in a private one (workers inherit TMPDIR), so the teardown
  // can check that none is left behind (jest-global-teardown.js) without seeing other runs'.
  if (!process.env.AIGIS_TEST_TMPDIR) {
    process.env.AIGIS_TEST_TMPDIR = mkdtempSync(join(tmpdir(), "aigis-jest-"));
    process.env.TMPDIR = process.env.AIGIS_TEST_TMPDIR;
  }
  // Tests of the built CLI expect the build-time schema validators (scripts/compile-schemas.js).
  const schemas = require("./compile-schemas");
  if (!schemas.upToDate()) schemas.compileSchemas();
  const bundle = join(root, "dist", "src", "probes", "tfjs.js");
  const { BANNER, bundleTfjs } = require("./vendor-runtimes");
  const fresh =
    existsSync(bundle) &&
    readFileSync(bundle, "utf8").startsWith(BANNER) &&
    statSync(bundle).mtimeMs >= statSync(join(root, "package-lock.json")).mtimeMs;
  if (fresh) return;
  mkdirSync(join(root, "dist", "src", "probes"), { recursive: true });
  await bundleTfjs();
};
