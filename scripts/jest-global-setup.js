// Jest runs the sources, but ./tfjs exists only as the esbuild bundle (see src/probes/tfjs.d.ts):
// build it once when it is missing or older than the lock file that pins the tfjs packages.
"use strict";
const { existsSync, mkdirSync, readFileSync, statSync } = require("node:fs");
const { join } = require("node:path");

module.exports = async function globalSetup() {
  const root = join(__dirname, "..");
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
