// After the whole jest run: tests remove their temp folders (test/helpers/temp-setup.ts). The
// run's private temp folder (set by jest-global-setup.js) must then be empty; anything left
// fails the run by name, and the folder is removed either way.
"use strict";
const { readdirSync, rmSync } = require("node:fs");

module.exports = async function globalTeardown() {
  const dir = process.env.AIGIS_TEST_TMPDIR;
  if (!dir) return;
  let left = [];
  try {
    left = readdirSync(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
  if (left.length > 0) throw new Error(`tests left ${left.length} entr${left.length === 1 ? "y" : "ies"} in the temp folder: ${left.slice(0, 20).join(", ")}`);
};
