// `npm run bench`: runs every compiled benchmark in dist/bench/ (except this runner), one after another.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const only = process.argv.slice(2);
const scripts = readdirSync(__dirname)
  .filter((f) => f.endsWith(".js") && f !== "run.js" && !f.startsWith("_"))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const script of scripts) {
  process.stdout.write(`\n=== bench/${script.replace(/\.js$/, ".ts")} ===\n`);
  const r = spawnSync(process.execPath, ["--expose-gc", join(__dirname, script)], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
